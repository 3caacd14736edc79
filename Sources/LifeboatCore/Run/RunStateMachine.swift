/// The run/step state machine: pure, no I/O, no clock.
///
/// Two entry points, one fold:
/// - `apply(_:)` folds a recorded event into the state, refusing impossible transitions. Replaying a
///   run's log through `apply` rebuilds its state after a crash.
/// - `handle(_:)` takes an input from the world (a step finished, a timer fired, an operator
///   approved), decides what happens, and returns the events to record. Each returned event has
///   already been folded through `apply`, so a live run and a replayed one cannot disagree. The
///   caller commits the events, then performs the side effects they announce (`stepStarted`,
///   `approvalRequested`, `stepRetryScheduled`, `stepInterrupted(.verify)`).
public struct RunStateMachine: Sendable {
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

    /// Inputs from the world.
    public enum Input: Sendable, Hashable {
        /// A process begins executing a new run.
        case start(pid: Int32, host: String)
        /// A process continues a stopped run: recovers interrupted steps and redrives failed ones.
        case resume(pid: Int32, host: String, by: String)
        case stepSucceeded(step: String, attempt: Int, durationMs: Int64, result: ActionResult)
        /// `jitterSample` is a uniform sample in [0, 1) for the retry delay (full jitter).
        case stepFailed(step: String, attempt: Int, durationMs: Int64, error: StepError, jitterSample: Double)
        case retryDue(step: String)
        case approvalGranted(step: String, by: String, via: String, waitMs: Int64)
        case approvalDenied(step: String, by: String, via: String, reason: String)
        case verified(step: String, result: RunEvent.VerifyResult)
        /// Verify itself failed to run.
        case verifyFailed(step: String, reason: String)
        case resolve(step: String, resolution: RunEvent.Resolution, by: String)
        case skip(step: String, reason: String)
        case release(step: String, reason: String)
        case note(step: String, text: String, by: String)
        case circuit(endpoint: String, state: RunEvent.CircuitState)
        /// Stop starting steps; pause with `reason` once running steps have finished.
        case interrupt(RunEvent.PauseReason)
        /// Stop starting steps; finish as aborted once running steps have finished.
        case abort(by: String, reason: String)
    }

    public struct TransitionError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let header: RunHeader
    public private(set) var phase: Phase = .created
    public private(set) var states: StepStates
    /// Outputs of steps that succeeded, for `${steps.ID.outputs.KEY}`.
    public private(set) var outputs: [String: [String: Value]] = [:]
    /// Failed attempts since the step was last redriven, for the retry budget.
    public private(set) var failures: [String: Int] = [:]
    /// The last attempt number started per step.
    public private(set) var attempts: [String: Int] = [:]
    /// Step ids in the order they completed (succeeded), for rollback.
    public private(set) var completionOrder: [String] = []
    /// Stop requested in this session (not persisted: a new session starts without it).
    public private(set) var stopRequest: StopRequest?

    public enum StopRequest: Sendable, Hashable {
        case pause(RunEvent.PauseReason)
        case abort
    }

    private let stepsByID: [String: StepHeader]
    /// For each step (by position), the positions of the steps it needs.
    private let needIndices: [[Int]]

    public init(header: RunHeader) {
        self.header = header
        let states = StepStates(ids: header.steps.map(\.id))
        self.states = states
        var byID: [String: StepHeader] = [:]
        for step in header.steps { byID[step.id] = step }
        self.stepsByID = byID
        self.needIndices = header.steps.map { step in step.needs.compactMap { states.position(of: $0) } }
    }

    /// Rebuilds a machine from a run's recorded events (the first must be `runCreated`).
    public static func replay(_ events: [RunEvent]) throws(TransitionError) -> RunStateMachine {
        guard let first = events.first, case .runCreated(let header) = first.kind else {
            throw TransitionError(description: "a run's log must start with runCreated")
        }
        var machine = RunStateMachine(header: header)
        for event in events.dropFirst() { try machine.apply(event.kind) }
        return machine
    }

