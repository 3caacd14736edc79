/// Who may decide an approval step, how many must agree and what its timeout does: the step's
/// `approvers`, `quorum`, `separation_of_duties` and `on_timeout`, frozen when the run is created.
public struct ApprovalRule: Sendable, Hashable, Codable {
    /// Accounts, and groups written `group:NAME` (a Unix group on SQLite, a role on PostgreSQL).
    /// Empty: anyone.
    public var approvers: [String]
    /// How many distinct people must approve.
    public var quorum: Int
    /// The people who started or resumed the run may not approve its steps.
    public var separationOfDuties: Bool
    /// What the step's `timeout:` does when nobody decided in time.
    public var onTimeout: TimeoutOutcome

    public enum TimeoutOutcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// The run stops, resumable (exit 3); `resume` asks again.
        case pause
        /// The step fails as if denied.
        case deny
    }

    public static let groupPrefix = "group:"

    public init(approvers: [String] = [], quorum: Int = 1, separationOfDuties: Bool = false, onTimeout: TimeoutOutcome = .pause) {
        self.approvers = approvers
        self.quorum = quorum
        self.separationOfDuties = separationOfDuties
        self.onTimeout = onTimeout
    }

    /// The rule of a run recorded before rules were kept: anyone, once.
    public static let anyone = ApprovalRule()

    /// Separation of duties when the step does not say: on for a real failover, off in drills.
    public static func separationOfDutiesByDefault(in mode: RunMode) -> Bool { mode == .execute }

    /// Whether an entry of `approvers` names `caller` (their account, or a group they belong to).
    public func admits(_ caller: Caller) -> Bool {
        approvers.isEmpty || approvers.contains { entry in
            if entry.hasPrefix(Self.groupPrefix) { return caller.groups.contains(String(entry.dropFirst(Self.groupPrefix.count))) }
            return entry == caller.decider.identity || entry == caller.decider.sudoUser
        }
    }

    /// Why `caller` may not decide ("mallory is not among its approvers (group:sre)"), or nil.
    public func notAnApprover(_ caller: Caller) -> String? {
        admits(caller) ? nil : "\(caller.decider.identity) is not among its approvers (\(approversText))"
    }

    /// "alice, group:sre", for messages.
    public var approversText: String { approvers.isEmpty ? "anyone" : approvers.joined(separator: ", ") }
}

/// Who made a decision, as the system authenticated them: recorded with every decision.
public struct Decider: Sendable, Hashable, Codable {
    /// The operating system account running the command (SQLite store), or the PostgreSQL
    /// `session_user` (team store).
    public var identity: String
    /// The account that ran `sudo`, when the command ran as root through it.
    public var sudoUser: String?
    /// What the person called themselves (`--by`): shown beside the identity, never instead of it.
    public var label: String
    public var host: String

    public init(identity: String, sudoUser: String? = nil, label: String, host: String) {
        self.identity = identity
        self.sudoUser = sudoUser
        self.label = label
        self.host = host
    }

    /// The person the decision counts for: the account behind `sudo`, else the identity. Quorum
    /// counts distinct people and separation of duties compares people.
    public var person: String { sudoUser ?? identity }

    /// "Alice (account alice)", "alice", "root (via sudo by alice)": label and identity.
    public var name: String {
        let sudo = sudoUser.map { "via sudo by \($0)" }
        if label == identity { return sudo.map { "\(identity) (\($0))" } ?? identity }
        return "\(label) (account \(identity)\(sudo.map { " " + $0 } ?? ""))"
    }

    /// `name` and the host: "Alice (account alice) on db1", for messages and reports.
    public var description: String { host.isEmpty ? name : "\(name) on \(host)" }
}

/// A decider and the groups their identity belongs to, which `approvers` entries are checked
/// against. Groups are looked up when the person decides; they are not recorded.
public struct Caller: Sendable, Hashable, Codable {
    public var decider: Decider
    public var groups: Set<String>

    public init(decider: Decider, groups: Set<String> = []) {
        self.decider = decider
        self.groups = groups
    }
}

extension ApprovalRule {
    /// The `with:` keys of an approval step that make its rule.
    public enum Key {
        public static let approvers = "approvers"
        public static let quorum = "quorum"
        public static let separationOfDuties = "separation_of_duties"
        public static let onTimeout = "on_timeout"
    }

    /// The rule of `step` in a run of `mode`, or nil when it is not an approval step. The keys
    /// are checked by validation (`ApprovalAction.problems`); a value that slipped through takes the default.
    public init?(of step: Step, in mode: RunMode) {
        guard step.action == BuiltinActions.approval else { return nil }
        let with = step.with
        self.init(
            approvers: with[Key.approvers]?.listValue?.compactMap(\.stringValue) ?? [],
            quorum: with[Key.quorum]?.intValue ?? 1,
            separationOfDuties: with[Key.separationOfDuties]?.boolValue ?? Self.separationOfDutiesByDefault(in: mode),
            onTimeout: with[Key.onTimeout]?.stringValue.flatMap(TimeoutOutcome.init(rawValue:)) ?? .pause)
    }
}

extension Caller {
    /// Someone known only by a name nobody authenticated: the sender of a control message queued
    /// before identities were recorded, and the operator of engine tests.
    public static func named(_ name: String, host: String = "") -> Caller {
        Caller(decider: Decider(identity: name, label: name, host: host))
    }
}
