import LifeboatCore
/// The Prometheus text exposition format (version 0.0.4), for node_exporter's textfile collector.
public struct PrometheusText: Sendable {
    public enum Kind: String, Sendable { case gauge, counter }

    /// One metric family: name, help, type and its samples.
    public struct Family: Sendable {
        public var name: String
        public var help: String
        public var kind: Kind
        public var samples: [(labels: [(String, String)], value: Double)]

        public init(name: String, help: String, kind: Kind = .gauge, samples: [(labels: [(String, String)], value: Double)] = []) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }

        public mutating func add(_ labels: [(String, String)], _ value: Double) {
            samples.append((labels, value))
        }
    }

    public var families: [Family]

    public init(families: [Family]) { self.families = families }

    /// The exposition text: `# HELP`, `# TYPE` and the samples of each family, ending in a newline.
    /// Families without samples are left out.
    public func render() -> String {
        var out = ""
        for family in families where !family.samples.isEmpty {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += family.name
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + Self.format(sample.value) + "\n"
            }
        }
        return out
    }

    /// Label values escape backslash, double quote and line feed.
    public static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed.
    public static func escapeHelp(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Builds Lifeboat's metrics from the last ended drill of each plan + scenario and the schedule
/// status of each plan.
extension EvidenceMetrics {
    public static func render(lastDrills: [LastDrill], schedule: [ScheduleCompliance.PlanStatus], now: Int64) -> String {
        func family(_ name: String, _ help: String) -> PrometheusText.Family { .init(name: name, help: help) }
        var rtoAchieved = family("lifeboat_rto_achieved_seconds", "RTO achieved by the last ended drill or execution of a plan and scenario.")
        var rtoObjective = family("lifeboat_rto_objective_seconds", "RTO objective of the plan and scenario (as of its last drill).")
        var rtoMet = family("lifeboat_rto_objective_met", "1 when the last drill met the RTO objective, 0 when it missed it (absent when not measured).")
        var rpoAchieved = family("lifeboat_rpo_achieved_seconds", "RPO (data-loss window) achieved by the last ended drill or execution.")
        var rpoObjective = family("lifeboat_rpo_objective_seconds", "RPO objective of the plan and scenario (as of its last drill).")
        var rpoMet = family("lifeboat_rpo_objective_met", "1 when the last drill met the RPO objective, 0 when it missed it (absent when not measured).")
        var outage = family(
            "lifeboat_observed_outage_seconds",
            "The outage users saw in the last ended drill or execution (its probe that measures the outage; absent when none, or when its start or end was not seen).")
        var succeeded = family("lifeboat_last_drill_succeeded", "1 when the last ended drill or execution of the plan and scenario succeeded.")
        var forcedSteps = family("lifeboat_last_drill_forced_steps", "Steps of the last ended drill or execution whose outcome an operator forced (resolve, skip).")
        var drillTime = family("lifeboat_last_drill_timestamp_seconds", "When the last drill or execution of the plan and scenario ended (Unix time).")
        var cadenceTime = family("lifeboat_schedule_last_timestamp_seconds", "When the last run counting for the plan's cadence ended (Unix time; absent when never).")
        var cadenceDue = family("lifeboat_schedule_due_timestamp_seconds", "When the next test of the plan's cadence is due (Unix time; absent when never run).")
        var overdue = family("lifeboat_schedule_overdue", "1 when the plan's cadence (tabletop, failover, full) is overdue or was never run.")
        var generated = family("lifeboat_metrics_generated_timestamp_seconds", "When lifeboat wrote these metrics (Unix time).")

        func seconds(_ ms: Int64) -> Double { Double(ms) / 1000 }
        for drill in lastDrills {
            let r = drill.run
            let labels = [("plan", r.planID), ("scenario", r.scenario), ("mode", r.mode.rawValue)]
            succeeded.add(labels, r.status == .succeeded ? 1 : 0)
            forcedSteps.add(labels, Double(drill.forcedSteps))
            if let ended = r.endedAtMs { drillTime.add(labels, seconds(ended)) }
            if let objective = r.objectives.rtoMs { rtoObjective.add(labels, seconds(objective)) }
            if let objective = r.objectives.rpoMs { rpoObjective.add(labels, seconds(objective)) }
            guard let f = drill.figures else { continue }
            if let a = f.rto.achievedMs { rtoAchieved.add(labels, seconds(a)) }
            if let a = f.rpo.achievedMs { rpoAchieved.add(labels, seconds(a)) }
            if let o = f.outage, !o.lowerBound, let d = o.durationMs { outage.add(labels, seconds(d)) }
            if f.rto.verdict != .notMeasured { rtoMet.add(labels, f.rto.verdict == .met ? 1 : 0) }
            if f.rpo.verdict != .notMeasured { rpoMet.add(labels, f.rpo.verdict == .met ? 1 : 0) }
        }
        for plan in schedule {
            for c in plan.cadences {
                let labels = [("plan", plan.planID), ("cadence", c.cadence.rawValue), ("frequency", c.frequency.rawValue)]
                if let last = c.lastAtMs { cadenceTime.add(labels, seconds(last)) }
                if let due = c.dueAtMs { cadenceDue.add(labels, seconds(due)) }
                overdue.add(labels, c.overdue ? 1 : 0)
            }
        }
        generated.add([], seconds(now))
        return PrometheusText(families: [
            rtoAchieved, rtoObjective, rtoMet, outage, rpoAchieved, rpoObjective, rpoMet, succeeded, forcedSteps, drillTime, cadenceTime,
            cadenceDue, overdue, generated,
        ]).render()
    }
}
