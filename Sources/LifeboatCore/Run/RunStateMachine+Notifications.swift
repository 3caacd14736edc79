/// The run events a plan's `notify:` can send a message on.
public enum NotifyTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    /// An approval step waits for a person.
    case approvalNeeded = "approval_needed"
    /// A step failed for good (no retry left, or not retryable).
    case stepFailed = "step_failed"
    /// A steady-state probe met its abort criterion.
    case probeBreached = "probe_breached"
    /// The executor stopped with the run resumable (interrupted, unknown step, awaiting approval…).
    case runPaused = "run_paused"
    /// The run succeeded, failed or was aborted.
    case runEnded = "run_ended"
}

/// A plan-level notification the log calls for: numbered in log order from 1, so its
/// `Idempotency-Key` (`RUN/notify/N`) is the same whichever process sends it.
public struct DueNotification: Sendable, Hashable {
    public var number: Int
    public var trigger: NotifyTrigger
    public var step: String?
    /// One line saying what happened (the message's text after the run's name).
    public var text: String
}

extension RunStateMachine {
    /// The notification an event about to be folded calls for, if the run's plan asks for that
    /// trigger (looked at before the fold: an approval asked afresh, a failure that leaves no retry).
    func notificationCalledFor(by kind: RunEvent.Kind) -> DueNotification? {
        guard let wanted = header.notifyOn, !wanted.isEmpty else { return nil }
        let found: (NotifyTrigger, String?, String)?
        switch kind {
        case .approvalRequested(let id, let prompt) where states[id] == .pending:
            let title = prompt == id ? "" : " (\(prompt))"
            found = (.approvalNeeded, id, "approval needed for step \(id)\(title): `\(ApproveCommandText.of(run: runFacts.runID, step: id))`")
        case .stepFailed(let id, let attempt, _, let error):
            let policy = stepsByID[id]?.retry ?? .none
            let final = !error.retryable || failures[id, default: 0] + 1 >= policy.attempts
            found = final ? (.stepFailed, id, "step \(id) failed (attempt \(attempt)): \(error.message)") : nil
        case .probeBreached(let probe, let reason, let then):
            found = (.probeBreached, nil, "probe \(probe) breached: \(reason); " + then.consequence)
        case .runPaused(let reason):
            found = (.runPaused, nil, "run paused (\(reason.rawValue)); `lifeboat resume \(runFacts.runID)` continues it")
        case .runFinished(let outcome):
            found = (.runEnded, nil, "run \(outcome.rawValue)")
        default:
            found = nil
        }
        guard let (trigger, step, text) = found, wanted.contains(trigger) else { return nil }
        return DueNotification(number: notificationsDue.count + 1, trigger: trigger, step: step, text: text)
    }

    /// Notifications called for and not yet recorded as sent, oldest first: what a resume sends.
    public var unsentNotifications: [DueNotification] {
        notificationsDue.filter { !notificationsSent.contains($0.number) }
    }

    public func dueNotification(_ number: Int) -> DueNotification? {
        notificationsDue.indices.contains(number - 1) ? notificationsDue[number - 1] : nil
    }
}
