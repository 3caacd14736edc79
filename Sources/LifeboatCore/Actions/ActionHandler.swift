/// One kind of step (`command`, `http.check`, …): the engine calls it through this protocol, so
/// engine tests can use scripted doubles and new action families drop in.
///
/// An action writes its messages without the step's name and masks nothing: callers go through
/// `run(in:)`, `preflight(in:)` and `verify(in:)` (see `ActionContext`), which name the step once
/// and mask every secret in whatever comes back.
public protocol ActionHandler: Sendable {
    var spec: ActionSpec { get }

    /// The endpoint this step talks to (`http://host:port`, `postgres://host:port`), for the
    /// per-endpoint circuit breaker. Nil when the action has no remote endpoint.
    func endpoint(for context: ActionContext) -> String?

    /// A read-only check: can the step run now? Used by dry-run and before a step starts.
    func preflight(_ context: ActionContext) async throws -> PreflightReport

    /// Performs the side effect. Throws a `LifeboatError` on failure (`retryable` says whether a retry
    /// may help). Must stop promptly when its task is cancelled.
    func run(_ context: ActionContext) async throws -> ActionResult

    /// After a crash: did the effect already happen? Only called when `spec.hasVerify`.
    func verify(_ context: ActionContext) async throws -> VerifyOutcome

    /// Where the engine runs this action's attempts, compensations and verifies: an executor
    /// whose threads may block (a command waiting for its child), or nil for the shared runtime.
    var executor: (any TaskExecutor)? { get }
}

extension ActionHandler {
    public func endpoint(for context: ActionContext) -> String? { nil }
    public func preflight(_ context: ActionContext) async throws -> PreflightReport { .ok("no preflight") }
    public func verify(_ context: ActionContext) async throws -> VerifyOutcome { .undecidable("no verify") }
    public var executor: (any TaskExecutor)? { nil }
}

/// What a step's action produced.
public struct ActionResult: Sendable, Hashable, Codable {
    /// Values later steps may reference as `${steps.ID.outputs.KEY}`.
    public var outputs: [String: Value]
    /// One line for progress output and reports.
    public var summary: String

    public init(outputs: [String: Value] = [:], summary: String) {
        self.outputs = outputs
        self.summary = summary
    }
}

public enum PreflightReport: Sendable, Hashable {
    case ok(String)
    /// The step cannot run now; the message says why and what to do.
    case refused(String)
}

public enum VerifyOutcome: Sendable, Hashable {
    /// The effect is in place: the step counts as succeeded with this result.
    case done(ActionResult)
    /// The effect is not in place: the step may safely run again.
    case notDone(String)
    /// Nobody can tell: the step becomes `unknown` until a person resolves it.
    case undecidable(String)
}
