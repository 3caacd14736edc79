/// A note someone added to a step (tabletop `n TEXT`), as recorded.
public struct RunNote: Sendable, Hashable, Codable {
    public var step: String
    public var text: String
    public var by: String
    public var atMs: Int64

    public init(step: String, text: String, by: String, atMs: Int64) {
        self.step = step
        self.text = text
        self.by = by
        self.atMs = atMs
    }

    /// The notes in a run's log, in the order they were recorded.
    public static func all(in events: [RunEvent]) -> [RunNote] {
        events.compactMap { event in
            guard case .stepNoted(let step, let text, let by, _) = event.kind else { return nil }
            return RunNote(step: step, text: text, by: by, atMs: event.atMs)
        }
    }
}
