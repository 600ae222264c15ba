/* A process-isolated test child that speaks sd_notify through libsystemd (sd_notify(3)).
 *
 *   notify-child ready              READY=1, then WATCHDOG=1 every 50 ms forever
 *   notify-child trap-once FILE     first run (FILE absent): create FILE, READY=1, abort();
 *                                   later runs: like `ready`
 *   notify-child never-ready        never sends READY=1
 *   notify-child ignore-term        ignores SIGTERM, then like `ready`
 *   notify-child ready-then-exit N  READY=1, then exit with status N
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <systemd/sd-daemon.h>

static void serve(void) {
    sd_notifyf(0, "READY=1\nSTATUS=serving as pid %d", (int)getpid());
    for (;;) {
        sd_notify(0, "WATCHDOG=1");
        usleep(50 * 1000);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 64;
    const char *mode = argv[1];
    if (strcmp(mode, "ready") == 0) serve();
    if (strcmp(mode, "trap-once") == 0 && argc > 2) {
        int fd = open(argv[2], O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd >= 0) {
            close(fd);
            sd_notify(0, "READY=1");
            usleep(100 * 1000);
            abort();
        }
        serve();
    }
    if (strcmp(mode, "never-ready") == 0) for (;;) pause();
    if (strcmp(mode, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
        serve();
    }
    if (strcmp(mode, "ready-then-exit") == 0 && argc > 2) {
        sd_notify(0, "READY=1");
        return atoi(argv[2]);
    }
    return 64;
}
