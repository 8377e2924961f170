// clock-shim.c: an LD_PRELOAD library that steps a process's wall clock without touching the
// machine's, for backupd's clock-step tests (Debian's libfaketime breaks the binary's argument
// parsing). Build: cc -shared -fPIC -O2 -o clock-shim.so clock-shim.c -lpthread -ldl
//
// CLOCK_REALTIME (clock_gettime, gettimeofday, time) reads the real clock plus the offset in
// seconds (a decimal, may be negative) written in the file named by $BACKUPD_CLOCK_SHIM_FILE.
// CLOCK_MONOTONIC and CLOCK_BOOTTIME are left alone, as a real step leaves them. A thread re-reads
// the file every 10 ms; when the offset changes it does what the kernel does when the clock is
// set: absolute CLOCK_REALTIME timerfds (Dispatch's wall-clock timers) are re-armed for the new
// offset, so they fire at once after a step forward and later after a step back, and a timerfd
// armed with TFD_TIMER_CANCEL_ON_SET becomes readable and its next read fails with ECANCELED.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096
#define NS 1000000000LL

struct tracked {
    int realtime;           // a CLOCK_REALTIME timerfd
    int flags;              // flags of its last timerfd_settime
    struct itimerspec spec; // its last setting, in shifted (process) time
    atomic_int cancelled;   // the next read reports ECANCELED
};

static struct tracked fds[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_llong offset_ns;

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);
static int (*real_timerfd_create)(int, int);
static int (*real_timerfd_settime)(int, int, const struct itimerspec *, struct itimerspec *);
static int (*real_timerfd_gettime)(int, struct itimerspec *);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_close)(int);

static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve_once(void) {
    real_gettimeofday = dlsym(RTLD_NEXT, "gettimeofday");
    real_timerfd_create = dlsym(RTLD_NEXT, "timerfd_create");
    real_timerfd_settime = dlsym(RTLD_NEXT, "timerfd_settime");
    real_timerfd_gettime = dlsym(RTLD_NEXT, "timerfd_gettime");
    real_read = dlsym(RTLD_NEXT, "read");
    real_close = dlsym(RTLD_NEXT, "close");
    real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
}

static void resolve(void) { pthread_once(&resolved, resolve_once); }

static long long read_offset(const char *path, long long fallback) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fallback;
    char text[64] = {0};
    ssize_t n = real_read(fd, text, sizeof text - 1);
    real_close(fd);
    if (n <= 0) return fallback;
    char *end = NULL;
    double seconds = strtod(text, &end);
    if (end == text) return fallback;
    return (long long)(seconds * 1e9);
}

static struct timespec shift(struct timespec t, long long ns) {
    long long total = (long long)t.tv_sec * NS + t.tv_nsec + ns;
    if (total < 1) total = 1;
    t.tv_sec = total / NS;
    t.tv_nsec = total % NS;
    return t;
}

static int armed(const struct timespec *t) { return t->tv_sec != 0 || t->tv_nsec != 0; }

// With `lock` held: arms fd in the kernel from its shifted-time setting under the current offset.
static int program(int fd, int flags, const struct itimerspec *spec, struct itimerspec *old) {
    struct itimerspec real = *spec;
    if ((flags & TFD_TIMER_ABSTIME) && armed(&spec->it_value))
        real.it_value = shift(spec->it_value, -atomic_load(&offset_ns));
    return real_timerfd_settime(fd, flags, &real, old);
}

// The clock was "set": what the kernel does to timers on clock_settime.
static void clock_was_set(void) {
    pthread_mutex_lock(&lock);
    for (int fd = 0; fd < MAX_FDS; fd++) {
        struct tracked *t = &fds[fd];
        if (!t->realtime || !(t->flags & TFD_TIMER_ABSTIME) || !armed(&t->spec.it_value)) continue;
        struct itimerspec now;
        if (real_timerfd_gettime(fd, &now) != 0 || !armed(&now.it_value)) continue;
        if (t->flags & TFD_TIMER_CANCEL_ON_SET) {
            atomic_store(&t->cancelled, 1);
            struct itimerspec soon = {.it_value = {0, 1}};
            real_timerfd_settime(fd, 0, &soon, NULL);
        } else {
            program(fd, t->flags, &t->spec, NULL);
        }
    }
    pthread_mutex_unlock(&lock);
}

static void *watch(void *arg) {
    const char *path = arg;
    for (;;) {
        usleep(10000);
        long long current = atomic_load(&offset_ns);
        long long next = read_offset(path, current);
        if (next != current) {
            atomic_store(&offset_ns, next);
            clock_was_set();
        }
    }
    return NULL;
}

__attribute__((constructor)) static void start(void) {
    resolve();
    const char *path = getenv("BACKUPD_CLOCK_SHIM_FILE");
    if (!path) return;
    atomic_store(&offset_ns, read_offset(path, 0));
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attr, watch, strdup(path));
    pthread_attr_destroy(&attr);
}

static int is_wall(clockid_t id) { return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE; }

int clock_gettime(clockid_t id, struct timespec *tp) {
    resolve();
    int result = real_clock_gettime(id, tp);
    if (result == 0 && is_wall(id)) *tp = shift(*tp, atomic_load(&offset_ns));
    return result;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    resolve();
    int result = real_gettimeofday(tv, tz);
    if (result == 0) {
        struct timespec t = {tv->tv_sec, tv->tv_usec * 1000};
        t = shift(t, atomic_load(&offset_ns));
        tv->tv_sec = t.tv_sec;
        tv->tv_usec = t.tv_nsec / 1000;
    }
    return result;
}

time_t time(time_t *out) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (out) *out = t.tv_sec;
    return t.tv_sec;
}

int timerfd_create(int id, int flags) {
    resolve();
    int fd = real_timerfd_create(id, flags);
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&lock);
        memset(&fds[fd].spec, 0, sizeof fds[fd].spec);
        fds[fd].flags = 0;
        atomic_store(&fds[fd].cancelled, 0);
        fds[fd].realtime = id == CLOCK_REALTIME;
        pthread_mutex_unlock(&lock);
    }
    return fd;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *spec, struct itimerspec *old) {
    resolve();
    if (fd < 0 || fd >= MAX_FDS || !fds[fd].realtime || !spec) return real_timerfd_settime(fd, flags, spec, old);
    pthread_mutex_lock(&lock);
    fds[fd].flags = flags;
    fds[fd].spec = *spec;
    atomic_store(&fds[fd].cancelled, 0);
    int result = program(fd, flags, spec, old);
    pthread_mutex_unlock(&lock);
    return result;
}

ssize_t read(int fd, void *buffer, size_t count) {
    resolve();
    if (fd >= 0 && fd < MAX_FDS && atomic_load(&fds[fd].cancelled)) {
        pthread_mutex_lock(&lock);
        int cancelled = atomic_exchange(&fds[fd].cancelled, 0);
        if (cancelled) {
            unsigned long long expirations;
            real_read(fd, &expirations, sizeof expirations);
            memset(&fds[fd].spec, 0, sizeof fds[fd].spec);
        }
        pthread_mutex_unlock(&lock);
        if (cancelled) {
            errno = ECANCELED;
            return -1;
        }
    }
    return real_read(fd, buffer, count);
}

int close(int fd) {
    resolve();
    if (fd >= 0 && fd < MAX_FDS && fds[fd].realtime) {
        pthread_mutex_lock(&lock);
        fds[fd].realtime = 0;
        atomic_store(&fds[fd].cancelled, 0);
        pthread_mutex_unlock(&lock);
    }
    return real_close(fd);
}
