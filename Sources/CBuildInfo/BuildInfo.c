#include "CBuildInfo.h"

// Package.swift defines BACKUPD_GIT_COMMIT from the manifest's git information; a build without
// it (no git metadata) still compiles.
#ifndef BACKUPD_GIT_COMMIT
#define BACKUPD_GIT_COMMIT "unknown"
#endif

const char *backupd_build_commit(void) { return BACKUPD_GIT_COMMIT; }
