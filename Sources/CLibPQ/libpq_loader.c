#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// Hidden: the definitions below must not be exported from the executable, or libpq's own calls
// to these names would resolve to them once it is loaded.
#pragma GCC visibility push(hidden)
#include "lifeboat_libpq.h"

// Every libpq function Lifeboat calls: X(result type, name, parameters, arguments) for those that
// return a value, V(name, parameters, arguments) for those that return nothing. A function used
// from Swift and missing here fails the link.
#define LIBPQ_FUNCTIONS(X, V)                                                                                        \
    X(int, PQcancel, (PGcancel * cancel, char *errbuf, int errbufsize), (cancel, errbuf, errbufsize))                 \
    V(PQclear, (PGresult * res), (res))                                                                               \
    X(char *, PQcmdStatus, (PGresult * res), (res))                                                                   \
    X(char *, PQcmdTuples, (PGresult * res), (res))                                                                   \
    X(PGconn *, PQconnectdbParams, (const char *const *keywords, const char *const *values, int expand_dbname),       \
      (keywords, values, expand_dbname))                                                                              \
    X(int, PQconnectionNeedsPassword, (const PGconn *conn), (conn))                                                   \
    X(int, PQconnectionUsedPassword, (const PGconn *conn), (conn))                                                    \
    V(PQconninfoFree, (PQconninfoOption * options), (options))                                                        \
    X(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg), (conninfo, errmsg))                 \
    X(int, PQconsumeInput, (PGconn * conn), (conn))                                                                   \
    X(char *, PQdb, (const PGconn *conn), (conn))                                                                     \
    X(int, PQenterPipelineMode, (PGconn * conn), (conn))                                                              \
    X(char *, PQerrorMessage, (const PGconn *conn), (conn))                                                           \
    X(char *, PQescapeIdentifier, (PGconn * conn, const char *str, size_t len), (conn, str, len))                     \
    X(PGresult *, PQexecParams,                                                                                       \
      (PGconn * conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,       \
       const int *paramLengths, const int *paramFormats, int resultFormat),                                           \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat))                    \
    X(int, PQexitPipelineMode, (PGconn * conn), (conn))                                                               \
    V(PQfinish, (PGconn * conn), (conn))                                                                              \
    X(char *, PQfname, (const PGresult *res, int field_num), (res, field_num))                                        \
    V(PQfreeCancel, (PGcancel * cancel), (cancel))                                                                    \
    V(PQfreemem, (void *ptr), (ptr))                                                                                  \
    X(PGcancel *, PQgetCancel, (PGconn * conn), (conn))                                                               \
    X(PGresult *, PQgetResult, (PGconn * conn), (conn))                                                               \
    X(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))                 \
    X(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))               \
    X(char *, PQhost, (const PGconn *conn), (conn))                                                                   \
    X(int, PQnfields, (const PGresult *res), (res))                                                                   \
    X(PGnotify *, PQnotifies, (PGconn * conn), (conn))                                                                \
    X(int, PQntuples, (const PGresult *res), (res))                                                                   \
    X(int, PQpipelineSync, (PGconn * conn), (conn))                                                                   \
    X(char *, PQport, (const PGconn *conn), (conn))                                                                   \
    X(char *, PQresStatus, (ExecStatusType status), (status))                                                         \
    X(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))                             \
    X(char *, PQresultErrorMessage, (const PGresult *res), (res))                                                     \
    X(ExecStatusType, PQresultStatus, (const PGresult *res), (res))                                                   \
    X(int, PQsendPrepare, (PGconn * conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes), \
      (conn, stmtName, query, nParams, paramTypes))                                                                   \
    X(int, PQsendQueryParams,                                                                                         \
      (PGconn * conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,       \
       const int *paramLengths, const int *paramFormats, int resultFormat),                                           \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat))                    \
    X(int, PQsendQueryPrepared,                                                                                       \
      (PGconn * conn, const char *stmtName, int nParams, const char *const *paramValues, const int *paramLengths,    \
       const int *paramFormats, int resultFormat),                                                                    \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))                               \
    X(int, PQserverVersion, (const PGconn *conn), (conn))                                                             \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg)) \
    X(int, PQsocket, (const PGconn *conn), (conn))                                                                    \
    X(ConnStatusType, PQstatus, (const PGconn *conn), (conn))                                                         \
    X(char *, PQuser, (const PGconn *conn), (conn))

#define POINTER(type, name, params, args) type(*name) params;
#define VOID_POINTER(name, params, args) void(*name) params;
static struct {
    LIBPQ_FUNCTIONS(POINTER, VOID_POINTER)
} libpq;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libpq was not loaded";
static char message[512];

static void load(void) {
    // RTLD_LOCAL: libpq's symbols stay out of the global scope.
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(message, sizeof message, "%s", dlerror());
        failure = message;
        return;
    }
#define LOOK_UP(name)                                                                                       \
    *(void **)(&libpq.name) = dlsym(library, #name);                                                        \
    if (libpq.name == NULL) {                                                                               \
        snprintf(message, sizeof message, "libpq.so.5 has no " #name " (PostgreSQL 14's libpq or later)"); \
        failure = message;                                                                                  \
        return;                                                                                             \
    }
#define LOOK_UP_VALUE(type, name, params, args) LOOK_UP(name)
#define LOOK_UP_VOID(name, params, args) LOOK_UP(name)
    LIBPQ_FUNCTIONS(LOOK_UP_VALUE, LOOK_UP_VOID)
    failure = NULL;
}

const char *lifeboat_libpq_load(void) {
    pthread_once(&once, load);
    return failure;
}

/// A libpq function called before `lifeboat_libpq_load` succeeded: a bug in the caller.
static void not_loaded(const char *name) {
    fprintf(stderr, "lifeboat: internal error: %s called before libpq was loaded (%s)\n", name, failure);
    abort();
}

#define FORWARD_VALUE(type, name, params, args) \
    type name params {                          \
        if (libpq.name == NULL) not_loaded(#name); \
        return libpq.name args;                 \
    }
#define FORWARD_VOID(name, params, args)           \
    void name params {                             \
        if (libpq.name == NULL) not_loaded(#name); \
        libpq.name args;                           \
    }
LIBPQ_FUNCTIONS(FORWARD_VALUE, FORWARD_VOID)

#pragma GCC visibility pop
