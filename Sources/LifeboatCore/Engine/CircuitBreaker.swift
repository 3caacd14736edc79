/// The circuit breakers' policy: after `failureThreshold` consecutive failures of calls to one
/// endpoint its circuit opens and calls wait for `cooldownMs`; then one trial call goes through
/// (half-open); a success closes it, a failure opens it again. The breakers themselves are decided
/// by the run state machine (`RunStateMachine+Breakers`).
public enum CircuitBreaker {
    public struct Policy: Sendable, Hashable {
        public var failureThreshold: Int
        public var cooldownMs: Int64

        public init(failureThreshold: Int = 5, cooldownMs: Int64 = 30_000) {
            self.failureThreshold = failureThreshold
            self.cooldownMs = cooldownMs
        }
    }
}
