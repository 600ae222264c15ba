/* s6 comparison for case 2 of Benchmarks/SupervisionBenchmarks (SIGKILL of a process child ->
 * the supervisor has the new process's readiness). It builds SERVICES service directories in a
 * temp dir (in $S6_BENCH_DIR, else /dev/shm - s6 expects its service directories on a tmpfs like
 * /run - else /tmp): notification-fd from TEMPLATE_DIR and a copy of CHILD (ready-child.c) as
 * ./run, and runs one s6-supervise on each. It subscribes to every event/ fifodir the way
 * libftrig listeners do (a fifo named ftrig1:@<TAI64N>:<6 chars>, mode 0622, made under a
 * dot-name, opened, then renamed in), so no extra process is involved in a measurement. Each
 * kill: read the service's pid from supervise/status, t0 = CLOCK_MONOTONIC, kill(pid, SIGKILL),
 * poll the fifo until s6-supervise's 'U' event (up and ready) is read, t1 = CLOCK_MONOTONIC;
 * latency = t1 - t0. s6-supervise waits until 1 s after the previous spawn before it respawns,
 * so kills go round-robin over the services and a service is only killed once its last 'U' is
 * 1.1 s old (that throttle never lands in a sample). One unmeasured kill per service first.
 * Prints: RESULT s6_kill n=COUNT median_us=.. p99_us=.. min_us=..
 * Every wait has a timeout (and a global alarm); on failure: message on stderr, exit 1. The
 * s6-supervise processes get SIGTERM (service down, then exit) and the temp dir is removed.
 *   cc -O2 -o DIR/ready-child Benchmarks/s6/ready-child.c -Wl,--no-as-needed -lsystemd
 *   cc -O2 -o DIR/s6_restart_bench Benchmarks/s6/s6_restart_bench.c
 *   DIR/s6_restart_bench Benchmarks/s6/service DIR/ready-child [COUNT=200 [SERVICES=20]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVICES 64
#define WAIT_MS 5000         /* for any single event */
#define RESPAWN_GAP_NS 1100000000LL

static char root[4096];      /* temp dir; "" once removed */
static int nservices;
static pid_t supervisor[MAX_SERVICES];
static int eventfd[MAX_SERVICES] = {[0 ... MAX_SERVICES - 1] = -1};
static int64_t last_ready[MAX_SERVICES];

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Stop every s6-supervise (SIGTERM = bring the service down, then exit), reap, remove root. */
static void teardown(void) {
    for (int i = 0; i < nservices; i++)
        if (supervisor[i] > 0) kill(supervisor[i], SIGTERM);
    for (int i = 0; i < nservices; i++) {
        if (supervisor[i] <= 0) continue;
        int64_t deadline = now_ns() + WAIT_MS * 1000000LL;
        while (waitpid(supervisor[i], NULL, WNOHANG) == 0) {
            if (now_ns() > deadline) {
                fprintf(stderr, "s6_restart_bench: s6-supervise %d did not exit; SIGKILL\n", (int)supervisor[i]);
                kill(supervisor[i], SIGKILL);
                waitpid(supervisor[i], NULL, 0);
                break;
            }
            sleep_ms(5);
        }
        supervisor[i] = 0;
        if (eventfd[i] >= 0) close(eventfd[i]);
    }
    if (root[0] && nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fprintf(stderr, "s6_restart_bench: could not remove %s: %s\n", root, strerror(errno));
    root[0] = 0;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("s6_restart_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    teardown();
    exit(1);
}

static void on_signal(int sig) { die("got signal %d (timeout or interrupted)", sig); }

static void copy_file(const char *from, const char *to, mode_t mode) {
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0) die("open %s: %s", from, strerror(errno));
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) die("create %s: %s", to, strerror(errno));
    for (ssize_t r; (r = read(in, buf, sizeof buf)) != 0;) {
        if (r < 0 || write(out, buf, (size_t)r) != r) die("copy %s: %s", from, strerror(errno));
    }
    close(in);
    if (close(out) < 0) die("close %s: %s", to, strerror(errno));
}

