import LifeboatCore

/// What the evidence commands, `watch` and the war-room pages read from a store (SQLite or the team
/// store), beyond the engine's `StateStore`: the CLI's stores conform. Nothing here writes.
public protocol EvidenceStore: StateStore {
    /// Where it is, for the pages (a team store's without its password).
    var name: String { get }
    /// The run's events after its first `count`, in log order.
    func events(of runID: String, after count: Int) async throws -> [RunEvent]
    func measuredRuns(_ query: HistoryQuery) async throws -> [MeasuredRun]
    /// Per plan + scenario + mode: counts, success rate, RTO/RPO figures.
    func historySummary(_ query: HistoryQuery, last: Int) async throws -> [HistorySummaryGroup]
    /// The newest succeeded run of every plan + scenario + mode (schedule compliance).
    func latestSucceededRuns() async throws -> [ScheduleCompliance.LatestRun]
    /// The latest output line the executor shared for each of the run's steps (`StepProgress`).
    func stepProgress(of runID: String) async throws -> [StepProgress]
    /// Shares a running step's latest output line (the executor, at most once a second per step).
    func noteProgress(_ progress: StepProgress, of runID: String) async throws
}
