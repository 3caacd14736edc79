import LifeboatCore
/// The RTO and RPO verdicts as the renderers show them: one row each, in words.
public struct ReportObjective: Sendable, Hashable {
    /// `RTO` or `RPO`.
    public var name: String
    public var objective: String
    public var achieved: String
    public var verdict: RunMeasurement.Verdict
    /// How it was measured and what sits beside it (human wait, exact or bound).
    public var note: String
    /// False for a figure shown beside the objectives without a verdict of its own (the observed
    /// outage when the RTO is judged on the window).
    public var carriesVerdict = true

    public var missed: Bool { verdict == .missed }
    /// The verdict in words, or "observed" for a figure without one.
    public var verdictText: String { carriesVerdict ? verdict.rawValue : "observed" }
}

extension RunReport {
    /// RTO first, then RPO.
    public var objectives: [ReportObjective] {
        let rto = measurement.rto
        let rpo = measurement.rpo
        let ms = ReportText.duration
        if run.mode == .tabletop { return tabletopObjectives }
        var rtoNote = rto.achievedMs == nil ? "window not completed" : "measured \(rto.method)"
        if let s = rto.windowStart, let e = rto.windowEnd { rtoNote += ", window \(s) → \(e)" }
        rtoNote += "; human wait \(ms(rto.humanWaitMs)) (included, not subtracted)"
        if let fromIncident = rto.fromIncidentMs, let incident = rto.incidentAtMs {
            rtoNote += "; from the incident (\(UTCCalendar.iso(incident))): \(ms(fromIncident))"
        }
        if rto.judgedBy == .outage { rtoNote += "; the verdict is judged on the observed outage (judge_rto_by: outage)" }
        var rpoNote = rpo.method.map { "method: \($0)" } ?? "no step measured data loss"
        if let exact = rpo.exact, !rpo.notBounded { rpoNote += exact ? " (exact)" : " (upper bound)" }
        var rows = [
            ReportObjective(
                name: "RTO", objective: rto.objectiveMs.map(ms) ?? "none", achieved: rto.achievedMs.map(ms) ?? "—",
                verdict: rto.verdict, note: rtoNote),
            ReportObjective(
                name: "RPO", objective: rpo.objectiveMs.map(ms) ?? "none",
                achieved: rpo.achievedMs.map { (rpo.exact == false ? "≤ " : "") + ms($0) } ?? (rpo.notBounded ? "not bounded" : "—"),
                verdict: rpo.verdict, note: rpoNote),
        ]
        if let outage = measurement.outage {
            // What users saw, beside the window: it carries the RTO's verdict only when judged on it.
            let judged = rto.judgedBy == .outage
            rows.insert(
                ReportObjective(
                    name: "Outage", objective: judged ? rto.objectiveMs.map(ms) ?? "none" : "—",
                    achieved: outage.durationMs == nil ? "—" : outage.figure.text,
                    verdict: judged ? rto.verdict : .notMeasured,
                    note: "observed: " + outage.figureText + (judged ? "" : "; the RTO is judged on the window"),
                    carriesVerdict: judged),
                at: 1)
        }
        return rows
    }

    /// A tabletop measures how long the team talked: it implies an RTO (the critical path over the
    /// recorded step times) and meets or misses nothing.
    private var tabletopObjectives: [ReportObjective] {
        let ms = ReportText.duration
        return [
            ReportObjective(
                name: "RTO", objective: measurement.rto.objectiveMs.map(ms) ?? "none",
                achieved: "implied " + ms(measurement.criticalPathMs), verdict: .notMeasured,
                note: "tabletop: the critical path over the times the team took per step; talk time, not a recovery"),
            ReportObjective(
                name: "RPO", objective: measurement.rpo.objectiveMs.map(ms) ?? "none", achieved: "not measured",
                verdict: .notMeasured,
                note: "tabletop: no data was touched"),
        ]
    }
}
