/// What a run achieved against its objectives, computed from its events alone.
public struct RunMeasurement: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable { case met, missed, notMeasured = "not measured" }

    public struct RTO: Sendable, Hashable, Codable {
        public var objectiveMs: Int64?
        /// From the start of the window's first step to the end of its last; nil if not reached.
        public var achievedMs: Int64?
        /// `monotonic` when measured within one process; `wall clock` when the window spans a resume.
        public var method: String
        /// Time spent waiting for people inside the window (reported beside, not subtracted).
        public var humanWaitMs: Int64
        public var windowStart: String?
        public var windowEnd: String?
        public var verdict: Verdict
        /// From the incident (`RunHeader.incidentAtMs`) to the end of the window, wall clock: what
        /// the outage lasted before the recovery was done, beside the window's figure. Nil when no
        /// incident time was given or the window was not completed.
        public var fromIncidentMs: Int64?
        public var incidentAtMs: Int64?
        /// `.outage` when the objective is judged on the observed outage (`judge_rto_by: outage`);
        /// nil: on the window.
        public var judgedBy: Objectives.RTOJudge?
    }

    public struct RPO: Sendable, Hashable, Codable {
        public var objectiveMs: Int64?
        /// nil with a `method`: a step measured data loss and could not bound it ("not bounded").
        public var achievedMs: Int64?
        public var method: String?
        /// False when the figure is an upper bound rather than an exact measurement.
        public var exact: Bool?
        public var verdict: Verdict

        /// A step measured the data loss and could not bound it: `method` says why.
        public var notBounded: Bool { achievedMs == nil && method != nil }
    }

    public var rto: RTO
    public var rpo: RPO
    /// Wall-clock time from the first executor start to the last event.
    public var elapsedMs: Int64
    /// Longest path through the step graph using the recorded step durations (tabletop: the RTO the
    /// walk-through implies if each step took what the team said).
    public var criticalPathMs: Int64
    /// The outage users saw, from the probe that `measures: outage`; nil when none does.
    public var outage: ObservedOutage?

    public static func compute(_ events: [RunEvent]) -> RunMeasurement? {
        guard let first = events.first, case .runCreated(let header) = first.kind else { return nil }
        let window = header.rtoWindow
        var firstStart: [String: RunEvent] = [:]
        var lastSuccess: [String: RunEvent] = [:]
        var runStart: RunEvent?
        var runEnd: RunEvent?
        var humanWaits: [(event: RunEvent, waitMs: Int64)] = []
        // A quorum's approvals all wait from the same request: only the last one counts.
        var grantWaitIndex: [String: Int] = [:]
        var durations: [String: Int64] = [:]
        var rpoMs: Int64?
        var rpoMethod: String?
        var rpoExact: Bool?
        var notBounded: String?

        for event in events {
            switch event.kind {
            case .executorStarted: if runStart == nil { runStart = event }
            case .stepStarted(let id, _):
                if firstStart[id] == nil { firstStart[id] = event }
            case .approvalRequested(let id, _):
                if firstStart[id] == nil { firstStart[id] = event }
                grantWaitIndex[id] = nil
            case .stepSucceeded(let id, _, let duration, let result):
                lastSuccess[id] = event
                durations[id] = duration
                if let reported = result.outputs["data_loss_window_ms"], notBounded == nil {
                    if let loss = reported.intValue {
                        if rpoMs == nil || Int64(loss) > rpoMs! {
                            rpoMs = Int64(loss)
                            rpoMethod = result.outputs["rpo_method"]?.stringValue ?? "step \(id)"
                            rpoExact = result.outputs["rpo_exact"]?.boolValue ?? false
                        }
                    } else {
                        // A step that measured data loss and could not bound it: so is the run.
                        notBounded = result.outputs["rpo_method"]?.stringValue ?? "not bounded: step \(id) could not bound the data loss"
                    }
                }
            case .approvalGranted(let id, _, _, let wait, _):
                lastSuccess[id] = event
                durations[id] = wait
                if let index = grantWaitIndex[id] {
                    humanWaits[index] = (event, wait)
                } else {
                    grantWaitIndex[id] = humanWaits.count
                    humanWaits.append((event, wait))
                }
            case .stepAnswered(_, _, _, _, let wait, _):
                humanWaits.append((event, wait))
            case .stepVerified(let id, .done):
                lastSuccess[id] = event
            case .stepResolved(let id, .succeeded, _, _, _):
                lastSuccess[id] = event
            case .runFinished(.succeeded):
                runEnd = event
            default:
                break
            }
        }

        let startEvent = window.map { firstStart[$0.start] } ?? runStart
        let endEvent = window.map { lastSuccess[$0.end] } ?? runEnd
        var achieved: Int64?
        var method = "not reached"
        if let s = startEvent, let e = endEvent {
            if s.session == e.session {
                achieved = e.monoMs - s.monoMs
                method = "monotonic"
            } else {
                achieved = e.atMs - s.atMs
                method = "wall clock (spans a resume)"
            }
        }
        let wait = humanWaits.filter { w in
            guard let s = startEvent else { return false }
            return w.event.atMs >= s.atMs && (endEvent.map { w.event.atMs <= $0.atMs } ?? true)
        }.reduce(0) { $0 + $1.waitMs }

        var rto = RTO(
            objectiveMs: header.objectives.rtoMs, achievedMs: achieved, method: method, humanWaitMs: wait,
            windowStart: window?.start, windowEnd: window?.end,
            verdict: verdict(achieved: achieved, objective: header.objectives.rtoMs))
        if let incident = header.incidentAtMs {
            rto.incidentAtMs = incident
            rto.fromIncidentMs = endEvent.map { max(0, $0.atMs - incident) }
        }
        var rpo = RPO(
            objectiveMs: header.objectives.rpoMs, achievedMs: rpoMs, method: rpoMethod, exact: rpoExact,
            verdict: verdict(achieved: rpoMs, objective: header.objectives.rpoMs))
        if let notBounded {
            // Never a small number: an objective cannot be shown met by a loss nobody could bound.
            rpo = RPO(
                objectiveMs: header.objectives.rpoMs, achievedMs: nil, method: notBounded, exact: false,
                verdict: header.objectives.rpoMs == nil ? .notMeasured : .missed)
        }
        let outage = ObservedOutage.measure(events)
        if header.objectives.judgeRTOBy == .outage {
            rto.judgedBy = .outage
            rto.verdict = judge(outage, objective: header.objectives.rtoMs)
        }
        let elapsed = (events.last?.atMs ?? 0) - (runStart?.atMs ?? first.atMs)
        return RunMeasurement(
            rto: rto, rpo: rpo, elapsedMs: max(elapsed, 0),
            criticalPathMs: longestPath(header.steps, durations: durations), outage: outage)
    }

    /// The RTO verdict on the observed outage: met only on a whole figure within the objective; a
    /// lower bound can only show it missed.
    public static func judge(_ outage: ObservedOutage?, objective: Int64?) -> Verdict {
        guard let objective, let outage, let duration = outage.durationMs else { return .notMeasured }
        if duration > objective { return .missed }
        return outage.lowerBound ? .notMeasured : .met
    }

    private static func verdict(achieved: Int64?, objective: Int64?) -> Verdict {
        guard let achieved, let objective else { return .notMeasured }
        return achieved <= objective ? .met : .missed
    }

    /// Longest path through `steps` (already in topological order) weighted by `durations`.
    public static func longestPath(_ steps: [StepHeader], durations: [String: Int64]) -> Int64 {
        var finish: [String: Int64] = [:]
        for step in steps {
            let start = step.needs.compactMap { finish[$0] }.max() ?? 0
            finish[step.id] = start + (durations[step.id] ?? 0)
        }
        return finish.values.max() ?? 0
    }
}
