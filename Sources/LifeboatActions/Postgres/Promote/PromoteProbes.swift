import LifeboatPostgres

/// What the replica says about itself: recovery, WAL receive and replay positions, last replayed commit.
struct ReplicaState: Sendable, Hashable {
    var inRecovery: Bool
    var receiveLSN: LSN?
    var replayLSN: LSN?
    /// Commit time of the last transaction replayed (`pg_last_xact_replay_timestamp()`), epoch ms.
    var lastReplayCommitMs: Int64?
    /// The replica's clock when it answered, epoch ms.
    var nowMs: Int64
    /// `pg_get_wal_replay_pause_state()`: `not paused`, `pause requested`, `paused`.
    var pauseState: String
    /// `pg_stat_wal_receiver.status` (`streaming`, `waiting`, …); nil when no WAL receiver runs.
    var receiverStatus: String?

    var isStreaming: Bool { receiverStatus == "streaming" }
    /// Streaming now, or has received WAL since it started.
    var isReceiving: Bool { isStreaming || receiveLSN != nil }
    /// Time since the last replayed commit, by the replica's clock; nil when nothing was replayed.
    var sinceLastReplayMs: Int64? { lastReplayCommitMs.map { max(0, nowMs - $0) } }
}

/// The old primary's position and clock.
struct PrimaryState: Sendable, Hashable {
    var inRecovery: Bool
    var currentLSN: LSN?
    var nowMs: Int64
    /// Commit time of the newest transaction (`pg_last_committed_xact()`), when track_commit_timestamp is on.
    var lastCommitMs: Int64?
    var trackCommitTimestamp: Bool
    /// Client transactions holding a transaction id (i.e. that have written) other than ours.
    var openWriters: Int
}

/// The read-only queries `postgres.promote` sends. Every value comes back as text and is parsed
/// here; nothing is spliced into SQL.
enum PromoteProbes {
    static func replica(_ c: PGConnection, timeout: Duration) async throws(PGError) -> ReplicaState {
        let r = try await c.query(
            """
            SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
                   (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint,
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                   (SELECT status FROM pg_stat_wal_receiver LIMIT 1)
            """, timeout: timeout)
        let row = r.rows.first ?? []
        func col(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        let inRecovery = col(0) == "t"
        var pause = "not paused"
        if inRecovery {
            // Errors outside recovery, so asked only of a replica.
            pause = try await c.query("SELECT pg_get_wal_replay_pause_state()", timeout: timeout).firstValue ?? "not paused"
        }
        return ReplicaState(
            inRecovery: inRecovery, receiveLSN: LSN(col(1)), replayLSN: LSN(col(2)),
            lastReplayCommitMs: col(3).flatMap { Int64($0) }, nowMs: col(4).flatMap { Int64($0) } ?? 0,
            pauseState: pause, receiverStatus: col(5))
    }

    static func primary(_ c: PGConnection, timeout: Duration) async throws(PGError) -> PrimaryState {
        let r = try await c.query(
            """
            SELECT pg_is_in_recovery(),
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                   current_setting('track_commit_timestamp'),
                   (SELECT count(*) FROM pg_stat_activity
                     WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend')
            """, timeout: timeout)
        let row = r.rows.first ?? []
        func col(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        let track = col(3) == "on"
        var lastCommit: Int64?
        if track, col(0) != "t" {
            let commit = try await c.query(
                "SELECT (extract(epoch FROM timestamp) * 1000)::bigint FROM pg_last_committed_xact()", timeout: timeout)
            lastCommit = commit.firstValue.flatMap { Int64($0) }
        }
        return PrimaryState(
            inRecovery: col(0) == "t", currentLSN: LSN(col(1)), nowMs: col(2).flatMap { Int64($0) } ?? 0,
            lastCommitMs: lastCommit, trackCommitTimestamp: track, openWriters: col(4).flatMap { Int($0) } ?? 0)
    }

    /// `pg_current_wal_lsn()` and the timeline of its WAL file, on a server out of recovery.
    static func position(_ c: PGConnection, timeout: Duration) async throws(PGError) -> (lsn: String, timeline: Int) {
        let r = try await c.query(
            "SELECT pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn())", timeout: timeout)
        let lsn = r.value(row: 0, column: "pg_current_wal_lsn") ?? ""
        let file = r.value(row: 0, column: "pg_walfile_name") ?? ""
        return (lsn, Int(file.prefix(8), radix: 16) ?? 0)
    }
}
