import LifeboatCore
import LifeboatTestSupport
import Testing

private typealias Kind = RunEvent.Kind
private typealias Decision = RunStateMachine.Decision
private let ok = ActionResult(outputs: [:], summary: "ok")
private let boom = StepError(code: .actionFailed, message: "boom", retryable: false)

/// Operator commands and rollback as input → (events, actions) tables: every way out of a stopped run.
@Suite("Run state machine: operator commands and rollback")
struct RunStateMachineOperatorTests {
    /// A run of a → b → c (a and b with compensations) that has succeeded, replayed as an operator
    /// command sees it (no executor).
    private func succeeded(idempotentUndo: Bool = false) throws -> RunStateMachine {
        let steps = [
            TestHeaders.step("a", compensation: true), TestHeaders.step("b<a", compensation: true), TestHeaders.step("c<b"),
        ].map { step -> StepHeader in
            var s = step
            s.compensationIdempotent = s.hasCompensation ? idempotentUndo : nil
            return s
        }
        var m = RunStateMachine(header: TestHeaders.header(steps))
        var log = [Kind.runCreated(m.header)]
        log += try m.handle(.start(pid: 1, host: "h")).events
        for id in ["a", "b", "c"] {
            log += try m.handle(.stepSucceeded(step: id, attempt: 1, durationMs: 1, result: ok)).events
        }
        #expect(m.phase == .finished(.succeeded))
        return try replayed(log)
    }

