#ifndef BACKUPD_CSQLITE_SHIM_H
#define BACKUPD_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
