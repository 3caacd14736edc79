/// The latest output line of a running step, as the executor last shared it (at most once a second
/// per step), for the people watching from elsewhere (`lifeboat serve`). Not evidence: kept beside
/// the event log, not in it (no hash chain, overwritten), and masked like every output line.
public struct StepProgress: Sendable, Hashable, Codable {
    public var stepID: String
    public var line: String
    public var atMs: Int64

    public init(stepID: String, line: String, atMs: Int64) {
        self.stepID = stepID
        self.line = line
        self.atMs = atMs
    }
}
