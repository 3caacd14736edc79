import LifeboatCore

/// A failure talking to PostgreSQL: what kind, the SQLSTATE and the server's own words, and which
/// server (`host:port/dbname`, never the password).
///
/// Every text in it has already been masked: the conninfo's password (and the caller's secrets) can
/// not appear. `lifeboatError()` turns it into the engine's error with the right code and
/// retryability.
public struct PGError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// libpq could not read the conninfo. Nothing was sent.
        case invalidConninfo
        /// The server refused the user or the password (28P01, 28000), or no password was found.
        case authentication
        /// The server could not be reached or the connection broke (refused, unknown host, no answer,
        /// server starting up or shutting down). Retryable.
        case connection
        /// The call ran past its timeout and was cancelled on the server (or the server cancelled it
        /// itself: 57014, e.g. `statement_timeout`).
        case timeout
        /// The calling Swift task was cancelled; the query was cancelled on the server.
        case cancelled
        /// The server answered with an error (`sqlstate` says which).
        case server
        /// Something this layer does not support (COPY, several result sets).
        case unsupported
        /// libpq itself cannot be loaded (not installed, or older than 14). Nothing was sent.
        case clientLibrary
    }

    public var kind: Kind
    /// The five-character SQLSTATE when the server sent one (`25006`, `28P01`).
    public var sqlstate: String?
    /// The server's primary message, or libpq's first line when the server said nothing.
    public var serverMessage: String?
    /// `host:port/dbname` of the server, for messages.
    public var target: String
    /// One line: what failed, naming the target.
    public var message: String
    /// What to do about it.
    public var hint: String?
    /// Everything else libpq or the server said (DETAIL, full libpq text).
    public var detail: String?
    public var retryable: Bool

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }

    /// The step's error for this failure (the step's context names the step).
    public func lifeboatError() -> LifeboatError {
        let code: LifeboatError.Code
        switch kind {
        case .invalidConninfo: code = .invalidInput
        case .timeout: code = .timedOut
        case .cancelled: code = .cancelled
        case .authentication, .connection, .server, .unsupported, .clientLibrary: code = .actionFailed
        }
        return LifeboatError(code, message, hint: hint, retryable: retryable, detail: detail)
    }

    /// The same error with `masker` applied to every text (for secrets the caller knows about).
    func masked(_ masker: SecretMasker) -> PGError {
        var copy = self
        copy.serverMessage = serverMessage.map(masker.mask)
        copy.message = masker.mask(message)
        copy.hint = hint.map(masker.mask)
        copy.detail = detail.map(masker.mask)
        return copy
    }
}

// MARK: Factories

extension PGError {
    /// A server error result (`PGRES_FATAL_ERROR`), classified by SQLSTATE.
    static func server(
        sqlstate: String?, primary: String, detail: String?, serverHint: String?, target: String
    ) -> PGError {
        let code = sqlstate ?? "XX000"
        let named = "SQLSTATE \(code)" + (SQLState.name(code).map { " \($0)" } ?? "")
        let cls = String(code.prefix(2))
        var error = PGError(
            kind: .server, sqlstate: sqlstate, serverMessage: primary, target: target,
            message: "\(target): \(primary) (\(named))", hint: serverHint, detail: detail,
            retryable: SQLState.isRetryable(code))
        switch code {
        case "57014":
            error.kind = .timeout
            error.message = "\(target): the query was cancelled by the server: \(primary) (\(named))"
            error.hint = serverHint ?? "a statement_timeout or an operator cancelled it; raise the limit if it is just slow"
            error.retryable = true
        case "25006":
            error.message = "\(target): the server is read-only: \(primary) (\(named))"
            error.hint = "writes need the primary; this target is a hot standby (replica) or the session is read-only"
        case "28P01", "28000":
            error.kind = .authentication
            error.message = "\(target): authentication failed: \(primary) (\(named))"
            error.hint = "check the user and the password source"
        case "57P01", "57P02", "57P03":
            error.kind = .connection
            error.hint = serverHint ?? "the server is shutting down, restarting or starting up; retry"
        default:
            if cls == "08" {
                error.kind = .connection
                error.hint = serverHint ?? "the connection to the server broke; retry"
            } else if cls == "42" {
                error.hint = serverHint ?? "fix the SQL (or the object it names)"
            } else if cls == "3D" {
                error.hint = serverHint ?? "check dbname in the conninfo"
            }
        }
        return error
    }

