/// A DR plan: what a service promises (tier, objectives, drill cadence) and its scenarios.
public struct Plan: Sendable {
    public var id: String
    public var description: String?
    public var owner: String?
    public var tier: Int?
    /// Objectives after applying tier defaults and the plan's `objectives:` overrides.
    public var objectives: Objectives
    public var schedule: [Cadence: Frequency]
    /// The scenarios that together make up one test of a cadence (`failover: {every: semiannual,
    /// scenarios: [region-failure, failback]}`): it counts only when each of them succeeded. A
    /// cadence not listed here takes its default (any scenario; every scenario for `full`).
    public var cadenceScenarios: [Cadence: [String]]
    /// How many steps may run at once per bulkhead: a step's `bulkhead:` name or an action's
    /// endpoint (`postgres://127.0.0.2:15432`, `http://host:port`).
    public var bulkheads: [String: Int]
    /// Messages sent on run events without a step in the runbook (`notify:`).
    public var notify: [PlanNotification]
    public var vars: [String: Value]
    public var secrets: [String: SecretSource]
    /// In document order.
    public var scenarios: [Scenario]
    public var source: DocumentSource

    public init(
        id: String, description: String? = nil, owner: String? = nil, tier: Int? = nil,
        objectives: Objectives = .init(), schedule: [Cadence: Frequency] = [:],
        cadenceScenarios: [Cadence: [String]] = [:], bulkheads: [String: Int] = [:], notify: [PlanNotification] = [],
        vars: [String: Value] = [:],
        secrets: [String: SecretSource] = [:], scenarios: [Scenario] = [], source: DocumentSource
    ) {
        self.id = id
        self.description = description
        self.owner = owner
        self.tier = tier
        self.objectives = objectives
        self.schedule = schedule
        self.cadenceScenarios = cadenceScenarios
        self.bulkheads = bulkheads
        self.notify = notify
        self.vars = vars
        self.secrets = secrets
        self.scenarios = scenarios
        self.source = source
    }

    public func scenario(named name: String) -> Scenario? { scenarios.first { $0.name == name } }
}

/// Recovery time and recovery point objectives. Nil means "no objective".
public struct Objectives: Sendable, Hashable, Codable {
    public var rtoMs: Int64?
    public var rpoMs: Int64?
    /// What the RTO objective is judged on: the runbook's window (the default) or the outage users
    /// saw (`judge_rto_by: outage`, from the probe that `measures: outage`).
    public var judgeRTOBy: RTOJudge?

    public enum RTOJudge: String, Sendable, Hashable, Codable, CaseIterable {
        case window, outage
    }

    public init(rtoMs: Int64? = nil, rpoMs: Int64? = nil, judgeRTOBy: RTOJudge? = nil) {
        self.rtoMs = rtoMs
        self.rpoMs = rpoMs
        self.judgeRTOBy = judgeRTOBy
    }

    /// The seed's tier defaults: 1 → 1h/5m, 2 → 4h/1h, 3 → 24h/24h.
    public static func tierDefault(_ tier: Int) -> Objectives? {
        switch tier {
        case 1: return Objectives(rtoMs: 3_600_000, rpoMs: 300_000)
        case 2: return Objectives(rtoMs: 14_400_000, rpoMs: 3_600_000)
        case 3: return Objectives(rtoMs: 86_400_000, rpoMs: 86_400_000)
        default: return nil
        }
    }

    /// `self` with any objective `overrides` sets replacing ours.
    public func overridden(by overrides: Objectives?) -> Objectives {
        guard let overrides else { return self }
        return Objectives(
            rtoMs: overrides.rtoMs ?? rtoMs, rpoMs: overrides.rpoMs ?? rpoMs, judgeRTOBy: overrides.judgeRTOBy ?? judgeRTOBy)
    }
}

/// The kinds of DR test a plan schedules (the seed's testing schedule).
public enum Cadence: String, Sendable, Hashable, Codable, CaseIterable {
    case tabletop, failover, full
}

public enum Frequency: String, Sendable, Hashable, Codable, CaseIterable {
    case weekly, monthly, quarterly, semiannual, annual

    public var months: Int? {
        switch self {
        case .weekly: return nil
        case .monthly: return 1
        case .quarterly: return 3
        case .semiannual: return 6
        case .annual: return 12
        }
    }
}

/// Where a secret comes from at run time. The value itself is never stored.
public enum SecretSource: Sendable, Hashable, Codable {
    case env(String)
    case file(String)
}

public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// As written in the plan (relative to the plan file).
    public var runbookPath: String
    /// Absolute path after resolving against the plan's folder.
    public var resolvedRunbookPath: String
    public var with: [String: Value]
    public var objectives: Objectives?
    public var location: SourceLocation

    public init(
        name: String, description: String? = nil, runbookPath: String, resolvedRunbookPath: String,
        with: [String: Value] = [:], objectives: Objectives? = nil, location: SourceLocation
    ) {
        self.name = name
        self.description = description
        self.runbookPath = runbookPath
        self.resolvedRunbookPath = resolvedRunbookPath
        self.with = with
        self.objectives = objectives
        self.location = location
    }
}

/// The text of a document as loaded, so that a run can pin exactly what it ran.
public struct DocumentSource: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case plan, runbook }
    public var kind: Kind
    public var path: String
    public var text: String

    public init(kind: Kind, path: String, text: String) {
        self.kind = kind
        self.path = path
        self.text = text
    }
}

/// One entry of a plan's `notify:`: where to send a message (a `notify` action's `url`, `headers`,
/// `timeout`, `tls`, as written: `${secrets…}` render when the message is sent) and on which run
/// events.
public struct PlanNotification: Sendable, Hashable {
    public var on: [NotifyTrigger]
    public var with: [String: Value]
    public var location: SourceLocation

    public init(on: [NotifyTrigger], with: [String: Value], location: SourceLocation) {
        self.on = on
        self.with = with
        self.location = location
    }
}
