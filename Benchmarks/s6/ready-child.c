/* The s6 service of s6_restart_bench.c (the s6 counterpart of notify-child `ready`): s6-supervise
 * execs it as the service directory's ./run with the readiness pipe on fd 3 (notification-fd
 * holds 3). It writes the readiness newline to fd 3, closes it, and then waits for signals.
 *   cc -O2 -o SERVICEDIR/run Benchmarks/s6/ready-child.c
 */
#include <unistd.h>

int main(void) {
    if (write(3, "\n", 1) != 1) return 111;  /* s6: "write a newline ..., then close it" */
    close(3);
    for (;;) pause();
}