/* The current pid and ready flag from DIR/supervise/status (s6 2.11: 35 bytes; pid = big-endian
 * u64 at offset 24; flags in the last byte, 8 = ready). 0 if it cannot be read (yet). */
static pid_t status_pid(int i, int *ready) {
    char path[4200];
    unsigned char b[64];
    snprintf(path, sizeof path, "%s/svc%d/supervise/status", root, i);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n != 35 && n != 43) return 0;
    uint64_t pid = 0;
    for (int k = 24; k < 32; k++) pid = pid << 8 | b[k];
    *ready = (b[n - 1] & 8) != 0;
    return (pid_t)pid;
}

/* Subscribe to DIR/event like an ftrig1 listener: the notifier writes to every fifo there whose
 * name is "ftrig1:@" + 31 chars (39 in all), and unlinks those without a reader. */
static void subscribe(int i) {
    char dir[4200], hidden[4300], visible[4300];
    struct timespec rt;
    snprintf(dir, sizeof dir, "%s/svc%d/event", root, i);
    clock_gettime(CLOCK_REALTIME, &rt);
    char name[64];  /* TAI64N label: 2^62 + 10 + seconds (TAI - UTC offset as skalibs' default), ns */
    snprintf(name, sizeof name, "ftrig1:@%016llx%08lx:%06d", (unsigned long long)((1ULL << 62) + 10 + (uint64_t)rt.tv_sec),
             (unsigned long)rt.tv_nsec, (int)((getpid() * 64 + i) % 1000000));
    if (strlen(name) != 39) die("internal: fifo name length %zu", strlen(name));
    snprintf(hidden, sizeof hidden, "%s/.%s", dir, name);
    snprintf(visible, sizeof visible, "%s/%s", dir, name);
    if (mkfifo(hidden, 0622) < 0) die("mkfifo %s: %s", hidden, strerror(errno));
    chmod(hidden, 0622);  /* whatever the umask */
    eventfd[i] = open(hidden, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    /* A writer of our own: the fifo never reads as EOF between s6-supervise's writes. */
    int keep = eventfd[i] < 0 ? -1 : open(hidden, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (keep < 0 || rename(hidden, visible) < 0) die("subscribe %s: %s", dir, strerror(errno));
    /* keep stays open (leaked on purpose) until we exit. */
}

static void drain(int i) {
    char buf[256];
    while (read(eventfd[i], buf, sizeof buf) > 0) {}
}

/* Read events of service i until 'U'; its CLOCK_MONOTONIC time, or die after WAIT_MS. */
static int64_t wait_up_ready(int i, const char *what) {
    int64_t deadline = now_ns() + WAIT_MS * 1000000LL;
    for (;;) {
        struct pollfd p = {eventfd[i], POLLIN, 0};
        int64_t left = (deadline - now_ns()) / 1000000;
        int r = poll(&p, 1, left > 0 ? (int)left : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("poll: %s", strerror(errno));
        if (r == 0) die("no 'U' event from svc%d within %d ms (%s)", i, WAIT_MS, what);
        char buf[256];
        ssize_t n = read(eventfd[i], buf, sizeof buf);
        int64_t t = now_ns();
        if (n < 0 && errno != EAGAIN) die("read event fifo: %s", strerror(errno));
        if (n > 0 && memchr(buf, 'U', (size_t)n)) return t;
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s TEMPLATE_SERVICE_DIR CHILD_BINARY [COUNT [SERVICES]]\n", argv[0]);
        return 2;
    }
    int count = argc > 3 ? atoi(argv[3]) : 200;
    nservices = argc > 4 ? atoi(argv[4]) : 20;
    if (count < 1 || nservices < 1 || nservices > MAX_SERVICES) { fprintf(stderr, "bad COUNT or SERVICES\n"); return 2; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGALRM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    alarm(60 + (unsigned)(count + nservices) * RESPAWN_GAP_NS / nservices / 1000000000LL);

    const char *base = getenv("S6_BENCH_DIR");
    if (!base || !*base) base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(root, sizeof root, "%s/s6-restart-bench.XXXXXX", base);
    if (!mkdtemp(root)) { fprintf(stderr, "s6_restart_bench: mkdtemp %s: %s\n", root, strerror(errno)); return 1; }

    char path[4200], from[4200];
    snprintf(from, sizeof from, "%s/notification-fd", argv[1]);
    for (int i = 0; i < nservices; i++) {
        snprintf(path, sizeof path, "%s/svc%d", root, i);
        if (mkdir(path, 0755) < 0) die("mkdir %s: %s", path, strerror(errno));
        snprintf(path, sizeof path, "%s/svc%d/notification-fd", root, i);
        copy_file(from, path, 0644);
        snprintf(path, sizeof path, "%s/svc%d/run", root, i);
        copy_file(argv[2], path, 0755);
    }
    for (int i = 0; i < nservices; i++) {
        snprintf(path, sizeof path, "%s/svc%d", root, i);
        pid_t pid = fork();
        if (pid < 0) die("fork: %s", strerror(errno));
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);  /* if we are killed, s6-supervise stops too */
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);  /* stdout stays ours (RESULT lines); stderr shows s6 warnings */
            execlp("s6-supervise", "s6-supervise", path, (char *)NULL);
            fprintf(stderr, "s6_restart_bench: exec s6-supervise: %s\n", strerror(errno));
            _exit(127);
        }
        supervisor[i] = pid;
    }
    /* Subscribe once event/ exists, then wait until the first incarnation is ready. */
    for (int i = 0; i < nservices; i++) {
        snprintf(path, sizeof path, "%s/svc%d/event", root, i);
        for (int64_t deadline = now_ns() + WAIT_MS * 1000000LL; access(path, F_OK) < 0; sleep_ms(2)) {
            if (waitpid(supervisor[i], NULL, WNOHANG) == supervisor[i]) { supervisor[i] = 0; die("s6-supervise on svc%d exited", i); }
            if (now_ns() > deadline) die("s6-supervise did not create %s", path);
        }
        subscribe(i);
        int ready = 0;
        if (!(status_pid(i, &ready) > 0 && ready)) wait_up_ready(i, "first start");
        last_ready[i] = now_ns();
    }

    int64_t *samples = calloc((size_t)count, sizeof *samples);
    if (!samples) die("out of memory");
    for (int k = 0; k < nservices + count; k++) {
        int i = k % nservices, ready = 0;
        int64_t wait = last_ready[i] + RESPAWN_GAP_NS - now_ns();
        if (wait > 0) sleep_ms((long)(wait / 1000000) + 1);
        pid_t pid = status_pid(i, &ready);
        if (pid <= 0 || !ready || kill(pid, 0) < 0) die("svc%d: no ready process in supervise/status (pid %d)", i, (int)pid);
        drain(i);
        int64_t t0 = now_ns();
        kill(pid, SIGKILL);
        int64_t t1 = wait_up_ready(i, "after SIGKILL");
        last_ready[i] = t1;
        if (status_pid(i, &ready) == pid) die("svc%d: 'U' but the pid did not change", i);
        if (k >= nservices) samples[k - nservices] = t1 - t0;  /* the first kill of each is warm-up */
    }
    teardown();

    qsort(samples, (size_t)count, sizeof *samples, cmp_i64);
    int p99 = (int)(count * 0.99);  /* same picks as the Swift side */
    if (p99 > count - 1) p99 = count - 1;
    printf("RESULT s6_kill n=%d median_us=%.1f p99_us=%.1f min_us=%.1f\n", count,
           samples[count / 2] / 1e3, samples[p99] / 1e3, samples[0] / 1e3);
    return 0;
}
