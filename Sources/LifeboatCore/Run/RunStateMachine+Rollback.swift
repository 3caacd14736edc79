/// Rollback: the compensations (`rollback:`) of completed steps, in reverse order of completion, one
/// at a time. A failed compensation can be retried (`rollback` again), resolved by hand
/// (`resolve --as compensated|failed`), or the run ended with `abort`.
extension RunStateMachine {
    /// The steps whose compensations a rollback would run now, in the order it would run them.
    public var compensationPlan: [String] {
        let interrupted = completionOrder.reversed().filter { states[$0] == .compensating }
        return interrupted + completionOrder.reversed().filter { id in
            guard stepsByID[id]?.hasCompensation == true else { return false }
            if phase == .rollingBack && compensationsThisRollback.contains(id) { return false }
            switch states[id] {
            case .succeeded: return true
            case .compensationFailed: return forced[id] != .resolved(.failed)
            default: return false
            }
        }
    }

    mutating func rollback(
        by: String, strategy: RunEvent.RollbackStrategy, rerunInterrupted: Bool, decider: Decider? = nil,
        into out: inout Decision
    ) throws(TransitionError) {
        switch phase {
        case .executing where isLive:
            throw invalid("roll back", "it is executing", hint: "abort it first with `lifeboat abort RUN`")
        case .executing:
            throw invalid(
                "roll back", "its process stopped while it was executing",
                hint: "end it with `lifeboat abort RUN` (or continue it with `lifeboat resume RUN`), then roll back")
        case .rolledBack(.succeeded):
            throw invalid("roll back", "it is already rolled back")
        case .rollingBack where isLive:
            throw invalid("roll back", "a rollback is running")
        default:
            break
        }
        let interrupted = compensationPlan.filter { states[$0] == .compensating }
        for id in interrupted where stepsByID[id]?.compensationIdempotent != true && !rerunInterrupted {
            throw invalid(
                "roll back",
                "the compensation of step '\(id)' was interrupted and is not idempotent",
                hint: "check its effect by hand, then `lifeboat rollback RUN --rerun-interrupted`, or `lifeboat resolve RUN \(id) --as compensated|failed --reason …`")
        }
        let resumable = phase == .rollingBack || phase == .rolledBack(.failed)
        guard !compensationPlan.isEmpty || resumable else {
            throw invalid("roll back", "no completed step has a compensation (rollback:)", hint: "nothing to undo")
        }
        hasExecutor = true
        if phase != .rollingBack {
            try emit(.rollbackStarted(by: by, strategy: strategy, decider: decider), into: &out)
        }
        if let first = interrupted.first {
            try emit(.compensationStarted(step: first), into: &out)
            return
        }
        try continueRollback(into: &out)
    }

    /// Starts the next compensation, or finishes the rollback when none is left.
    mutating func continueRollback(into out: inout Decision) throws(TransitionError) {
        if let next = compensationPlan.first {
            try emit(.compensationStarted(step: next), into: &out)
            return
        }
        let anyFailed = header.steps.contains { $0.hasCompensation && states[$0.id] == .compensationFailed }
        try emit(.rollbackFinished(outcome: anyFailed ? .failed : .succeeded), into: &out)
    }
}
