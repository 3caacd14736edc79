/// Circuit breakers, one per endpoint, decided by the machine like everything else: an attempt
/// whose request is prepared asks its endpoint's breaker (`attemptPrepared`); the machine answers
/// with `call`, or `holdForCircuit` while the circuit is open (a held attempt uses no retry), and
/// records `circuitChanged` as results open, half-open and close it.
///
/// Replay rebuilds each breaker's state from its `circuitChanged` and `circuitFailuresCounted`
/// events (a failure below the threshold, or the reset after a success that followed failures, is
/// recorded too); an open circuit's cooldown counts from the resuming process's clock. A half-open trial that a crash interrupted does not
/// stay in flight: the resumed run makes a new one.
extension RunStateMachine {
    /// An endpoint's breaker, as the machine holds it.
    public struct Breaker: Sendable, Hashable {
        public enum State: Sendable, Hashable {
            case closed(consecutiveFailures: Int)
            case open(sinceMs: Int64)
            case halfOpen(trialInFlight: Bool)
        }

        public var state: State = .closed(consecutiveFailures: 0)
    }

    /// Decides a prepared attempt: call its action, or hold it while its endpoint's circuit is open.
    mutating func decideCall(_ id: String, attempt: Int, endpoint: String?, nowMs: Int64, into out: inout Decision)
        throws(TransitionError)
    {
        guard case .running(let current) = states[id], current == attempt else { return }  // stale
        clockMs = nowMs
        guard let endpoint else {
            out.actions.append(.call(step: id, attempt: attempt))
            return
        }
        endpointOfStep[id] = endpoint
        switch breakers[endpoint]?.state ?? .closed(consecutiveFailures: 0) {
        case .closed:
            out.actions.append(.call(step: id, attempt: attempt))
        case .open(let since):
            let elapsed = nowMs - since
            if elapsed >= breakerPolicy.cooldownMs || elapsed < 0 {
                try emit(.circuitChanged(endpoint: endpoint, state: .halfOpen), into: &out)
                breakers[endpoint] = Breaker(state: .halfOpen(trialInFlight: true))
                out.actions.append(.call(step: id, attempt: attempt))
            } else {
                out.actions.append(.holdForCircuit(step: id, attempt: attempt, delayMs: max(breakerPolicy.cooldownMs - elapsed, 1)))
            }
        case .halfOpen(let inFlight):
            if inFlight {
                out.actions.append(.holdForCircuit(step: id, attempt: attempt, delayMs: max(breakerPolicy.cooldownMs, 1)))
            } else {
                breakers[endpoint] = Breaker(state: .halfOpen(trialInFlight: true))
                out.actions.append(.call(step: id, attempt: attempt))
            }
        }
    }

    /// Counts an attempt's outcome against its endpoint's breaker, recording the change it makes.
    mutating func recordCall(_ id: String, success: Bool, nowMs: Int64, into out: inout Decision) throws(TransitionError) {
        guard let endpoint = endpointOfStep.removeValue(forKey: id) else { return }
        clockMs = nowMs
        switch (breakers[endpoint]?.state ?? .closed(consecutiveFailures: 0), success) {
        case (.closed(let n), true):
            if n > 0 { try emit(.circuitFailuresCounted(endpoint: endpoint, consecutiveFailures: 0), into: &out) }
        case (.closed(let n), false):
            if n + 1 >= breakerPolicy.failureThreshold {
                try emit(.circuitChanged(endpoint: endpoint, state: .open), into: &out)
            } else {
                try emit(.circuitFailuresCounted(endpoint: endpoint, consecutiveFailures: n + 1), into: &out)
            }
        case (.halfOpen, true):
            try emit(.circuitChanged(endpoint: endpoint, state: .closed), into: &out)
        case (.halfOpen, false):
            try emit(.circuitChanged(endpoint: endpoint, state: .open), into: &out)
        case (.open, _):
            break
        }
    }

    /// Folds a recorded `circuitChanged` (replay sets each breaker from these alone).
    mutating func applyCircuit(_ endpoint: String, _ state: RunEvent.CircuitState) {
        switch state {
        case .open: breakers[endpoint] = Breaker(state: .open(sinceMs: clockMs))
        case .halfOpen: breakers[endpoint] = Breaker(state: .halfOpen(trialInFlight: true))
        case .closed: breakers[endpoint] = Breaker()
        }
    }

    /// A resumed process: no trial call is in flight any more.
    mutating func forgetTrialsInFlight() {
        for (endpoint, breaker) in breakers {
            if case .halfOpen = breaker.state { breakers[endpoint] = Breaker(state: .halfOpen(trialInFlight: false)) }
        }
        endpointOfStep = [:]
    }
}
