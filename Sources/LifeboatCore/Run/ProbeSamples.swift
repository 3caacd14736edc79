/// What one sample of a probe found.
public enum ProbeOutcome: String, Sendable, Hashable, Codable {
    case passed = "p"
    case failed = "f"
    /// The probe could not run at all (its parameters do not render, its action or command is
    /// missing, it is misconfigured): this says nothing about the service.
    case notRunnable = "n"

    /// Whether a failure of the action means the probe itself cannot run rather than the service
    /// failing its check.
    public static func ofFailure(_ error: LifeboatError) -> ProbeOutcome {
        if error.couldNotStart { return .notRunnable }
        switch error.code {
        case .invalidInput, .internalError: return .notRunnable
        default: return .failed
        }
    }
}

/// One sample: when it started (wall clock, UTC ms), what it found, and why not when it did not pass.
public struct ProbeSample: Sendable, Hashable {
    public var probe: String
    public var atMs: Int64
    public var outcome: ProbeOutcome
    public var problem: String?

    public init(probe: String, atMs: Int64, outcome: ProbeOutcome, problem: String? = nil) {
        self.probe = probe
        self.atMs = atMs
        self.outcome = outcome
        self.problem = problem
    }
}

extension ProbeSample {
    /// Every recorded sample of probe `probe` in a run's log, in the order they were taken.
    public static func all(of probe: String, in events: [RunEvent]) -> [ProbeSample] {
        var samples: [ProbeSample] = []
        for event in events {
            guard case .probeSamples(let series) = event.kind else { continue }
            for batch in series where batch.probe == probe { samples += batch.samples }
        }
        return samples.sorted { $0.atMs < $1.atMs }
    }
}

/// A batch of one probe's samples as recorded: compact (one letter and one offset per sample),
/// with the last problem seen in the batch.
public struct ProbeSeries: Sendable, Hashable, Codable {
    public var probe: String
    /// The first sample's time (wall clock, UTC ms); `offsetsMs[i]` is sample i's after it.
    public var firstAtMs: Int64
    public var offsetsMs: [Int64]
    /// One letter per sample (`ProbeOutcome`'s raw values): "ppffp".
    public var outcomes: String
    /// The last message of a sample that did not pass, masked.
    public var problem: String?

    /// Groups samples (in the order taken) by probe, in order of each probe's first sample.
    public static func batches(_ samples: [ProbeSample]) -> [ProbeSeries] {
        var order: [String] = []
        var byProbe: [String: ProbeSeries] = [:]
        for sample in samples {
            if byProbe[sample.probe] == nil {
                order.append(sample.probe)
                byProbe[sample.probe] = ProbeSeries(probe: sample.probe, firstAtMs: sample.atMs, offsetsMs: [], outcomes: "")
            }
            byProbe[sample.probe]!.offsetsMs.append(sample.atMs - byProbe[sample.probe]!.firstAtMs)
            byProbe[sample.probe]!.outcomes.append(sample.outcome.rawValue)
            if sample.outcome != .passed, let problem = sample.problem { byProbe[sample.probe]!.problem = problem }
        }
        return order.map { byProbe[$0]! }
    }

    /// The batch's samples (the problem is on the last that did not pass).
    public var samples: [ProbeSample] {
        let outcomes = outcomes.map { ProbeOutcome(rawValue: String($0)) ?? .failed }
        let lastProblem = outcomes.lastIndex { $0 != .passed }
        return zip(offsetsMs, outcomes).enumerated().map { index, pair in
            ProbeSample(probe: probe, atMs: firstAtMs + pair.0, outcome: pair.1, problem: index == lastProblem ? problem : nil)
        }
    }
}

/// What the machine keeps of a probe's recent samples to judge its abort criterion: since the
/// executor started (a resume starts afresh) or since it last breached.
struct ProbeWindow: Sendable, Hashable {
    struct Point: Sendable, Hashable {
        var atMs: Int64
        var failed: Bool
    }

    /// The first sample that counted (passed or failed) since the window was opened.
    var firstAtMs: Int64?
    /// The first failed sample of the current run of failures.
    var failingSinceMs: Int64?
    /// Samples within the rule's span of the last one.
    var recent: [Point] = []
    var lastProblem: String?
    /// A breach was recorded without stopping the run (`report`): not judged again until it clears.
    var reported = false

    /// Adds a sample; not-runnable samples say nothing about the service and do not count.
    mutating func add(_ sample: ProbeSample, spanMs: Int64) {
        guard sample.outcome != .notRunnable else { return }
        let failed = sample.outcome == .failed
        if firstAtMs == nil { firstAtMs = sample.atMs }
        if failed {
            if failingSinceMs == nil { failingSinceMs = sample.atMs }
            if let problem = sample.problem { lastProblem = problem }
        } else {
            failingSinceMs = nil
        }
        recent.append(Point(atMs: sample.atMs, failed: failed))
        let horizon = sample.atMs - spanMs
        if let keep = recent.firstIndex(where: { $0.atMs > horizon }), keep > 0 { recent.removeFirst(keep) }
    }

    /// Why the rule is breached now, or nil.
    func breach(_ rule: ProbeAbortRule) -> String? {
        guard let last = recent.last else { return nil }
        let why = lastProblem.map { ": \($0)" } ?? ""
        switch rule {
        case .failingFor(let ms):
            guard let since = failingSinceMs, last.failed, last.atMs - since >= ms else { return nil }
            return "failing for \(DurationText.format(milliseconds: last.atMs - since)) (abort_when: \(rule.text))\(why)"
        case .errorRate(let percent, let over):
            guard let first = firstAtMs, last.atMs - first >= over else { return nil }
            let failed = recent.filter(\.failed).count
            let rate = Double(failed) * 100 / Double(recent.count)
            guard rate > percent else { return nil }
            let shown = (rate * 10).rounded() / 10
            return "\(failed) of \(recent.count) samples failed over the last \(DurationText.format(milliseconds: over)) (\(shown)% > \(ProbeAbortRule.percentText(percent)))\(why)"
        }
    }
}
