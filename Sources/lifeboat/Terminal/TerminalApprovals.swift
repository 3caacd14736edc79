import Foundation
import LifeboatCore

/// Asks for approvals at this terminal, while `lifeboat approve` from another terminal stays open.
struct TerminalApprovals: ApprovalSource {
    var operatorName: String

    func ask(runID: String, step: StepHeader, prompt: String) async throws -> ApprovalDecision? {
        Console.out("")
        Console.out("APPROVAL NEEDED  step '\(step.id)': \(prompt)")
        Console.out("  type 'yes' to approve as \(operatorName), 'no REASON' to deny;")
        Console.out("  or from another terminal: lifeboat approve \(runID) \(step.id) --by NAME")
        while true {
            Console.out("approve? [yes/no] ", terminator: "")
            guard let line = await StdinLines.shared.next() else { return nil }
            let answer = line.trimmingCharacters(in: .whitespaces)
            let word = answer.split(separator: " ", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            switch word {
            case "y", "yes":
                return ApprovalDecision(approved: true, by: operatorName, via: "terminal")
            case "n", "no":
                let reason = answer.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? "denied at the terminal"
                return ApprovalDecision(approved: false, by: operatorName, via: "terminal", reason: reason)
            default:
                Console.out("  please answer 'yes' or 'no REASON'")
            }
        }
    }
}
