import GRDB
import LifeboatCore
import Synchronization

/// The run logs this process has decoded, as far as they are committed. A log only grows, so a
/// later read decodes only the rows recorded since: decoding is most of what reading a log costs,
/// and a run's end reads its whole log twice (for its measurement columns, then for the summary).
/// `audit verify` does not use it: it decodes what the file holds.
final class RunLogCache: Sendable {
    struct Log: Sendable {
        /// The seq of the log's last event (seqs are global, so a run's have gaps).
        var lastSeq: Int64 = 0
        var events: [RunEvent] = []
    }

    /// Runs held at most; a command reads one or two runs' logs, `history` reads none.
    static let maxRuns = 8
    private let logs = Mutex<[String: Log]>([:])

    /// The run's whole log as `db` sees it: the part held here, the rows recorded since, and
    /// `appended`, this transaction's own events (in seq order, not decoded again).
    func log(of runID: String, appended: [(seq: Int64, event: RunEvent)] = [], in db: Database) throws -> Log {
        var log = logs.withLock { $0[runID] } ?? Log()
        let recorded = try Rows.events(of: runID, after: log.lastSeq, before: appended.first?.seq ?? .max, in: db)
        for (seq, event) in recorded + appended {
            log.events.append(event)
            log.lastSeq = seq
        }
        return log
    }

    /// Holds `log` once the transaction that read or wrote it has committed.
    func keep(_ log: Log, of runID: String) {
        logs.withLock { logs in
            if let held = logs[runID], held.lastSeq >= log.lastSeq { return }
            if logs[runID] == nil, logs.count >= Self.maxRuns, let evicted = logs.keys.first {
                logs.removeValue(forKey: evicted)
            }
            logs[runID] = log
        }
    }
}
