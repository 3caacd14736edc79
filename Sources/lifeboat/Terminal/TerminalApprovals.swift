import Foundation
import LifeboatCore
import Synchronization

/// Asks for approvals at this terminal, while `lifeboat approve` from another terminal stays open.
/// When another terminal decides first, the prompt here is withdrawn so that the next answer typed
/// goes to the next question.
final class TerminalApprovals: ApprovalSource, Sendable {
    /// The person at this terminal: the executor's operator.
    let caller: Caller
    private let withdrawn = Mutex<Set<String>>([])

    init(caller: Caller) { self.caller = caller }

    func withdraw(runID: String, step: String) {
        withdrawn.withLock { _ = $0.insert(step) }
    }

    func ask(runID: String, step: StepHeader, prompt: String, notYou: String?) async throws -> ApprovalDecision? {
        Console.out("")
        Console.out("APPROVAL NEEDED  step '\(step.id)': \(prompt)")
        let rule = step.approvalRule
        if rule.quorum > 1 || !rule.approvers.isEmpty {
            Console.out("  approvers: \(rule.approversText)" + (rule.quorum > 1 ? "; \(rule.quorum) different people must approve" : ""))
        }
        if let notYou {
            Console.out("  not from this terminal: \(notYou)")
            Console.out("  decide from an approver's account: " + ApproveCommandText.of(run: runID, step: step.id, denying: true))
            return nil
        }
        Console.out("  type 'yes' to approve as \(caller.decider.description), 'no REASON' to deny;")
        Console.out("  or from another terminal: " + ApproveCommandText.of(run: runID, step: step.id))
        while true {
            guard let line = await TerminalInput.answer(prompt: "approve? [yes/no] ", read: { await nextLine(unlessWithdrawn: step.id) })
            else { return nil }
            let answer = line.trimmingCharacters(in: .whitespaces)
            let parts = answer.split(separator: " ", maxSplits: 1).map(String.init)
            switch parts.first?.lowercased() ?? "" {
            case "y", "yes":
                return ApprovalDecision(approved: true, caller: caller, via: "terminal")
            case "n", "no":
                let reason = parts.count > 1 ? parts[1] : "denied at the terminal"
                return ApprovalDecision(approved: false, caller: caller, via: "terminal", reason: reason)
            default:
                Console.out("  please answer 'yes' or 'no REASON'")
            }
        }
    }

    /// The next stdin line, or nil once the step is withdrawn (checked every 100 ms) or input ends.
    private func nextLine(unlessWithdrawn step: String) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await StdinLines.shared.next() }
            group.addTask { [self] in
                while !Task.isCancelled {
                    if withdrawn.withLock({ $0.contains(step) }) {
                        Console.out("\n  (decided from another terminal)")
                        return nil
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
