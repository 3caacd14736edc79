import CLibPQ
import Dispatch
import LifeboatCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection: connect with a conninfo exactly as psql takes it, run parameterized
/// statements with a timeout that cancels them on the server, close.
///
/// Every libpq call on the connection runs on its own serial `DispatchQueue`, off Swift's
/// cooperative pool (see `BlockingCall`). A call that times out or whose task is cancelled is
/// cancelled on the server (`PQcancel`) and throws `PGError` of kind `.timeout` / `.cancelled`;
/// the connection is then closed, since a late cancel could hit the next statement — open a new one.
///
/// Errors never contain the password: every message is masked with the conninfo's passwords and
/// the caller's secrets, and the target is named `host:port/dbname` from libpq.
public final class PGConnection: @unchecked Sendable {
    /// How long a cancelled call may take to return before its socket is shut down.
    static let cancelGrace: Duration = .seconds(2)

    /// `host:port/dbname` of the server this connection reached.
    public let target: String
    /// `host:port` of the server this connection reached.
    public let hostPort: String
    /// The server's version as libpq reports it (150008 for 15.8).
    public let serverVersion: Int

    let queue: DispatchQueue
    let masker: SecretMasker
    /// The PGconn; used only on `queue` (and in deinit, when nothing else can hold the connection).
    var handle: OpaquePointer?
    /// The statements prepared on this connection (`PGStatement.preparedName`); used only on `queue`.
    private var prepared: Set<String> = []
    /// libpq's thread-safe cancel object (PGcancel).
    private let cancelHandle: OpaquePointer?
    /// The socket of the call in flight, so that an abandoned call can be unblocked; nil between calls.
    private let inFlight = Mutex<Int32?>(nil)
    private let usable = Mutex(true)

    private init(raw: RawConnection, target: Target, queue: DispatchQueue, masker: SecretMasker) {
        handle = raw.pointer
        cancelHandle = raw.cancel
        self.target = target.display
        hostPort = target.hostPort
        serverVersion = raw.serverVersion
        self.queue = queue
        self.masker = masker
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        if let handle { PQfinish(handle) }
    }

    /// Whether statements can still be sent (not closed, no interrupted call).
    public var isOpen: Bool { usable.withLock { $0 } }

    // MARK: Connect

    /// Connects with `conninfo` — key=value pairs or a `postgresql://` URI, passed to libpq unchanged
    /// (`PQconnectdbParams` with `expand_dbname`), so `.pgpass`, `PGSERVICE`, `sslmode` and multi-host
    /// strings behave as for psql.
    ///
    /// `connect_timeout` (per host) defaults to the timeout in whole seconds (at least 2) unless the
    /// conninfo or `PGCONNECT_TIMEOUT` sets it; `timeout` also bounds the whole attempt. On timeout or
    /// task cancellation the call returns at once; an attempt still blocked in libpq is closed when it
    /// ends. `secrets` are masked in errors besides the conninfo's own password. `defaults` are
    /// connection keywords (e.g. TCP keepalives) that the conninfo may override.
    public static func connect(
        _ conninfo: String, timeout: Duration = .seconds(10), secrets: [String] = [],
        defaults: KeyValuePairs<String, String> = [:]
    ) async throws(PGError) -> PGConnection {
        let masker = Conninfo.masker(for: conninfo, adding: secrets)
        let fallbackTarget = Target.fromConninfo(conninfo)
        if Task.isCancelled { throw PGError.cancelled(target: fallbackTarget.display, what: "connecting").masked(masker) }
        if let failure = LibPQLibrary.loadFailure() {
            throw PGError(
                kind: .clientLibrary, sqlstate: nil, serverMessage: nil, target: fallbackTarget.display, message: failure,
                hint: LibPQLibrary.hint, detail: nil, retryable: false)
        }
        let timeoutSeconds = max(2, Int((timeout.milliseconds + 999) / 1000))
        var keywords = ["fallback_application_name"] + defaults.map(\.key) + ["dbname"]
        var values = ["lifeboat"] + defaults.map(\.value) + [conninfo]
        if Conninfo.environment("PGCONNECT_TIMEOUT") == nil {
            // Before dbname: a connect_timeout written in the conninfo overrides this default.
            keywords.insert("connect_timeout", at: 0)
            values.insert(String(timeoutSeconds), at: 0)
        }
        let queue = DispatchQueue(label: "lifeboat.postgres.connection")
        let (keywordList, valueList) = (keywords, values)
        let (outcome, interruption) = await BlockingCall.run(
            on: queue, timeout: timeout, grace: .zero,
            interrupt: { _ in },
            abandon: {},
            abandoned: { _ in ConnectOutcome.abandoned },
            discard: { outcome in if case .connected(let raw, _) = outcome { raw.close() } },
            { Self.connectBlocking(keywords: keywordList, values: valueList, timeoutSeconds: timeoutSeconds) })
        switch (outcome, interruption) {
        case (.connected(let raw, let target), _):
            return PGConnection(raw: raw, target: target, queue: queue, masker: masker)
        case (.failed(let error), _):
            throw error.masked(masker)
        case (.abandoned, .cancellation), (.abandoned, nil):
            throw PGError.cancelled(target: fallbackTarget.display, what: "connecting").masked(masker)
        case (.abandoned, .timeout):
            throw PGError(
                kind: .connection, sqlstate: nil, serverMessage: nil, target: fallbackTarget.display,
                message: "cannot connect to \(fallbackTarget.hostPort): no answer within \(DurationText.format(milliseconds: timeout.milliseconds))",
                hint: "is the host up and the port open? check firewalls between here and the server", detail: nil,
                retryable: true
            ).masked(masker)
        }
    }

