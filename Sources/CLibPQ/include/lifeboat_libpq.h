#ifndef LIFEBOAT_LIBPQ_H
#define LIFEBOAT_LIBPQ_H

// libpq's declarations, from libpq-dev's header, and the loader of libpq itself.
//
// The program is not linked against libpq: loading it and its twenty dependencies (OpenSSL,
// GSSAPI, LDAP, GnuTLS) took about 7 ms of every start of the binary (`lifeboat --version`: 12.9
// against 6.0 ms), also for the commands that never talk to PostgreSQL. libpq_loader.c defines
// the libpq functions the Swift code calls, each passing the call on to the loaded library.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>  // Debian and Ubuntu put it here
#endif

/// Loads libpq (libpq.so.5) the first time it is called, and looks up every libpq function
/// Lifeboat calls. Returns NULL once libpq is usable, else why not (the loader's message, or the
/// first function the library lacks), the same text on every later call. Call it before any libpq
/// function.
const char *lifeboat_libpq_load(void);

#endif
