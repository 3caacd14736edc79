/// The run/step state machine: the one place where a run's decisions are taken. Pure: no I/O, no
/// clock.
///
/// - `handle(_:)` takes an input (a step finished, a timer fired, an operator approved, paused,
///   skipped, resolved, aborted or asked for a rollback) and returns a `Decision`: the events to
///   record and the actions for the executor to perform once they are committed (start an attempt,
///   run a verify, schedule a retry, ask for an approval, run a compensation). The executor
///   performs and never re-decides.
/// - `apply(_:)` folds a recorded event into the state, refusing impossible transitions. Every event
///   `handle` returns has already been folded through `apply`, and replaying a run's log through
///   `apply` rebuilds its state after a crash: a live run and a replayed one cannot disagree.
///
/// Composed parts: execution and retries (this file), approvals (`+Approvals`), rollback and its
/// compensations (`+Rollback`), the fold (`+Fold`) and the operator's ways out of every stopped
/// state (`+WaysOut`).
public struct RunStateMachine: Sendable, Hashable {
    public enum StepState: Sendable, Hashable {
        case pending
        case running(attempt: Int)
        /// Failed; the retry is waiting. `due` once its delay has passed (or on resume).
        case retryWait(nextAttempt: Int, due: Bool)
        case awaitingApproval
        case verifying(attempt: Int)
        case succeeded
        case failed
        case skipped
        case unknown
        case compensating
        case compensated
        case compensationFailed
    }

    public enum Phase: Sendable, Hashable {
        case created
        case executing
        case paused(RunEvent.PauseReason)
        case finished(RunEvent.RunOutcome)
        case rollingBack
        case rolledBack(RunEvent.RollbackOutcome)
    }

    /// Inputs from the world and from operators.
    public enum Input: Sendable, Hashable {
        /// A process begins executing a new run.
        case start(pid: Int32, host: String, decider: Decider? = nil)
        /// A process continues a stopped run: recovers interrupted steps and redrives failed ones
        /// (not those resolved as failed, unless named in `redrive`).
        case resume(pid: Int32, host: String, by: String, redrive: Set<String> = [], decider: Decider? = nil)
        /// The executor prepared an attempt's request: `endpoint` is what it talks to (nil when it
        /// has no remote endpoint), for the circuit breaker; `nowMs` a monotonic clock reading.
        case attemptPrepared(step: String, attempt: Int, endpoint: String?, nowMs: Int64)
        /// A held attempt's wait for its circuit is over: ask the breaker again.
        case circuitTrialDue(step: String, attempt: Int, nowMs: Int64)
        case stepSucceeded(step: String, attempt: Int, durationMs: Int64, result: ActionResult, nowMs: Int64 = 0)
        /// `jitterSample` is a uniform sample in [0, 1) for the retry delay (full jitter).
        case stepFailed(step: String, attempt: Int, durationMs: Int64, error: StepError, jitterSample: Double, nowMs: Int64 = 0)
        case retryDue(step: String)
        /// A person decided on an approval step, `waitMs` after it was requested: it counts, or is
        /// recorded as refused (`+Approvals`).
        case decision(step: String, ApprovalDecision, waitMs: Int64)
        /// The approval step's `timeout:` passed with no decision.
        case approvalTimeout(step: String, waitedMs: Int64)
        case verified(step: String, result: RunEvent.VerifyResult)
        /// Verify itself failed to run.
        case verifyFailed(step: String, reason: String)
        /// An operator decides a step by hand (unknown, failed, or a failed compensation).
        case resolve(step: String, resolution: RunEvent.Resolution, by: String, reason: String, decider: Decider? = nil)
        /// Tabletop: the team skipped the step being walked through.
        case skip(step: String, reason: String)
        /// An operator skips a pending, failed or unknown step: its dependants may run (forced).
        case operatorSkip(step: String, by: String, reason: String, decider: Decider? = nil)
        case release(step: String, reason: String)
        case note(step: String, text: String, by: String, decider: Decider? = nil)
        /// `run --step`: the operator answered the question `askToGo` put (`reason` for skip and pause).
        case answer(step: String, answer: RunEvent.StepAnswer, by: String, reason: String?, waitMs: Int64, decider: Decider? = nil)
        /// Stop starting steps; pause with `reason` once running steps have finished (SIGINT).
        case interrupt(RunEvent.PauseReason)
        /// An operator pauses the executing run: no new step starts; it is resumable.
        case pause(by: String, reason: String, decider: Decider? = nil)
        /// Stop starting steps; finish as aborted once running steps have finished. A run no
        /// process executes ends at once.
        case abort(by: String, reason: String, decider: Decider? = nil)
        /// Run (or continue, or retry) the compensations of completed steps. `rerunInterrupted`
        /// allows re-running a non-idempotent compensation a crash interrupted.
        case rollback(by: String, strategy: RunEvent.RollbackStrategy, rerunInterrupted: Bool, decider: Decider? = nil)
        case compensationSucceeded(step: String, durationMs: Int64, result: ActionResult)
        case compensationFailed(step: String, durationMs: Int64, error: StepError)
        /// `resume --reload`: continue with corrected documents, whose run header is `header`. A
        /// step that already ran and would now do something else is refused unless `force`.
        case reload(header: RunHeader, by: String, force: Bool, decider: Decider? = nil)
        /// The executor sent (or gave up sending) plan-level notification `number`.
        case notificationSent(number: Int, outcome: String)
        /// The executor's steady-state probes took these samples (`+Probes`).
        case probeSamples([ProbeSample])
    }

