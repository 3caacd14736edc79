/// A scenario's predicted recovery time: the step timeline by `expect`, the critical path, the
/// worst case by `timeout` and retries, and a verdict against the RTO objective.
public struct RTOPrediction: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// Even the worst case fits the objective.
        case feasible
        /// The expected time fits but the worst case does not, or some steps have no `expect`.
        case atRisk = "at-risk"
        /// The expected time already exceeds the objective.
        case infeasible
        /// There is no RTO objective to compare with.
        case notMeasured = "not-measured"
    }

    /// One step's place in the predicted timeline (milliseconds from the start of the run).
    public struct StepTiming: Sendable, Hashable, Codable {
        public var id: String
        public var title: String
        public var action: String
        /// False when the step's `when:` skips it in this mode: it then counts as zero.
        public var applies: Bool
        /// The step's `expect`, nil when it has none.
        public var expectMs: Int64?
        /// Its worst case: timeout (or expect) × attempts plus the longest backoff delays.
        public var worstMs: Int64
        public var earliestStartMs: Int64
        public var earliestFinishMs: Int64
        public var worstStartMs: Int64
        public var worstFinishMs: Int64
        public var onCriticalPath: Bool
        /// An approval: its expected time is people deciding.
        public var humanWait: Bool
    }

    public var mode: RunMode
    /// In topological order.
    public var steps: [StepTiming]
    /// Step ids of the longest path by `expect` (to the window's end step, when there is a window).
    public var criticalPath: [String]
    /// Length of the critical path.
    public var criticalPathMs: Int64
    /// The RTO window measured (nil: the whole run).
    public var window: RTOWindow?
    /// Expected RTO over the window.
    public var predictedRTOMs: Int64
    /// Worst-case RTO over the window.
    public var worstCaseRTOMs: Int64
    public var objectiveMs: Int64?
    /// Expected time waiting for people (approval steps on the critical path), included in the RTO.
    public var humanWaitMs: Int64
    /// Steps without a `timeout`: their worst case is only their `expect`.
    public var unboundedSteps: [String]
    /// Steps without an `expect`: predicted as taking no time.
    public var stepsWithoutExpect: [String]
    /// Approval steps whose `timeout` pauses the run (`on_timeout: pause`, the default): the worst
    /// case counts their timeout, past which the run stops until someone resumes it. A run only
    /// keeps to the worst case when they are decided in time; with `on_timeout: deny` the step
    /// fails at its timeout instead.
    public var approvalsThatPause: [String] = []
    public var verdict: Verdict

    /// Predicts the scenario's RTO in `mode`. Steps in a dependency cycle are left out.
    public static func predict(_ resolved: ResolvedScenario, mode: RunMode) -> RTOPrediction {
        let runbook = resolved.runbook
        let graph = StepGraph(steps: runbook.steps)
        var byID: [String: Step] = [:]
        for step in runbook.steps where byID[step.id] == nil { byID[step.id] = step }
        let acyclic = Array(graph.topologicalOrder.prefix(graph.acyclicCount))

        var timings: [String: StepTiming] = [:]
        var criticalParent: [String: String] = [:]
        for id in acyclic {
            let step = byID[id]!
            let applies = step.when.applies(to: mode)
            let expect = step.expect?.milliseconds
            let expected = applies ? (expect ?? 0) : 0
            let worst = applies ? worstCase(step) : 0
            var best: (id: String, finish: Int64)?
            var worstStart: Int64 = 0
            for need in graph.needs(of: id) {
                guard let t = timings[need] else { continue }
                if best == nil || t.earliestFinishMs > best!.finish { best = (need, t.earliestFinishMs) }
                worstStart = max(worstStart, t.worstFinishMs)
            }
            let start = best?.finish ?? 0
            criticalParent[id] = best?.id
            timings[id] = StepTiming(
                id: id, title: step.displayTitle, action: step.action, applies: applies, expectMs: expect,
                worstMs: worst, earliestStartMs: start, earliestFinishMs: start + expected,
                worstStartMs: worstStart, worstFinishMs: worstStart + worst, onCriticalPath: false,
                humanWait: step.action == "approval")
        }

        // The window: from the start of `start` to the end of `end`; by default the whole run.
        let window = runbook.rtoWindow.flatMap { w in timings[w.start] != nil && timings[w.end] != nil ? w : nil }
        var endID: String? = window?.end
        if endID == nil {
            var latest: Int64 = -1
            for id in acyclic where timings[id]!.earliestFinishMs > latest {
                latest = timings[id]!.earliestFinishMs
                endID = id
            }
        }
        var path: [String] = []
        var cursor = endID
        while let id = cursor {
            path.append(id)
            cursor = criticalParent[id]
        }
        path.reverse()
        for id in path { timings[id]?.onCriticalPath = true }

        let predicted: Int64
        let worstRTO: Int64
        var relevant: Set<String>
        if let window {
            predicted = timings[window.end]!.earliestFinishMs - timings[window.start]!.earliestStartMs
            worstRTO = timings[window.end]!.worstFinishMs - timings[window.start]!.worstStartMs
            relevant = graph.ancestors(of: window.end)
            relevant.insert(window.end)
        } else {
            predicted = acyclic.map { timings[$0]!.earliestFinishMs }.max() ?? 0
            worstRTO = acyclic.map { timings[$0]!.worstFinishMs }.max() ?? 0
            relevant = Set(acyclic)
        }
        let ordered = acyclic.map { timings[$0]! }
        let applying = ordered.filter(\.applies)
        let unbounded = applying.filter { byID[$0.id]!.timeout == nil }.map(\.id)
        let withoutExpect = applying.filter { $0.expectMs == nil }.map(\.id)
        let humanWait = path.compactMap { timings[$0] }.filter { $0.humanWait && $0.applies }
            .reduce(Int64(0)) { $0 + ($1.expectMs ?? 0) }

        let objective = resolved.objectives.rtoMs
        let verdict: Verdict
        if let objective {
            let missingExpect = withoutExpect.contains { relevant.contains($0) }
            if predicted > objective {
                verdict = .infeasible
            } else if worstRTO > objective || missingExpect {
                verdict = .atRisk
            } else {
                verdict = .feasible
            }
        } else {
            verdict = .notMeasured
        }
        var prediction = RTOPrediction(
            mode: mode, steps: ordered, criticalPath: path,
            criticalPathMs: endID.map { timings[$0]!.earliestFinishMs } ?? 0, window: window,
            predictedRTOMs: predicted, worstCaseRTOMs: worstRTO, objectiveMs: objective, humanWaitMs: humanWait,
            unboundedSteps: unbounded, stepsWithoutExpect: withoutExpect, verdict: verdict)
        prediction.approvalsThatPause = mode == .tabletop ? [] : applying.compactMap { timing in
            let step = byID[timing.id]!
            guard step.timeout != nil, ApprovalRule(of: step, in: mode)?.onTimeout == .pause else { return nil }
            return step.id
        }
        return prediction
    }

    /// timeout (or expect) per attempt × attempts, plus the longest delay before each retry.
    static func worstCase(_ step: Step) -> Int64 {
        let perAttempt = step.timeout?.milliseconds ?? step.expect?.milliseconds ?? 0
        let policy = step.retry ?? .none
        let attempts = max(policy.attempts, 1)
        var total = perAttempt * Int64(attempts)
        if attempts > 1 {
            for failed in 1..<attempts { total += policy.delay(afterAttempt: failed, sample: 1) }
        }
        return total
    }
}