    /// Connects, runs `body`, closes — also when `body` throws.
    public static func withConnection<T: Sendable>(
        _ conninfo: String, timeout: Duration = .seconds(10), secrets: [String] = [],
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(conninfo, timeout: timeout, secrets: secrets)
        defer { connection.close() }
        return try await body(connection)
    }

    private static func connectBlocking(keywords: [String], values: [String], timeoutSeconds: Int) -> ConnectOutcome {
        let conn = withCStringArray(keywords) { k in withCStringArray(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn else {
            return .failed(
                PGError(
                    kind: .connection, sqlstate: nil, serverMessage: nil, target: "?", message: "libpq could not allocate a connection",
                    hint: nil, detail: nil, retryable: true))
        }
        let target = Target(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            let error = PGError.connectFailed(
                libpqMessage: String(cString: PQerrorMessage(conn)), target: target.display, hostPort: target.hostPort,
                user: PQuser(conn).map { String(cString: $0) }, usedPassword: PQconnectionUsedPassword(conn) == 1,
                needsPassword: PQconnectionNeedsPassword(conn) == 1, connectTimeoutSeconds: timeoutSeconds)
            PQfinish(conn)
            return .failed(error)
        }
        // Notices (and a server's parting FATAL on an idle connection) would go to stderr through
        // libpq's default processor, across a live view; errors reach callers as PGError instead.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        let raw = RawConnection(pointer: conn, cancel: PQgetCancel(conn), serverVersion: Int(PQserverVersion(conn)))
        return .connected(raw, target)
    }

    // MARK: Query

    /// Runs one statement with `params` bound as `$1…$n` in text format (nil is SQL NULL), never
    /// spliced into the SQL text. Only one statement per call (libpq's extended protocol refuses more).
    ///
    /// Past `timeout`, or when the task is cancelled, the statement is cancelled on the server and
    /// the call throws `.timeout` / `.cancelled`; the connection is closed afterwards.
    public func query(_ sql: String, _ params: [String?] = [], timeout: Duration = .seconds(30)) async throws(PGError) -> PGResult {
        try await query(sql, params, timeout: timeout, reportedTimeout: timeout)
    }

    /// `query` whose timeout error names `reportedTimeout` (a step's whole budget) rather than the
    /// part of it left for the statement.
    package func query(_ sql: String, _ params: [String?], timeout: Duration, reportedTimeout: Duration) async throws(PGError) -> PGResult {
        let results = try await run([PGStatement(sql, params)], timeout: timeout, reportedTimeout: reportedTimeout)
        guard let result = results.first else { throw PGError.unsupported(target: target, "the statement returned no result").masked(masker) }
        return result
    }

    /// Runs `statements` in one round trip (libpq's pipeline mode: all are sent, then one Sync) and
    /// returns their results in order. The server runs them as one implicit transaction unless the
    /// first is `BEGIN`; after a statement fails it skips the rest, and the first error is thrown.
    /// Timeouts and cancellation as for `query`.
    public func pipeline(_ statements: [PGStatement], timeout: Duration = .seconds(30)) async throws(PGError) -> [PGResult] {
        guard !statements.isEmpty else { return [] }
        return try await run(statements, timeout: timeout, reportedTimeout: timeout)
    }

    private func run(_ statements: [PGStatement], timeout: Duration, reportedTimeout: Duration) async throws(PGError) -> [PGResult] {
        let what = statements.count == 1 ? "the query" : "the statements"
        guard isOpen else { throw PGError.closed(target: target).masked(masker) }
        if Task.isCancelled {
            close()
            throw PGError.cancelled(target: target, what: what).masked(masker)
        }
        let (outcome, interruption) = await BlockingCall.run(
            on: queue, timeout: timeout, grace: Self.cancelGrace,
            interrupt: { [self] _ in sendCancel() },
            abandon: { [self] in shutdownInFlightSocket() },
            abandoned: { _ in QueryOutcome.abandoned },
            discard: { _ in },
            { [self] in execBlocking(statements) })
        if interruption != nil { close() }
        switch (outcome, interruption) {
        case (.rows(let results), _):
            return results
        case (.failed(let error), .timeout) where error.sqlstate == "57014" || error.kind == .connection:
            throw PGError.timedOut(target: target, what: what, after: reportedTimeout, confirmed: error.sqlstate == "57014").masked(masker)
        case (.failed(let error), .cancellation) where error.sqlstate == "57014" || error.kind == .connection:
            throw PGError.cancelled(target: target, what: what).masked(masker)
        case (.failed(let error), _):
            if error.kind == .connection { markUnusable() }
            throw error.masked(masker)
        case (.abandoned, .cancellation):
            throw PGError.cancelled(target: target, what: what).masked(masker)
        case (.abandoned, _):
            throw PGError.timedOut(target: target, what: what, after: reportedTimeout, confirmed: false).masked(masker)
        }
    }

    /// `name` quoted as an SQL identifier by libpq (`PQescapeIdentifier`: double quotes, embedded
    /// quotes doubled, the connection's encoding respected), for the rare statement that must name a
    /// table; values are never spliced, they go through `query`'s parameters.
    public func escapeIdentifier(_ name: String) async throws(PGError) -> String {
        guard isOpen else { throw PGError.closed(target: target).masked(masker) }
        let target = self.target
        let outcome: Result<String, PGError> = await withCheckedContinuation { continuation in
            queue.async { [self] in
                guard let conn = handle else { return continuation.resume(returning: .failure(PGError.closed(target: target))) }
                let bytes = Array(name.utf8)
                let escaped = bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { PQescapeIdentifier(conn, $0.baseAddress, $0.count) }
                }
                guard let escaped else {
                    let reason = String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace
                    return continuation.resume(returning: .failure(PGError.unsupported(target: target, "cannot quote identifier: \(reason)")))
                }
                defer { PQfreemem(escaped) }
                continuation.resume(returning: .success(String(cString: escaped)))
            }
        }
        return try outcome.mapError { $0.masked(masker) }.get()
    }

    /// Closes the connection (`PQfinish` on its queue, after any call in flight). Idempotent.
    public func close() {
        markUnusable()
        LibPQCalls.run(on: queue) { [self] in
            if let handle {
                PQfinish(handle)
                self.handle = nil
            }
        }
    }

    func markUnusable() { usable.withLock { $0 = false } }

    /// Runs on `queue`: one statement with `PQexecParams`, several (or a prepared one) in pipeline mode (never none).
    private func execBlocking(_ statements: [PGStatement]) -> QueryOutcome {
        guard let conn = handle else { return .failed(PGError.closed(target: target)) }
        inFlight.withLock { $0 = PQsocket(conn) }
        defer { inFlight.withLock { $0 = nil } }
        guard statements.count > 1 || statements[0].preparedName != nil else {
            let statement = statements[0]
            let result = withOptionalCStringArray(statement.params) { values in
                PQexecParams(conn, statement.sql, Int32(statement.params.count), nil, values, nil, nil, 0)
            }
            guard let result else { return .failed(connectionLost(conn)) }
            defer { PQclear(result) }
            // Drain anything else (there is nothing after an extended-protocol statement, but be sure).
            while let extra = PQgetResult(conn) { PQclear(extra) }
            switch outcome(of: result, conn) {
            case .success(let rows): return .rows([rows])
            case .failure(let error): return .failed(error)
            }
        }
        return pipelineBlocking(statements, conn)
    }

    private func pipelineBlocking(_ statements: [PGStatement], _ conn: OpaquePointer) -> QueryOutcome {
        guard PQenterPipelineMode(conn) == 1 else {
            return .failed(PGError.unsupported(target: target, "cannot enter pipeline mode: \(String(cString: PQerrorMessage(conn)))"))
        }
        defer { PQexitPipelineMode(conn) }
        // What each result answers: a statement (its result is returned) or the preparing of one.
        var answers: [String?] = []
        for statement in statements {
            let count = Int32(statement.params.count)
            let sent: Int32
            if let name = statement.preparedName {
                if !prepared.contains(name) {
                    guard PQsendPrepare(conn, name, statement.sql, count, nil) == 1 else { return .failed(connectionLost(conn)) }
                    answers.append(name)
                }
                sent = withOptionalCStringArray(statement.params) { PQsendQueryPrepared(conn, name, count, $0, nil, nil, 0) }
            } else {
                sent = withOptionalCStringArray(statement.params) { PQsendQueryParams(conn, statement.sql, count, nil, $0, nil, nil, 0) }
            }
            guard sent == 1 else { return .failed(connectionLost(conn)) }
            answers.append(nil)
        }
        guard PQpipelineSync(conn) == 1 else { return .failed(connectionLost(conn)) }
        // Each statement's result is followed by a NULL; the Sync's result ends the pipeline.
        var results: [PGResult] = []
        var firstError: PGError?
        var answered = 0
        var nullsInARow = 0
        while nullsInARow < 2 {
            guard let result = PQgetResult(conn) else {
                nullsInARow += 1
                continue
            }
            nullsInARow = 0
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                if let firstError { return .failed(firstError) }
                guard results.count == statements.count else {
                    return .failed(PGError.unsupported(target: target, "\(statements.count) statements gave \(results.count) results"))
                }
                return .rows(results)
            case PGRES_PIPELINE_ABORTED:
                answered += 1
            default:
                let preparing = answered < answers.count ? answers[answered] : nil
                answered += 1
                switch outcome(of: result, conn) {
                case .success(let rows):
                    if let preparing { prepared.insert(preparing) } else { results.append(rows) }
                case .failure(let error): firstError = firstError ?? error
                }
            }
        }
        return .failed(firstError ?? connectionLost(conn))
    }

