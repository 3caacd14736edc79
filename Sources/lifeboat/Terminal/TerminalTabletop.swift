import Foundation
import LifeboatCore

/// Walks the team through each step at the terminal (or from scripted stdin lines).
///
/// Keys: Enter or `d` done · `s` skip · `n TEXT` add a note · `q` quit (resume later).
struct TerminalTabletop: TabletopConsole {
    func walk(_ walk: TabletopStep) async throws -> TabletopOutcome {
        let step = walk.step
        Console.out("")
        Console.out("[\(walk.position)/\(walk.total)] \(walk.title)")
        for line in (walk.description ?? "").split(separator: "\n") { Console.out("  " + line) }
        Console.out("  action:   \(step.action)" + (step.needs.isEmpty ? "" : "   after: \(step.needs.joined(separator: ", "))"))
        if let expect = step.expectMs { Console.out("  expected: \(DurationText.format(milliseconds: expect))") }
        if !walk.params.isEmpty {
            Console.out("  with:")
            for line in Value.yamlLines(walk.params) { Console.out("    " + line) }
        }
        Console.out("  keys: Enter/d done · s skip · n TEXT note · q quit and resume later")
        var notes: [String] = []
        while true {
            guard let line = await TerminalInput.answer(prompt: "tabletop> ") else { return .quit(notes: notes) }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let parts = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
            switch parts.first?.lowercased() ?? "" {
            case "", "d", "done": return .done(notes: notes)
            case "s", "skip": return .skipped(notes: notes)
            case "q", "quit": return .quit(notes: notes)
            case "n", "note":
                if parts.count > 1 {
                    notes.append(parts[1])
                    Console.out("  noted.")
                } else {
                    Console.out("  write the note after n: n the DNS TTL was too long")
                }
            default:
                Console.out("  unknown key '\(trimmed)': Enter/d done · s skip · n TEXT note · q quit")
            }
        }
    }
}