    /// A side effect for the executor, to start once the decision's events are committed.
    public enum Action: Sendable, Hashable {
        /// Prepare the attempt's request (render its parameters) and report its endpoint.
        case startAttempt(step: String, attempt: Int)
        /// Run the prepared attempt's action (its circuit allows the call).
        case call(step: String, attempt: Int)
        /// Wait `delayMs` for the endpoint's circuit, then report `circuitTrialDue`.
        case holdForCircuit(step: String, attempt: Int, delayMs: Int64)
        case runVerify(step: String, attempt: Int)
        case scheduleRetry(step: String, delayMs: Int64)
        case requestApproval(step: String)
        /// `run --step`: ask the operator whether the step may start (go, skip or pause).
        case askToGo(step: String)
        /// The step was decided: stop asking for it at this terminal.
        case withdrawApproval(step: String)
        case runCompensation(step: String)
        /// Send plan-level notification `number` (`dueNotification`) to the plan's `notify:` targets.
        case notify(number: Int)
        /// Start sampling steady-state probe `probe` every interval until the session ends.
        case startProbe(probe: String)
    }

    /// What the machine decided for one input: record `events`, then perform `actions`.
    public struct Decision: Sendable, Hashable {
        public var events: [RunEvent.Kind] = []
        public var actions: [Action] = []
        /// When the events are recorded (wall clock, UTC ms): the time `handle` was given.
        public var atMs: Int64 = 0
        public init(events: [RunEvent.Kind] = [], actions: [Action] = [], atMs: Int64 = 0) {
            self.events = events
            self.actions = actions
            self.atMs = atMs
        }
    }

    /// An outcome an operator forced on a step instead of the step earning it.
    public enum Forced: Sendable, Hashable {
        case resolved(RunEvent.Resolution)
        case skipped
    }