    public func step(_ id: String) -> StepHeader? { stepsByID[id] }

    public func state(of id: String) -> StepState? { states[id] }

    /// Whether the approval engine path (not tabletop) handles this step.
    public func isEngineApproval(_ step: StepHeader) -> Bool { step.isApproval && header.mode != .tabletop }

    // MARK: - Inputs

    public mutating func handle(_ input: Input) throws(TransitionError) -> [RunEvent.Kind] {
        var out: [RunEvent.Kind] = []
        switch input {
        case .start(let pid, let host):
            guard phase == .created else { throw invalid("start", "the run has already started") }
            stopRequest = nil
            try emit(.executorStarted(pid: pid, host: host, resumed: false), into: &out)
            for step in header.steps where !step.applies {
                try emit(.stepSkipped(step: step.id, reason: "when: not in \(header.mode.rawValue) mode"), into: &out)
            }

        case .resume(let pid, let host, let by):
            switch phase {
            case .paused, .finished(.failed), .created: break
            case .executing: break  // the previous executor died without recording a stop
            default: throw invalid("resume", "the run is \(phaseName) and cannot be resumed")
            }
            stopRequest = nil
            let wasCreated = phase == .created
            try emit(.executorStarted(pid: pid, host: host, resumed: !wasCreated), into: &out)
            if wasCreated {
                for step in header.steps where !step.applies && states[step.id]! == .pending {
                    try emit(.stepSkipped(step: step.id, reason: "when: not in \(header.mode.rawValue) mode"), into: &out)
                }
            }
            for step in header.steps {
                switch states[step.id]! {
                case .running(let attempt):
                    let recovery: RunEvent.Recovery =
                        step.idempotent ? .rerun : (step.hasVerify ? .verify : .unknown)
                    try emit(.stepInterrupted(step: step.id, attempt: attempt, recovery: recovery), into: &out)
                case .verifying(let attempt):
                    try emit(.stepInterrupted(step: step.id, attempt: attempt, recovery: .verify), into: &out)
                case .retryWait(let next, _):
                    states[step.id] = .retryWait(nextAttempt: next, due: true)
                case .awaitingApproval:
                    try emit(.approvalRequested(step: step.id, prompt: "(re-requested on resume)"), into: &out)
                case .failed:
                    try emit(.stepRedriven(step: step.id, by: by), into: &out)
                default:
                    break
                }
            }

        case .stepSucceeded(let id, let attempt, let duration, let result):
            try expectRunning(id, attempt, "stepSucceeded")
            try emit(.stepSucceeded(step: id, attempt: attempt, durationMs: duration, result: result), into: &out)

        case .stepFailed(let id, let attempt, let duration, let error, let sample):
            try expectRunning(id, attempt, "stepFailed")
            try emit(.stepFailed(step: id, attempt: attempt, durationMs: duration, error: error), into: &out)
            let policy = stepsByID[id]!.retry
            if error.retryable, failures[id, default: 0] < policy.attempts, stopRequest != .abort {
                let delay = policy.delay(afterAttempt: attempt, sample: sample)
                try emit(.stepRetryScheduled(step: id, nextAttempt: attempt + 1, delayMs: delay), into: &out)
            }

        case .retryDue(let id):
            guard case .retryWait(let next, _) = states[id] else { return [] }  // stale timer
            states[id] = .retryWait(nextAttempt: next, due: true)

        case .approvalGranted(let id, let by, let via, let wait):
            guard states[id] == .awaitingApproval else { throw invalid("approvalGranted", "step '\(id)' is not awaiting approval") }
            try emit(.approvalGranted(step: id, by: by, via: via, waitMs: wait), into: &out)

        case .approvalDenied(let id, let by, let via, let reason):
            guard states[id] == .awaitingApproval else { throw invalid("approvalDenied", "step '\(id)' is not awaiting approval") }
            try emit(.approvalDenied(step: id, by: by, via: via, reason: reason), into: &out)

        case .verified(let id, let result):
            guard case .verifying = states[id] else { throw invalid("verified", "step '\(id)' is not being verified") }
            try emit(.stepVerified(step: id, outcome: result), into: &out)

        case .verifyFailed(let id, let reason):
            guard case .verifying = states[id] else { throw invalid("verifyFailed", "step '\(id)' is not being verified") }
            try emit(.stepUnknown(step: id, reason: reason), into: &out)

        case .resolve(let id, let resolution, let by):
            guard let state = states[id] else { throw invalid("resolve", "no step '\(id)'") }
            guard state == .unknown || state == .failed else {
                throw invalid("resolve", "step '\(id)' is \(Self.name(of: state)); only unknown or failed steps can be resolved")
            }
            try emit(.stepResolved(step: id, resolution: resolution, by: by), into: &out)
            return out  // resolving is done without an executor: nothing is scheduled

        case .skip(let id, let reason):
            guard case .running = states[id] else { throw invalid("skip", "step '\(id)' is not running") }
            try emit(.stepSkipped(step: id, reason: reason), into: &out)

        case .release(let id, let reason):
            guard case .running = states[id] else { throw invalid("release", "step '\(id)' is not running") }
            try emit(.stepReleased(step: id, reason: reason), into: &out)

        case .note(let id, let text, let by):
            guard states[id] != nil else { throw invalid("note", "no step '\(id)'") }
            try emit(.stepNoted(step: id, note: text, by: by), into: &out)
            return out

        case .circuit(let endpoint, let state):
            try emit(.circuitChanged(endpoint: endpoint, state: state), into: &out)
            return out

        case .interrupt(let reason):
            guard phase == .executing else { return [] }
            if stopRequest == nil { stopRequest = .pause(reason) }

        case .abort(let by, let reason):
            switch phase {
            case .executing, .paused, .finished(.failed), .created: break
            default: throw invalid("abort", "the run is \(phaseName)")
            }
            try emit(.abortRequested(by: by, reason: reason), into: &out)
            if phase != .executing {
                try emit(.runFinished(outcome: .aborted), into: &out)
                return out
            }
        }
        if phase == .executing { try settle(into: &out) }
        return out
    }

