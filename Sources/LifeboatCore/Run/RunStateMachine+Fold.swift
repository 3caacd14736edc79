extension RunStateMachine {
    /// Folds a recorded event into the state (and the facts its rows show), refusing transitions
    /// that cannot happen.
    public mutating func apply(_ event: RunEvent) throws(TransitionError) {
        try apply(event.kind, atMs: event.atMs)
    }

    /// Folds an event recorded at `atMs` (wall clock, UTC ms).
    mutating func apply(_ kind: RunEvent.Kind, atMs: Int64) throws(TransitionError) {
        let notification = notificationCalledFor(by: kind)
        try applyState(kind)
        recordFacts(kind, atMs: atMs)
        if let notification { notificationsDue.append(notification) }
    }

    private mutating func applyState(_ kind: RunEvent.Kind) throws(TransitionError) {
        switch kind {
        case .runCreated:
            throw invalid("runCreated", "a run is created once")
        case .executorStarted(_, _, _, let decider):
            guard phase != .rollingBack, !isRolledBack else { throw invalid("executorStarted", "the run is \(phaseName)") }
            phase = .executing
            if let decider { executorPeople.insert(decider.person) }
            probeWindows = [:]
        case .stepSkipped(let id, _, let by, _):
            try require(id, { s in
                switch s {
                case .pending, .running: return true
                case .failed, .unknown, .retryWait: return by != nil
                default: return false
                }
            }, "stepSkipped")
            states[id] = .skipped
            if by != nil { forced[id] = .skipped }
        case .stepStarted(let id, let attempt):
            try require(id, { s in
                if s == .pending { return true }
                if case .retryWait(let next, _) = s { return next == attempt }
                return false
            }, "stepStarted")
            states[id] = .running(attempt: attempt)
            attempts[id] = attempt
            goAhead.remove(id)
            queued.remove(id)
        case .notificationSent(let number, _, _):
            guard dueNotification(number) != nil else {
                throw invalid("notificationSent", "notification \(number) was never called for")
            }
            notificationsSent.insert(number)
        case .probeSamples, .probeBreached:
            try applyProbe(kind)
        case .stepQueued(let id, _, _):
            try require(id, { s in
                if s == .pending { return true }
                if case .retryWait = s { return true }
                return false
            }, "stepQueued")
            queued.insert(id)
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
            if states[id] == .pending {  // asked afresh (first time, or after a redrive): earlier approvals no longer count
                grants[id] = nil
                approvalOutcomes[id] = nil
            }
            states[id] = .awaitingApproval
        case .approvalGranted, .approvalDenied, .approvalRefused, .approvalTimedOut:
            try applyApproval(kind)
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
        case .stepResolved(let id, let resolution, _, _, _):
            try applyResolution(id, resolution)
        case .stepRedriven(let id, _, _):
            try require(id, { $0 == .failed }, "stepRedriven")
            states[id] = .pending
            failures[id] = 0
            forced[id] = nil
        case .circuitChanged(let endpoint, let state):
            applyCircuit(endpoint, state)
        case .circuitFailuresCounted(let endpoint, let count):
            breakers[endpoint] = Breaker(state: .closed(consecutiveFailures: count))
        case .stepNoted:
            break
        case .stepAnswered(let id, let answer, _, _, _, _):
            try require(id, { $0 == .pending }, "stepAnswered")
            if answer == .go { goAhead.insert(id) }
        case .abortRequested:
            if phase == .executing { setStop(.abort) }
        case .pauseRequested:
            guard phase == .executing else { throw invalid("pauseRequested", "the run is \(phaseName)") }
            if stopRequest != .abort { setStop(.pause(.requested)) }
        case .runPaused(let reason):
            guard phase == .executing else { throw invalid("runPaused", "the run is \(phaseName)") }
            phase = .paused(reason)
            setStop(nil)
        case .runFinished(let outcome):
            let allowed: Bool
            switch phase {
            case .executing: allowed = true
            case .paused, .finished(.failed), .created, .rollingBack, .rolledBack(.failed): allowed = outcome == .aborted
            default: allowed = false
            }
            guard allowed else { throw invalid("runFinished", "the run is \(phaseName)") }
            phase = .finished(outcome)
            setStop(nil)
        case .rollbackStarted(_, let strategy, _):
            switch phase {
            case .executing, .rollingBack, .rolledBack(.succeeded): throw invalid("rollbackStarted", "the run is \(phaseName)")
            default: phase = .rollingBack
            }
            rollbackStrategy = strategy
            compensationsThisRollback = []
        case .compensationStarted(let id):
            guard phase == .rollingBack else { throw invalid("compensationStarted", "no rollback is in progress") }
            try require(id, { [.succeeded, .compensating, .compensationFailed].contains($0) }, "compensationStarted")
            states[id] = .compensating
            compensationsThisRollback.insert(id)
        case .compensationSucceeded(let id, _, _):
            try require(id, { $0 == .compensating }, "compensationSucceeded")
            states[id] = .compensated
        case .compensationFailed(let id, _, _):
            try require(id, { $0 == .compensating }, "compensationFailed")
            states[id] = .compensationFailed
        case .rollbackFinished(let outcome):
            guard phase == .rollingBack else { throw invalid("rollbackFinished", "no rollback is in progress") }
            phase = .rolledBack(outcome)
        case .documentsReloaded(let newHeader, _, _, _):
            rebase(on: newHeader)
        }
    }

    func require(_ id: String, _ ok: (StepState) -> Bool, _ what: String) throws(TransitionError) {
        guard let state = states[id] else { throw invalid(what, "there is no step '\(id)' in this run") }
        guard ok(state) else { throw invalid(what, "step '\(id)' is \(Self.name(of: state))") }
    }

    private mutating func applyResolution(_ id: String, _ resolution: RunEvent.Resolution) throws(TransitionError) {
        switch resolution {
        case .succeeded, .retry:
            try require(id, { $0 == .unknown || $0 == .failed }, "stepResolved")
        case .compensated:
            try require(id, { $0 == .compensationFailed || $0 == .compensating }, "stepResolved")
        case .failed:
            try require(id, { [.unknown, .failed, .compensationFailed, .compensating].contains($0) }, "stepResolved")
        }
        switch resolution {
        case .succeeded:
            succeed(id, outputs: [:])
            forced[id] = .resolved(.succeeded)
        case .failed:
            let compensation = states[id] == .compensationFailed || states[id] == .compensating
            states[id] = compensation ? .compensationFailed : .failed
            forced[id] = .resolved(.failed)
        case .compensated:
            states[id] = .compensated
            forced[id] = .resolved(.compensated)
        case .retry:
            states[id] = .pending
            failures[id] = 0
            forced[id] = nil
        }
    }

    mutating func setStop(_ request: StopRequest?) {
        stopRequest = request
        stopRequestRecorded = request != nil
    }

    mutating func succeed(_ id: String, outputs: [String: Value]) {
        states[id] = .succeeded
        // A step has outputs exactly when it is in `completionOrder` (both are set only here, and
        // `rebase` keeps the same steps in each): only a step that succeeded before is moved.
        if self.outputs.updateValue(outputs, forKey: id) != nil {
            completionOrder.removeAll { $0 == id }
        }
        completionOrder.append(id)
    }

    var isRolledBack: Bool { if case .rolledBack = phase { return true }; return false }

    static func isRunning(_ state: StepState) -> Bool {
        if case .running = state { return true }
        return false
    }
}