    public struct TransitionError: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// What the operator can do instead, for the message's hint.
        public var hint: String?
    }

    /// The run's header: from `runCreated`, or from the last `documentsReloaded`.
    public internal(set) var header: RunHeader
    public internal(set) var phase: Phase = .created
    public internal(set) var states: StepStates
    /// Outputs of steps that succeeded, for `${steps.ID.outputs.KEY}`.
    public internal(set) var outputs: [String: [String: Value]] = [:]
    /// Failed attempts since the step was last redriven, for the retry budget.
    public internal(set) var failures: [String: Int] = [:]
    /// The last attempt number started per step.
    public internal(set) var attempts: [String: Int] = [:]
    /// Step ids in the order they completed (succeeded), for rollback.
    public internal(set) var completionOrder: [String] = []
    /// Outcomes forced by operators (resolve, skip), by step.
    public internal(set) var forced: [String: Forced] = [:]
    /// The strategy of the rollback in progress (or last run).
    public internal(set) var rollbackStrategy: RunEvent.RollbackStrategy = .stopOnFailure
    /// Compensations started in the rollback in progress: each runs at most once per rollback.
    public internal(set) var compensationsThisRollback: Set<String> = []
    /// Stop requested (recorded by `abortRequested` / `pauseRequested`, or SIGINT in this session).
    public internal(set) var stopRequest: StopRequest?
    /// Whether `stopRequest` came from a recorded event (it survives the executor; SIGINT does not).
    var stopRequestRecorded = false
    /// Circuit breakers by endpoint (`+Breakers`), and the endpoint of each step's running attempt.
    public internal(set) var breakers: [String: Breaker] = [:]
    var endpointOfStep: [String: String] = [:]
    /// The breakers' policy: the executor's configuration (not recorded; replay uses the default).
    public var breakerPolicy = CircuitBreaker.Policy()
    /// `run --step` / `resume --step`: the executor's configuration (not recorded). A step starts
    /// only once an operator said go for it; one question is open at a time.
    public var stepByStep = false
    /// Plan-level notifications the log called for, in order (`+Notifications`), and those recorded
    /// as sent.
    public internal(set) var notificationsDue: [DueNotification] = []
    public internal(set) var notificationsSent: Set<Int> = []
    /// Each probe's recent samples, for its abort criterion (`+Probes`).
    var probeWindows: [String: ProbeWindow] = [:]
    /// Probes started with this executor whose first sample is not in yet: no step starts before
    /// the steady state is known (this executor's, not recorded).
    public internal(set) var probesAwaitingFirstSample: Set<String> = []
    /// Steps waiting for room in their bulkhead (`stepQueued` recorded, not started since).
    public internal(set) var queued: Set<String> = []
    /// Steps an operator said go for at `--step` that have not started since.
    public internal(set) var goAhead: Set<String> = []
    /// The step whose `--step` question is open (this executor's, not recorded).
    public internal(set) var questionOpen: String?
    /// The last monotonic clock reading an input carried (0 in a replayed machine).
    var clockMs: Int64 = 0
    /// Whether this machine belongs to the process executing the run (set by `start`, `resume` and
    /// `rollback`; never by replay). A replayed machine whose phase says executing or rolling back
    /// is a run whose process stopped: operator commands treat it as stopped.
    public internal(set) var hasExecutor = false
    /// Approvals counted towards each approval step's quorum, in order (`+Approvals`).
    public internal(set) var grants: [String: [Decider]] = [:]
    /// How each decided approval step was decided ("approved by alice, bob"), for refusals.
    var approvalOutcomes: [String: String] = [:]
    /// The people who started or resumed the run, for separation of duties.
    public internal(set) var executorPeople: Set<String> = []
    /// What the rows show beyond the state (`+Rows`).
    var stepFacts: [String: StepFacts] = [:]
    var runFacts = RunFacts()

    public enum StopRequest: Sendable, Hashable {
        case pause(RunEvent.PauseReason)
        case abort
    }

    private(set) var stepsByID: [String: StepHeader]

    /// A created run's machine: `runID` and `createdAtMs` (its `runCreated` event's) are for its rows.
    public init(header: RunHeader, runID: String = "", createdAtMs: Int64 = 0) {
        self.header = header
        self.states = StepStates(steps: header.steps)
        self.stepsByID = [:]
        self.runFacts = RunFacts(runID: runID, created: header, createdAtMs: createdAtMs, updatedAtMs: createdAtMs)
        index()
    }

    /// Rebuilds the lookups of the header's steps.
    private mutating func index() {
        stepsByID = Dictionary(header.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Continues under `newHeader` (`documentsReloaded`): steps keep their state by id, new steps
    /// are pending, removed steps are forgotten.
    mutating func rebase(on newHeader: RunHeader) {
        let old = states
        var states = StepStates(steps: newHeader.steps)
        for step in newHeader.steps { if let state = old[step.id] { states[step.id] = state } }
        let kept = Set(newHeader.steps.map(\.id))
        outputs = outputs.filter { kept.contains($0.key) }
        failures = failures.filter { kept.contains($0.key) }
        attempts = attempts.filter { kept.contains($0.key) }
        forced = forced.filter { kept.contains($0.key) }
        grants = grants.filter { kept.contains($0.key) }
        approvalOutcomes = approvalOutcomes.filter { kept.contains($0.key) }
        stepFacts = stepFacts.filter { kept.contains($0.key) }
        completionOrder = completionOrder.filter { kept.contains($0) }
        self.states = states
        header = newHeader
        index()
    }

    /// The steps whose effect may be in place (succeeded, unknown, interrupted, compensated…) and
    /// whose definition differs in `newHeader`, with what changed: what `resume --reload` refuses
    /// without `--force`. A failed, skipped or waiting step may change: it runs again or not at all.
    public func reloadConflicts(_ newHeader: RunHeader) -> [String] {
        let next = Dictionary(newHeader.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return header.steps.compactMap { step in
            switch states[step.id]! {
            case .pending, .failed, .retryWait, .skipped, .awaitingApproval: return nil
            default: break
            }
            guard let new = next[step.id] else { return "step '\(step.id)' (\(Self.name(of: states[step.id]!))) was removed" }
            if new.action != step.action { return "step '\(step.id)' (\(Self.name(of: states[step.id]!))) changed its action from \(step.action) to \(new.action)" }
            if step.definition == nil || new.definition != step.definition {
                return "step '\(step.id)' (\(Self.name(of: states[step.id]!))) changed its parameters"
            }
            return nil
        }
    }

    /// Rebuilds a machine from a run's recorded events (the first must be `runCreated`).
    public static func replay(_ events: [RunEvent]) throws(TransitionError) -> RunStateMachine {
        guard let first = events.first, case .runCreated(let header) = first.kind else {
            throw TransitionError(description: "a run's log must start with runCreated")
        }
        var machine = RunStateMachine(header: header, runID: first.runID, createdAtMs: first.atMs)
        for event in events.dropFirst() { try machine.apply(event) }
        return machine
    }

    public func step(_ id: String) -> StepHeader? { stepsByID[id] }

    /// When the run was created (wall clock, UTC ms): its elapsed time counts from there.
    public var createdAtMs: Int64 { runFacts.createdAtMs }

    public func state(of id: String) -> StepState? { states[id] }

    /// Whether the approval engine path (not tabletop) handles this step.
    public func isEngineApproval(_ step: StepHeader) -> Bool { step.isApproval && header.mode != .tabletop }

    /// How many steps carry an outcome an operator forced (resolve, skip).
    public var forcedCount: Int { forced.count }

    /// Whether the run has reached an end state (it holds no lease and nothing more can happen
    /// to it but an optional rollback).
    public var hasEnded: Bool {
        switch phase {
        case .finished(.succeeded), .finished(.aborted), .rolledBack(.succeeded): return true
        default: return false
        }
    }

    /// Whether a process is executing the run right now (as far as this machine knows).
    var isLive: Bool { hasExecutor && (phase == .executing || phase == .rollingBack) }

    /// The executing process is gone (killed, crashed): the machine becomes what a replay of the
    /// recorded events gives, which is what the next process or operator command sees.
    public mutating func executorLost() {
        hasExecutor = false
        probesAwaitingFirstSample = []
        if !stopRequestRecorded { stopRequest = nil }
    }

    // MARK: - Inputs

    /// `atMs`: the wall-clock time (UTC ms) the decision's events will be recorded with.
    public mutating func handle(_ input: Input, atMs: Int64 = 0) throws(TransitionError) -> Decision {
        var out = Decision(atMs: atMs)
        switch input {
        case .start(let pid, let host, let decider):
            guard phase == .created else { throw invalid("start", "the run has already started") }
            stopRequest = nil
            stopRequestRecorded = false
            hasExecutor = true
            try emit(.executorStarted(pid: pid, host: host, resumed: false, decider: decider), into: &out)
            for step in header.steps where !step.applies {
                try emit(.stepSkipped(step: step.id, reason: "when: not in \(header.mode.rawValue) mode"), into: &out)
            }

        case .resume(let pid, let host, let by, let redrive, let decider):
            try resume(pid: pid, host: host, by: by, redrive: redrive, decider: decider, into: &out)

        case .attemptPrepared(let id, let attempt, let endpoint, let now):
            try decideCall(id, attempt: attempt, endpoint: endpoint, nowMs: now, into: &out)
            return out

        case .notificationSent(let number, let outcome):
            guard let due = dueNotification(number), !notificationsSent.contains(number) else { return out }
            try emit(.notificationSent(number: number, trigger: due.trigger, outcome: outcome), into: &out)
            return out

        case .probeSamples(let samples):
            try takeSamples(samples, into: &out)

        case .circuitTrialDue(let id, let attempt, let now):
            try decideCall(id, attempt: attempt, endpoint: endpointOfStep[id], nowMs: now, into: &out)
            return out

        case .stepSucceeded(let id, let attempt, let duration, let result, let now):
            try expectRunning(id, attempt, "stepSucceeded")
            try emit(.stepSucceeded(step: id, attempt: attempt, durationMs: duration, result: result), into: &out)
            try recordCall(id, success: true, nowMs: now, into: &out)

        case .stepFailed(let id, let attempt, let duration, let error, let sample, let now):
            try expectRunning(id, attempt, "stepFailed")
            try emit(.stepFailed(step: id, attempt: attempt, durationMs: duration, error: error), into: &out)
            try recordCall(id, success: false, nowMs: now, into: &out)
            let policy = stepsByID[id]!.retry
            if error.retryable, failures[id, default: 0] < policy.attempts, stopRequest != .abort {
                let delay = policy.delay(afterAttempt: attempt, sample: sample)
                try emit(.stepRetryScheduled(step: id, nextAttempt: attempt + 1, delayMs: delay), into: &out)
            }

        case .retryDue(let id):
            guard case .retryWait(let next, _) = states[id] else { return out }  // stale timer
            states[id] = .retryWait(nextAttempt: next, due: true)

        case .decision(let id, let decision, let wait):
            try decide(id, decision, waitMs: wait, into: &out)

        case .approvalTimeout(let id, let waited):
            guard states[id] == .awaitingApproval, let step = stepsByID[id] else { return out }  // decided meanwhile
            try emit(.approvalTimedOut(step: id, waitedMs: waited, then: step.approvalRule.onTimeout), into: &out)

        case .verified(let id, let result):
            guard case .verifying = states[id] else { throw invalid("verified", "step '\(id)' is not being verified") }
            try emit(.stepVerified(step: id, outcome: result), into: &out)

        case .verifyFailed(let id, let reason):
            guard case .verifying = states[id] else { throw invalid("verifyFailed", "step '\(id)' is not being verified") }
            try emit(.stepUnknown(step: id, reason: reason), into: &out)

        case .resolve(let id, let resolution, let by, let reason, let decider):
            try resolve(id, resolution, by: by, reason: reason, decider: decider, into: &out)
            return out  // resolving is done without an executor: nothing is scheduled

        case .skip(let id, let reason):
            guard case .running = states[id] else { throw invalid("skip", "step '\(id)' is not running") }
            try emit(.stepSkipped(step: id, reason: reason), into: &out)

        case .operatorSkip(let id, let by, let reason, let decider):
            try operatorSkip(id, by: by, reason: reason, decider: decider, into: &out)

        case .release(let id, let reason):
            guard case .running = states[id] else { throw invalid("release", "step '\(id)' is not running") }
            try emit(.stepReleased(step: id, reason: reason), into: &out)

        case .note(let id, let text, let by, let decider):
            guard states[id] != nil else { throw invalid("note", "there is no step '\(id)'") }
            try emit(.stepNoted(step: id, note: text, by: by, decider: decider), into: &out)
            return out

        case .answer(let id, let answer, let by, let reason, let wait, let decider):
            guard questionOpen == id else { throw invalid("answer", "no question is open for step '\(id)'") }
            questionOpen = nil
            try emit(.stepAnswered(step: id, answer: answer, by: by, reason: reason, waitMs: wait, decider: decider), into: &out)
            switch answer {
            case .go: break
            case .skip: try emit(.stepSkipped(step: id, reason: reason ?? "skipped at --step", by: by, decider: decider), into: &out)
            case .pause:
                if stopRequest == nil {
                    try emit(.pauseRequested(by: by, reason: reason ?? "paused at --step before \(id)", decider: decider), into: &out)
                }
            }

        case .interrupt(let reason):
            guard phase == .executing else { return out }
            if stopRequest == nil { stopRequest = .pause(reason) }

        case .pause(let by, let reason, let decider):
            guard isLive, phase == .executing else {
                throw invalid("pause", "no process is executing it (\(phaseName)): it is already stopped")
            }
            guard stopRequest != .abort else { throw invalid("pause", "it is being aborted") }
            try emit(.pauseRequested(by: by, reason: reason, decider: decider), into: &out)

        case .abort(let by, let reason, let decider):
            try abort(by: by, reason: reason, decider: decider, into: &out)
            if phase != .executing { return out }

        case .reload(let newHeader, let by, let force, let decider):
            guard !isLive else { throw invalid("reload", "a process is executing it") }
            switch phase {
            case .created, .executing, .paused, .finished(.failed): break
            default: throw invalid("reload", "the run is \(phaseName): only a run that can resume can reload its documents")
            }
            let conflicts = reloadConflicts(newHeader)
            if !conflicts.isEmpty && !force {
                throw invalid(
                    "reload", conflicts.joined(separator: "; "),
                    hint: "undo that change, or continue anyway with `lifeboat resume RUN --reload --force`")
            }
            try emit(.documentsReloaded(header: newHeader, previousHash: header.documentsHash, by: by, decider: decider), into: &out)
            return out

        case .rollback(let by, let strategy, let rerunInterrupted, let decider):
            try rollback(by: by, strategy: strategy, rerunInterrupted: rerunInterrupted, decider: decider, into: &out)
            return out

        case .compensationSucceeded(let id, let duration, let result):
            guard states[id] == .compensating else { throw invalid("compensationSucceeded", "step '\(id)' is not being compensated") }
            try emit(.compensationSucceeded(step: id, durationMs: duration, result: result), into: &out)
            try continueRollback(into: &out)
            return out

        case .compensationFailed(let id, let duration, let error):
            guard states[id] == .compensating else { throw invalid("compensationFailed", "step '\(id)' is not being compensated") }
            try emit(.compensationFailed(step: id, durationMs: duration, error: error), into: &out)
            if rollbackStrategy == .stopOnFailure {
                try emit(.rollbackFinished(outcome: .failed), into: &out)
            } else {
                try continueRollback(into: &out)
            }
            return out
        }
        if phase == .executing && hasExecutor { try settle(into: &out) }
        return out
    }

    private mutating func resume(
        pid: Int32, host: String, by: String, redrive: Set<String>, decider: Decider?, into out: inout Decision
    ) throws(TransitionError) {
        switch phase {
        case .paused, .finished(.failed), .created: break
        case .executing: break  // the previous executor died without recording a stop (the executor lock says so)
        case .rollingBack, .rolledBack(.failed):
            throw invalid("resume", "the run is \(phaseName)", hint: "continue the rollback with `lifeboat rollback RUN`, or end the run with `lifeboat abort RUN`")
        default: throw invalid("resume", "the run is \(phaseName) and cannot be resumed")
        }
        for id in redrive.sorted() where states[id] != .failed {
            throw invalid("resume --redrive", "step '\(id)' is \(states[id].map(Self.name(of:)) ?? "not in this run"), not failed")
        }
        stopRequest = nil
        stopRequestRecorded = false
        hasExecutor = true
        forgetTrialsInFlight()
        let calledFor = notificationsDue.count
        defer {
            // What the previous executor did not get to send goes out again, under the same keys.
            for due in unsentNotifications where due.number <= calledFor { out.actions.append(.notify(number: due.number)) }
        }
        let wasCreated = phase == .created
        try emit(.executorStarted(pid: pid, host: host, resumed: !wasCreated, decider: decider), into: &out)
        if wasCreated {
            for step in header.steps where !step.applies && states[step.id]! == .pending {
                try emit(.stepSkipped(step: step.id, reason: "when: not in \(header.mode.rawValue) mode"), into: &out)
            }
        }
        for step in header.steps {
            switch states[step.id]! {
            case .running(let attempt):
                let recovery: RunEvent.Recovery = step.idempotent ? .rerun : (step.hasVerify ? .verify : .unknown)
                try emit(.stepInterrupted(step: step.id, attempt: attempt, recovery: recovery), into: &out)
            case .verifying(let attempt):
                try emit(.stepInterrupted(step: step.id, attempt: attempt, recovery: .verify), into: &out)
            case .retryWait(let next, _):
                states[step.id] = .retryWait(nextAttempt: next, due: true)
            case .awaitingApproval:
                try emit(.approvalRequested(step: step.id, prompt: "(re-requested on resume)"), into: &out)
            case .failed where forced[step.id] != .resolved(.failed) || redrive.contains(step.id):
                try emit(.stepRedriven(step: step.id, by: by, decider: decider), into: &out)
            default:
                break
            }
        }
    }

    private mutating func resolve(
        _ id: String, _ resolution: RunEvent.Resolution, by: String, reason: String, decider: Decider?,
        into out: inout Decision
    ) throws(TransitionError) {
        guard let state = states[id] else { throw invalid("resolve", "there is no step '\(id)'") }
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw invalid("resolve", "a resolution needs a reason", hint: "say why with --reason")
        }
        guard !isLive else { throw invalid("resolve", "a process is executing it") }
        guard !hasEnded else { throw invalid("resolve", "the run has ended (\(phaseName))") }
        let rollingBack = phase == .rollingBack || phase == .rolledBack(.failed)
        let allowed: [RunEvent.Resolution]
        switch state {
        case .unknown, .failed: allowed = rollingBack ? [] : [.succeeded, .failed, .retry]
        case .compensationFailed, .compensating: allowed = rollingBack ? [.compensated, .failed] : []
        default: allowed = []
        }
        guard allowed.contains(resolution) else {
            let why = allowed.isEmpty
                ? "only unknown or failed steps (while the run can resume) and failed compensations (while it rolls back) can be resolved"
                : "a step that is \(Self.name(of: state)) can be resolved as \(allowed.map(\.rawValue).joined(separator: ", "))"
            throw invalid("resolve", "step '\(id)' is \(Self.name(of: state)); \(why)")
        }
        try emit(.stepResolved(step: id, resolution: resolution, by: by, reason: reason, decider: decider), into: &out)
    }

    private mutating func operatorSkip(_ id: String, by: String, reason: String, decider: Decider?, into out: inout Decision)
        throws(TransitionError)
    {
        guard let state = states[id] else { throw invalid("skip", "there is no step '\(id)'") }
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw invalid("skip", "skipping a step needs a reason", hint: "say why with --reason")
        }
        guard !isLive else { throw invalid("skip", "a process is executing it", hint: "pause it first with `lifeboat pause RUN`") }
        switch phase {
        case .created, .executing, .paused, .finished(.failed): break
        default: throw invalid("skip", "the run is \(phaseName)")
        }
        switch state {
        case .pending, .failed, .unknown, .retryWait: break
        default:
            throw invalid("skip", "step '\(id)' is \(Self.name(of: state)); only pending, failed or unknown steps can be skipped")
        }
        try emit(.stepSkipped(step: id, reason: reason, by: by, decider: decider), into: &out)
    }

    private mutating func abort(by: String, reason: String, decider: Decider?, into out: inout Decision) throws(TransitionError) {
        guard !hasEnded else { throw invalid("abort", "the run has already ended (\(phaseName))") }
        if isLive && phase == .rollingBack {
            throw invalid("abort", "a rollback is running", hint: "let it finish, then abort the run if it failed")
        }
        try emit(.abortRequested(by: by, reason: reason, decider: decider), into: &out)
        if isLive { return }  // running steps finish (or time out) and are recorded; nothing new starts
        // No process executes the run: what it was doing when it stopped cannot be known now.
        for step in header.steps {
            switch states[step.id]! {
            case .running(let attempt), .verifying(let attempt):
                try emit(.stepInterrupted(step: step.id, attempt: attempt, recovery: .unknown), into: &out)
            default: break
            }
        }
        try emit(.runFinished(outcome: .aborted), into: &out)
    }

    /// Starts what can start, and ends the run when nothing more can happen.
    private mutating func settle(into out: inout Decision) throws(TransitionError) {
        if stopRequest == nil && probesAwaitingFirstSample.isEmpty {
            var busy = states.busyCount
            // Only the steps that may start are visited, in the header's order; one that becomes
            // startable while this loop emits is still reached, since the next is looked up each time.
            var visited = -1
            while busy < max(header.concurrency, 1), let index = states.firstStartable(after: visited) {
                visited = index
                switch states.list[index] {
                case .pending:
                    let step = header.steps[index]
                    if !isEngineApproval(step), try !roomInBulkhead(step, into: &out) {
                        continue
                    }
                    if isEngineApproval(step) {
                        try emit(.approvalRequested(step: step.id, prompt: step.title), into: &out)
                    } else if stepByStep && header.mode != .tabletop && !goAhead.contains(step.id) {
                        if questionOpen == nil {
                            questionOpen = step.id
                            out.actions.append(.askToGo(step: step.id))
                        }
                    } else {
                        try emit(.stepStarted(step: step.id, attempt: attempts[step.id, default: 0] + 1), into: &out)
                        busy += 1
                    }
                case .retryWait(let next, true):
                    let step = header.steps[index]
                    guard try roomInBulkhead(step, into: &out) else { continue }
                    try emit(.stepStarted(step: step.id, attempt: next), into: &out)
                    busy += 1
                default:
                    break
                }
            }
        }
        if let ending = endingEvent() { try emit(ending, into: &out) }
    }

    /// Whether `step` may start now as far as its bulkhead goes; when it may not, records once that
    /// it waits (`stepQueued`).
    private mutating func roomInBulkhead(_ step: StepHeader, into out: inout Decision) throws(TransitionError) -> Bool {
        guard let key = step.bulkhead, let limit = header.bulkheads?[key] else { return true }
        var running = 0
        for (index, other) in header.steps.enumerated() where other.bulkhead == key {
            switch states.list[index] {
            case .running, .verifying: running += 1
            default: break
            }
        }
        if running < limit { return true }
        if !queued.contains(step.id) { try emit(.stepQueued(step: step.id, bulkhead: key, limit: limit), into: &out) }
        return false
    }

    /// The event that ends this session's execution, if the run has come to rest.
    private func endingEvent() -> RunEvent.Kind? {
        if states.busyCount > 0 { return nil }
        let waiting = states.waitingCount > 0
        let allDone = states.notDoneCount == 0
        let anyUnknown = states.unknownCount > 0
        switch stopRequest {
        case .abort: return .runFinished(outcome: .aborted)
        case .pause(let reason): return .runPaused(reason: reason)
        case nil: break
        }
        // Waiting on a timer, a person or the probes' first samples is not rest.
        if waiting || questionOpen != nil || !probesAwaitingFirstSample.isEmpty { return nil }
        if allDone { return .runFinished(outcome: .succeeded) }
        if anyUnknown { return .runPaused(reason: .unknownStep) }
        return .runFinished(outcome: .failed)
    }

    /// Folds `kind`, records it in the decision, and adds the action it announces (and the
    /// notification it calls for).
    mutating func emit(_ kind: RunEvent.Kind, into out: inout Decision) throws(TransitionError) {
        let due = notificationsDue.count
        try apply(kind, atMs: out.atMs)
        out.events.append(kind)
        if let action = action(announcedBy: kind) { out.actions.append(action) }
        let probes = probesStarted(by: kind)
        out.actions += probes.map { .startProbe(probe: $0) }
        if case .executorStarted = kind { probesAwaitingFirstSample = Set(probes) }
        if notificationsDue.count > due, let last = notificationsDue.last { out.actions.append(.notify(number: last.number)) }
    }

    /// The side effect an intent event announces (folded already), performed after the event is
    /// committed.
    private func action(announcedBy kind: RunEvent.Kind) -> Action? {
        switch kind {
        case .stepStarted(let id, let attempt): return .startAttempt(step: id, attempt: attempt)
        case .stepRetryScheduled(let id, _, let delay): return .scheduleRetry(step: id, delayMs: delay)
        case .approvalRequested(let id, _): return .requestApproval(step: id)
        case .stepInterrupted(let id, let attempt, .verify): return .runVerify(step: id, attempt: attempt)
        case .approvalGranted(let id, _, _, _, _), .approvalDenied(let id, _, _, _, _):
            // An approval short of its quorum leaves the step waiting.
            return states[id] == .awaitingApproval ? nil : .withdrawApproval(step: id)
        case .approvalTimedOut(let id, _, _): return .withdrawApproval(step: id)
        case .compensationStarted(let id): return .runCompensation(step: id)
        default: return nil
        }
    }

    private func expectRunning(_ id: String, _ attempt: Int, _ input: String) throws(TransitionError) {
        guard case .running(let current) = states[id], current == attempt else {
            throw invalid(input, "step '\(id)' attempt \(attempt) is not running (state: \(states[id].map(Self.name(of:)) ?? "no such step"))")
        }
    }

    func invalid(_ what: String, _ why: String, hint: String? = nil) -> TransitionError {
        TransitionError(
            description: "cannot \(what) run of \(header.planID)/\(header.scenario): \(why)",
            hint: hint ?? waysOutHint)
    }

    public var phaseName: String {
        switch phase {
        case .created: return "created"
        case .executing: return "executing"
        case .paused(let r): return "paused (\(r.rawValue))"
        case .finished(let o): return o.rawValue
        case .rollingBack: return "rolling back"
        case .rolledBack(let o): return o == .succeeded ? "rolled back" : "rollback failed"
        }
    }

    public static func name(of state: StepState) -> String {
        switch state {
        case .pending: return "pending"
        case .running(let a): return "running (attempt \(a))"
        case .retryWait(let n, _): return "waiting to retry (attempt \(n))"
        case .awaitingApproval: return "awaiting approval"
        case .verifying: return "verifying"
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .skipped: return "skipped"
        case .unknown: return "unknown"
        case .compensating: return "compensating"
        case .compensated: return "compensated"
        case .compensationFailed: return "compensation failed"
        }
    }
}
