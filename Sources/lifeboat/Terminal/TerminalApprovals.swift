import Foundation
import LifeboatCore
import Synchronization

/// Asks for approvals at this terminal, while `lifeboat approve` from another terminal stays open.
/// When another terminal decides first, the prompt here is withdrawn so that the next answer typed
/// goes to the next question.
final class TerminalApprovals: ApprovalSource, Sendable {
    let operatorName: String
    private let withdrawn = Mutex<Set<String>>([])

    init(operatorName: String) { self.operatorName = operatorName }

    func withdraw(runID: String, step: String) {
        withdrawn.withLock { _ = $0.insert(step) }
    }

    func ask(runID: String, step: StepHeader, prompt: String) async throws -> ApprovalDecision? {
        Console.out("")
        Console.out("APPROVAL NEEDED  step '\(step.id)': \(prompt)")
        Console.out("  type 'yes' to approve as \(operatorName), 'no REASON' to deny;")
        Console.out("  or from another terminal: lifeboat approve \(runID) \(step.id) --by NAME")
        while true {
            guard let line = await TerminalInput.answer(prompt: "approve? [yes/no] ", read: { await nextLine(unlessWithdrawn: step.id) })
            else { return nil }
            let answer = line.trimmingCharacters(in: .whitespaces)
            let parts = answer.split(separator: " ", maxSplits: 1).map(String.init)
            switch parts.first?.lowercased() ?? "" {
            case "y", "yes":
                return ApprovalDecision(approved: true, by: operatorName, via: "terminal")
            case "n", "no":
                let reason = parts.count > 1 ? parts[1] : "denied at the terminal"
                return ApprovalDecision(approved: false, by: operatorName, via: "terminal", reason: reason)
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
