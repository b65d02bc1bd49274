#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a cast macro ((sqlite3_destructor_type)-1), which Swift does not import.
static const sqlite3_destructor_type csqlite_transient = SQLITE_TRANSIENT;
#endif
