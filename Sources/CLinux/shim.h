#ifndef BACKUPD_CLINUX_SHIM_H
#define BACKUPD_CLINUX_SHIM_H
// Linux interfaces Glibc's Swift module does not export: timerfd (clock-change notification).
#include <sys/timerfd.h>
#endif
