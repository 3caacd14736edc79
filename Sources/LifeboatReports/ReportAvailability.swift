import LifeboatCore
/// The availability strip under a report's timeline: what the probe that measures the outage (else
/// the first probe) saw, as spans of one outcome each. A sample's outcome holds until the next
/// sample (the last one for one interval). Times are milliseconds from the timeline's origin.
public struct ReportAvailability: Sendable, Hashable, Codable {
    public struct Span: Sendable, Hashable, Codable {
        public var startMs: Int64
        public var endMs: Int64
        public var outcome: ProbeOutcome
        public var samples: Int
    }

    public var probe: String
    public var intervalMs: Int64
    public var measuresOutage: Bool
    public var spans: [Span]

    /// Nil when the run has no probe or its probe took no sample.
    static func build(_ events: [RunEvent], originMs: Int64) -> ReportAvailability? {
        guard case .runCreated(let header)? = events.first?.kind,
            let probe = header.probes?.first(where: \.measuresOutage) ?? header.probes?.first
        else { return nil }
        let samples = ProbeSample.all(of: probe.id, in: events)
        guard !samples.isEmpty else { return nil }
        var spans: [Span] = []
        for (i, sample) in samples.enumerated() {
            let start = sample.atMs - originMs
            let end = (i + 1 < samples.count ? samples[i + 1].atMs : sample.atMs + probe.intervalMs) - originMs
            if var last = spans.last, last.outcome == sample.outcome {
                last.endMs = end
                last.samples += 1
                spans[spans.count - 1] = last
            } else {
                spans.append(Span(startMs: start, endMs: end, outcome: sample.outcome, samples: 1))
            }
        }
        return ReportAvailability(probe: probe.id, intervalMs: probe.intervalMs, measuresOutage: probe.measuresOutage, spans: spans)
    }

    /// "up 0–1.2s · DOWN 1.2s–2.8s · up 2.8s–9.1s".
    public var text: String {
        spans.map { span in
            let word: String
            switch span.outcome {
            case .passed: word = "up"
            case .failed: word = "DOWN"
            case .notRunnable: word = "not runnable"
            }
            return "\(word) \(ReportText.duration(span.startMs))–\(ReportText.duration(span.endMs))"
        }.joined(separator: " · ")
    }
}
