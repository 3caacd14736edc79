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

    public var missed: Bool { verdict == .missed }
}

extension RunReport {
    /// RTO first, then RPO.
    public var objectives: [ReportObjective] {
        let rto = measurement.rto
        let rpo = measurement.rpo
        let ms = ReportText.duration
        var rtoNote = rto.achievedMs == nil ? "window not completed" : "measured \(rto.method)"
        if let s = rto.windowStart, let e = rto.windowEnd { rtoNote += ", window \(s) → \(e)" }
        rtoNote += "; human wait \(ms(rto.humanWaitMs)) (included, not subtracted)"
        var rpoNote = rpo.method.map { "method: \($0)" } ?? "no step measured data loss"
        if let exact = rpo.exact { rpoNote += exact ? " (exact)" : " (upper bound)" }
        return [
            ReportObjective(
                name: "RTO", objective: rto.objectiveMs.map(ms) ?? "none", achieved: rto.achievedMs.map(ms) ?? "—",
                verdict: rto.verdict, note: rtoNote),
            ReportObjective(
                name: "RPO", objective: rpo.objectiveMs.map(ms) ?? "none",
                achieved: rpo.achievedMs.map { (rpo.exact == false ? "≤ " : "") + ms($0) } ?? "—",
                verdict: rpo.verdict, note: rpoNote),
        ]
    }
}
