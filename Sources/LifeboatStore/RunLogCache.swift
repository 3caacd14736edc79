import GRDB
import LifeboatCore
import Synchronization

/// The run logs this process has decoded, as far as they are committed. A log only grows, so a
/// later read decodes only the rows recorded since, and an append adds its own events without
/// decoding them: decoding is most of what reading a log costs, and a run's end reads its whole
/// log twice (for its measurement columns, then for the summary). `audit verify` does not use it:
/// it decodes what the file holds.
///
/// With a log it holds the run's `runs`/`steps` rows as this process last wrote them. Only an
/// append changes them, and every append records events, so while nobody else recorded an event
/// of the run since, they are what the file holds: an append compares its rows with them instead
/// of reading the stored rows first.
final class RunLogCache: Sendable {
    /// What one transaction sees beyond the held log: the rows recorded after `after` (the held
    /// log's last seq, 0 when none is held), then the transaction's own events.
    struct Tail: Sendable {
        var after: Int64
        var events: [(seq: Int64, event: RunEvent)]
    }

    /// A run's rows as written at a log's last event; steps not written by this process are absent.
    struct HeldRows: Sendable {
        var run: ProjectionUpdates.StoredRun
        var steps: [String: ProjectionUpdates.StoredStep]
    }

    private struct Log {
        /// The seq of the log's last event (seqs are global, so a run's have gaps).
        var lastSeq: Int64 = 0
        var events: [RunEvent] = []
        var rows: HeldRows?
    }

    /// Runs held at most; a command reads one or two runs' logs, `history` reads none.
    static let maxRuns = 8
    private let logs = Mutex<[String: Log]>([:])

    /// What `db` holds of the run beyond the held log. With `chainHead` (the last seq of the whole
    /// chain, read in this transaction) equal to the held log's last, nothing was recorded since:
    /// no query.
    func tail(of runID: String, chainHead: Int64? = nil, in db: Database) throws -> Tail {
        let after = logs.withLock { $0[runID]?.lastSeq ?? 0 }
        if chainHead == after { return Tail(after: after, events: []) }
        return Tail(after: after, events: try Rows.events(of: runID, after: after, before: .max, in: db))
    }

    /// The run's whole log as `db` sees it: the held log and `tail`, or, if the held log moved on
    /// since `tail` was taken, every row decoded.
    func events(of runID: String, completing tail: Tail, in db: Database) throws -> [RunEvent] {
        let held = logs.withLock { logs -> [RunEvent]? in
            let log = logs[runID] ?? Log()
            return log.lastSeq == tail.after ? log.events : nil
        }
        guard let held else { return try Rows.events(of: runID, in: db) }
        return held + tail.events.map(\.event)
    }

    /// Takes the rows held for the run (`keep` gives them back), if they are what the file holds:
    /// `tail` (taken before this transaction appended anything) found no event recorded since the
    /// held log's last. Taken, not copied, so the append updates them in place.
    func takeRows(of runID: String, current tail: Tail) -> HeldRows? {
        guard tail.events.isEmpty else { return nil }
        return logs.withLock { logs in
            guard logs[runID]?.lastSeq == tail.after else { return nil }
            defer { logs[runID]?.rows = nil }
            return logs[runID]?.rows
        }
    }

    /// Adds `tail` to the held log (in place) once the transaction that took it has committed,
    /// with the rows as that transaction left them (nil: not known).
    func keep(_ tail: Tail, rows: HeldRows? = nil, of runID: String) {
        guard let last = tail.events.last else { return }
        logs.withLock { logs in
            guard (logs[runID]?.lastSeq ?? 0) == tail.after else { return }
            if logs[runID] == nil {
                if logs.count >= Self.maxRuns, let evicted = logs.keys.first { logs.removeValue(forKey: evicted) }
                logs[runID] = Log()
            }
            logs[runID]!.events.append(contentsOf: tail.events.map(\.event))
            logs[runID]!.lastSeq = last.seq
            logs[runID]!.rows = rows
        }
    }
}