    /// A statement's result as rows or as the error it carries.
    private func outcome(of result: OpaquePointer, _ conn: OpaquePointer) -> Result<PGResult, PGError> {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return .success(PGResult(copying: result))
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            if PQstatus(conn) != CONNECTION_OK, PQresultErrorField(result, Self.diagSQLState) == nil {
                return .failure(connectionLost(conn))
            }
            return .failure(Self.serverError(result, target: target))
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            return .failure(PGError.unsupported(target: target, "COPY is not supported by postgres.query"))
        default:
            return .failure(PGError.unsupported(target: target, "unexpected result status \(String(cString: PQresStatus(PQresultStatus(result))))"))
        }
    }

    private func connectionLost(_ conn: OpaquePointer) -> PGError {
        PGError.connectionLost(libpqMessage: String(cString: PQerrorMessage(conn)), target: target)
    }

    static let diagSQLState = Int32(UInt8(ascii: "C"))
    static let diagPrimary = Int32(UInt8(ascii: "M"))
    static let diagDetail = Int32(UInt8(ascii: "D"))
    static let diagHint = Int32(UInt8(ascii: "H"))

    private static func serverError(_ result: OpaquePointer, target: String) -> PGError {
        func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
        let primary = field(diagPrimary) ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingWhitespace
        return PGError.server(
            sqlstate: field(diagSQLState), primary: primary, detail: field(diagDetail), serverHint: field(diagHint),
            target: target)
    }

    /// Asks the server to cancel the statement in flight (`PQcancel`: thread-safe, blocking; runs on a
    /// global queue).
    private func sendCancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// Unblocks a call whose server does not answer: shut its socket down (the fd stays open until
    /// `PQfinish`, so it cannot have been reused).
    private func shutdownInFlightSocket() {
        inFlight.withLock { fd in
            if let fd, fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
}

// MARK: Plumbing

/// A connected PGconn and its cancel object, handed from the queue to the connection.
private struct RawConnection: @unchecked Sendable {
    var pointer: OpaquePointer
    var cancel: OpaquePointer?
    var serverVersion: Int

    func close() {
        if let cancel { PQfreeCancel(cancel) }
        PQfinish(pointer)
    }
}

private enum ConnectOutcome: Sendable {
    case connected(RawConnection, Target)
    case failed(PGError)
    case abandoned
}

/// A statement and its parameters (`$1…$n`, text format, nil is SQL NULL).
public struct PGStatement: Sendable {
    public var sql: String
    public var params: [String?]
    /// Set for a statement sent often: it is parsed and planned once per connection (a prepared
    /// statement of this name), then only executed. One name, one SQL text.
    public var preparedName: String?

    public init(_ sql: String, _ params: [String?] = [], preparedAs name: String? = nil) {
        self.sql = sql
        self.params = params
        self.preparedName = name
    }
}

private enum QueryOutcome: Sendable {
    case rows([PGResult])
    case failed(PGError)
    case abandoned
}

/// How messages name a server: `host:port/dbname`, from libpq (never the password).
package struct Target: Sendable, Hashable {
    package var host: String
    package var port: String
    package var database: String

    package var hostPort: String {
        let shown = host.contains(":") && !host.hasPrefix("/") ? "[\(host)]" : host
        return "\(shown):\(port)"
    }

    package var display: String { database.isEmpty ? hostPort : "\(hostPort)/\(database)" }

    /// From a (possibly failed) PGconn: the host it tried last.
    init(_ conn: OpaquePointer) {
        host = PQhost(conn).map { String(cString: $0) } ?? ""
        port = PQport(conn).map { String(cString: $0) } ?? ""
        database = PQdb(conn).map { String(cString: $0) } ?? ""
        if host.isEmpty { host = "localhost" }
        if port.isEmpty { port = "5432" }
    }

    /// Before any connection exists: the first host and port the conninfo names.
    package static func fromConninfo(_ conninfo: String) -> Target {
        let options = (try? Conninfo.parse(conninfo)) ?? [:]
        let endpoint = Conninfo.endpoint(conninfo) ?? "postgres://localhost:5432"
        let hostPort = endpoint.dropFirst("postgres://".count)
        let colon = hostPort.lastIndex(of: ":") ?? hostPort.endIndex
        var host = String(hostPort[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = colon < hostPort.endIndex ? String(hostPort[hostPort.index(after: colon)...]) : "5432"
        return Target(host: host, port: port, database: options["dbname"] ?? "")
    }

    package init(host: String, port: String, database: String) {
        self.host = host
        self.port = port
        self.database = database
    }
}

/// Calls `body` with a NULL-terminated `const char * const *` of `strings`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with a `const char * const *` of `values` (nil stays a NULL pointer: SQL NULL).
private func withOptionalCStringArray<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    guard !values.isEmpty else { return body(nil) }
    let copies = values.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
