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
#endif
