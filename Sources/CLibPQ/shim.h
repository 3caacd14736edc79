// libpq, the PostgreSQL client library. Debian installs the header as
// /usr/include/postgresql/libpq-fe.h (package libpq-dev); pkg-config "libpq" adds
// -I/usr/include/postgresql, so the plain name resolves on every distribution that ships a .pc file.
#include <libpq-fe.h>
