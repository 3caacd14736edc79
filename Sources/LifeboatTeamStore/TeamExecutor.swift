import LifeboatCore
import LifeboatPostgres
import Synchronization

/// This process's hold on one run of the team store, so that exactly one process on any machine
/// executes (or changes) it: PostgreSQL's session-level advisory lock for the run, held on a
/// connection of its own, and the epoch taken with it. Every append the store makes for the run
/// checks that the epoch is still the run's: a process that was paused or cut off, and wakes up
/// after another took over, can write nothing more.
///
/// When the holder's machine dies, the server frees the lock once the connection is gone. It is
/// the server that must notice, and an idle session sends nothing: the lock session asks the server
/// for TCP keepalives of its own (`tcp_keepalives_idle` 5 s, then 3 probes 2 s apart), so a dead
/// peer is dropped within about 11 s (the operating system's default is two hours). libpq's
/// keepalives (the same figures, unless the conninfo sets them) do the same for this side.
public final class TeamExecutor: Sendable {
    public let runID: String
    public let epoch: Int64
    private let connection: PGConnection
    private let store: PostgresStore
    /// The run's status as this process found it when it took the run, then as it last wrote it:
    /// nobody else writes the run meanwhile.
    private let status: Mutex<RunStatus>

    init(runID: String, epoch: Int64, status: RunStatus, connection: PGConnection, store: PostgresStore) {
        self.runID = runID
        self.epoch = epoch
        self.status = Mutex(status)
        self.connection = connection
        self.store = store
    }

    /// The run's status before the next append (see `status`).
    var lastStatus: RunStatus { status.withLock { $0 } }

    /// Notes the status an append committed.
    func wrote(_ written: RunStatus) { status.withLock { $0 = written } }

    /// Gives the run up: the store stops writing for it with this epoch, the lock is released.
    public func release() async {
        store.forget(self)
        _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [Self.lockKey(runID)])
        connection.close()
    }

    /// Whether the lock's session is still alive (a server restart, a failover or a network cut
    /// ends it, and the lock with it): asks the server.
    public func isStillHeld() async -> Bool {
        (try? await connection.query("SELECT 1", timeout: .seconds(5))) != nil
    }

    static func lockKey(_ runID: String) -> String { "lifeboat.run:" + runID }

    enum Claim {
        /// This session holds the run now, under `epoch`.
        case taken(epoch: Int64)
        /// The lock was free; `keep: false` gave it back at once.
        case free
        /// Another session holds it: the executors row (host, pid, last write) it wrote when it took it.
        case held([String?]?)
    }

    /// Tries the run's lock on `db`, in a transaction serialized with every other claim of the run
    /// (a transaction-level advisory lock): a refused claim reads the executors row only after the
    /// holder's claim has committed it, so it names the holder, never the one before. With `keep`,
    /// a free lock is kept (`check` runs first, in the same transaction) and the run's epoch raised.
    static func claim(
        _ runID: String, host: String, pid: Int32, nowMs: Int64, keep: Bool, on db: PGConnection,
        check: (PGConnection) async throws -> Void = { _ in }
    ) async throws -> Claim {
        _ = try await db.query("BEGIN")
        do {
            _ = try await db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["lifeboat.claim:" + runID])
            let key = lockKey(runID)
            let claim: Claim
            if try await db.query("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", [key]).firstValue == "t" {
                if keep {
                    try await check(db)
                    let epoch = try await db.query(
                        """
                        INSERT INTO lifeboat.executors (run_id, epoch, host, pid, taken_at_ms, last_write_ms)
                        VALUES ($1, 1, $2, $3, $4, $4)
                        ON CONFLICT (run_id) DO UPDATE SET epoch = lifeboat.executors.epoch + 1, host = excluded.host,
                            pid = excluded.pid, taken_at_ms = excluded.taken_at_ms, last_write_ms = excluded.last_write_ms
                        RETURNING epoch
                        """,
                        [runID, host, String(pid), String(nowMs)]).firstValue
                    claim = .taken(epoch: Int64(epoch ?? "") ?? 0)
                } else {
                    _ = try await db.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key])
                    claim = .free
                }
            } else {
                claim = .held(try await db.query(
                    "SELECT host, pid, last_write_ms FROM lifeboat.executors WHERE run_id = $1", [runID]).rows.first)
            }
            _ = try await db.query("COMMIT")
            return claim
        } catch {
            if db.isOpen { _ = try? await db.query("ROLLBACK") }
            throw error
        }
    }

    /// How long a peer may be silent before TCP probes it, the gap between probes and how many go
    /// unanswered before the connection is dropped: for both ends of a long-lived session.
    static let keepalive = (idleSeconds: 5, intervalSeconds: 2, count: 3)

    /// Asks the server to probe this session's peer (see above): set on the lock's connection.
    static func keepPeerProbed(_ db: PGConnection) async throws {
        _ = try await db.query(
            """
            SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false),
                set_config('tcp_keepalives_count', $3, false)
            """,
            [String(keepalive.idleSeconds), String(keepalive.intervalSeconds), String(keepalive.count)])
    }

    /// Keywords for a long-lived connection named `applicationName` (the conninfo may override them):
    /// libpq's keepalives, so that this side notices a dead server.
    static func connectionDefaults(_ applicationName: String) -> KeyValuePairs<String, String> {
        [
            "keepalives": "1", "keepalives_idle": String(keepalive.idleSeconds),
            "keepalives_interval": String(keepalive.intervalSeconds), "keepalives_count": String(keepalive.count),
            "application_name": applicationName,
        ]
    }
}
