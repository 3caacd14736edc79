import LifeboatCore
import LifeboatTestSupport
import Testing

private typealias Kind = RunEvent.Kind
private let ok = ActionResult(outputs: ["k": "v"], summary: "ok")
private func failure(_ retryable: Bool) -> StepError {
    StepError(code: .actionFailed, message: "boom", retryable: retryable)
}

extension RunStateMachine {
    /// The events a decision records (tables that check actions too call `handle`).
    fileprivate mutating func events(_ input: Input) throws(TransitionError) -> [RunEvent.Kind] { try handle(input).events }
}

@Suite("Run state machine: input → events")
struct RunStateMachineTests {
    private func machine(_ steps: [StepHeader], mode: RunMode = .execute, concurrency: Int = 4) -> RunStateMachine {
        RunStateMachine(header: TestHeaders.header(steps, mode: mode, concurrency: concurrency))
    }

    @Test func startRunsRootsInParallelUpToTheLimit() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b"), TestHeaders.step("c"), TestHeaders.step("d<a")], concurrency: 2)
        let events = try m.events(.start(pid: 1, host: "h"))
        #expect(events == [
            .executorStarted(pid: 1, host: "h", resumed: false),
            .stepStarted(step: "a", attempt: 1),
            .stepStarted(step: "b", attempt: 1),
        ])
    }

    @Test func successStartsDependentsAndFinishes() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.stepSucceeded(step: "a", attempt: 1, durationMs: 5, result: ok)) == [
            .stepSucceeded(step: "a", attempt: 1, durationMs: 5, result: ok),
            .stepStarted(step: "b", attempt: 1),
        ])
        #expect(try m.events(.stepSucceeded(step: "b", attempt: 1, durationMs: 5, result: ok)) == [
            .stepSucceeded(step: "b", attempt: 1, durationMs: 5, result: ok),
            .runFinished(outcome: .succeeded),
        ])
        #expect(m.outputs["a"] == ["k": "v"])
        #expect(m.completionOrder == ["a", "b"])
    }

    @Test func stepsThatDoNotApplyAreSkippedAndSatisfyDependents() throws {
        var m = machine([TestHeaders.step("cleanup", applies: false), TestHeaders.step("b<cleanup")])
        #expect(try m.events(.start(pid: 1, host: "h")) == [
            .executorStarted(pid: 1, host: "h", resumed: false),
            .stepSkipped(step: "cleanup", reason: "when: not in execute mode"),
            .stepStarted(step: "b", attempt: 1),
        ])
    }

    @Test(arguments: [
        // (sample, expected delay) for attempt 1 with base 1000 ms, full jitter.
        (0.0, Int64(0)), (0.5, Int64(500)), (0.999, Int64(999)),
    ])
    func retryableFailureSchedulesABackoffWithFullJitter(sample: Double, delay: Int64) throws {
        let policy = RetryPolicy(attempts: 3, delayMs: 1_000, maxDelayMs: 10_000, jitter: .full)
        var m = machine([TestHeaders.step("a", retry: policy)])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true), jitterSample: sample)) == [
            .stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true)),
            .stepRetryScheduled(step: "a", nextAttempt: 2, delayMs: delay),
        ])
        #expect(try m.events(.retryDue(step: "a")) == [.stepStarted(step: "a", attempt: 2)])
    }

    @Test func backoffGrowsExponentiallyAndIsCapped() {
        let policy = RetryPolicy(attempts: 10, delayMs: 500, maxDelayMs: 3_000, jitter: .none)
        #expect((1...5).map { policy.delay(afterAttempt: $0, sample: 0.3) } == [500, 1_000, 2_000, 3_000, 3_000])
    }

    /// Full jitter draws from [0, ceiling), where the ceiling is already capped by max_delay: at a
    /// late attempt the largest sample still waits less than max_delay, never base·2ⁿ.
    @Test(arguments: [1, 4, 6, 10, 40])
    func fullJitterNeverExceedsTheCap(attempt: Int) {
        let policy = RetryPolicy(attempts: 50, delayMs: 1_000, maxDelayMs: 30_000, jitter: .full)
        let largest = policy.delay(afterAttempt: attempt, sample: 0.999_999)
        let ceiling = min(30_000, 1_000 << min(attempt - 1, 30))
        #expect(largest <= 30_000)
        #expect(largest >= Int64(Double(ceiling) * 0.999))
        #expect(policy.delay(afterAttempt: attempt, sample: 0.5) == Int64(ceiling / 2))
    }

    @Test func exhaustedRetriesFailTheRun() throws {
        var m = machine([TestHeaders.step("a", retry: RetryPolicy(attempts: 2, delayMs: 10)), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true), jitterSample: 0))
        _ = try m.events(.retryDue(step: "a"))
        #expect(try m.events(.stepFailed(step: "a", attempt: 2, durationMs: 1, error: failure(true), jitterSample: 0)) == [
            .stepFailed(step: "a", attempt: 2, durationMs: 1, error: failure(true)),
            .runFinished(outcome: .failed),
        ])
    }

    @Test func nonRetryableFailureIsNotRetried() throws {
        var m = machine([TestHeaders.step("a", retry: RetryPolicy(attempts: 5, delayMs: 10))])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(false), jitterSample: 0)) == [
            .stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(false)),
            .runFinished(outcome: .failed),
        ])
    }

    @Test func independentBranchKeepsRunningAfterAFailure() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b"), TestHeaders.step("c<b")])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(false), jitterSample: 0)) == [
            .stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(false)),
        ])
        #expect(try m.events(.stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok)) == [
            .stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok),
            .stepStarted(step: "c", attempt: 1),
        ])
    }

    @Test func approvalStepWaitsForAPersonAndDoesNotCountAgainstTheLimit() throws {
        var m = machine([TestHeaders.step("ok", action: "approval"), TestHeaders.step("b"), TestHeaders.step("c<ok")], concurrency: 1)
        #expect(try m.events(.start(pid: 1, host: "h")) == [
            .executorStarted(pid: 1, host: "h", resumed: false),
            .approvalRequested(step: "ok", prompt: "Step ok"),
            .stepStarted(step: "b", attempt: 1),
        ])
        _ = try m.events(.stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ok))
        #expect(m.phase == .executing)  // still waiting for the approval: not at rest
        #expect(try m.events(.decision(step: "ok", ApprovalDecision(approved: true, caller: .named("ic"), via: "terminal"), waitMs: 42)) == [
            .approvalGranted(step: "ok", by: "ic", via: "terminal", waitMs: 42, decider: Caller.named("ic").decider),
            .stepStarted(step: "c", attempt: 1),
        ])
        #expect(m.outputs["ok"]?["approved_by"] == "ic")
    }

    @Test func deniedApprovalFailsTheRun() throws {
        var m = machine([TestHeaders.step("ok", action: "approval"), TestHeaders.step("c<ok")])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.decision(step: "ok", ApprovalDecision(approved: false, caller: .named("ic"), via: "terminal", reason: "no"), waitMs: 0)) == [
            .approvalDenied(step: "ok", by: "ic", via: "terminal", reason: "no", decider: Caller.named("ic").decider),
            .runFinished(outcome: .failed),
        ])
    }

    @Test func interruptPausesOnceRunningStepsFinish() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.interrupt(.interrupted)) == [])
        #expect(try m.events(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok)) == [
            .stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok),
            .runPaused(reason: .interrupted),
        ])
    }

    @Test func abortLetsRunningStepsFinishThenEndsTheRun() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        #expect(try m.events(.abort(by: "ic", reason: "wrong region")) == [.abortRequested(by: "ic", reason: "wrong region")])
        #expect(try m.events(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok)) == [
            .stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok),
            .runFinished(outcome: .aborted),
        ])
    }

    @Test func abortOfAStoppedRunEndsItAtOnce() throws {
        var m = machine([TestHeaders.step("a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.interrupt(.interrupted))
        _ = try m.events(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        #expect(try m.events(.abort(by: "ic", reason: "r")) == [.abortRequested(by: "ic", reason: "r"), .runFinished(outcome: .aborted)])
        #expect(throws: RunStateMachine.TransitionError.self) { try m.events(.resume(pid: 2, host: "h", by: "x")) }
    }

    // MARK: resume of each step state

    private func crashed(_ step: StepHeader) throws -> RunStateMachine {
        var m = machine([step, TestHeaders.step("after<\(step.id)")])
        _ = try m.events(.start(pid: 1, host: "h"))
        return m  // "crash": the step is recorded as running, nothing else
    }

    @Test func resumeRerunsAnInterruptedIdempotentStep() throws {
        var m = try crashed(TestHeaders.step("a", idempotent: true))
        #expect(try m.events(.resume(pid: 2, host: "h", by: "op")) == [
            .executorStarted(pid: 2, host: "h", resumed: true),
            .stepInterrupted(step: "a", attempt: 1, recovery: .rerun),
            .stepStarted(step: "a", attempt: 2),
        ])
    }

    @Test func resumeVerifiesAnInterruptedNonIdempotentStepWithVerify() throws {
        var m = try crashed(TestHeaders.step("a", hasVerify: true))
        #expect(try m.events(.resume(pid: 2, host: "h", by: "op")) == [
            .executorStarted(pid: 2, host: "h", resumed: true),
            .stepInterrupted(step: "a", attempt: 1, recovery: .verify),
        ])
        #expect(try m.events(.verified(step: "a", result: .done(ok))) == [
            .stepVerified(step: "a", outcome: .done(ok)),
            .stepStarted(step: "after", attempt: 1),
        ])
    }

    /// A crash while the verify runs leaves the step verifying: the next resume verifies again and
    /// never re-runs it (a second promote or DNS update would be a blind repeat of a done change).
    @Test func aStepInterruptedWhileVerifyingIsVerifiedAgainNotRerun() throws {
        var m = try crashed(TestHeaders.step("a", hasVerify: true))
        _ = try m.events(.resume(pid: 2, host: "h", by: "op"))
        #expect(m.state(of: "a") == .verifying(attempt: 1))
        // "crash" during the verify: nothing recorded; a third process resumes.
        #expect(try m.events(.resume(pid: 3, host: "h", by: "op")) == [
            .executorStarted(pid: 3, host: "h", resumed: true),
            .stepInterrupted(step: "a", attempt: 1, recovery: .verify),
        ])
        #expect(m.state(of: "a") == .verifying(attempt: 1))
        #expect(m.attempts["a"] == 1)
    }

    /// A verify that cannot tell (undecidable), or that fails to run at all, leaves the step unknown
    /// for a person: the step is never re-run on a guess (a second promote, a second DNS change).
    @Test(arguments: [
        RunStateMachine.Input.verified(step: "a", result: .undecidable("primary unreachable")),
        .verifyFailed(step: "a", reason: "verify command not found"),
    ])
    func aVerifyThatCannotTellLeavesTheStepUnknown(input: RunStateMachine.Input) throws {
        var m = try crashed(TestHeaders.step("a", hasVerify: true))
        _ = try m.events(.resume(pid: 2, host: "h", by: "op"))
        let events = try m.events(input)
        #expect(events.last == .runPaused(reason: .unknownStep))
        #expect(!events.contains { if case .stepStarted = $0 { return true } else { return false } })
        #expect(m.state(of: "a") == .unknown)
        #expect(m.attempts["a"] == 1)
    }

    /// Once an abort is requested, a retryable failure is not retried: the run ends aborted.
    @Test func abortStopsRetriesOfARunningStep() throws {
        var m = machine([TestHeaders.step("a", retry: RetryPolicy(attempts: 3, delayMs: 10))])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.abort(by: "ic", reason: "false alarm"))
        #expect(try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true), jitterSample: 0)) == [
            .stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true)),
            .runFinished(outcome: .aborted),
        ])
    }

    @Test func verifyNotDoneRunsTheStepAgain() throws {
        var m = try crashed(TestHeaders.step("a", hasVerify: true))
        _ = try m.events(.resume(pid: 2, host: "h", by: "op"))
        #expect(try m.events(.verified(step: "a", result: .notDone("absent"))) == [
            .stepVerified(step: "a", outcome: .notDone("absent")),
            .stepStarted(step: "a", attempt: 2),
        ])
    }

    @Test func interruptedStepWithoutVerifyBecomesUnknownAndPauses() throws {
        var m = try crashed(TestHeaders.step("a"))
        #expect(try m.events(.resume(pid: 2, host: "h", by: "op")) == [
            .executorStarted(pid: 2, host: "h", resumed: true),
            .stepInterrupted(step: "a", attempt: 1, recovery: .unknown),
            .runPaused(reason: .unknownStep),
        ])
        #expect(try m.events(.resolve(step: "a", resolution: .succeeded, by: "op", reason: "checked")) == [
            .stepResolved(step: "a", resolution: .succeeded, by: "op", reason: "checked"),
        ])
        #expect(try m.events(.resume(pid: 3, host: "h", by: "op")) == [
            .executorStarted(pid: 3, host: "h", resumed: true),
            .stepStarted(step: "after", attempt: 1),
        ])
    }

    @Test func resolveRetryRunsTheStepAgain() throws {
        var m = try crashed(TestHeaders.step("a"))
        _ = try m.events(.resume(pid: 2, host: "h", by: "op"))
        _ = try m.events(.resolve(step: "a", resolution: .retry, by: "op", reason: "checked"))
        #expect(try m.events(.resume(pid: 3, host: "h", by: "op")).contains(.stepStarted(step: "a", attempt: 2)))
    }

    @Test func resumeRedrivesAFailedRun() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(false), jitterSample: 0))
        #expect(m.phase == .finished(.failed))
        #expect(try m.events(.resume(pid: 2, host: "h", by: "op")) == [
            .executorStarted(pid: 2, host: "h", resumed: true),
            .stepRedriven(step: "a", by: "op"),
            .stepStarted(step: "a", attempt: 2),
        ])
    }

    @Test func resumeNeverRerunsCompletedSteps() throws {
        var m = machine([TestHeaders.step("a"), TestHeaders.step("b<a")])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        let events = try m.events(.resume(pid: 2, host: "h", by: "op"))
        #expect(!events.contains(.stepStarted(step: "a", attempt: 2)))
        #expect(events.contains(.stepInterrupted(step: "b", attempt: 1, recovery: .unknown)))
    }

    @Test func resumeMakesWaitingRetriesDueAndReRequestsApprovals() throws {
        var m = machine([
            TestHeaders.step("a", retry: RetryPolicy(attempts: 3, delayMs: 60_000)),
            TestHeaders.step("ok", action: "approval"),
        ])
        _ = try m.events(.start(pid: 1, host: "h"))
        _ = try m.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true), jitterSample: 0.5))
        #expect(try m.events(.resume(pid: 2, host: "h", by: "op")) == [
            .executorStarted(pid: 2, host: "h", resumed: true),
            .approvalRequested(step: "ok", prompt: "(re-requested on resume)"),
            .stepStarted(step: "a", attempt: 2),
        ])
    }

    @Test func replayRebuildsTheSameState() throws {
        var live = machine([TestHeaders.step("a", retry: RetryPolicy(attempts: 2, delayMs: 5)), TestHeaders.step("b<a")])
        var recorded: [RunEvent] = [RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: .runCreated(live.header))]
        func record(_ kinds: [Kind]) { recorded += kinds.map { RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: $0) } }
        record(try live.events(.start(pid: 1, host: "h")))
        record(try live.events(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: failure(true), jitterSample: 0)))
        record(try live.events(.retryDue(step: "a")))
        record(try live.events(.stepSucceeded(step: "a", attempt: 2, durationMs: 1, result: ok)))
        let replayed = try RunStateMachine.replay(recorded)
        #expect(replayed.states == live.states)
        #expect(replayed.phase == live.phase)
        #expect(replayed.outputs == live.outputs)
        #expect(replayed.attempts == live.attempts)
    }

    @Test(arguments: [
        Kind.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok),
        Kind.approvalGranted(step: "a", by: "x", via: "y", waitMs: 1),
        Kind.stepVerified(step: "a", outcome: .done(ok)),
        Kind.runPaused(reason: .interrupted),
        Kind.stepStarted(step: "nope", attempt: 1),
    ])
    func impossibleTransitionsFailLoudly(event: RunEvent.Kind) {
        var m = machine([TestHeaders.step("a")])
        #expect(throws: RunStateMachine.TransitionError.self) { try m.apply(RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: event)) }
    }

    @Test func tabletopTreatsApprovalsAsOrdinarySteps() throws {
        var m = machine([TestHeaders.step("ok", action: "approval", idempotent: true)], mode: .tabletop, concurrency: 1)
        #expect(try m.events(.start(pid: 1, host: "h")).contains(.stepStarted(step: "ok", attempt: 1)))
        #expect(try m.events(.interrupt(.quit)) == [])
        #expect(try m.events(.release(step: "ok", reason: "quit")) == [
            .stepReleased(step: "ok", reason: "quit"), .runPaused(reason: .quit),
        ])
    }
}

