import LifeboatCore

/// A run's notes under the step table (`show`, the summary when an executor stops).
enum NoteText {
    static func print(_ notes: [RunNote]) {
        guard !notes.isEmpty else { return }
        Console.out("")
        Console.out("  notes:")
        for note in notes {
            let at = String(EventText.timestamp(note.atMs).dropFirst(11).prefix(8))
            Console.out("    \(note.step) (\(note.by), \(at)): \(note.text)")
        }
    }
}
