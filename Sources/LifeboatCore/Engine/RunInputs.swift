/// What a run needs besides its recorded state: the runbook steps (their `with:` and rollback),
/// the values `${...}` references resolve to, and where relative paths start.
public struct RunInputs: Sendable {
    public var steps: [String: Step]
    /// Params, vars, secrets and run fields; step outputs are added by the engine.
    public var render: RenderContext
    public var masker: SecretMasker
    public var baseDirectory: String
    /// The plan's `notify:` targets (sent with the `notify` action when the machine says).
    public var notifyTargets: [PlanNotification]
    /// The runbook's steady-state probes by id (their `with:`), sampled when the machine says.
    public var probes: [String: Probe]

    public init(
        steps: [String: Step], render: RenderContext, masker: SecretMasker, baseDirectory: String,
        notifyTargets: [PlanNotification] = [], probes: [Probe] = []
    ) {
        self.steps = steps
        self.render = render
        self.masker = masker
        self.baseDirectory = baseDirectory
        self.notifyTargets = notifyTargets
        self.probes = Dictionary(probes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

public struct EngineConfiguration: Sendable {
    public var pid: Int32
    public var host: String
    /// Who runs this process: the label (`--by`) recorded with resumes, `--yes` approvals and
    /// aborts, and the authenticated identity (`caller`) recorded beside it.
    public var operatorName: String
    public var caller: Caller
    /// A fresh id per process: monotonic readings compare only within one session.
    public var session: String
    /// `--yes`: approvals are granted by the operator and recorded as such.
    public var autoApprove: Bool
    /// False with `--no-wait`: an approval nobody can give here pauses the run instead of waiting.
    public var waitForApprovals: Bool
    /// How often the executor looks for `lifeboat approve` / `abort` from other terminals.
    public var controlPollMs: Int64
    public var breaker: CircuitBreaker.Policy

    public init(
        pid: Int32, host: String, operatorName: String, session: String, autoApprove: Bool = false,
        waitForApprovals: Bool = true, controlPollMs: Int64 = 200, breaker: CircuitBreaker.Policy = .init(),
        caller: Caller? = nil
    ) {
        self.pid = pid
        self.host = host
        self.operatorName = operatorName
        // Engine tests run without accounts: their identity is their label.
        self.caller = caller ?? .named(operatorName, host: host)
        self.session = session
        self.autoApprove = autoApprove
        self.waitForApprovals = waitForApprovals
        self.controlPollMs = controlPollMs
        self.breaker = breaker
    }
}
