import LifeboatCore

/// The data-loss window of a promotion (the RPO it achieved), from what was seen of the old primary
/// and the positions and commit times read on both servers. Pure: `postgres.promote` gathers the
/// figures, this decides what they prove.
///
/// Rules (never under-report; when the figures cannot bound the loss, say "not bounded" and why):
/// - The old primary's final position `F` was read after it stopped taking writes (fenced and
///   checked, no write transaction left open): bytes = `F − replay LSN at promotion` (exact). If 0,
///   the window is 0 ms (exact). Otherwise the window is the commit time of the newest transaction
///   the replica lacks (the primary's `pg_last_committed_xact()`, with track_commit_timestamp on)
///   minus the replica's last replayed commit (`pg_last_xact_replay_timestamp()`), exact; without
///   commit timestamps, the primary's clock when `F` was read minus that last replayed commit, a bound.
/// - The old primary stopped answering (unreachable before any fence, or stopped by the fence
///   before `F` could be read): bytes unknown; the window is bounded by the replica's clock at
///   promotion minus its last replayed commit (anything lost was committed after that commit and
///   before the primary stopped, which was before now).
/// - The old primary may still take writes (no `primary_conninfo` to check it, no fence, a fence
///   that did not hold, write transactions still open after a soft fence): not bounded — whatever it
///   commits from now on is lost too.
///
/// Times on two servers compare their clocks: skew between them adds to (or subtracts from) the window.
struct DataLossWindow: Sendable, Hashable {
    /// nil: not bounded (`method` says why).
    var milliseconds: Int64?
    var bytes: Int64?
    var exact: Bool
    var method: String

    /// The old primary's `pg_current_wal_lsn()` read after the fence, and its clock then.
    struct Final: Sendable, Hashable {
        var lsn: LSN
        /// The primary's clock when `lsn` was read, epoch ms.
        var readAtMs: Int64
        var lastCommitMs: Int64?
    }

    /// What was known of the old primary when the replica was promoted.
    enum OldPrimary: Sendable, Hashable {
        /// It stopped taking writes and its final position was read.
        case final(Final)
        /// It did not answer before any fence ran.
        case unreachable
        /// The fence stopped it (or demoted it) before its final position could be read; `how`
        /// names the fence ("by command", "soft, then by command").
        case fencedWithoutFinalPosition(how: String)
        /// It may still take writes; `why` says what was seen.
        case mayTakeWrites(why: String)

        /// The position the replica must replay for nothing to be lost, when known.
        var finalLSN: LSN? {
            if case .final(let final) = self { return final.lsn }
            return nil
        }
    }

    static func compute(oldPrimary: OldPrimary, replayLSN: LSN?, lastReplayCommitMs: Int64?, replicaNowMs: Int64) -> DataLossWindow {
        switch oldPrimary {
        case .mayTakeWrites(let why):
            return DataLossWindow(milliseconds: nil, bytes: nil, exact: false, method: "not bounded: \(why)")
        case .unreachable:
            return bySinceLastReplay(lastReplayCommitMs, replicaNowMs, what: "primary unreachable")
        case .fencedWithoutFinalPosition(let how):
            return bySinceLastReplay(lastReplayCommitMs, replicaNowMs, what: "fenced \(how), final position not readable")
        case .final(let final):
            let bytes = replayLSN.map { final.lsn.bytes(after: $0) } ?? Int64(clamping: final.lsn.value)
            if bytes == 0 {
                return DataLossWindow(
                    milliseconds: 0, bytes: 0, exact: true,
                    method: "exact: the replica had replayed the old primary's final position \(final.lsn)")
            }
            if let commit = final.lastCommitMs, let replayed = lastReplayCommitMs {
                return DataLossWindow(
                    milliseconds: max(0, commit - replayed), bytes: bytes, exact: true,
                    method: "exact: \(bytes) bytes not replayed; newest commit the replica lacked minus its last replayed commit (track_commit_timestamp)")
            }
            if let replayed = lastReplayCommitMs {
                return DataLossWindow(
                    milliseconds: max(0, final.readAtMs - replayed), bytes: bytes, exact: false,
                    method: "bound: \(bytes) bytes not replayed (exact); time from the replica's last replayed commit to the fence (track_commit_timestamp is off)")
            }
            return DataLossWindow(
                milliseconds: nil, bytes: bytes, exact: false,
                method: "not bounded in time: \(bytes) bytes not replayed; the replica replayed no transaction since it started")
        }
    }

    /// Anything lost was committed after the replica's last replayed commit and before the old
    /// primary stopped, which was before the replica's `now`.
    private static func bySinceLastReplay(_ lastReplayCommitMs: Int64?, _ replicaNowMs: Int64, what: String) -> DataLossWindow {
        guard let replayed = lastReplayCommitMs else {
            return DataLossWindow(
                milliseconds: nil, bytes: nil, exact: false,
                method: "not bounded: \(what), and the replica replayed no transaction since it started")
        }
        return DataLossWindow(
            milliseconds: max(0, replicaNowMs - replayed), bytes: nil, exact: false,
            method: "bound: time since last replayed commit; \(what)")
    }

    /// The step outputs RunMeasurement reads (`data_loss_window_ms`, `rpo_method`, `rpo_exact`) and
    /// `data_loss_bytes`. A null `data_loss_window_ms` is "not bounded": the run's RPO says so.
    var outputs: [String: Value] {
        [
            "data_loss_window_ms": milliseconds.map { .int(Int($0)) } ?? .null,
            "data_loss_bytes": bytes.map { .int(Int($0)) } ?? .null,
            "rpo_method": .string(method),
            "rpo_exact": .bool(exact),
        ]
    }

    /// `0 ms, 0 bytes (exact)`, `≤ 1.2s (bound)`, `not bounded (…)`.
    var summary: String {
        guard let milliseconds else { return method.hasPrefix("not bounded") ? method : "not bounded (\(method))" }
        let time = DurationText.format(milliseconds: milliseconds)
        let size = bytes.map { ", \(LSN.formatBytes($0))" } ?? ""
        return exact ? "\(time)\(size) (exact)" : "≤ \(time)\(size) (bound)"
    }
}
