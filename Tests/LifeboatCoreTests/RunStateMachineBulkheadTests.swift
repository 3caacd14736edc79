import LifeboatCore
import LifeboatTestSupport
import Testing

/// Bulkheads: a plan's `bulkheads:` cap how many steps run at once against one key (a step's
/// `bulkhead:` name or its action's endpoint); the wait is recorded once per step.
@Suite("Run state machine: bulkheads")
struct RunStateMachineBulkheadTests {
    let ok = ActionResult(outputs: [:], summary: "ok")

    func machine(_ steps: [StepHeader], bulkheads: [String: Int], concurrency: Int = 4) -> RunStateMachine {
        var header = TestHeaders.header(steps, concurrency: concurrency)
        header.bulkheads = bulkheads
        return RunStateMachine(header: header)
    }

    func step(_ id: String, _ bulkhead: String?) -> StepHeader {
        var s = TestHeaders.step(id)
        s.bulkhead = bulkhead
        return s
    }

    @Test func aBulkheadOfOneRunsItsStepsOneAtATimeAndRecordsEachWaitOnce() throws {
        var m = machine([step("a", "db"), step("b", "db"), step("c", "db"), step("d", "dns")], bulkheads: ["db": 1])
        #expect(try m.handle(.start(pid: 1, host: "h")).events == [
            .executorStarted(pid: 1, host: "h", resumed: false),
            .stepStarted(step: "a", attempt: 1),
            .stepQueued(step: "b", bulkhead: "db", limit: 1),
            .stepQueued(step: "c", bulkhead: "db", limit: 1),
            .stepStarted(step: "d", attempt: 1),  // another bulkhead (without a limit): not held back
        ])
        // d ends: nothing changes for b and c, and their waits are not recorded again.
        #expect(try m.handle(.stepSucceeded(step: "d", attempt: 1, durationMs: 1, result: ok)).events == [
            .stepSucceeded(step: "d", attempt: 1, durationMs: 1, result: ok),
        ])
        #expect(try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok)).events == [
            .stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok),
            .stepStarted(step: "b", attempt: 1),
        ])
        #expect(m.queued == ["c"])
        #expect(try m.handle(.stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok)).events == [
            .stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok),
            .stepStarted(step: "c", attempt: 1),
        ])
        #expect(m.queued.isEmpty)
    }

    @Test func aLimitOfTwoAndStepsWithoutAKeyOrLimit() throws {
        var m = machine([step("a", "dns"), step("b", "dns"), step("c", "dns"), step("d", nil)], bulkheads: ["dns": 2])
        let started = try m.handle(.start(pid: 1, host: "h")).events
        #expect(started.contains(.stepStarted(step: "a", attempt: 1)))
        #expect(started.contains(.stepStarted(step: "b", attempt: 1)))
        #expect(started.contains(.stepQueued(step: "c", bulkhead: "dns", limit: 2)))
        #expect(started.contains(.stepStarted(step: "d", attempt: 1)))
    }

    /// A retry waits for room like a first attempt; replaying the log rebuilds who is queued.
    @Test func aRetryWaitsForRoomTooAndReplayRebuildsTheQueue() throws {
        var retrying = step("a", "db")
        retrying.retry = RetryPolicy(attempts: 2, delayMs: 10, maxDelayMs: 10, jitter: .none)
        var m = machine([retrying, step("b", "db")], bulkheads: ["db": 1])
        var log: [RunEvent.Kind] = []
        log += try m.handle(.start(pid: 1, host: "h")).events
        log += try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: StepError(code: .actionFailed, message: "x", retryable: true), jitterSample: 0)).events
        // a failed and waits for its retry: b takes the bulkhead.
        #expect(log.suffix(3) == [
            .stepFailed(step: "a", attempt: 1, durationMs: 1, error: StepError(code: .actionFailed, message: "x", retryable: true)),
            .stepRetryScheduled(step: "a", nextAttempt: 2, delayMs: 10),
            .stepStarted(step: "b", attempt: 1),
        ])
        let due = try m.handle(.retryDue(step: "a")).events
        #expect(due == [.stepQueued(step: "a", bulkhead: "db", limit: 1)])
        log += due
        var replayed = RunStateMachine(header: m.header)
        for kind in log.dropFirst() { try replayed.apply(RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: kind)) }
        #expect(replayed.queued == ["a"])
    }
}
