/// An error a person can act on: what failed, where, and what to do next.
///
/// `description` is one line and never contains a secret. The CLI maps `code` to an exit status
/// in one place (see `ExitStatus`).
public struct LifeboatError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// A plan, runbook, flag or parameter is wrong. Nothing ran.
        case invalidInput = "invalid_input"
        /// A run, step or file named by the user does not exist.
        case notFound = "not_found"
        /// Another active run holds the plan+scenario lease, or another process executes the run.
        case leaseHeld = "lease_held"
        /// A preflight check refused the run before anything changed.
        case preflightFailed = "preflight_failed"
        /// The operation is not allowed in the run's current state.
        case invalidState = "invalid_state"
        /// An action's side effect failed.
        case actionFailed = "action_failed"
        /// A step ran past its timeout and was stopped.
        case timedOut = "timed_out"
        /// A circuit breaker is open for the step's endpoint.
        case circuitOpen = "circuit_open"
        /// The step was cancelled (abort, or a second interrupt).
        case cancelled = "cancelled"
        /// The state store could not be read or written.
        case storeFailure = "store_failure"
        /// A bug: an impossible transition or broken invariant.
        case internalError = "internal_error"
    }

    public var code: Code
    /// What failed, naming the step or target.
    public var message: String
    /// What to do about it.
    public var hint: String?
    /// Where in a document the fault lies, when a document is at fault.
    public var location: SourceLocation?
    /// Whether trying again may succeed (used by retry policies).
    public var retryable: Bool
    /// Underlying detail for logs and `--verbose`; may be long, never contains a secret.
    public var detail: String?
    /// The action could not start at all (its program is missing or cannot run): nothing was
    /// checked or changed. A probe failing so is "not runnable", not the service failing.
    public var couldNotStart = false

    public init(
        _ code: Code, _ message: String, hint: String? = nil, location: SourceLocation? = nil,
        retryable: Bool = false, detail: String? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.location = location
        self.retryable = retryable
        self.detail = detail
    }

    public var description: String {
        var line = ""
        if let location { line += "\(location): " }
        line += message
        if let hint { line += " (\(hint))" }
        return line
    }
}

extension LifeboatError {
    /// Wraps any error as a LifeboatError, keeping LifeboatErrors as they are.
    public static func wrap(_ error: any Error, code: Code = .internalError, context: String) -> LifeboatError {
        if let e = error as? LifeboatError { return e }
        if let failure = error as? ValidationFailure {
            return LifeboatError(.invalidInput, failure.description)
        }
        return LifeboatError(code, "\(context): \(error)")
    }
}

/// Process exit statuses, documented in the README. One place decides them.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    case runFailed = 1
    case invalidInput = 2
    case resumable = 3
    case refused = 4
    case notFound = 5
    case storeFailure = 6
    case internalError = 70

    public init(for code: LifeboatError.Code) {
        switch code {
        case .invalidInput: self = .invalidInput
        case .notFound: self = .notFound
        case .leaseHeld, .preflightFailed, .invalidState: self = .refused
        case .actionFailed, .timedOut, .circuitOpen, .cancelled: self = .runFailed
        case .storeFailure: self = .storeFailure
        case .internalError: self = .internalError
        }
    }
}
