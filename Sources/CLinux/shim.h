#ifndef BACKUPD_CLINUX_SHIM_H
#define BACKUPD_CLINUX_SHIM_H
// Linux interfaces Glibc's Swift module does not export: timerfd (clock-change notification),
// pipe2 and posix_spawn_file_actions_addclosefrom_np (pipes created close-on-exec atomically, so no other thread's child inherits them).
#include <sys/timerfd.h>
#include <fcntl.h>
#include <spawn.h>

int pipe2(int pipefd[2], int flags);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

static inline int bd_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
// A pipe's capacity (fcntl F_SETPIPE_SZ, 1031; Linux 2.6.35); the kernel caps it at
// /proc/sys/fs/pipe-max-size for unprivileged callers. Returns the new size, or -1.
static inline int bd_set_pipe_size(int fd, int bytes) { return fcntl(fd, 1031 /* F_SETPIPE_SZ */, bytes); }

// The control socket: accept4 (close-on-exec at once) and the peer's credentials (struct ucred
// needs _GNU_SOURCE, which Glibc's module is not built with). Declared inside the functions, not
// by including <sys/socket.h>, so this module does not take those declarations from Glibc's.
struct bd_peer { unsigned int uid; int pid; };
static inline int bd_peer_credentials(int fd, struct bd_peer *peer) {
    extern int getsockopt(int, int, int, void *, unsigned int *);
    struct { int pid; unsigned int uid; unsigned int gid; } credentials;
    unsigned int length = sizeof credentials;
    int result = getsockopt(fd, 1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, &credentials, &length);
    if (result == 0) { peer->uid = credentials.uid; peer->pid = credentials.pid; }
    return result;
}
static inline int bd_accept_cloexec(int fd) {
    extern int accept4(int, void *, void *, int);
    return accept4(fd, 0, 0, O_CLOEXEC);
}

// Secrets for child processes: an anonymous in-memory file (memfd_create, MFD_CLOEXEC) that the
// kernel frees with its last descriptor, so no crash can strand it; and a close-on-exec copy of a
// descriptor numbered at least `minimum` (fcntl F_DUPFD_CLOEXEC is variadic in C).
static inline int bd_memfd_secret(const char *name) {
    extern int memfd_create(const char *, unsigned int);
    return memfd_create(name, 1 /* MFD_CLOEXEC */);
}
static inline int bd_dup_cloexec_above(int fd, int minimum) { return fcntl(fd, F_DUPFD_CLOEXEC, minimum); }

// glibc's malloc: a fixed mmap threshold (mallopt M_MMAP_THRESHOLD, -3; setting it turns off the
// threshold's growth) and whether a block came from its own mapping (the IS_MMAPPED bit, 0x2, of
// the chunk's size word just before the block), which the tests of that setting read.
static inline int bd_malloc_fix_mmap_threshold(int bytes) {
    extern int mallopt(int, int);
    return mallopt(-3 /* M_MMAP_THRESHOLD */, bytes);
}
static inline int bd_malloc_is_mapped(const void *block) {
    return (((const unsigned long *) block)[-1] & 2UL) != 0;
}

// A descriptor that polls readable once a child has exited (pidfd_open, Linux 5.3, close-on-exec),
// so waiting for the exit can drain the child's stderr at the same time; -1 when unavailable.
static inline int bd_pidfd_open(int pid) {
    extern long syscall(long, ...);
    return (int) syscall(434 /* SYS_pidfd_open */, pid, 0);
}
#endif