    private func replayed(_ kinds: [Kind]) throws -> RunStateMachine {
        try RunStateMachine.replay(kinds.map { RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: $0) })
    }

    @Test func rollbackRunsCompensationsOneAtATimeInReverseOrder() throws {
        var m = try succeeded()
        #expect(m.compensationPlan == ["b", "a"])
        #expect(try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false)) == Decision(
            events: [.rollbackStarted(by: "ic", strategy: .stopOnFailure), .compensationStarted(step: "b")],
            actions: [.runCompensation(step: "b")]))
        #expect(try m.handle(.compensationSucceeded(step: "b", durationMs: 3, result: ok)) == Decision(
            events: [.compensationSucceeded(step: "b", durationMs: 3, result: ok), .compensationStarted(step: "a")],
            actions: [.runCompensation(step: "a")]))
        #expect(try m.handle(.compensationSucceeded(step: "a", durationMs: 3, result: ok)) == Decision(
            events: [.compensationSucceeded(step: "a", durationMs: 3, result: ok), .rollbackFinished(outcome: .succeeded)]))
        #expect(m.phase == .rolledBack(.succeeded))
        #expect(m.hasEnded)
        #expect(m.waysOut.isEmpty)
    }

    @Test func aFailedCompensationCanBeRetriedAndTheRollbackFinishes() throws {
        var m = try succeeded()
        _ = try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        #expect(try m.handle(.compensationFailed(step: "b", durationMs: 3, error: boom)) == Decision(
            events: [.compensationFailed(step: "b", durationMs: 3, error: boom), .rollbackFinished(outcome: .failed)]))
        #expect(m.phase == .rolledBack(.failed))
        #expect(m.waysOut == [.rollback, .resolve("b", .compensated), .resolve("b", .failed), .abort])
        // A later `rollback` (another process) retries b, then runs a.
        var retry = m
        #expect(try retry.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false)) == Decision(
            events: [.rollbackStarted(by: "ic", strategy: .stopOnFailure), .compensationStarted(step: "b")],
            actions: [.runCompensation(step: "b")]))
        _ = try retry.handle(.compensationSucceeded(step: "b", durationMs: 1, result: ok))
        _ = try retry.handle(.compensationSucceeded(step: "a", durationMs: 1, result: ok))
        #expect(retry.phase == .rolledBack(.succeeded))
    }

    @Test func continueStrategyRunsEveryCompensationAndReportsTheFailure() throws {
        var m = try succeeded()
        _ = try m.handle(.rollback(by: "ic", strategy: .continueOnFailure, rerunInterrupted: false))
        #expect(try m.handle(.compensationFailed(step: "b", durationMs: 3, error: boom)) == Decision(
            events: [.compensationFailed(step: "b", durationMs: 3, error: boom), .compensationStarted(step: "a")],
            actions: [.runCompensation(step: "a")]))
        #expect(try m.handle(.compensationSucceeded(step: "a", durationMs: 3, result: ok)).events.last
            == .rollbackFinished(outcome: .failed))
    }

    @Test func aFailedCompensationResolvedByHandLetsTheRollbackSucceed() throws {
        var m = try succeeded()
        _ = try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        _ = try m.handle(.compensationFailed(step: "b", durationMs: 3, error: boom))
        var stopped = m
        stopped = try replayedCopy(of: stopped)
        #expect(try stopped.handle(.resolve(step: "b", resolution: .compensated, by: "ic", reason: "CNAME restored by hand")) == Decision(
            events: [.stepResolved(step: "b", resolution: .compensated, by: "ic", reason: "CNAME restored by hand")]))
        #expect(stopped.forced == ["b": .resolved(.compensated)])
        #expect(stopped.compensationPlan == ["a"])
        _ = try stopped.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        _ = try stopped.handle(.compensationSucceeded(step: "a", durationMs: 1, result: ok))
        #expect(stopped.phase == .rolledBack(.succeeded))
    }

    @Test func aRunWhoseRollbackFailedIsEndedByAbortAndReleasesItsLease() throws {
        var m = try succeeded()
        _ = try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        _ = try m.handle(.compensationFailed(step: "b", durationMs: 3, error: boom))
        var stopped = try replayedCopy(of: m)
        #expect(try stopped.handle(.abort(by: "ic", reason: "compensation cannot run")) == Decision(
            events: [.abortRequested(by: "ic", reason: "compensation cannot run"), .runFinished(outcome: .aborted)]))
        #expect(stopped.phase == .finished(.aborted))
        #expect(RunStatus.after(.runFinished(outcome: .aborted))?.holdsLease == false)
    }

    @Test func anInterruptedNonIdempotentCompensationNeedsTheOperator() throws {
        var m = try succeeded()
        _ = try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        var crashed = try replayedCopy(of: m)  // b's compensation was running when the process died
        #expect(crashed.phase == .rollingBack)
        #expect(crashed.waysOut == [.rollbackRerunningInterrupted, .resolve("b", .compensated), .resolve("b", .failed), .abort])
        let refused = #expect(throws: RunStateMachine.TransitionError.self) {
            try crashed.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        }
        #expect(refused?.description.contains("the compensation of step 'b' was interrupted and is not idempotent") == true)
        #expect(refused?.hint?.contains("--rerun-interrupted") == true)
        #expect(try crashed.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: true)) == Decision(
            events: [.compensationStarted(step: "b")], actions: [.runCompensation(step: "b")]))
    }

    @Test func anInterruptedIdempotentCompensationRunsAgain() throws {
        var m = try succeeded(idempotentUndo: true)
        _ = try m.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false))
        var crashed = try replayedCopy(of: m)
        #expect(try crashed.handle(.rollback(by: "ic", strategy: .stopOnFailure, rerunInterrupted: false)) == Decision(
            events: [.compensationStarted(step: "b")], actions: [.runCompensation(step: "b")]))
    }

    // MARK: execution-side commands

    private func failedRun() throws -> RunStateMachine {
        var m = RunStateMachine(header: TestHeaders.header([TestHeaders.step("a"), TestHeaders.step("b<a")]))
        var log = [Kind.runCreated(m.header)]
        log += try m.handle(.start(pid: 1, host: "h")).events
        log += try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: boom, jitterSample: 0)).events
        #expect(m.phase == .finished(.failed))
        return try replayed(log)
    }

    @Test func resolveNeedsAReason() throws {
        var m = try failedRun()
        let refused = #expect(throws: RunStateMachine.TransitionError.self) {
            try m.handle(.resolve(step: "a", resolution: .failed, by: "ic", reason: "  "))
        }
        #expect(refused?.hint == "say why with --reason")
    }

    @Test func aStepResolvedAsFailedIsNotRedrivenUnlessNamed() throws {
        var m = try failedRun()
        #expect(try m.handle(.resolve(step: "a", resolution: .failed, by: "ic", reason: "replica is gone")) == Decision(
            events: [.stepResolved(step: "a", resolution: .failed, by: "ic", reason: "replica is gone")]))
        #expect(m.waysOut.contains(.resumeRedriving("a")))
        var plain = m
        #expect(try plain.handle(.resume(pid: 2, host: "h", by: "ic")) == Decision(
            events: [.executorStarted(pid: 2, host: "h", resumed: true), .runFinished(outcome: .failed)]))
        #expect(try m.handle(.resume(pid: 2, host: "h", by: "ic", redrive: ["a"])) == Decision(
            events: [.executorStarted(pid: 2, host: "h", resumed: true), .stepRedriven(step: "a", by: "ic"),
                     .stepStarted(step: "a", attempt: 2)],
            actions: [.startAttempt(step: "a", attempt: 2)]))
        #expect(m.forced.isEmpty)
    }

    @Test func redriveOfAStepThatIsNotFailedIsRefused() throws {
        var m = try failedRun()
        #expect(throws: RunStateMachine.TransitionError.self) {
            try m.handle(.resume(pid: 2, host: "h", by: "ic", redrive: ["b"]))
        }
    }

    @Test func skippingAFailedStepLetsItsDependantsRunAndCountsAsForced() throws {
        var m = try failedRun()
        #expect(try m.handle(.operatorSkip(step: "a", by: "ic", reason: "done by hand")) == Decision(
            events: [.stepSkipped(step: "a", reason: "done by hand", by: "ic")]))
        #expect(m.forcedCount == 1)
        #expect(try m.handle(.resume(pid: 2, host: "h", by: "ic")) == Decision(
            events: [.executorStarted(pid: 2, host: "h", resumed: true), .stepStarted(step: "b", attempt: 1)],
            actions: [.startAttempt(step: "b", attempt: 1)]))
        _ = try m.handle(.stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok))
        #expect(m.phase == .finished(.succeeded))
        #expect(m.forced == ["a": .skipped])
    }

    @Test func skipRefusesASucceededStep() throws {
        var m = try succeeded()
        #expect(throws: RunStateMachine.TransitionError.self) {
            try m.handle(.operatorSkip(step: "a", by: "ic", reason: "no"))
        }
    }

    @Test func pauseStopsNewStepsAndIsResumable() throws {
        var m = RunStateMachine(header: TestHeaders.header([TestHeaders.step("a"), TestHeaders.step("b<a")]))
        _ = try m.handle(.start(pid: 1, host: "h"))
        #expect(try m.handle(.pause(by: "ic", reason: "network team")) == Decision(
            events: [.pauseRequested(by: "ic", reason: "network team")]))
        #expect(try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok)) == Decision(
            events: [.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok), .runPaused(reason: .requested)]))
        #expect(try m.handle(.resume(pid: 2, host: "h", by: "ic")).actions == [.startAttempt(step: "b", attempt: 1)])
    }

    @Test func pauseOfAStoppedRunIsRefused() throws {
        var m = try failedRun()
        #expect(throws: RunStateMachine.TransitionError.self) { try m.handle(.pause(by: "ic", reason: "x")) }
    }

    @Test func abortOfARunWhoseProcessDiedEndsItAtOnceAndMarksTheRunningStepUnknown() throws {
        var m = RunStateMachine(header: TestHeaders.header([TestHeaders.step("a")]))
        var log = [Kind.runCreated(m.header)]
        log += try m.handle(.start(pid: 1, host: "h")).events
        var orphan = try replayed(log)  // the executor was killed while a ran
        #expect(orphan.phase == .executing)
        #expect(try orphan.handle(.abort(by: "ic", reason: "host lost")) == Decision(
            events: [.abortRequested(by: "ic", reason: "host lost"),
                     .stepInterrupted(step: "a", attempt: 1, recovery: .unknown), .runFinished(outcome: .aborted)]))
    }

    @Test func anEndedRunRefusesAbortAndNamesNoWayOut() throws {
        var m = try failedRun()
        _ = try m.handle(.abort(by: "ic", reason: "x"))
        let refused = #expect(throws: RunStateMachine.TransitionError.self) { try m.handle(.abort(by: "ic", reason: "again")) }
        #expect(refused?.description == "cannot abort run of plan/scenario: the run has already ended (aborted)")
    }

    private func replayedCopy(of machine: RunStateMachine) throws -> RunStateMachine {
        var copy = machine
        copy.executorLost()
        return copy
    }
}

