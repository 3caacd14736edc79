import LifeboatCore
import LifeboatPostgres

/// What the old primary looks like to a fresh, short connection: the check `postgres.promote`
/// makes after the fence and before it promotes, because a fence command's exit status proves
/// nothing about the server (a script that swallows `pg_ctl`'s failure exits 0 too).
enum OldPrimaryLook: Sendable, Hashable {
    /// No connection (refused, no answer, shutting down): stopped, or unreachable from here.
    case noAnswer(String)
    /// Answers and is in recovery: it takes no writes.
    case inRecovery
    /// Answers, and new sessions are read-only (`default_transaction_read_only`): the soft fence holds.
    case readOnly
    /// Answers and takes writes.
    case writable
    /// Answers but could not be asked (authentication, an error): whether it takes writes is unknown.
    case unknown(String)

    var takesNoWrites: Bool {
        switch self {
        case .noAnswer, .inRecovery, .readOnly: return true
        case .writable, .unknown: return false
        }
    }

    /// For the step's `old_primary` output and messages.
    var text: String {
        switch self {
        case .noAnswer(let why): return "no answer (\(why))"
        case .inRecovery: return "in recovery"
        case .readOnly: return "read-only (default_transaction_read_only = on)"
        case .writable: return "takes writes (pg_is_in_recovery() false, default_transaction_read_only off)"
        case .unknown(let why): return "answers but could not be checked (\(why))"
        }
    }
}

enum FenceCheck {
    /// How long a fence gets to take effect (a stop that is still under way, a reload not yet seen).
    static let settleMs: Int64 = 5_000

    /// One look at the old primary over a new connection (bounded by `timeout`).
    static func look(_ conninfo: String, timeout: Duration) async -> OldPrimaryLook {
        do {
            return try await PGConnection.withConnection(conninfo, timeout: timeout) { c in
                let r = try await c.query(
                    "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only')", timeout: timeout)
                let row = r.rows.first ?? []
                if row.first == "t" { return .inRecovery }
                return row.count > 1 && row[1] == "on" ? .readOnly : .writable
            }
        } catch let error as PGError {
            switch error.kind {
            case .connection, .timeout: return .noAnswer(error.serverMessage ?? error.message)
            default: return .unknown(error.message)
            }
        } catch {
            return .unknown(String(describing: error))
        }
    }

    /// Looks until the old primary takes no writes, for at most `settleMs` when `waitForFence`
    /// (a fence ran), else once. Returns the last look.
    static func settle(_ conninfo: String, waitForFence: Bool, _ p: PromoteParameters, _ context: ActionContext) async throws -> OldPrimaryLook {
        let timeout = Duration.milliseconds(min(p.timeoutMs, 2_000))
        guard waitForFence else { return await look(conninfo, timeout: timeout) }
        return try await context.poll(every: .milliseconds(100), until: context.deadline(after: .milliseconds(settleMs))) { _ in
            await look(conninfo, timeout: timeout)
        } isDone: {
            $0.takesNoWrites
        }.last
    }
}
