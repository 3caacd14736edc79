import Synchronization

/// One attempt of one step as its action sees it: the step's parameters with every `${...}`
/// substituted, and what every action needs and none writes again — the step's name in messages,
/// secret masking (`ActionContext+Reporting`), polling until a deadline, backoff jitter and
/// timeouts (`ActionContext+Time`).
///
/// The engine builds one per attempt, verify and compensation, and calls the action through
/// `run(in:)`, `preflight(in:)` and `verify(in:)`. So an action writes "GET http://… returned 503",
/// not "step 'smoke': GET …", and masks nothing itself; it only tells the context about secrets the
/// run does not know (`alsoMask`), such as a password written into a conninfo.
public struct ActionContext: Sendable {
    public var runID: String
    public var stepID: String
    public var attempt: Int
    /// True when this is the step's rollback (its compensation), not the step's own action.
    public var isCompensation = false
    /// A plan-level notification's number in its run (its `Idempotency-Key` is `RUN/notify/N`);
    /// nil for steps.
    public var notificationNumber: Int?
    /// The steady-state probe this context samples for (`stepID` is then the probe's id); nil for steps.
    public var isProbe = false
    public var mode: RunMode
    public var params: [String: Value]
    /// The run's secrets (the values of `${secrets.x}`); see `alsoMask` for the action's own.
    public var masker: SecretMasker
    /// The folder of the runbook the step is written in; relative paths in a step resolve against it.
    public var baseDirectory: String
    public var location: SourceLocation?
    /// The clock pauses, polls and timeouts run on: the engine's, so tests can run time faster.
    public var clock: any EngineClock
    /// Uniform samples in [0, 1) for backoff jitter.
    public var random: @Sendable () -> Double
    /// Where `progress` sends a running step's latest line (the live view's status line); nil
    /// when nobody watches.
    public var progressSink: (@Sendable (_ step: String, _ line: String) -> Void)?
    /// Secrets the action found on its way; shared by the copies of this context (a nested check's).
    private let found = FoundSecrets()

    public init(
        runID: String, stepID: String, attempt: Int = 1, mode: RunMode, params: [String: Value],
        masker: SecretMasker = .none, baseDirectory: String, location: SourceLocation? = nil,
        clock: any EngineClock = SystemClock(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.runID = runID
        self.stepID = stepID
        self.attempt = attempt
        self.mode = mode
        self.params = params
        self.masker = masker
        self.baseDirectory = baseDirectory
        self.location = location
        self.clock = clock
        self.random = random
    }

    /// Masks `secrets` too in everything this attempt reports: values the run's secrets do not
    /// cover, such as a password written into a conninfo or a kubeconfig's token.
    public func alsoMask(_ secrets: some Sequence<String>) {
        found.add(secrets)
    }

    /// The run's secrets and those the action added.
    var allSecrets: SecretMasker { masker.adding(found.values) }

    /// Tells whoever watches the run what the step is doing now (a command's latest output line),
    /// secrets masked. Not recorded: the result and errors are.
    public func progress(_ line: String) {
        guard let progressSink else { return }
        progressSink(stepID, allSecrets.mask(line))
    }

    /// `progress` as a callback for a source of lines, nil when nobody watches (so the source
    /// need not produce them).
    public var progressLines: (@Sendable (String) -> Void)? {
        guard progressSink != nil else { return nil }
        let context = self
        return { context.progress($0) }
    }

    // MARK: Parameters

    /// A `LifeboatError` for a parameter that is missing or of the wrong type.
    public func badParameter(_ name: String, _ problem: String) -> LifeboatError {
        LifeboatError(.invalidInput, "parameter '\(name)' \(problem)", hint: "fix the step's with: block", location: location)
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

/// The secrets an action adds to its context while it runs.
private final class FoundSecrets: Sendable {
    private let secrets = Mutex<[String]>([])

    func add(_ more: some Sequence<String>) {
        let more = Array(more)
        secrets.withLock { $0 += more }
    }

    var values: [String] { secrets.withLock { $0 } }
}