/// `resume --reload`: the run continues under corrected documents; a step that already ran and
/// would now do something else is refused unless forced.
@Suite("Run state machine: reload of corrected documents")
struct RunStateMachineReloadTests {
    private func step(_ spec: String, _ definition: String) -> StepHeader {
        var s = TestHeaders.step(spec)
        s.definition = definition
        return s
    }

    private func failedAtB() throws -> RunStateMachine {
        var m = RunStateMachine(header: TestHeaders.header([step("a", "v1"), step("b<a", "typo")]))
        _ = try m.handle(.start(pid: 1, host: "h"))
        _ = try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ActionResult(summary: "ok")))
        _ = try m.handle(.stepFailed(step: "b", attempt: 1, durationMs: 1,
                                     error: StepError(code: .invalidInput, message: "bad argv", retryable: false), jitterSample: 0))
        #expect(m.phase == .finished(.failed))
        m.executorLost()
        return m
    }

    @Test func aFixedFailedStepAndANewStepAreAccepted() throws {
        var m = try failedAtB()
        var fixed = TestHeaders.header([step("a", "v1"), step("b<a", "fixed"), step("c<b", "new")])
        fixed.documentsHash = "new-hash"
        #expect(m.reloadConflicts(fixed).isEmpty)  // b failed: it runs again, so it may change
        #expect(try m.handle(.reload(header: fixed, by: "ic", force: false)) == RunStateMachine.Decision(
            events: [.documentsReloaded(header: fixed, previousHash: "hash", by: "ic")]))
        #expect(m.header == fixed)
        #expect(m.state(of: "c") == .pending)
        #expect(m.state(of: "a") == .succeeded)
        let resumed = try m.handle(.resume(pid: 2, host: "h", by: "ic"))
        #expect(resumed.actions == [.startAttempt(step: "b", attempt: 2)])
    }

    @Test func aChangedCompletedStepIsRefusedUnlessForced() throws {
        var m = try failedAtB()
        let changed = TestHeaders.header([step("a", "v2"), step("b<a", "typo")])
        let refused = #expect(throws: RunStateMachine.TransitionError.self) {
            try m.handle(.reload(header: changed, by: "ic", force: false))
        }
        #expect(refused?.description.contains("step 'a' (succeeded) changed its parameters") == true)
        #expect(refused?.hint?.contains("--reload --force") == true)
        #expect(m.header.steps[0].definition == "v1")  // nothing changed
        let removed = TestHeaders.header([step("b", "typo")])
        #expect(throws: RunStateMachine.TransitionError.self) { try m.handle(.reload(header: removed, by: "ic", force: false)) }
    }

    @Test func aReloadReplaysToTheSameMachine() throws {
        let fixed = TestHeaders.header([step("a", "v1"), step("c", "new"), step("b<a,c", "fixed")])
        var log = [RunEvent.Kind.runCreated(TestHeaders.header([step("a", "v1"), step("b<a", "typo")]))]
        var live = RunStateMachine(header: TestHeaders.header([step("a", "v1"), step("b<a", "typo")]), runID: "r")
        for input: RunStateMachine.Input in [
            .start(pid: 1, host: "h"), .stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ActionResult(summary: "ok")),
        ] { log += try live.handle(input).events }
        live.executorLost()
        log += try live.handle(.reload(header: fixed, by: "ic", force: true)).events
        let replayed = try RunStateMachine.replay(log.map { RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: $0) })
        #expect(replayed == live)
    }
}
