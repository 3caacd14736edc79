import LifeboatCore
import LifeboatPostgres

/// `postgres.query`: one parameterized SQL statement as a smoke check, with an expected row count,
/// an expected first value and a latency ceiling.
///
/// Values in `params` are bound as `$1…$n` (`PQexecParams`), never spliced into the SQL text. The
/// whole step (connect + statement) is bounded by `timeout`; past it the statement is cancelled on
/// the server. Outputs: `rows`, `first_value` (null when there is none), `latency_ms` (the statement
/// alone) and `connect_ms`.
///
/// Not idempotent in general (the SQL may write); a read-only check can say `idempotent: true`.
public struct PostgresQueryAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "postgres.query",
            summary: "Run one parameterized SQL statement and check its rows, first value and latency",
            parameters: [
                ActionParameter("conninfo", .string, required: true, "libpq conninfo or postgresql:// URI, e.g. ${vars.dr_db}"),
                ActionParameter("sql", .string, required: true, "one SQL statement; use $1, $2, … for values"),
                ActionParameter("params", .any, "list of values bound to $1, $2, … (strings, numbers, booleans, null)"),
                ActionParameter("expect_rows", .int, "fail unless the statement returns exactly this many rows"),
                ActionParameter("expect_value", .string, "fail unless the first column of the first row equals this text"),
                ActionParameter("max_latency", .duration, "fail when the statement takes longer than this"),
                ActionParameter("timeout", .duration, "cancel the statement on the server after this long, connect included (default 30s)"),
            ],
            idempotent: false,
            hasVerify: false,
            check: { LiteralCredentials.conninfos($0, ["conninfo"]) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        guard let conninfo = try? context.string("conninfo") else { return nil }
        return Conninfo.endpoint(conninfo)
    }

    /// Connects and runs `SELECT 1` (read-only); refuses with the reason when that fails.
    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try parameters(context)
        let timeout = Duration.milliseconds(min(p.timeoutMs, 10_000))
        do {
            let version = try await PGConnection.withConnection(p.conninfo, timeout: timeout) { connection in
                _ = try await connection.query("SELECT 1", timeout: timeout)
                return connection.serverVersion
            }
            let target = Target.fromConninfo(p.conninfo)
            return .ok("postgres \(target.display) answers (PostgreSQL \(Self.versionText(version)))")
        } catch let error as PGError {
            if error.kind == .cancelled { throw error.lifeboatError() }
            return .refused(error.lifeboatError().description)
        }
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try parameters(context)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(p.timeoutMs)
        let connection: PGConnection
        do {
            connection = try await PGConnection.connect(p.conninfo, timeout: .milliseconds(p.timeoutMs))
        } catch {
            throw Self.lifeboatError(error)
        }
        defer { connection.close() }
        let connected = clock.now
        let result: PGResult
        do {
            result = try await connection.query(
                p.sql, p.params, timeout: max(deadline - connected, .milliseconds(1)), reportedTimeout: .milliseconds(p.timeoutMs))
        } catch {
            throw Self.lifeboatError(error)
        }
        let latencyMs = (clock.now - connected).milliseconds
        return try check(result, p, target: connection.target, latencyMs: latencyMs, connectMs: (connected - start).milliseconds)
    }

    /// The step's parameters; the conninfo's own password is masked from here on, should the data echo it.
    private func parameters(_ context: ActionContext) throws(LifeboatError) -> PostgresQueryParameters {
        let p = try PostgresQueryParameters(context)
        context.alsoMask(Conninfo.passwords(in: p.conninfo))
        return p
    }

    private func check(
        _ result: PGResult, _ p: PostgresQueryParameters, target: String, latencyMs: Int64, connectMs: Int64
    ) throws(LifeboatError) -> ActionResult {
        let rowsText = result.rows.count == 1 ? "1 row" : "\(result.rows.count) rows"
        if let expected = p.expectRows, result.rows.count != expected {
            throw LifeboatError(
                .actionFailed, "\(target): the query returned \(rowsText) (expected \(expected))",
                hint: "check the data, or the SQL and its params", retryable: true)
        }
        if let expected = p.expectValue {
            guard let firstRow = result.rows.first, !firstRow.isEmpty else {
                throw LifeboatError(
                    .actionFailed, "\(target): the query returned no rows (expected first value \"\(expected)\")",
                    hint: "check the data, or the SQL and its params", retryable: true)
            }
            if firstRow[0] != expected {
                let actual = firstRow[0].map { "\"\($0)\"" } ?? "NULL"
                throw LifeboatError(
                    .actionFailed, "\(target): the first value is \(actual) (expected \"\(expected)\")",
                    hint: "values compare as PostgreSQL's text output (booleans are t/f)", retryable: true)
            }
        }
        if let maxLatency = p.maxLatencyMs, latencyMs > maxLatency {
            throw LifeboatError(
                .actionFailed,
                "\(target): the query took \(DurationText.format(milliseconds: latencyMs)), over max_latency \(DurationText.format(milliseconds: maxLatency))",
                hint: "the server is slow; check its load and locks", retryable: true)
        }
        let outputs: [String: Value] = [
            "rows": .int(result.rows.count),
            "first_value": result.firstValue.map { .string($0) } ?? .null,
            "latency_ms": .int(Int(latencyMs)),
            "connect_ms": .int(Int(connectMs)),
        ]
        let valueText = result.firstValue.map { ", first value \"\($0.count > 60 ? String($0.prefix(60)) + "…" : $0)\"" } ?? ""
        return ActionResult(
            outputs: outputs,
            summary: "\(target): \(result.commandTag), \(rowsText)\(valueText) in \(DurationText.format(milliseconds: latencyMs))")
    }

    /// The step's error for what a `PGConnection` call threw.
    static func lifeboatError(_ error: any Error) -> LifeboatError {
        switch error {
        case let error as PGError: return error.lifeboatError()
        case let error as LifeboatError: return error
        default: return LifeboatError(.actionFailed, "\(error)", retryable: true)
        }
    }

    /// `150018` → `15.18`; `90624` → `9.6.24`.
    static func versionText(_ version: Int) -> String {
        version >= 100_000 ? "\(version / 10_000).\(version % 10_000)" : "\(version / 10_000).\(version / 100 % 100).\(version % 100)"
    }
}

