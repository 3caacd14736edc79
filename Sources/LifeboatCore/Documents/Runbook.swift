/// A runbook: typed steps with dependencies.
public struct Runbook: Sendable {
    public var id: String
    public var description: String?
    /// In document order.
    public var params: [ParamSpec]
    public var rtoWindow: RTOWindow?
    /// In document order.
    public var steps: [Step]
    /// Steady-state probes, in document order.
    public var probes: [Probe]
    public var source: DocumentSource

    public init(
        id: String, description: String? = nil, params: [ParamSpec] = [], rtoWindow: RTOWindow? = nil,
        steps: [Step], probes: [Probe] = [], source: DocumentSource
    ) {
        self.id = id
        self.description = description
        self.params = params
        self.rtoWindow = rtoWindow
        self.steps = steps
        self.probes = probes
        self.source = source
    }

    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }
}

public struct ParamSpec: Sendable, Hashable {
    public enum ParamType: String, Sendable, Hashable, Codable, CaseIterable {
        case string, int, number, bool, duration, size, list, map
    }

    public var name: String
    public var type: ParamType
    public var required: Bool
    public var defaultValue: Value?
    public var description: String?
    public var location: SourceLocation

    public init(
        name: String, type: ParamType, required: Bool = false, defaultValue: Value? = nil,
        description: String? = nil, location: SourceLocation
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.description = description
        self.location = location
    }
}

/// The part of a run over which RTO is measured: from the start of `start` to the end of `end`.
public struct RTOWindow: Sendable, Hashable, Codable {
    public var start: String
    public var end: String

    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }
}

public struct Step: Sendable {
    public var id: String
    public var title: String?
    /// What the step is for, in the author's words (shown in a tabletop and at `run --step`).
    public var description: String?
    public var action: String
    public var needs: [String]
    /// Parameters as written, `${...}` references not yet substituted.
    public var with: [String: Value]
    public var timeout: Duration?
    public var retry: RetryPolicy?
    /// Expected duration, for prediction and tabletop.
    public var expect: Duration?
    public var when: When
    public var rollback: Compensation?
    /// The author's override of the action's idempotency (`idempotent: true|false`).
    public var idempotent: Bool?
    /// The bulkhead the step counts against (`bulkhead: NAME`); without it, its action's endpoint.
    public var bulkhead: String?
    /// The outputs a tabletop walk-through stands in for, so later steps that reference them render.
    public var tabletopOutputs: [String: Value]
    public var location: SourceLocation
    /// Locations of fields by dotted path (`with.url`, `needs.0`, `timeout`), for error messages.
    public var fieldLocations: [String: SourceLocation]

    public init(
        id: String, title: String? = nil, description: String? = nil, action: String, needs: [String] = [],
        with: [String: Value] = [:], timeout: Duration? = nil, retry: RetryPolicy? = nil, expect: Duration? = nil,
        when: When = .always, rollback: Compensation? = nil, idempotent: Bool? = nil, bulkhead: String? = nil,
        tabletopOutputs: [String: Value] = [:], location: SourceLocation,
        fieldLocations: [String: SourceLocation] = [:]
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.action = action
        self.needs = needs
        self.with = with
        self.timeout = timeout
        self.retry = retry
        self.expect = expect
        self.when = when
        self.rollback = rollback
        self.idempotent = idempotent
        self.bulkhead = bulkhead
        self.tabletopOutputs = tabletopOutputs
        self.location = location
        self.fieldLocations = fieldLocations
    }

    public var displayTitle: String { title ?? id }

    /// The location of a field, falling back to the step itself.
    public func location(of field: String) -> SourceLocation { fieldLocations[field] ?? location }
}

/// Which modes run a step.
public enum When: String, Sendable, Hashable, Codable, CaseIterable {
    case always, drill, real

    public func applies(to mode: RunMode) -> Bool {
        switch (self, mode) {
        case (.always, _): return true
        case (.drill, .drill): return true
        case (.real, .execute): return true
        case (_, .tabletop), (_, .dryRun): return true
        default: return false
        }
    }
}

/// Retry with exponential backoff: attempt n (0-based) waits `random(0, min(maxDelay, delay·2ⁿ))`
/// with full jitter, or exactly `min(maxDelay, delay·2ⁿ)` without.
public struct RetryPolicy: Sendable, Hashable, Codable {
    public enum Jitter: String, Sendable, Hashable, Codable, CaseIterable { case full, none }

    /// Total attempts, including the first.
    public var attempts: Int
    public var delayMs: Int64
    public var maxDelayMs: Int64
    public var jitter: Jitter

    public init(attempts: Int, delayMs: Int64 = 1_000, maxDelayMs: Int64 = 30_000, jitter: Jitter = .full) {
        self.attempts = attempts
        self.delayMs = delayMs
        self.maxDelayMs = maxDelayMs
        self.jitter = jitter
    }

    public static let none = RetryPolicy(attempts: 1, delayMs: 0, maxDelayMs: 0, jitter: .none)

    /// The delay before attempt `failedAttempt + 1`, given a uniform sample in [0, 1).
    public func delay(afterAttempt failedAttempt: Int, sample: Double) -> Int64 {
        let exponent = min(max(failedAttempt - 1, 0), 30)
        let (scaled, overflow) = delayMs.multipliedReportingOverflow(by: Int64(1) << exponent)
        let ceiling = overflow ? maxDelayMs : min(maxDelayMs, scaled)
        switch jitter {
        case .none: return ceiling
        case .full: return Int64((Double(ceiling) * min(max(sample, 0), 1)).rounded(.down))
        }
    }
}

/// A compensation: what `lifeboat rollback` runs to undo a completed step.
public struct Compensation: Sendable {
    public var action: String
    public var with: [String: Value]
    public var location: SourceLocation

    public init(action: String, with: [String: Value] = [:], location: SourceLocation) {
        self.action = action
        self.with = with
        self.location = location
    }
}

/// How a run treats the world.
public enum RunMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// A real failover.
    case execute
    /// The real steps, tagged as a drill (`when: drill` steps run, `when: real` are skipped).
    case drill
    /// A walk-through with the team; nothing is touched.
    case tabletop
    /// Resolve, preflight and predict; nothing is touched and no run is recorded.
    case dryRun = "dry-run"
}
