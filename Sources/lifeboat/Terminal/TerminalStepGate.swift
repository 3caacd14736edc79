import Foundation
import LifeboatCore

/// `run --step`: before each step, shows what it will do (title, action, parameters with secrets
/// masked, the RTO budget left) and asks go / skip REASON / pause. Every answer is recorded as the
/// operator's.
struct TerminalStepGate: StepGate {
    func ask(_ q: StepQuestion) async throws -> StepGateAnswer? {
        let ms = DurationText.format(milliseconds:)
        let step = q.step
        Console.out("")
        Console.out("NEXT [\(q.position)/\(q.total)] \(step.id): \(step.title)")
        for line in (q.description ?? "").split(separator: "\n") { Console.out("  " + line) }
        Console.out("  action:   \(step.action)" + (step.needs.isEmpty ? "" : "   after: \(step.needs.joined(separator: ", "))"))
        if !q.params.isEmpty {
            Console.out("  with:" + (q.renderProblem.map { " (as written: \($0))" } ?? ""))
            for line in Value.yamlLines(q.params) { Console.out("    " + line) }
        }
        if let left = q.rtoLeftMs, let rto = q.rtoMs {
            Console.out(left >= 0 ? "  RTO budget: \(ms(left)) left of \(ms(rto))" : "  RTO budget: spent (\(ms(-left)) over \(ms(rto)))")
        }
        Console.out("  g go · s REASON skip · p [REASON] pause (resume later with `lifeboat resume \(q.runID)`)")
        while true {
            guard let line = await TerminalInput.answer(prompt: "step? [g/s/p] ") else { return nil }
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            let reason = parts.count > 1 ? parts[1] : nil
            switch parts.first?.lowercased() ?? "" {
            case "g", "go", "y", "yes": return StepGateAnswer(.go)
            case "s", "skip":
                guard let reason else {
                    Console.out("  a skip needs a reason: s the replica is already primary")
                    continue
                }
                return StepGateAnswer(.skip, reason: reason)
            case "p", "pause": return StepGateAnswer(.pause, reason: reason)
            default: Console.out("  answer g (go), s REASON (skip) or p (pause)")
            }
        }
    }
}