    /// Starts what can start, and ends the run when nothing more can happen.
    private mutating func settle(into out: inout [RunEvent.Kind]) throws(TransitionError) {
        if stopRequest == nil {
            var busy = states.list.reduce(0) { count, state in
                switch state {
                case .running, .verifying: return count + 1
                default: return count
                }
            }
            for (index, step) in header.steps.enumerated() where busy < max(header.concurrency, 1) {
                switch states.list[index] {
                case .pending where dependenciesMet(index):
                    if isEngineApproval(step) {
                        try emit(.approvalRequested(step: step.id, prompt: step.title), into: &out)
                    } else {
                        try emit(.stepStarted(step: step.id, attempt: attempts[step.id, default: 0] + 1), into: &out)
                        busy += 1
                    }
                case .retryWait(let next, true):
                    try emit(.stepStarted(step: step.id, attempt: next), into: &out)
                    busy += 1
                default:
                    break
                }
            }
        }
        if let ending = endingEvent() { try emit(ending, into: &out) }
    }

    private func dependenciesMet(_ index: Int) -> Bool {
        needIndices[index].allSatisfy { states.list[$0] == .succeeded || states.list[$0] == .skipped }
    }

    /// The event that ends this session's execution, if the run has come to rest.
    private func endingEvent() -> RunEvent.Kind? {
        var waiting = false
        var allDone = true
        var anyUnknown = false
        for state in states.list {
            switch state {
            case .running, .verifying: return nil
            case .retryWait, .awaitingApproval: waiting = true
            case .unknown: anyUnknown = true
            default: break
            }
            if state != .succeeded && state != .skipped { allDone = false }
        }
        switch stopRequest {
        case .abort: return .runFinished(outcome: .aborted)
        case .pause(let reason): return .runPaused(reason: reason)
        case nil: break
        }
        // Waiting on a timer or a person is not rest.
        if waiting { return nil }
        if allDone { return .runFinished(outcome: .succeeded) }
        if anyUnknown { return .runPaused(reason: .unknownStep) }
        return .runFinished(outcome: .failed)
    }

