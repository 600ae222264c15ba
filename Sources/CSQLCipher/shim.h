// Debian's libsqlcipher-dev installs its header as <sqlcipher/sqlite3.h>; pkg-config adds
// -I/usr/include/sqlcipher, so this picks SQLCipher's sqlite3.h, not the system SQLite's.
#include <sqlite3.h>
