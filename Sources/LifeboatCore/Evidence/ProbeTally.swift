/// What a run's steady-state probe saw, in counts: for `show`, the reports and `--json`.
public struct ProbeTally: Sendable, Hashable, Codable {
    public var probe: String
    public var action: String
    public var intervalMs: Int64
    public var samples = 0
    public var passed = 0
    public var failed = 0
    public var notRunnable = 0
    /// The last failing sample's message.
    public var lastFailure: String?
    /// Why the probe could not run, when a sample could not (this is the probe, not the service).
    public var whyNotRunnable: String?
    /// The abort criterion's breach, when it was met.
    public var breached: String?

    /// One tally per probe of the run, in the runbook's order.
    public static func all(in events: [RunEvent]) -> [ProbeTally] {
        guard let first = events.first, case .runCreated(let header) = first.kind, let probes = header.probes else { return [] }
        var tallies = probes.map { ProbeTally(probe: $0.id, action: $0.action, intervalMs: $0.intervalMs) }
        let position = Dictionary(probes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        for event in events {
            switch event.kind {
            case .probeSamples(let series):
                for batch in series {
                    guard let i = position[batch.probe] else { continue }
                    for sample in batch.samples { tallies[i].count(sample) }
                }
            case .probeBreached(let probe, let reason, _):
                if let i = position[probe] { tallies[i].breached = reason }
            default:
                break
            }
        }
        return tallies
    }

    private mutating func count(_ sample: ProbeSample) {
        samples += 1
        switch sample.outcome {
        case .passed: passed += 1
        case .failed:
            failed += 1
            if let problem = sample.problem { lastFailure = problem }
        case .notRunnable:
            notRunnable += 1
            if let problem = sample.problem { whyNotRunnable = problem }
        }
    }

    /// "service-up (http.check every 250ms): 120 samples, 3 failed (last: …)".
    public var text: String {
        var s = "\(probe) (\(action) every \(DurationText.format(milliseconds: intervalMs))): \(samples) sample\(samples == 1 ? "" : "s")"
        if samples == 0 { return s + ", none taken" }
        s += ", \(failed) failed" + (lastFailure.map { " (last: \($0))" } ?? "")
        if notRunnable > 0 { s += "; NOT RUNNABLE \(notRunnable)×" + (whyNotRunnable.map { ": \($0)" } ?? "") }
        if let breached { s += "; BREACHED: \(breached)" }
        return s
    }
}