    private mutating func emit(_ kind: RunEvent.Kind, into out: inout [RunEvent.Kind]) throws(TransitionError) {
        try apply(kind)
        out.append(kind)
    }

    private func expectRunning(_ id: String, _ attempt: Int, _ input: String) throws(TransitionError) {
        guard case .running(let current) = states[id], current == attempt else {
            throw invalid(input, "step '\(id)' attempt \(attempt) is not running (state: \(states[id].map(Self.name(of:)) ?? "no such step"))")
        }
    }

    // MARK: - Fold

    /// Folds a recorded event into the state, refusing transitions that cannot happen.
    public mutating func apply(_ kind: RunEvent.Kind) throws(TransitionError) {
        func require(_ id: String, _ ok: (StepState) -> Bool, _ what: String) throws(TransitionError) {
            guard let state = states[id] else { throw invalid(what, "no step '\(id)' in this run") }
            guard ok(state) else { throw invalid(what, "step '\(id)' is \(Self.name(of: state))") }
        }
        switch kind {
        case .runCreated:
            throw invalid("runCreated", "a run is created once")
        case .executorStarted:
            guard phase != .rollingBack, !isRolledBack else { throw invalid("executorStarted", "the run is \(phaseName)") }
            phase = .executing
        case .stepSkipped(let id, _):
            try require(id, { $0 == .pending || Self.isRunning($0) }, "stepSkipped")
            states[id] = .skipped
        case .stepStarted(let id, let attempt):
            try require(id, { s in
                if s == .pending { return true }
                if case .retryWait(let next, _) = s { return next == attempt }
                return false
            }, "stepStarted")
            states[id] = .running(attempt: attempt)
            attempts[id] = attempt
        case .stepSucceeded(let id, let attempt, _, let result):
            try require(id, { $0 == .running(attempt: attempt) }, "stepSucceeded")
            succeed(id, outputs: result.outputs)
        case .stepFailed(let id, let attempt, _, _):
            try require(id, { $0 == .running(attempt: attempt) }, "stepFailed")
            states[id] = .failed
            failures[id, default: 0] += 1
        case .stepRetryScheduled(let id, let next, _):
            try require(id, { $0 == .failed }, "stepRetryScheduled")
            states[id] = .retryWait(nextAttempt: next, due: false)
        case .stepReleased(let id, _):
            try require(id, Self.isRunning, "stepReleased")
            states[id] = .pending
        case .approvalRequested(let id, _):
            try require(id, { $0 == .pending || $0 == .awaitingApproval }, "approvalRequested")
            states[id] = .awaitingApproval
        case .approvalGranted(let id, let by, let via, let wait):
            try require(id, { $0 == .awaitingApproval }, "approvalGranted")
            succeed(id, outputs: ["approved_by": .string(by), "via": .string(via), "wait_ms": .int(Int(wait))])
        case .approvalDenied(let id, _, _, _):
            try require(id, { $0 == .awaitingApproval }, "approvalDenied")
            states[id] = .failed
        case .stepInterrupted(let id, let attempt, let recovery):
            try require(id, { $0 == .running(attempt: attempt) || $0 == .verifying(attempt: attempt) }, "stepInterrupted")
            switch recovery {
            case .rerun: states[id] = .pending
            case .verify: states[id] = .verifying(attempt: attempt)
            case .unknown: states[id] = .unknown
            }
        case .stepVerified(let id, let outcome):
            try require(id, { if case .verifying = $0 { return true }; return false }, "stepVerified")
            switch outcome {
            case .done(let result): succeed(id, outputs: result.outputs)
            case .notDone: states[id] = .pending
            case .undecidable: states[id] = .unknown
            }
        case .stepUnknown(let id, _):
            try require(id, { if case .verifying = $0 { return true }; return Self.isRunning($0) }, "stepUnknown")
            states[id] = .unknown
        case .stepResolved(let id, let resolution, _):
            try require(id, { $0 == .unknown || $0 == .failed }, "stepResolved")
            switch resolution {
            case .succeeded: succeed(id, outputs: [:])
            case .failed: states[id] = .failed
            case .retry:
                states[id] = .pending
                failures[id] = 0
            }
        case .stepRedriven(let id, _):
            try require(id, { $0 == .failed }, "stepRedriven")
            states[id] = .pending
            failures[id] = 0
        case .stepNoted, .circuitChanged:
            break
        case .abortRequested:
            if phase == .executing { stopRequest = .abort }
        case .runPaused(let reason):
            guard phase == .executing else { throw invalid("runPaused", "the run is \(phaseName)") }
            phase = .paused(reason)
            stopRequest = nil
        case .runFinished(let outcome):
            let allowed: Bool
            switch phase {
            case .executing: allowed = true
            case .paused, .finished(.failed), .created: allowed = outcome == .aborted
            default: allowed = false
            }
            guard allowed else { throw invalid("runFinished", "the run is \(phaseName)") }
            phase = .finished(outcome)
            stopRequest = nil
        case .rollbackStarted:
            switch phase {
            case .executing, .rollingBack: throw invalid("rollbackStarted", "the run is \(phaseName)")
            default: phase = .rollingBack
            }
        case .compensationStarted(let id):
            guard phase == .rollingBack else { throw invalid("compensationStarted", "no rollback in progress") }
            try require(id, { [.succeeded, .compensating, .compensationFailed].contains($0) }, "compensationStarted")
            states[id] = .compensating
        case .compensationSucceeded(let id, _, _):
            try require(id, { $0 == .compensating }, "compensationSucceeded")
            states[id] = .compensated
        case .compensationFailed(let id, _, _):
            try require(id, { $0 == .compensating }, "compensationFailed")
            states[id] = .compensationFailed
        case .rollbackFinished(let outcome):
            guard phase == .rollingBack else { throw invalid("rollbackFinished", "no rollback in progress") }
            phase = .rolledBack(outcome)
        }
    }

    private mutating func succeed(_ id: String, outputs: [String: Value]) {
        states[id] = .succeeded
        self.outputs[id] = outputs
        completionOrder.removeAll { $0 == id }
        completionOrder.append(id)
    }

    private var isRolledBack: Bool { if case .rolledBack = phase { return true }; return false }

    private static func isRunning(_ state: StepState) -> Bool {
        if case .running = state { return true }
        return false
    }

    private func invalid(_ what: String, _ why: String) -> TransitionError {
        TransitionError(description: "impossible transition \(what) in run of \(header.planID)/\(header.scenario): \(why)")
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

/// Step states by position in the run's topological order, addressable by step id.
public struct StepStates: Sendable, Hashable {
    /// In `RunHeader.steps` order.
    public private(set) var list: [RunStateMachine.StepState]
    private let positions: [String: Int]

    init(ids: [String]) {
        self.list = Array(repeating: .pending, count: ids.count)
        self.positions = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func position(of id: String) -> Int? { positions[id] }

    public subscript(id: String) -> RunStateMachine.StepState? {
        get { positions[id].map { list[$0] } }
        set {
            guard let index = positions[id], let newValue else { return }
            list[index] = newValue
        }
    }
}
