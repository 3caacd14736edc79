/// One kind of step (`command`, `http.check`, …): the engine calls it through this protocol, so
/// engine tests can use scripted doubles and new action families drop in.
public protocol ActionHandler: Sendable {
    var spec: ActionSpec { get }

    /// The endpoint this request talks to (`http://host:port`, `postgres://host:port`), for the
    /// per-endpoint circuit breaker. Nil when the action has no remote endpoint.
    func endpoint(for request: ActionRequest) -> String?

    /// A read-only check: can the step run now? Used by dry-run and before a step starts.
    func preflight(_ request: ActionRequest) async throws -> PreflightReport

    /// Performs the side effect. Throws a `LifeboatError` on failure (`retryable` says whether a retry
    /// may help). Must stop promptly when its task is cancelled.
    func run(_ request: ActionRequest) async throws -> ActionResult

    /// After a crash: did the effect already happen? Only called when `spec.hasVerify`.
    func verify(_ request: ActionRequest) async throws -> VerifyOutcome
}

extension ActionHandler {
    public func endpoint(for request: ActionRequest) -> String? { nil }
    public func preflight(_ request: ActionRequest) async throws -> PreflightReport { .ok("no preflight") }
    public func verify(_ request: ActionRequest) async throws -> VerifyOutcome { .undecidable("no verify") }
}

/// A step about to run, with every `${...}` already substituted.
public struct ActionRequest: Sendable {
    public var runID: String
    public var stepID: String
    public var attempt: Int
    public var mode: RunMode
    public var params: [String: Value]
    /// Masks secret values in anything the action reports.
    public var masker: SecretMasker
    /// The folder of the runbook the step is written in; relative paths in a step resolve against it.
    public var baseDirectory: String
    public var location: SourceLocation?

    public init(
        runID: String, stepID: String, attempt: Int = 1, mode: RunMode, params: [String: Value],
        masker: SecretMasker = .none, baseDirectory: String, location: SourceLocation? = nil
    ) {
        self.runID = runID
        self.stepID = stepID
        self.attempt = attempt
        self.mode = mode
        self.params = params
        self.masker = masker
        self.baseDirectory = baseDirectory
        self.location = location
    }

    /// A `LifeboatError` naming this step, for a parameter that is missing or of the wrong type.
    public func badParameter(_ name: String, _ problem: String) -> LifeboatError {
        LifeboatError(
            .invalidInput, "step '\(stepID)': parameter '\(name)' \(problem)",
            hint: "fix the step's with: block", location: location)
    }

    public func string(_ name: String) throws(LifeboatError) -> String? {
        guard let v = params[name], v != .null else { return nil }
        switch v {
        case .string(let s): return s
        case .int, .double, .bool: return v.renderedText
        default: throw badParameter(name, "must be a string")
        }
    }

    public func requiredString(_ name: String) throws(LifeboatError) -> String {
        guard let s = try string(name) else { throw badParameter(name, "is required") }
        return s
    }

    public func int(_ name: String) throws(LifeboatError) -> Int? {
        guard let v = params[name], v != .null else { return nil }
        guard let i = v.intValue else { throw badParameter(name, "must be an integer") }
        return i
    }

    public func bool(_ name: String) throws(LifeboatError) -> Bool? {
        guard let v = params[name], v != .null else { return nil }
        guard let b = v.boolValue else { throw badParameter(name, "must be true or false") }
        return b
    }

    public func durationMs(_ name: String) throws(LifeboatError) -> Int64? {
        guard let v = params[name], v != .null else { return nil }
        if case .string(let s) = v, let ms = DurationText.parseMilliseconds(s) { return ms }
        throw badParameter(name, "must be a duration such as 500ms, 30s or 1h30m")
    }

    public func stringList(_ name: String) throws(LifeboatError) -> [String]? {
        guard let v = params[name], v != .null else { return nil }
        guard case .list(let items) = v else { throw badParameter(name, "must be a list") }
        var out: [String] = []
        for item in items {
            switch item {
            case .string(let s): out.append(s)
            case .int, .double, .bool: out.append(item.renderedText)
            default: throw badParameter(name, "must be a list of strings")
            }
        }
        return out
    }
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
