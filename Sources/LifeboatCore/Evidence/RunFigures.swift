/// The figures of a run that history, status and metrics read: what `RunMeasurement` computed when
/// the run last ended, stored as columns of the `runs` table so that no query re-reads events.
public struct RunFigures: Sendable, Hashable, Codable {
    public struct RTO: Sendable, Hashable, Codable {
        public var objectiveMs: Int64?
        public var achievedMs: Int64?
        public var verdict: RunMeasurement.Verdict
        /// `monotonic`, `wall clock (spans a resume)` or `not reached`.
        public var method: String
        /// Time waiting for people inside the RTO window (reported beside, not subtracted).
        public var humanWaitMs: Int64

        public init(
            objectiveMs: Int64?, achievedMs: Int64?, verdict: RunMeasurement.Verdict, method: String, humanWaitMs: Int64
        ) {
            self.objectiveMs = objectiveMs
            self.achievedMs = achievedMs
            self.verdict = verdict
            self.method = method
            self.humanWaitMs = humanWaitMs
        }
    }

    public struct RPO: Sendable, Hashable, Codable {
        public var objectiveMs: Int64?
        public var achievedMs: Int64?
        public var verdict: RunMeasurement.Verdict
        /// False when the figure is an upper bound; nil when not measured.
        public var exact: Bool?

        /// A step measured the data loss and could not bound it.
        public var notBounded: Bool { achievedMs == nil && exact == false }

        public init(objectiveMs: Int64?, achievedMs: Int64?, verdict: RunMeasurement.Verdict, exact: Bool?) {
            self.objectiveMs = objectiveMs
            self.achievedMs = achievedMs
            self.verdict = verdict
            self.exact = exact
        }
    }

    /// The outage a probe that `measures: outage` saw: `durationMs` nil when it could not tell,
    /// `lowerBound` when its start or end was not seen. Nil when no probe measures it.
    public struct Outage: Sendable, Hashable, Codable {
        public var durationMs: Int64?
        public var lowerBound: Bool

        public init(durationMs: Int64?, lowerBound: Bool) {
            self.durationMs = durationMs
            self.lowerBound = lowerBound
        }

        /// "1.6s", "≥ 400ms" (its start or end was not seen), or "not measured".
        public var text: String {
            durationMs.map { (lowerBound ? "≥ " : "") + DurationText.format(milliseconds: $0) } ?? "not measured"
        }
    }

    public var rto: RTO
    public var rpo: RPO
    public var outage: Outage?

    public init(rto: RTO, rpo: RPO, outage: Outage? = nil) {
        self.rto = rto
        self.rpo = rpo
        self.outage = outage
    }

    /// The stored figures of a measurement.
    public init(_ m: RunMeasurement) {
        rto = RTO(
            objectiveMs: m.rto.objectiveMs, achievedMs: m.rto.achievedMs, verdict: m.rto.verdict, method: m.rto.method,
            humanWaitMs: m.rto.humanWaitMs)
        rpo = RPO(objectiveMs: m.rpo.objectiveMs, achievedMs: m.rpo.achievedMs, verdict: m.rpo.verdict, exact: m.rpo.exact)
        outage = m.outage?.figure
    }

    /// The figures a run's row must hold: those of its events when the run has ended (succeeded,
    /// failed, aborted, rolled back or rollback failed), nil while it has not.
    public static func expected(for run: RunRecord, events: [RunEvent]) -> RunFigures? {
        guard run.endedAtMs != nil, let m = RunMeasurement.compute(events) else { return nil }
        return RunFigures(m)
    }
}

/// A run row with its stored figures (nil until the run has ended).
public struct MeasuredRun: Sendable, Hashable, Codable {
    public var run: RunRecord
    public var measurement: RunFigures?
    /// How many of its steps carry an outcome an operator forced (resolve, skip).
    public var forcedSteps: Int

    public init(run: RunRecord, measurement: RunFigures?, forcedSteps: Int = 0) {
        self.run = run
        self.measurement = measurement
        self.forcedSteps = forcedSteps
    }

    /// `succeeded`, `succeeded, 1 forced`, `paused (unknown-step)`.
    public var outcomeText: String {
        run.status.rawValue + (run.pauseReason.map { " (\($0.rawValue))" } ?? "")
            + (forcedSteps > 0 ? ", \(forcedSteps) forced" : "")
    }
}
