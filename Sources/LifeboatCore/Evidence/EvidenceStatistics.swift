/// Percentiles and trends over measured figures.
public enum EvidenceStatistics {
    /// Nearest-rank percentile (`p` in 0…100) of `sorted` (ascending); nil when empty.
    public static func percentile(_ p: Double, ofSorted sorted: [Int64]) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        return sorted[rank(p, count: sorted.count) - 1]
    }

    /// The 1-based nearest rank of percentile `p` among `count` (> 0) sorted values.
    public static func rank(_ p: Double, count: Int) -> Int {
        min(max(Int((p / 100 * Double(count)).rounded(.up)), 1), count)
    }

    /// The direction of a series of durations (oldest first), where lower is better.
    public enum Trend: String, Sendable, Hashable, Codable {
        case improving, worsening, steady
        case notEnoughData = "not enough data"
    }

    /// Compares the mean of the newer half of `series` with the mean of the older half: more than
    /// 10 % lower is improving, more than 10 % higher is worsening, otherwise steady. Needs at
    /// least three figures.
    public static func trend(_ series: [Int64]) -> Trend {
        guard series.count >= 3 else { return .notEnoughData }
        let half = series.count / 2
        let older = series.prefix(half)
        let newer = series.suffix(half)
        let a = Double(older.reduce(0, +)) / Double(older.count)
        let b = Double(newer.reduce(0, +)) / Double(newer.count)
        if a == 0 { return b == 0 ? .steady : .worsening }
        let change = (b - a) / a
        if change < -0.10 { return .improving }
        if change > 0.10 { return .worsening }
        return .steady
    }
}

/// One plan + scenario + mode in `lifeboat history --summary`.
public struct HistorySummaryGroup: Sendable, Hashable, Codable {
    /// Achieved figures of one objective over the group's runs.
    public struct Figures: Sendable, Hashable, Codable {
        /// Objective of the newest run (objectives can change with the plan).
        public var objectiveMs: Int64?
        /// Runs with a measured figure.
        public var measured: Int
        public var lastMs: Int64?
        public var p50Ms: Int64?
        public var p95Ms: Int64?
        /// Runs whose figure met / missed the objective.
        public var met: Int
        public var missed: Int
        /// The last N measured figures, oldest first.
        public var series: [Int64]
        public var trend: EvidenceStatistics.Trend

        public init(
            objectiveMs: Int64?, measured: Int, lastMs: Int64?, p50Ms: Int64?, p95Ms: Int64?, met: Int, missed: Int,
            series: [Int64], trend: EvidenceStatistics.Trend
        ) {
            self.objectiveMs = objectiveMs
            self.measured = measured
            self.lastMs = lastMs
            self.p50Ms = p50Ms
            self.p95Ms = p95Ms
            self.met = met
            self.missed = missed
            self.series = series
            self.trend = trend
        }

        /// Figures from all measured values (any order), the newest-first `recent` ones and the
        /// verdict counts.
        public init(objectiveMs: Int64?, values: [Int64], recentNewestFirst recent: [Int64], met: Int, missed: Int) {
            let sorted = values.sorted()
            let series = Array(recent.reversed())
            self.init(
                objectiveMs: objectiveMs, measured: values.count, lastMs: recent.first,
                p50Ms: EvidenceStatistics.percentile(50, ofSorted: sorted),
                p95Ms: EvidenceStatistics.percentile(95, ofSorted: sorted), met: met, missed: missed, series: series,
                trend: EvidenceStatistics.trend(series))
        }
    }

    public var planID: String
    public var scenario: String
    public var mode: RunMode
    /// Ended runs (succeeded, failed, aborted, rolled back, rollback failed).
    public var runs: Int
    public var succeeded: Int
    /// Of the succeeded runs, those with an outcome an operator forced (resolve, skip).
    public var succeededForced: Int
    /// `succeeded / runs`, 0…1.
    public var successRate: Double
    public var lastRunID: String?
    public var lastEndedAtMs: Int64?
    public var rto: Figures
    public var rpo: Figures
    /// The newest observed outage of the group (its probe that measures it); nil when none has one.
    public var lastOutage: RunFigures.Outage?

    public init(
        planID: String, scenario: String, mode: RunMode, runs: Int, succeeded: Int, succeededForced: Int = 0,
        lastRunID: String?, lastEndedAtMs: Int64?, rto: Figures, rpo: Figures
    ) {
        self.planID = planID
        self.scenario = scenario
        self.mode = mode
        self.runs = runs
        self.succeeded = succeeded
        self.succeededForced = succeededForced
        self.successRate = runs == 0 ? 0 : Double(succeeded) / Double(runs)
        self.lastRunID = lastRunID
        self.lastEndedAtMs = lastEndedAtMs
        self.rto = rto
        self.rpo = rpo
    }
}
