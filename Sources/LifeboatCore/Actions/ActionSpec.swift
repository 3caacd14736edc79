/// What an action accepts and promises, known without running it: used by validation, `schema`,
/// `plan`, tabletop and the engine's recovery rules.
public struct ActionSpec: Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ActionParameter]
    /// Whether running the action twice has the same effect as running it once. A step may
    /// override this with `idempotent:`.
    public var idempotent: Bool
    /// Whether the action can tell, after a crash, whether its effect already happened.
    public var hasVerify: Bool
    /// Whether unknown keys in `with:` are errors (true for every built-in action).
    public var strictParameters: Bool
    /// The action's own checks of a step's `with:` at validate time, beyond each parameter's kind
    /// (a name inside the zone, RDATA syntax). Values holding `${…}` are still unrendered then;
    /// a check skips them (they are checked when the step runs).
    public var check: (@Sendable (_ with: [String: Value]) -> [ParameterProblem])?

    public init(
        name: String, summary: String, parameters: [ActionParameter], idempotent: Bool, hasVerify: Bool,
        strictParameters: Bool = true, check: (@Sendable (_ with: [String: Value]) -> [ParameterProblem])? = nil
    ) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.idempotent = idempotent
        self.hasVerify = hasVerify
        self.strictParameters = strictParameters
        self.check = check
    }

    public func parameter(_ name: String) -> ActionParameter? { parameters.first { $0.name == name } }
}

/// What an action's `check` found wrong in a step's `with:`: where (`["records", "1"]`,
/// `["changes", "0", "name"]`: keys and list indexes) and what ("'x.other.test.' is not in zone …").
public struct ParameterProblem: Sendable, Hashable {
    public var path: [String]
    public var problem: String

    public init(path: [String], problem: String) {
        self.path = path
        self.problem = problem
    }
}

public struct ActionParameter: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case string, int, number, bool, duration, size, stringList, intList, map, any
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var summary: String

    public init(_ name: String, _ kind: Kind, required: Bool = false, _ summary: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }
}
