@testable import LifeboatActions
import LifeboatCore
import Testing

/// The data-loss window rules, as a table: what the figures prove, never less than what was lost.
@Suite("postgres.promote: data-loss window rules")
struct DataLossWindowTests {
    let replay = LSN("0/3000100")!

    func final(_ lsn: String, readAt: Int64 = 10_000, commit: Int64? = nil, fenced: Bool = true, writers: Int = 0) -> DataLossWindow.Final {
        DataLossWindow.Final(lsn: LSN(lsn)!, readAtMs: readAt, lastCommitMs: commit, afterFence: fenced, openWriters: writers)
    }

    @Test func caughtUpAfterAFenceIsExactZero() {
        let w = DataLossWindow.compute(final: final("0/3000100"), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(w == DataLossWindow(milliseconds: 0, bytes: 0, exact: true, method: w.method))
        #expect(w.method.hasPrefix("exact"))
    }

    @Test func missingBytesWithCommitTimestampsAreExact() {
        let w = DataLossWindow.compute(final: final("0/3000200", commit: 9_700), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(w.bytes == 256)
        #expect(w.milliseconds == 700)
        #expect(w.exact)
    }

    @Test func missingBytesWithoutCommitTimestampsBoundTheTimeByTheFence() {
        let w = DataLossWindow.compute(final: final("0/3000200", readAt: 10_000), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(w.bytes == 256)
        #expect(w.milliseconds == 1_000)
        #expect(!w.exact)
        #expect(w.method.hasPrefix("bound"))
    }

    @Test func unfencedOrOpenWritersAreNeverExact() {
        let unfenced = DataLossWindow.compute(final: final("0/3000100", fenced: false), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(!unfenced.exact)
        #expect(unfenced.method.contains("not fenced"))
        let writers = DataLossWindow.compute(final: final("0/3000100", writers: 2), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(!writers.exact)
        #expect(writers.method.contains("2 write transaction(s)"))
        // One open writer is as unproven as two: its commit may land after F.
        let one = DataLossWindow.compute(final: final("0/3000200", commit: 9_700, writers: 1), replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_000)
        #expect(!one.exact)
        #expect(one.method.contains("1 write transaction(s)"))
        #expect(one.summary.hasPrefix("≤ "))
    }

    @Test func unreachablePrimaryIsBoundedBySinceLastReplayedCommit() {
        let w = DataLossWindow.compute(final: nil, replayLSN: replay, lastReplayCommitMs: 9_000, replicaNowMs: 11_500)
        #expect(w.milliseconds == 2_500)
        #expect(w.bytes == nil)
        #expect(!w.exact)
        #expect(w.method == "bound: time since last replayed commit; primary unreachable")
        let nothing = DataLossWindow.compute(final: nil, replayLSN: replay, lastReplayCommitMs: nil, replicaNowMs: 11_500)
        #expect(nothing.milliseconds == nil)
        #expect(nothing.outputs["data_loss_window_ms"] == .null)
    }

    @Test(arguments: [("0/0", UInt64(0)), ("16/B374D848", UInt64(0x16_B374_D848)), ("FFFFFFFF/FFFFFFFF", UInt64.max)])
    func lsnParses(text: String, value: UInt64) {
        #expect(LSN(text)?.value == value)
        #expect(LSN(text)?.description == text)
    }

    @Test func lsnRejectsJunk() {
        for bad in ["", "16", "x/1", "1/", "/1", "100000000/0"] { #expect(LSN(bad) == nil, "\(bad)") }
    }
}
