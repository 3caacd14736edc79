/// A person deciding on an approval at this terminal.
public protocol ApprovalSource: Sendable {
    /// Asks for a decision. Returns nil when this source cannot ask (no terminal), or when
    /// `notYou` says why the person at this terminal may not approve (the source shows it and
    /// how to decide from another account instead). Must return promptly when the task is
    /// cancelled (another terminal approved first).
    func ask(runID: String, step: StepHeader, prompt: String, notYou: String?) async throws -> ApprovalDecision?

    /// The step was decided elsewhere (another terminal, `--yes`): stop asking for it.
    func withdraw(runID: String, step: String)
}

extension ApprovalSource {
    public func withdraw(runID: String, step: String) {}
}

public struct ApprovalDecision: Sendable, Hashable, Codable {
    public var approved: Bool
    /// Who decided, as the system authenticated them, and their groups.
    public var caller: Caller
    /// How the decision arrived: `terminal`, `--yes`, `lifeboat approve`.
    public var via: String
    public var reason: String

    public init(approved: Bool, caller: Caller, via: String, reason: String = "") {
        self.approved = approved
        self.caller = caller
        self.via = via
        self.reason = reason
    }

    /// The label the person gave (`--by`).
    public var by: String { caller.decider.label }
}

/// Tabletop: the team walks through one step and says what happened.
public protocol TabletopConsole: Sendable {
    func walk(_ walkthrough: TabletopStep) async throws -> TabletopOutcome
}

public struct TabletopStep: Sendable {
    public var step: StepHeader
    /// The step's title with the outputs of earlier steps rendered in (its parameters were when
    /// the run was created).
    public var title: String
    /// The step's `description:`, its references rendered where they can be.
    public var description: String?
    public var position: Int
    public var total: Int
    /// Parameters with every reference substituted and secrets shown as placeholders.
    public var params: [String: Value]
}

public enum TabletopOutcome: Sendable, Hashable {
    case done(notes: [String])
    case skipped(notes: [String])
    /// Stop here; the run pauses and `lifeboat resume` continues from this step.
    case quit(notes: [String])
}

/// `run --step`: asks the operator before each step whether it may start.
public protocol StepGate: Sendable {
    /// The operator's answer, or nil when nobody can answer any more (input ended): the run pauses.
    func ask(_ question: StepQuestion) async throws -> StepGateAnswer?
}

public struct StepQuestion: Sendable {
    public var runID: String
    public var step: StepHeader
    public var description: String?
    public var position: Int
    public var total: Int
    /// The parameters as the step would get them now, secrets masked; or as written, with
    /// `renderProblem`, when they do not render yet.
    public var params: [String: Value]
    public var renderProblem: String?
    /// The RTO objective left: the objective less the time since the run was created (negative
    /// once it is spent); nil without an objective.
    public var rtoLeftMs: Int64?
    public var rtoMs: Int64?
}

public struct StepGateAnswer: Sendable, Hashable {
    public var answer: RunEvent.StepAnswer
    public var reason: String?

    public init(_ answer: RunEvent.StepAnswer, reason: String? = nil) {
        self.answer = answer
        self.reason = reason
    }
}

/// Sees every event as it is committed (progress output), and what running steps say meanwhile.
public protocol RunObserver: Sendable {
    func recorded(_ events: [RunEvent], machine: RunStateMachine)
    /// A running step's latest word (a command's last output line), secrets masked; not recorded.
    func progress(step: String, line: String)
}

extension RunObserver {
    public func progress(step: String, line: String) {}
}
