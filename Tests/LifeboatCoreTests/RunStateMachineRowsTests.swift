import LifeboatCore
import LifeboatTestSupport
import Testing

/// The `runs`/`steps` rows come from the machine: what a live machine hands the store with its
/// events equals what `audit verify` derives by replaying them.
@Suite("Run state machine: rows derived from its state")
struct RunStateMachineRowsTests {
    typealias Kind = RunEvent.Kind
    let ok = ActionResult(outputs: ["lsn": "0/3"], summary: "done")

    /// Drives a live machine with stamped inputs, logging its events with their decision's time.
    struct Driver {
        var live: RunStateMachine
        var log: [RunEvent]
        var now: Int64 = 1_000

        init(_ header: RunHeader) {
            live = RunStateMachine(header: header, runID: "r", createdAtMs: 1_000)
            log = [RunEvent(runID: "r", atMs: 1_000, monoMs: 0, session: "s", kind: .runCreated(header))]
        }

        @discardableResult
        mutating func feed(_ input: RunStateMachine.Input) throws -> RunStateMachine.Decision {
            now += 250
            let decision = try live.handle(input, atMs: now)
            log += decision.events.map { RunEvent(runID: "r", atMs: decision.atMs, monoMs: 0, session: "s", kind: $0) }
            return decision
        }
    }

    @Test func liveRowsEqualReplayedRowsThroughRetriesApprovalsForcedOutcomesAndRollback() throws {
        var d = Driver(TestHeaders.header([
            TestHeaders.step("declare", action: "approval"),
            TestHeaders.step("promote<declare", retry: RetryPolicy(attempts: 2, delayMs: 5, maxDelayMs: 5, jitter: .none),
                             compensation: true),
            TestHeaders.step("dns<promote"),
            TestHeaders.step("smoke<dns"),
        ]))
        try d.feed(.start(pid: 1, host: "h"))
        try d.feed(.decision(step: "declare", ApprovalDecision(approved: true, caller: .named("ic"), via: "terminal"), waitMs: 40))
        try d.feed(.stepFailed(step: "promote", attempt: 1, durationMs: 7,
                               error: StepError(code: .actionFailed, message: "lag", retryable: true, detail: "tail"),
                               jitterSample: 0))
        try d.feed(.retryDue(step: "promote"))
        try d.feed(.stepSucceeded(step: "promote", attempt: 2, durationMs: 9, result: ok))
        try d.feed(.stepFailed(step: "dns", attempt: 1, durationMs: 3,
                               error: StepError(code: .actionFailed, message: "REFUSED", retryable: false), jitterSample: 0))
        d.live.executorLost()
        try d.feed(.operatorSkip(step: "dns", by: "sre", reason: "switched by hand"))
        try d.feed(.resume(pid: 2, host: "h", by: "sre"))
        try d.feed(.stepFailed(step: "smoke", attempt: 1, durationMs: 2,
                               error: StepError(code: .actionFailed, message: "503", retryable: false), jitterSample: 0))
        d.live.executorLost()
        try d.feed(.resolve(step: "smoke", resolution: .succeeded, by: "ic", reason: "checked by hand"))
        try d.feed(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        try d.feed(.compensationSucceeded(step: "promote", durationMs: 4, result: ActionResult(summary: "demoted")))

        let replayed = try RunStateMachine.replay(d.log)
        #expect(replayed.rows == d.live.rows)

        let rows = d.live.rows
        #expect(rows.run.status == .rolledBack && rows.run.endedAtMs == d.now && rows.run.createdAtMs == 1_000)
        let byID = Dictionary(uniqueKeysWithValues: rows.steps.map { ($0.stepID, $0) })
        #expect(byID["declare"]?.summary == "approved by ic via terminal")
        #expect(byID["declare"]?.outputs["approved_by"] == "ic")
        #expect(byID["promote"]?.status == .compensated && byID["promote"]?.attempts == 2)
        #expect(byID["promote"]?.summary == "compensated: demoted")
        #expect(byID["promote"]?.startedAtMs == 1_500 && byID["promote"]?.durationMs == 9)
        #expect(byID["dns"]?.status == .skipped && byID["dns"]?.forced == "skipped")
        #expect(byID["smoke"]?.forced == "succeeded")
        #expect(byID["smoke"]?.summary == "resolved as succeeded by ic: checked by hand")
    }

    @Test func anAppendCarriesTheRunRowAndOnlyTheStepsItsEventsAreAbout() throws {
        var d = Driver(TestHeaders.header([TestHeaders.step("a"), TestHeaders.step("b<a"), TestHeaders.step("c<b")]))
        let start = try d.feed(.start(pid: 1, host: "h"))
        #expect(d.live.rows(changedBy: start.events).steps.map(\.stepID) == ["a"])
        let done = try d.feed(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        let rows = d.live.rows(changedBy: done.events)
        #expect(rows.steps.map(\.stepID) == ["a", "b"])
        #expect(rows.steps.map(\.status) == [.succeeded, .running])
        #expect(rows.run.status == .running && rows.run.updatedAtMs == done.atMs)
    }

    @Test func aPausedRunShowsItsReasonAndAResumedOneClearsItsEnd() throws {
        var d = Driver(TestHeaders.header([TestHeaders.step("a")]))
        try d.feed(.start(pid: 1, host: "h"))
        try d.feed(.stepFailed(step: "a", attempt: 1, durationMs: 1,
                               error: StepError(code: .actionFailed, message: "x", retryable: false), jitterSample: 0))
        #expect(d.live.rows.run.status == .failed && d.live.rows.run.endedAtMs != nil)
        d.live.executorLost()
        try d.feed(.resume(pid: 2, host: "h", by: "sre"))
        #expect(d.live.rows.run.status == .running && d.live.rows.run.endedAtMs == nil)
        try d.feed(.interrupt(.interrupted))
        try d.feed(.stepSucceeded(step: "a", attempt: 2, durationMs: 1, result: ok))
        #expect(d.live.rows.run.status == .paused && d.live.rows.run.pauseReason == .interrupted)
        #expect(d.live.rows.steps[0].status == .succeeded && d.live.rows.steps[0].attempts == 2)
        #expect(try RunStateMachine.replay(d.log).rows == d.live.rows)
    }
}
