@testable import LifeboatActions
import LifeboatCore
import Testing

/// The data-loss window rules, as a table: what the figures prove, never less than what was lost.
@Suite("postgres.promote: data-loss window rules")
struct DataLossWindowTests {
    let replay = LSN("0/3000100")!

    func final(_ lsn: String, readAt: Int64 = 10_000, commit: Int64? = nil) -> DataLossWindow.OldPrimary {
        .final(DataLossWindow.Final(lsn: LSN(lsn)!, readAtMs: readAt, lastCommitMs: commit))
    }

    func compute(_ old: DataLossWindow.OldPrimary, lastReplay: Int64? = 9_000, now: Int64 = 11_000) -> DataLossWindow {
        DataLossWindow.compute(oldPrimary: old, replayLSN: replay, lastReplayCommitMs: lastReplay, replicaNowMs: now)
    }

    @Test func caughtUpAfterAFenceIsExactZero() {
        let w = compute(final("0/3000100"))
        #expect(w == DataLossWindow(milliseconds: 0, bytes: 0, exact: true, method: w.method))
        #expect(w.method.hasPrefix("exact"))
    }

    @Test func missingBytesWithCommitTimestampsAreExact() {
        let w = compute(final("0/3000200", commit: 9_700))
        #expect(w.bytes == 256)
        #expect(w.milliseconds == 700)
        #expect(w.exact)
    }

    @Test func missingBytesWithoutCommitTimestampsBoundTheTimeByTheFence() {
        let w = compute(final("0/3000200", readAt: 10_000))
        #expect(w.bytes == 256)
        #expect(w.milliseconds == 1_000)
        #expect(!w.exact)
        #expect(w.method.hasPrefix("bound"))
        let noReplay = compute(final("0/3000200"), lastReplay: nil)
        #expect(noReplay.milliseconds == nil)
        #expect(noReplay.outputs["data_loss_window_ms"] == .null)
    }

    @Test func aPrimaryThatMayStillTakeWritesIsNotBounded() {
        let w = compute(.mayTakeWrites(why: "the fence (command) did not hold"))
        #expect(w.milliseconds == nil)
        #expect(w.bytes == nil)
        #expect(!w.exact)
        #expect(w.method == "not bounded: the fence (command) did not hold")
        #expect(w.outputs["data_loss_window_ms"] == .null)
        #expect(w.summary.hasPrefix("not bounded"))
    }

    @Test func unreachableOrStoppedByTheFenceIsBoundedBySinceLastReplayedCommit() {
        let w = compute(.unreachable, now: 11_500)
        #expect(w.milliseconds == 2_500)
        #expect(w.bytes == nil)
        #expect(!w.exact)
        #expect(w.method == "bound: time since last replayed commit; primary unreachable")
        let stopped = compute(.fencedWithoutFinalPosition(how: "by command"), now: 11_500)
        #expect(stopped.milliseconds == 2_500)
        #expect(stopped.method == "bound: time since last replayed commit; fenced by command, final position not readable")
        let nothing = compute(.unreachable, lastReplay: nil)
        #expect(nothing.milliseconds == nil)
        #expect(nothing.method.hasPrefix("not bounded"))
        #expect(nothing.outputs["data_loss_window_ms"] == .null)
    }

    /// What the fence check and the final read prove, whatever the fence's exit status said.
    @Test func theFenceCheckDecidesWhatTheFiguresProve() {
        func primary(writers: Int) -> PrimaryState {
            PrimaryState(inRecovery: false, currentLSN: LSN("0/3000200"), nowMs: 10_000, lastCommitMs: nil, trackCommitTimestamp: false, openWriters: writers)
        }
        let decide = PostgresPromoteAction.oldPrimary
        // A lying fence: exit 0, still writable. Never a number, even with a final position read.
        for fenced in ["command", "both", "soft"] {
            guard case .mayTakeWrites(let why) = decide(.writable, primary(writers: 0), true, fenced) else {
                Issue.record("a writable old primary after \(fenced) must not be bounded"); continue
            }
            #expect(why.contains("did not hold"))
        }
        guard case .mayTakeWrites(let unfenced) = decide(.writable, primary(writers: 0), true, "none") else {
            Issue.record("an unfenced writable primary must not be bounded"); return
        }
        #expect(unfenced.contains("not fenced"))
        guard case .mayTakeWrites = decide(.unknown("authentication failed"), nil, true, "command") else {
            Issue.record("an old primary that cannot be checked must not be bounded"); return
        }
        // Soft fence held, no writer open: the final position is final.
        #expect(decide(.readOnly, primary(writers: 0), true, "soft") == .final(DataLossWindow.Final(lsn: LSN("0/3000200")!, readAtMs: 10_000, lastCommitMs: nil)))
        // Soft, then stopped: read between the two, so still final.
        #expect(decide(.noAnswer("refused"), primary(writers: 0), true, "both").finalLSN == LSN("0/3000200"))
        // Writers still open under a soft fence only: their commits can land any time.
        // One open writer is as unproven as two: its commit may land after F.
        guard case .mayTakeWrites(let open) = decide(.readOnly, primary(writers: 1), true, "soft") else {
            Issue.record("open writers under a soft fence must not be bounded"); return
        }
        #expect(open.contains("1 write transaction(s)"))
        // ... but a stop after them ends them: bounded by the time since the last replayed commit.
        #expect(decide(.noAnswer("refused"), primary(writers: 2), true, "both") == .fencedWithoutFinalPosition(how: "soft, then by command"))
        // The fence stopped it before anything was read; unreachable from the start.
        #expect(decide(.noAnswer("refused"), nil, true, "command") == .fencedWithoutFinalPosition(how: "by command"))
        #expect(decide(.noAnswer("refused"), nil, false, "command") == .unreachable)
        #expect(decide(.noAnswer("refused"), nil, false, "none") == .unreachable)
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
