#ifndef BACKUPD_CBUILDINFO_H
#define BACKUPD_CBUILDINFO_H

/// The git commit backupd was built from (12 hex digits, "-dirty" when the work tree had changes),
/// or "unknown" when the sources came without git metadata (a tarball).
const char *backupd_build_commit(void);

#endif
