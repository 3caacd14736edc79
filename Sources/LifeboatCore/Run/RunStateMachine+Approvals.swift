/// Approval decisions: who may decide (`approvers`), how many must agree (`quorum`), separation
/// of duties, and the refusals recorded for decisions that do not count.
extension RunStateMachine {
    /// Records `decision` on approval step `id`: granted or denied when it counts, refused (with
    /// why) when it does not. Throws only when there is no such approval step.
    mutating func decide(_ id: String, _ decision: ApprovalDecision, waitMs: Int64, into out: inout Decision)
        throws(TransitionError)
    {
        guard let step = stepsByID[id], step.isApproval else {
            throw invalid(decision.approved ? "approve" : "deny", "there is no approval step '\(id)'")
        }
        let decider = decision.caller.decider
        if let why = refusal(of: decision, on: id) {
            try emit(.approvalRefused(step: id, approve: decision.approved, via: decision.via, why: why, decider: decider), into: &out)
            return
        }
        if decision.approved {
            try emit(.approvalGranted(step: id, by: decider.label, via: decision.via, waitMs: waitMs, decider: decider), into: &out)
        } else {
            try emit(.approvalDenied(step: id, by: decider.label, via: decision.via, reason: decision.reason, decider: decider), into: &out)
        }
    }

    /// Why `decision` on approval step `id` cannot count now, or nil when it counts. The same
    /// answer `lifeboat approve` gives before it sends anything.
    public func refusal(of decision: ApprovalDecision, on id: String) -> String? {
        guard let step = stepsByID[id], let state = states[id] else { return "there is no step '\(id)' in this run" }
        guard state == .awaitingApproval else {
            if let outcome = approvalOutcomes[id] { return "it was already decided: \(outcome)" }
            return "it is \(Self.name(of: state)), not awaiting approval" + (state == .pending ? " (yet)" : "")
        }
        let rule = step.approvalRule
        let caller = decision.caller
        if let notAnApprover = rule.notAnApprover(caller) { return notAnApprover }
        guard decision.approved else { return nil }
        let person = caller.decider.person
        if rule.separationOfDuties && executorPeople.contains(person) {
            return "\(person) started or resumed this run, and separation of duties is on: another person must approve"
        }
        if grants[id, default: []].contains(where: { $0.person == person }) {
            return "\(person) already approved it (\(progressText(id))): another person must"
        }
        return nil
    }

    /// Approvals given and needed: (1, 2) while a quorum of two waits for its second.
    public func approvalProgress(_ id: String) -> (given: Int, needed: Int) {
        (grants[id]?.count ?? 0, stepsByID[id]?.approvalRule.quorum ?? 1)
    }

    func progressText(_ id: String) -> String {
        let progress = approvalProgress(id)
        return "\(progress.given) of \(progress.needed)"
    }

    /// Why `--yes` cannot approve as `caller` every approval still to come in this run, or nil
    /// when it can: checked before the run starts or resumes, so nothing waits on a refusal.
    public func autoApprovalRefusal(by caller: Caller) -> String? {
        let problems = header.steps.compactMap { step -> String? in
            guard isEngineApproval(step), step.applies,
                  states[step.id] == .pending || states[step.id] == .awaitingApproval else { return nil }
            let rule = step.approvalRule
            if let notAnApprover = rule.notAnApprover(caller) { return "step '\(step.id)': \(notAnApprover)" }
            if rule.separationOfDuties {
                return "step '\(step.id)': separation of duties is on, so the person running the scenario cannot approve it"
            }
            if rule.quorum > 1 {
                return "step '\(step.id)' needs \(rule.quorum) approvals from different people; --yes gives one"
            }
            return nil
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// Folds the approval events (`+Fold` calls this).
    mutating func applyApproval(_ kind: RunEvent.Kind) throws(TransitionError) {
        switch kind {
        case .approvalGranted(let id, let by, let via, let wait, let decider):
            try require(id, { $0 == .awaitingApproval }, "approvalGranted")
            grants[id, default: []].append(decider ?? Caller.named(by).decider)
            let given = grants[id]!
            guard given.count >= (stepsByID[id]?.approvalRule.quorum ?? 1) else { return }
            approvalOutcomes[id] = "approved by " + given.map(\.description).joined(separator: ", ")
            succeed(id, outputs: ["approved_by": .string(by), "via": .string(via), "wait_ms": .int(Int(wait))])
        case .approvalDenied(let id, _, _, let reason, let decider):
            try require(id, { $0 == .awaitingApproval }, "approvalDenied")
            approvalOutcomes[id] = "denied by \(decider?.description ?? "someone"): \(reason)"
            states[id] = .failed
        case .approvalRefused:
            break
        case .approvalTimedOut(let id, let waited, let then):
            try require(id, { $0 == .awaitingApproval }, "approvalTimedOut")
            switch then {
            case .deny:
                approvalOutcomes[id] = "denied by its timeout after \(DurationText.format(milliseconds: waited))"
                states[id] = .failed
            case .pause:
                if phase == .executing && stopRequest != .abort { setStop(.pause(.awaitingApproval)) }
            }
        default:
            break
        }
    }
}
