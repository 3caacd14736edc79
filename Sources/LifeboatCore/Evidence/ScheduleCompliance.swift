/// Whether each plan's DR tests happen as often as its `schedule` says (`lifeboat status`).
///
/// Which runs count (only runs that **succeeded**, dated by when they ended):
/// - `tabletop`: a completed tabletop run, or a drill or real execution (which exercises the
///   runbook more than a walk-through does), of any scenario of the plan;
/// - `failover`: a drill or real execution of any scenario of the plan;
/// - `full`: a drill or real execution of **every** scenario of the plan; the full test is dated
///   by the oldest of those per-scenario latest runs (the moment since which every scenario has
///   been proven).
/// - a cadence written with `scenarios:` (`failover: {every: semiannual, scenarios: [region-failure,
///   failback]}`): a drill or real execution of each listed scenario, dated like `full`.
///
/// The next test is due one period after the last (calendar months in UTC; `weekly` is 7 days). A
/// plan never tested for a cadence is overdue. Pure: `now` is a parameter.
public enum ScheduleCompliance {
    /// What the computation needs of a plan.
    public struct PlanInfo: Sendable, Hashable {
        public var planID: String
        public var path: String
        public var scenarios: [String]
        public var schedule: [Cadence: Frequency]
        /// The scenarios that together make up one test of a cadence (see `Plan.cadenceScenarios`).
        public var cadenceScenarios: [Cadence: [String]]

        public init(
            planID: String, path: String, scenarios: [String], schedule: [Cadence: Frequency],
            cadenceScenarios: [Cadence: [String]] = [:]
        ) {
            self.planID = planID
            self.path = path
            self.scenarios = scenarios
            self.schedule = schedule
            self.cadenceScenarios = cadenceScenarios
        }
    }

    /// The newest succeeded run of one plan + scenario + mode.
    public struct LatestRun: Sendable, Hashable, Codable {
        public var planID: String
        public var scenario: String
        public var mode: RunMode
        public var runID: String
        public var endedAtMs: Int64
        /// Steps of the run whose outcome an operator forced (resolve, skip).
        public var forcedSteps: Int

        public init(planID: String, scenario: String, mode: RunMode, runID: String, endedAtMs: Int64, forcedSteps: Int = 0) {
            self.forcedSteps = forcedSteps
            self.planID = planID
            self.scenario = scenario
            self.mode = mode
            self.runID = runID
            self.endedAtMs = endedAtMs
        }
    }

    public enum State: String, Sendable, Hashable, Codable {
        case ok
        case overdue
        /// Overdue because no qualifying run exists at all.
        case never = "never run"
    }

    /// One cadence of one plan.
    public struct CadenceStatus: Sendable, Hashable, Codable {
        public var cadence: Cadence
        public var frequency: Frequency
        public var state: State
        public var lastRunID: String?
        public var lastAtMs: Int64?
        /// Nil when never run (due now).
        public var dueAtMs: Int64?
        /// What counted, or what is missing, in words.
        public var basis: String

        public var overdue: Bool { state != .ok }
    }

    public struct PlanStatus: Sendable, Hashable, Codable {
        public var planID: String
        public var path: String
        public var cadences: [CadenceStatus]

        public var overdue: Bool { cadences.contains { $0.overdue } }
    }

    /// The status of every cadence of every plan at `now`.
    public static func evaluate(plans: [PlanInfo], latest: [LatestRun], now: Int64) -> [PlanStatus] {
        plans.map { plan in
            let runs = latest.filter { $0.planID == plan.planID }
            let cadences = Cadence.allCases.compactMap { cadence -> CadenceStatus? in
                guard let frequency = plan.schedule[cadence] else { return nil }
                return status(cadence, frequency, plan: plan, runs: runs, now: now)
            }
            return PlanStatus(planID: plan.planID, path: plan.path, cadences: cadences)
        }
    }

    /// A test made of several scenarios: each needs a succeeded drill or execution; the test is
    /// dated by the oldest of their newest runs (the moment since which all of them were proven).
    static func allOf(_ scenarios: [String], _ drills: [LatestRun]) -> (LatestRun?, String) {
        var perScenario: [LatestRun] = []
        var missing: [String] = []
        for scenario in scenarios {
            if let newest = drills.filter({ $0.scenario == scenario }).max(by: { $0.endedAtMs < $1.endedAtMs }) {
                perScenario.append(newest)
            } else {
                missing.append(scenario)
            }
        }
        guard missing.isEmpty, let oldest = perScenario.min(by: { $0.endedAtMs < $1.endedAtMs }) else {
            return (nil, "never drilled: " + missing.joined(separator: ", "))
        }
        return (oldest, "all \(scenarios.count) scenario(s) drilled; oldest: \(oldest.scenario)")
    }

    /// When the next test is due after one at `last`.
    public static func due(after last: Int64, _ frequency: Frequency) -> Int64 {
        guard let months = frequency.months else { return last + 7 * UTCCalendar.dayMs }
        return UTCCalendar.adding(months: Int64(months), to: last)
    }

    static func status(_ cadence: Cadence, _ frequency: Frequency, plan: PlanInfo, runs: [LatestRun], now: Int64)
        -> CadenceStatus
    {
        let drills = runs.filter { $0.mode == .drill || $0.mode == .execute }
        var last: LatestRun?
        var basis: String
        if let listed = plan.cadenceScenarios[cadence] {
            (last, basis) = allOf(listed, drills)
        } else {
            switch cadence {
            case .tabletop:
                last = runs.max { $0.endedAtMs < $1.endedAtMs }
                basis = last.map { "\($0.mode.rawValue) of \($0.scenario)" } ?? "no completed tabletop, drill or execution"
            case .failover:
                last = drills.max { $0.endedAtMs < $1.endedAtMs }
                basis = last.map { "\($0.mode.rawValue) of \($0.scenario)" } ?? "no succeeded drill or execution"
            case .full:
                (last, basis) = plan.scenarios.isEmpty ? (nil, "the plan has no scenarios") : allOf(plan.scenarios, drills)
            }
        }
        guard let last else {
            return CadenceStatus(
                cadence: cadence, frequency: frequency, state: .never, lastRunID: nil, lastAtMs: nil, dueAtMs: nil,
                basis: basis)
        }
        let dueAt = due(after: last.endedAtMs, frequency)
        let forced = last.forcedSteps > 0 ? " (succeeded, \(last.forcedSteps) forced)" : ""
        return CadenceStatus(
            cadence: cadence, frequency: frequency, state: now > dueAt ? .overdue : .ok, lastRunID: last.runID,
            lastAtMs: last.endedAtMs, dueAtMs: dueAt, basis: basis + forced)
    }
}
