#ifndef BACKUPD_CZSTD_SHIM_H
#define BACKUPD_CZSTD_SHIM_H
#include <zstd.h>
#endif
