/// The command that decides an approval step, as every message, page and notification prints it.
public enum ApproveCommandText {
    /// `lifeboat approve RUN STEP`, with `--by NAME` where the decider should name themselves and
    /// `[--deny REASON]` where the way to deny is worth showing.
    public static func of(run runID: String, step: String, naming: Bool = false, denying: Bool = false) -> String {
        "lifeboat approve \(runID) \(step)" + (naming ? " --by NAME" : "") + (denying ? " [--deny REASON]" : "")
    }
}
