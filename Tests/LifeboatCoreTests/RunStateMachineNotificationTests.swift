import LifeboatCore
import LifeboatTestSupport
import Testing

/// A plan's `notify:` as the machine sees it: which events call for a message, numbered in log
/// order so that any process sends message N under the same key, and what a resume sends again.
@Suite("Run state machine: plan-level notifications")
struct RunStateMachineNotificationTests {
    let ok = ActionResult(outputs: [:], summary: "ok")

    func machine(_ steps: [StepHeader], on triggers: [NotifyTrigger]) -> RunStateMachine {
        var header = TestHeaders.header(steps)
        header.notifyOn = triggers
        return RunStateMachine(header: header, runID: "r1")
    }

    @Test func onlyTheTriggersThePlanNamesAndOnlyAFailureWithNoRetryLeft() throws {
        let retry = RetryPolicy(attempts: 2, delayMs: 10, maxDelayMs: 10, jitter: .none)
        var m = machine([TestHeaders.step("a", retry: retry)], on: [.stepFailed, .runEnded])
        var log: [RunEvent.Kind] = []
        let started = try m.handle(.start(pid: 1, host: "h"))
        #expect(!started.actions.contains { if case .notify = $0 { return true } else { return false } })
        log += started.events
        let failure = StepError(code: .actionFailed, message: "boom", retryable: true)
        let first = try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure, jitterSample: 0))
        #expect(!first.actions.contains(.notify(number: 1)), "a retry is left: no message yet")
        log += first.events
        log += try m.handle(.retryDue(step: "a")).events
        let second = try m.handle(.stepFailed(step: "a", attempt: 2, durationMs: 1, error: failure, jitterSample: 0))
        #expect(second.actions.contains(.notify(number: 1)))
        #expect(second.actions.contains(.notify(number: 2)))
        #expect(m.dueNotification(1)?.trigger == .stepFailed)
        #expect(m.dueNotification(1)?.text == "step a failed (attempt 2): boom")
        #expect(m.dueNotification(2)?.trigger == .runEnded)
        #expect(m.dueNotification(2)?.text == "run failed")
        log += second.events

        // Recording that 1 was sent; 2 never was (the process died). Replay, then resume: 2 again.
        log += try m.handle(.notificationSent(number: 1, outcome: "delivered to 1 of 1 target")).events
        #expect(log.last == .notificationSent(number: 1, trigger: .stepFailed, outcome: "delivered to 1 of 1 target"))
        var replayed = RunStateMachine(header: m.header, runID: "r1")
        for kind in log.dropFirst(0) { try replayed.apply(RunEvent(runID: "r1", atMs: 0, monoMs: 0, session: "s", kind: kind)) }
        #expect(replayed.notificationsDue.map(\.number) == [1, 2])
        #expect(replayed.unsentNotifications.map(\.number) == [2])
        let resumed = try replayed.handle(.resume(pid: 2, host: "h", by: "op"))
        #expect(resumed.actions.filter { if case .notify = $0 { return true } else { return false } } == [.notify(number: 2)])
        // A second report of the same message records nothing.
        _ = try replayed.handle(.notificationSent(number: 2, outcome: "delivered"))
        #expect(try replayed.handle(.notificationSent(number: 2, outcome: "again")).events.isEmpty)
    }

    @Test func anApprovalIsNotifiedWhenAskedNotWhenReaskedOnResume() throws {
        var approval = TestHeaders.step("declare", action: BuiltinActions.approval)
        approval.title = "Declare"
        var m = machine([approval], on: [.approvalNeeded])
        let started = try m.handle(.start(pid: 1, host: "h"))
        #expect(started.actions.contains(.notify(number: 1)))
        #expect(m.dueNotification(1)?.text == "approval needed for step declare (Declare): `lifeboat approve r1 declare`")
        m.executorLost()
        _ = try m.handle(.interrupt(.interrupted))
        let resumed = try m.handle(.resume(pid: 2, host: "h", by: "op"))
        #expect(m.notificationsDue.count == 1, "the re-request on resume is the same wait")
        #expect(resumed.actions.filter { if case .notify = $0 { return true } else { return false } } == [.notify(number: 1)],
                "the unsent first message goes out again")
    }
}
