/* The s6 service of s6_restart_bench.c (the s6 counterpart of notify-child `ready`): s6-supervise
 * execs it as the service directory's ./run with the readiness pipe on fd 3 (notification-fd
 * holds 3). It writes the readiness newline to fd 3, closes it, and then waits for signals.
 * Linked against libsystemd without using it, so that each start loads the same shared
 * libraries as notify-child does (they cost about 0.5-1 ms per exec on a small VM):
 *   cc -O2 -o DIR/ready-child Benchmarks/s6/ready-child.c -Wl,--no-as-needed -lsystemd
 */
#include <unistd.h>

int main(void) {
    if (write(3, "\n", 1) != 1) return 111;  /* s6: "write a newline ..., then close it" */
    close(3);
    for (;;) pause();
}
