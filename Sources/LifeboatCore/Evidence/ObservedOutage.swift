/// The outage users saw, from the run's `measures: outage` probe: from the first failing sample to
/// the first passing sample after the last failing one. Each end is known to within one probe
/// interval (the service changed somewhere between two samples), which is the figure's precision.
/// Not-runnable samples say nothing about the service and are left out.
public struct ObservedOutage: Sendable, Hashable, Codable {
    public var probe: String
    public var intervalMs: Int64
    public var samples: Int
    public var failed: Int
    public var notRunnable: Int
    /// The first failing sample, or the incident (`--incident-at`) when the probe was failing from
    /// its first sample; nil when no sample failed.
    public var startMs: Int64?
    /// The first passing sample after the last failing one; nil when it never passed again.
    public var endMs: Int64?
    /// `endMs - startMs`; with `lowerBound`, what was seen of an outage that began before the first
    /// sample or had not ended by the last. Nil when there was none to see (or no sample).
    public var durationMs: Int64?
    /// True when `durationMs` is only a lower bound (the start or the end was not seen).
    public var lowerBound: Bool
    /// What the figure rests on, in words ("failing from the probe's first sample: …").
    public var note: String?

    /// The run's observed outage, or nil when none of its probes measures it.
    public static func measure(_ events: [RunEvent]) -> ObservedOutage? {
        guard let first = events.first, case .runCreated(let header) = first.kind,
            let probe = header.probes?.first(where: \.measuresOutage)
        else { return nil }
        return measure(ProbeSample.all(of: probe.id, in: events), probe: probe, incidentAtMs: header.incidentAtMs)
    }

    static func measure(_ all: [ProbeSample], probe: ProbeHeader, incidentAtMs: Int64?) -> ObservedOutage {
        let seen = all.filter { $0.outcome != .notRunnable }
        var outage = ObservedOutage(
            probe: probe.id, intervalMs: probe.intervalMs, samples: all.count, failed: seen.filter { $0.outcome == .failed }.count,
            notRunnable: all.count - seen.count, lowerBound: false)
        guard !seen.isEmpty else {
            outage.note = all.isEmpty ? "the probe took no sample" : "the probe could not run (no sample says anything about the service)"
            return outage
        }
        guard let firstFailing = seen.firstIndex(where: { $0.outcome == .failed }) else {
            outage.durationMs = 0
            outage.note = "no failing sample (one every \(DurationText.format(milliseconds: probe.intervalMs)))"
            return outage
        }
        let lastFailing = seen.lastIndex { $0.outcome == .failed }!
        var start = seen[firstFailing].atMs
        var notes: [String] = []
        if firstFailing == 0 {
            if let incidentAtMs, incidentAtMs <= start {
                start = incidentAtMs
                notes.append("failing from the probe's first sample: counted from the incident (--incident-at)")
            } else {
                outage.lowerBound = true
                notes.append("failing from the probe's first sample: it began earlier (give --incident-at to count from the incident)")
            }
        }
        outage.startMs = start
        if lastFailing + 1 < seen.count {
            outage.endMs = seen[lastFailing + 1].atMs
            outage.durationMs = outage.endMs! - start
        } else {
            outage.lowerBound = true
            outage.durationMs = seen[lastFailing].atMs - start
            notes.append("still failing at the probe's last sample")
        }
        outage.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        return outage
    }

    /// The figure as a run's stored figures keep it (`history`, `metrics`).
    public var figure: RunFigures.Outage { RunFigures.Outage(durationMs: durationMs, lowerBound: lowerBound) }

    /// The figure in words: "3.25s (±250ms, probe service-up: 3 of 40 samples failed)".
    public var figureText: String {
        let ms = DurationText.format(milliseconds:)
        let counts = "probe \(probe): \(failed) of \(samples) samples failed" + (notRunnable > 0 ? ", \(notRunnable) not runnable" : "")
        guard let durationMs else { return "not measured (\(note ?? counts))" }
        let figure = (lowerBound ? "at least " : "") + ms(durationMs) + " (±\(ms(intervalMs)), \(counts))"
        return note.map { figure + "; " + $0 } ?? figure
    }
}
