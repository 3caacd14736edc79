/// A circuit breaker for one endpoint: after `failureThreshold` consecutive failures it opens and
/// fails calls fast for `cooldownMs`; then it lets one trial call through (half-open); a success
/// closes it, a failure opens it again. Pure: time is passed in.
public struct CircuitBreaker: Sendable, Hashable {
    public struct Policy: Sendable, Hashable {
        public var failureThreshold: Int
        public var cooldownMs: Int64

        public init(failureThreshold: Int = 5, cooldownMs: Int64 = 30_000) {
            self.failureThreshold = failureThreshold
            self.cooldownMs = cooldownMs
        }
    }

    public enum State: Sendable, Hashable {
        case closed(consecutiveFailures: Int)
        case open(sinceMs: Int64)
        case halfOpen(trialInFlight: Bool)
    }

    public enum Decision: Sendable, Hashable {
        case allow
        /// Allowed as the half-open trial call (the breaker just left `open`).
        case allowTrial
        case reject(retryAfterMs: Int64)
    }

    public let policy: Policy
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    public init(policy: Policy) { self.policy = policy }

    /// Asks to make a call at `nowMs`.
    public mutating func request(nowMs: Int64) -> Decision {
        switch state {
        case .closed:
            return .allow
        case .open(let since):
            let elapsed = nowMs - since
            guard elapsed >= policy.cooldownMs else { return .reject(retryAfterMs: policy.cooldownMs - elapsed) }
            state = .halfOpen(trialInFlight: true)
            return .allowTrial
        case .halfOpen(let inFlight):
            guard !inFlight else { return .reject(retryAfterMs: policy.cooldownMs) }
            state = .halfOpen(trialInFlight: true)
            return .allowTrial
        }
    }

    /// Records a call's outcome; returns the new externally visible state when it changed.
    public mutating func record(success: Bool, nowMs: Int64) -> RunEvent.CircuitState? {
        switch (state, success) {
        case (.closed, true):
            state = .closed(consecutiveFailures: 0)
            return nil
        case (.closed(let n), false):
            if n + 1 >= policy.failureThreshold {
                state = .open(sinceMs: nowMs)
                return .open
            }
            state = .closed(consecutiveFailures: n + 1)
            return nil
        case (.halfOpen, true):
            state = .closed(consecutiveFailures: 0)
            return .closed
        case (.halfOpen, false):
            state = .open(sinceMs: nowMs)
            return .open
        case (.open, _):
            return nil
        }
    }
}
