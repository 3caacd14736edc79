import LifeboatCore
import LifeboatPostgres

/// This process's hold on one run of the team store, so that exactly one process on any machine
/// executes (or changes) it: PostgreSQL's session-level advisory lock for the run, held on a
/// connection of its own, and the epoch taken with it. Every append the store makes for the run
/// checks that the epoch is still the run's: a process that was paused or cut off, and wakes up
/// after another took over, can write nothing more.
///
/// When the holder's machine dies, the server frees the lock once the connection is gone: TCP
/// keepalives (idle 5 s, then 3 probes 2 s apart, unless the conninfo sets them) notice a dead peer
/// within about 11 s.
public final class TeamExecutor: Sendable {
    public let runID: String
    public let epoch: Int64
    private let connection: PGConnection
    private let store: PostgresStore

    init(runID: String, epoch: Int64, connection: PGConnection, store: PostgresStore) {
        self.runID = runID
        self.epoch = epoch
        self.connection = connection
        self.store = store
    }

    /// Gives the run up: the store stops writing for it with this epoch, the lock is released.
    public func release() async {
        store.forget(self)
        _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [Self.lockKey(runID)])
        connection.close()
    }

    /// Whether the lock's connection is still up (a server restart or a network cut ends it).
    public var isHeld: Bool { connection.isOpen }

    static func lockKey(_ runID: String) -> String { "lifeboat.run:" + runID }

    /// Keywords for the lock's connection (the conninfo may override them).
    static let connectionDefaults: KeyValuePairs<String, String> = [
        "keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3",
        "application_name": "lifeboat executor",
    ]
}
