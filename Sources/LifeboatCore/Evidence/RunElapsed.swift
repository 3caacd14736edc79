/// A run's elapsed time as the people following it see it: from its first event, across resumes,
/// with the time it stood still between its executors (paused, or its executor gone: from the last
/// event before a resume to that resume's `executorStarted`) counted apart. The live views' RTO
/// budget (`run`, `watch`, `serve`).
public struct RunElapsed: Sendable, Hashable {
    public private(set) var startedAtMs: Int64?
    public private(set) var stoppedMs: Int64 = 0
    public private(set) var lastEventAtMs: Int64?

    public init(_ events: [RunEvent] = []) {
        for event in events { take(event) }
    }

    /// Takes in the clock facts of the run's next event.
    public mutating func take(_ event: RunEvent) {
        if startedAtMs == nil { startedAtMs = event.atMs }
        if case .executorStarted(_, _, resumed: true, _) = event.kind, let last = lastEventAtMs {
            stoppedMs += max(0, event.atMs - last)
        }
        lastEventAtMs = event.atMs
    }

    /// Time since the run started, at wall-clock `nowMs`.
    public func elapsedMs(at nowMs: Int64) -> Int64 {
        startedAtMs.map { max(0, nowMs - $0) } ?? 0
    }
}