    /// A connection attempt that failed, from libpq's message (it has no SQLSTATE for those).
    static func connectFailed(
        libpqMessage: String, target: String, hostPort: String, user: String?, usedPassword: Bool,
        needsPassword: Bool, connectTimeoutSeconds: Int
    ) -> PGError {
        let text = libpqMessage.trimmingTrailingWhitespace
        let lines = text.split(separator: "\n").map { $0.trimming(" \t") }
        let first = lines.first ?? "connection failed"
        let lower = text.lowercased()
        let who = user.map { "user \"\($0)\" at " } ?? ""

        func connection(_ reason: String, _ hint: String) -> PGError {
            PGError(
                kind: .connection, sqlstate: nil, serverMessage: first, target: target,
                message: "cannot connect to \(hostPort): \(reason)", hint: hint, detail: text, retryable: true)
        }
        if needsPassword || lower.contains("no password supplied") {
            return PGError(
                kind: .authentication, sqlstate: "28P01", serverMessage: first, target: target,
                message: "authentication failed for \(who)\(target): the server wants a password and none was found",
                hint: "check the user and the password source (password= in the conninfo, PGPASSWORD, ~/.pgpass, PGSERVICE)",
                detail: text, retryable: false)
        }
        if lower.contains("authentication failed") || lower.contains("no pg_hba.conf entry")
            || (usedPassword && lower.contains("password"))
        {
            return PGError(
                kind: .authentication, sqlstate: lower.contains("pg_hba.conf") ? "28000" : "28P01",
                serverMessage: first, target: target,
                message: "authentication failed for \(who)\(target)",
                hint: "check the user and the password source (password= in the conninfo, PGPASSWORD, ~/.pgpass, PGSERVICE)",
                detail: text, retryable: false)
        }
        if lower.contains("invalid connection option") || lower.contains("missing \"=\"")
            || lower.contains("invalid uri") || lower.contains("unterminated quoted string")
            || lower.contains("invalid integer value") || lower.contains("invalid percent-encoded")
            || lower.contains("invalid sslmode") || lower.contains("could not match")
            || lower.contains("definition of service")
        {
            return PGError(
                kind: .invalidConninfo, sqlstate: nil, serverMessage: first, target: target,
                message: "the conninfo is not valid: \(first)",
                hint: "write key=value pairs (host=… port=… dbname=…) or a postgresql:// URI", detail: text,
                retryable: false)
        }
        if lower.contains("connection refused") {
            return connection("connection refused", "is PostgreSQL running and listening on that host and port?")
        }
        if lower.contains("could not translate host name") || lower.contains("name or service not known")
            || lower.contains("temporary failure in name resolution")
        {
            return connection("the host name could not be resolved", "check the host name and this machine's DNS")
        }
        if lower.contains("timeout expired") {
            return connection(
                "no answer within \(connectTimeoutSeconds)s (connect_timeout)",
                "is the host up and the port open? check firewalls between here and the server")
        }
        if lower.contains("no route to host") || lower.contains("network is unreachable") {
            return connection("host or network unreachable", "check routing and firewalls between here and the host")
        }
        if lower.contains("the database system is") {
            return connection(first, "the server is starting up, shutting down or recovering; retry")
        }
        if lower.contains("does not exist") {
            return PGError(
                kind: .server, sqlstate: lower.contains("database") ? "3D000" : nil, serverMessage: first,
                target: target, message: "cannot connect to \(target): \(first)",
                hint: "check dbname and user in the conninfo", detail: text, retryable: false)
        }
        return connection(first, "see the detail with `lifeboat show RUN --verbose`")
    }

    /// The call ran past `timeout` and was cancelled on the server.
    static func timedOut(target: String, what: String, after timeout: Duration, confirmed: Bool) -> PGError {
        let limit = DurationText.format(milliseconds: timeout.milliseconds)
        return PGError(
            kind: .timeout, sqlstate: confirmed ? "57014" : nil, serverMessage: nil, target: target,
            message: "\(target): \(what) did not finish within \(limit)"
                + (confirmed ? "; it was cancelled on the server" : "; the server did not confirm the cancel, the connection was dropped"),
            hint: "is the server overloaded or the query blocked by a lock? raise the step's timeout if it is just slow",
            detail: nil, retryable: true)
    }

    /// The calling task was cancelled (abort, or the engine's step timeout).
    static func cancelled(target: String, what: String) -> PGError {
        PGError(
            kind: .cancelled, sqlstate: nil, serverMessage: nil, target: target,
            message: "\(target): \(what) was stopped (timeout or abort); it was cancelled on the server", hint: nil,
            detail: nil, retryable: false)
    }

    /// The connection broke during a call (no result, or `CONNECTION_BAD` afterwards).
    static func connectionLost(libpqMessage: String, target: String) -> PGError {
        let text = libpqMessage.trimmingTrailingWhitespace
        let first = text.split(separator: "\n").first.map(String.init) ?? "connection lost"
        return PGError(
            kind: .connection, sqlstate: nil, serverMessage: first, target: target,
            message: "\(target): the connection was lost: \(first)",
            hint: "the server may have restarted or been stopped; retry", detail: text, retryable: true)
    }

    /// A call on a connection that is closed (explicitly, or after an interrupted call).
    static func closed(target: String) -> PGError {
        PGError(
            kind: .connection, sqlstate: nil, serverMessage: nil, target: target,
            message: "\(target): the connection is closed",
            hint: "a connection is closed after a timed-out or cancelled call; open a new one", detail: nil,
            retryable: true)
    }

    package static func unsupported(target: String, _ what: String) -> PGError {
        PGError(
            kind: .unsupported, sqlstate: nil, serverMessage: nil, target: target, message: "\(target): \(what)",
            hint: "send one plain statement", detail: nil, retryable: false)
    }
}
