// libpq's declarations, from libpq-dev's header. The binary does not link against libpq: the
// CLibPQLoader target defines these functions and loads libpq on first use.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>  // Debian and Ubuntu put it here
#endif
