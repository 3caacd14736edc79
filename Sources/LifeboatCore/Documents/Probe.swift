/// A runbook's steady-state probe (`probes:`): an action (`http.check`, `postgres.query`,
/// `dns.check`, `command`) run every `interval` from the run's start, or from a named step, to its
/// end. Its samples are recorded; its abort criterion pauses or aborts the run; one marked
/// `measures: outage` gives the run's observed outage.
public struct Probe: Sendable {
    public var id: String
    public var action: String
    /// Parameters as written (params, vars, secrets and run fields only: a probe runs beside the
    /// steps, not after them).
    public var with: [String: Value]
    public var intervalMs: Int64
    /// How long one sample may take; the interval when not given.
    public var timeoutMs: Int64?
    /// The step whose start starts the probe; nil: the run's start.
    public var from: String?
    public var abortWhen: ProbeAbortRule?
    public var onBreach: ProbeBreachAction
    public var measuresOutage: Bool
    public var location: SourceLocation

    public init(
        id: String, action: String, with: [String: Value] = [:], intervalMs: Int64 = Probe.defaultIntervalMs,
        timeoutMs: Int64? = nil, from: String? = nil, abortWhen: ProbeAbortRule? = nil, onBreach: ProbeBreachAction = .pause,
        measuresOutage: Bool = false, location: SourceLocation
    ) {
        self.id = id
        self.action = action
        self.with = with
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.from = from
        self.abortWhen = abortWhen
        self.onBreach = onBreach
        self.measuresOutage = measuresOutage
        self.location = location
    }

    /// The chaos guide's continuous HTTP probe runs every 5 s.
    public static let defaultIntervalMs: Int64 = 5_000
    /// The shortest interval a runbook may ask for.
    public static let minimumIntervalMs: Int64 = 50

    /// What the run header records of it.
    public var header: ProbeHeader {
        ProbeHeader(
            id: id, action: action, intervalMs: intervalMs, timeoutMs: timeoutMs ?? intervalMs, from: from,
            abortWhen: abortWhen, onBreach: onBreach, measuresOutage: measuresOutage)
    }
}

/// When a probe's failures stop the run (`abort_when:`).
public enum ProbeAbortRule: Sendable, Hashable, Codable {
    /// `{failing_for: 30s}`: every sample failed for at least this long.
    case failingFor(ms: Int64)
    /// `{error_rate: "1%", over: 30s}`: more than `percent` of the samples of the last `overMs`
    /// failed (judged once the probe has run that long).
    case errorRate(percent: Double, overMs: Int64)

    /// How far back the rule looks.
    public var spanMs: Int64 {
        switch self {
        case .failingFor(let ms): return ms
        case .errorRate(_, let over): return over
        }
    }

    public var text: String {
        switch self {
        case .failingFor(let ms): return "failing for \(DurationText.format(milliseconds: ms))"
        case .errorRate(let percent, let over):
            return "error rate above \(Self.percentText(percent)) over \(DurationText.format(milliseconds: over))"
        }
    }

    static func percentText(_ percent: Double) -> String {
        percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
    }
}

/// What a breached probe does to the run (`on_breach:`). Only a drill is stopped: a real failover
/// (or a probe that says `report`) records the breach and sends its notification, and goes on.
public enum ProbeBreachAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stop starting steps and pause once running ones finish: resumable (the default).
    case pause
    /// Stop starting steps and end the run as aborted.
    case abort
    /// Record and notify only; judged again once the probe has recovered.
    case report

    /// What a breach does in a run of `mode`: a real failover is never stopped by its probes (the
    /// service is down already; stopping the recovery would only make the outage longer).
    public func inRun(of mode: RunMode) -> ProbeBreachAction { mode == .drill ? self : .report }

    /// What the breach does, in words.
    public var consequence: String {
        switch self {
        case .pause: return "the run pauses once running steps end"
        case .abort: return "the run aborts once running steps end"
        case .report: return "the run goes on (only a drill is stopped by its probes)"
        }
    }
}

/// A probe as the run header records it (what the machine and the reports need).
public struct ProbeHeader: Sendable, Hashable, Codable {
    public var id: String
    public var action: String
    public var intervalMs: Int64
    public var timeoutMs: Int64
    public var from: String?
    public var abortWhen: ProbeAbortRule?
    public var onBreach: ProbeBreachAction
    public var measuresOutage: Bool

    public init(
        id: String, action: String, intervalMs: Int64, timeoutMs: Int64, from: String? = nil,
        abortWhen: ProbeAbortRule? = nil, onBreach: ProbeBreachAction = .pause, measuresOutage: Bool = false
    ) {
        self.id = id
        self.action = action
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.from = from
        self.abortWhen = abortWhen
        self.onBreach = onBreach
        self.measuresOutage = measuresOutage
    }
}