@Suite("Run state machine: circuit breakers (input → events, actions)")
struct CircuitBreakerTests {
    typealias Decision = RunStateMachine.Decision
    private let down = StepError(code: .actionFailed, message: "down", retryable: true)

    /// Steps a and b (and c) call `https://api`; retries allowed; threshold 2, cooldown 1 s.
    private func machine(steps: [String] = ["a", "b"]) throws -> RunStateMachine {
        let retry = RetryPolicy(attempts: 5, delayMs: 10, maxDelayMs: 10, jitter: .none)
        var m = RunStateMachine(header: TestHeaders.header(steps.map { TestHeaders.step($0, retry: retry) }))
        m.breakerPolicy = .init(failureThreshold: 2, cooldownMs: 1_000)
        _ = try m.handle(.start(pid: 1, host: "h"))
        return m
    }

    @Test func opensAfterThresholdHoldsCallsHalfOpensAfterCooldownAndClosesOnSuccess() throws {
        var m = try machine()
        #expect(try m.handle(.attemptPrepared(step: "a", attempt: 1, endpoint: "https://api", nowMs: 0))
            == Decision(actions: [.call(step: "a", attempt: 1)]))
        #expect(try m.handle(.attemptPrepared(step: "b", attempt: 1, endpoint: "https://api", nowMs: 0))
            == Decision(actions: [.call(step: "b", attempt: 1)]))
        #expect(try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 5)).events
            == [.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down),
                .circuitFailuresCounted(endpoint: "https://api", consecutiveFailures: 1),
                .stepRetryScheduled(step: "a", nextAttempt: 2, delayMs: 10)])
        #expect(try m.handle(.stepFailed(step: "b", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 10)).events
            == [.stepFailed(step: "b", attempt: 1, durationMs: 1, error: down),
                .circuitChanged(endpoint: "https://api", state: .open),
                .stepRetryScheduled(step: "b", nextAttempt: 2, delayMs: 10)])
        _ = try m.handle(.retryDue(step: "a"))
        // Open: the attempt is held, not failed (no retry is used up).
        #expect(try m.handle(.attemptPrepared(step: "a", attempt: 2, endpoint: "https://api", nowMs: 500))
            == Decision(actions: [.holdForCircuit(step: "a", attempt: 2, delayMs: 510)]))
        // After the cooldown: one trial call, half-open; another caller waits for it.
        #expect(try m.handle(.circuitTrialDue(step: "a", attempt: 2, nowMs: 1_010)) == Decision(
            events: [.circuitChanged(endpoint: "https://api", state: .halfOpen)], actions: [.call(step: "a", attempt: 2)]))
        _ = try m.handle(.retryDue(step: "b"))
        #expect(try m.handle(.attemptPrepared(step: "b", attempt: 2, endpoint: "https://api", nowMs: 1_011))
            == Decision(actions: [.holdForCircuit(step: "b", attempt: 2, delayMs: 1_000)]))
        #expect(try m.handle(.stepSucceeded(step: "a", attempt: 2, durationMs: 1, result: ActionResult(summary: "up"), nowMs: 1_020)).events
            == [.stepSucceeded(step: "a", attempt: 2, durationMs: 1, result: ActionResult(summary: "up")),
                .circuitChanged(endpoint: "https://api", state: .closed)])
        #expect(try m.handle(.circuitTrialDue(step: "b", attempt: 2, nowMs: 2_011)) == Decision(actions: [.call(step: "b", attempt: 2)]))
    }

    @Test func aFailedTrialReopens() throws {
        var m = try machine(steps: ["a"])
        m.breakerPolicy = .init(failureThreshold: 1, cooldownMs: 100)
        _ = try m.handle(.attemptPrepared(step: "a", attempt: 1, endpoint: "e", nowMs: 0))
        _ = try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 0))
        _ = try m.handle(.retryDue(step: "a"))
        #expect(try m.handle(.attemptPrepared(step: "a", attempt: 2, endpoint: "e", nowMs: 100)).events
            == [.circuitChanged(endpoint: "e", state: .halfOpen)])
        #expect(try m.handle(.stepFailed(step: "a", attempt: 2, durationMs: 1, error: down, jitterSample: 0, nowMs: 150)).events
            == [.stepFailed(step: "a", attempt: 2, durationMs: 1, error: down), .circuitChanged(endpoint: "e", state: .open),
                .stepRetryScheduled(step: "a", nextAttempt: 3, delayMs: 10)])
        _ = try m.handle(.retryDue(step: "a"))
        #expect(try m.handle(.attemptPrepared(step: "a", attempt: 3, endpoint: "e", nowMs: 200))
            == Decision(actions: [.holdForCircuit(step: "a", attempt: 3, delayMs: 50)]))
    }

    /// The breakers' states come back by replay; a trial a crash interrupted is not left in flight.
    @Test func replayRebuildsTheBreakersAndAResumeMakesANewTrial() throws {
        var m = try machine(steps: ["a"])
        m.breakerPolicy = .init(failureThreshold: 1, cooldownMs: 100)
        var log = [RunEvent.Kind.runCreated(m.header), .executorStarted(pid: 1, host: "h", resumed: false),
                   .stepStarted(step: "a", attempt: 1)]
        log += try m.handle(.attemptPrepared(step: "a", attempt: 1, endpoint: "e", nowMs: 0)).events
        log += try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 0)).events
        log += try m.handle(.retryDue(step: "a")).events
        log += try m.handle(.attemptPrepared(step: "a", attempt: 2, endpoint: "e", nowMs: 100)).events
        #expect(log.contains(.circuitChanged(endpoint: "e", state: .halfOpen)))
        var replayed = try RunStateMachine.replay(log.map { RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: $0) })
        #expect(replayed.breakers == m.breakers)
        replayed.breakerPolicy = m.breakerPolicy
        // The process died during the trial call: the resumed run re-runs a (idempotent or not,
        // per its header) and its next prepared attempt is the new trial, not held behind the old one.
        _ = try replayed.handle(.resume(pid: 2, host: "h", by: "op"))
        #expect(replayed.breakers["e"]?.state == .halfOpen(trialInFlight: false))
    }

    /// Failures below the threshold are recorded, so a crash between them does not reset the count:
    /// the resumed run opens the circuit at the threshold, and a success resets the count.
    @Test func failuresBelowTheThresholdSurviveReplay() throws {
        var m = try machine(steps: ["a"])
        var log = [RunEvent.Kind.runCreated(m.header), .executorStarted(pid: 1, host: "h", resumed: false),
                   .stepStarted(step: "a", attempt: 1)]
        _ = try m.handle(.attemptPrepared(step: "a", attempt: 1, endpoint: "e", nowMs: 0))
        log += try m.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 0)).events
        #expect(log.contains(.circuitFailuresCounted(endpoint: "e", consecutiveFailures: 1)))
        var replayed = try RunStateMachine.replay(log.map { RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: $0) })
        #expect(replayed.breakers["e"]?.state == .closed(consecutiveFailures: 1))
        replayed.breakerPolicy = m.breakerPolicy
        // The process died while the retry waited: resume starts attempt 2, whose failure is the second.
        #expect(try replayed.handle(.resume(pid: 2, host: "h", by: "op")).events.contains(.stepStarted(step: "a", attempt: 2)))
        _ = try replayed.handle(.attemptPrepared(step: "a", attempt: 2, endpoint: "e", nowMs: 0))
        #expect(try replayed.handle(.stepFailed(step: "a", attempt: 2, durationMs: 1, error: down, jitterSample: 0, nowMs: 1))
            .events.contains(.circuitChanged(endpoint: "e", state: .open)))

        // A success after failures records the reset.
        var fresh = try machine(steps: ["a", "b"])
        _ = try fresh.handle(.attemptPrepared(step: "a", attempt: 1, endpoint: "e", nowMs: 0))
        _ = try fresh.handle(.stepFailed(step: "a", attempt: 1, durationMs: 1, error: down, jitterSample: 0, nowMs: 0))
        _ = try fresh.handle(.attemptPrepared(step: "b", attempt: 1, endpoint: "e", nowMs: 0))
        #expect(try fresh.handle(.stepSucceeded(step: "b", attempt: 1, durationMs: 1, result: ActionResult(summary: "up"), nowMs: 1))
            .events.contains(.circuitFailuresCounted(endpoint: "e", consecutiveFailures: 0)))
        #expect(fresh.breakers["e"]?.state == .closed(consecutiveFailures: 0))
    }
}
