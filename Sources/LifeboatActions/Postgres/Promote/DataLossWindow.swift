import LifeboatCore

/// The data-loss window of a promotion (the RPO it achieved), from positions and commit times read
/// on both servers. Pure: `postgres.promote` gathers the figures, this decides what they prove.
///
/// Rules (never under-report; when unsure, a bound):
/// - The old primary's final position `F` was read *after* a fence, with no write transaction left
///   open: bytes = `F − replay LSN at promotion` (exact). If 0, the window is 0 ms (exact). Otherwise
///   the window is the commit time of the newest transaction the replica lacks (the primary's
///   `pg_last_committed_xact()`, with track_commit_timestamp on) minus the replica's last replayed
///   commit (`pg_last_xact_replay_timestamp()`), exact; without commit timestamps, the primary's
///   clock when `F` was read minus that last replayed commit, a bound.
/// - `F` read but not proven final (no fence, or write transactions still open): the same figures,
///   marked inexact, with the reason — writes the old primary accepts later are not counted.
/// - Primary unreachable: bytes unknown; the window is bounded by the replica's clock at promotion
///   minus its last replayed commit (anything lost was committed after that commit and before now).
///
/// Times on two servers compare their clocks: skew between them adds to (or subtracts from) the window.
struct DataLossWindow: Sendable, Hashable {
    var milliseconds: Int64?
    var bytes: Int64?
    var exact: Bool
    var method: String

    struct Final: Sendable, Hashable {
        var lsn: LSN
        /// The primary's clock when `lsn` was read, epoch ms.
        var readAtMs: Int64
        var lastCommitMs: Int64?
        var afterFence: Bool
        var openWriters: Int
    }

    static func compute(final: Final?, replayLSN: LSN?, lastReplayCommitMs: Int64?, replicaNowMs: Int64) -> DataLossWindow {
        guard let final else {
            guard let replayed = lastReplayCommitMs else {
                return DataLossWindow(
                    milliseconds: nil, bytes: nil, exact: false,
                    method: "not measured: primary unreachable and the replica replayed no transaction since it started")
            }
            return DataLossWindow(
                milliseconds: max(0, replicaNowMs - replayed), bytes: nil, exact: false,
                method: "bound: time since last replayed commit; primary unreachable")
        }
        let bytes = replayLSN.map { final.lsn.bytes(after: $0) } ?? Int64(clamping: final.lsn.value)
        var window: DataLossWindow
        if bytes == 0 {
            window = DataLossWindow(
                milliseconds: 0, bytes: 0, exact: true,
                method: "exact: the replica had replayed the old primary's final position \(final.lsn)")
        } else if let commit = final.lastCommitMs, let replayed = lastReplayCommitMs {
            window = DataLossWindow(
                milliseconds: max(0, commit - replayed), bytes: bytes, exact: true,
                method: "exact: \(bytes) bytes not replayed; newest commit the replica lacked minus its last replayed commit (track_commit_timestamp)")
        } else if let replayed = lastReplayCommitMs {
            window = DataLossWindow(
                milliseconds: max(0, final.readAtMs - replayed), bytes: bytes, exact: false,
                method: "bound: \(bytes) bytes not replayed (exact); time from the replica's last replayed commit to the fence (track_commit_timestamp is off)")
        } else {
            window = DataLossWindow(
                milliseconds: nil, bytes: bytes, exact: false,
                method: "bytes only: \(bytes) bytes not replayed; the replica replayed no transaction since it started")
        }
        if !final.afterFence {
            window.exact = false
            window.method += "; the old primary was not fenced: writes it accepted after \(final.lsn) are not counted"
        } else if final.openWriters > 0 {
            window.exact = false
            window.method += "; \(final.openWriters) write transaction(s) were still open on the old primary at \(final.lsn)"
        }
        return window
    }

    /// The step outputs RunMeasurement reads (`data_loss_window_ms`, `rpo_method`, `rpo_exact`) and `data_loss_bytes`.
    var outputs: [String: Value] {
        [
            "data_loss_window_ms": milliseconds.map { .int(Int($0)) } ?? .null,
            "data_loss_bytes": bytes.map { .int(Int($0)) } ?? .null,
            "rpo_method": .string(method),
            "rpo_exact": .bool(exact),
        ]
    }

    /// `0 ms, 0 bytes (exact)`, `≤ 1.2s (bound)`.
    var summary: String {
        let time = milliseconds.map { DurationText.format(milliseconds: $0) } ?? "unknown"
        let size = bytes.map { ", \(LSN.formatBytes($0))" } ?? ""
        return exact ? "\(time)\(size) (exact)" : "≤ \(time)\(size) (bound)"
    }
}
