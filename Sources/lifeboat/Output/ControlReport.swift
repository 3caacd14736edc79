/// What a command that acts on a run (`approve`, `abort`, `pause`, `resolve`, `skip`) prints: one
/// line of text, or with `--json` one document with the same facts.
struct ControlReport: Encodable {
    var runID: String
    var command: String
    var step: String?
    /// `recorded` (the store holds the decision now) or `sent` (the process executing the run
    /// picks it up within a second).
    var delivery: Delivery
    /// The run's state after the command, as `history` names it (`aborted`, `paused (requested)`…);
    /// for a message sent to an executing process, its state when the message was sent.
    var status: String
    var by: String
    var exitCode: Int32 = 0
    /// What to do next, when anything is left.
    var next: String?
    /// The text form's line.
    var message: String

    enum Delivery: String, Encodable { case recorded, sent }

    func print(json: Bool) throws {
        if json { try JSONOutput.print(self) } else { Console.out(message) }
    }
}
