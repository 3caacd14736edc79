#ifndef LIFEBOAT_LIBPQ_LOADER_H
#define LIFEBOAT_LIBPQ_LOADER_H

/// Loads libpq (libpq.so.5) the first time it is called, and looks up every libpq function
/// Lifeboat calls. Returns NULL once libpq is usable, else why not (the loader's message, or the
/// first function the library lacks), the same text on every later call.
///
/// The program is not linked against libpq: loading it and its twenty dependencies (OpenSSL,
/// GSSAPI, LDAP, GnuTLS) took about 7 ms of every start of the binary (`lifeboat --version`: 12.9
/// against 6.0 ms), also for the commands that never talk to PostgreSQL. libpq_loader.c defines
/// the libpq functions the Swift code calls, each passing the call on to the loaded library; call
/// this first, before any of them.
const char *lifeboat_libpq_load(void);

#endif
