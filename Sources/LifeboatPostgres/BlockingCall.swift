import Dispatch
import Synchronization

/// Why a blocking call was asked to stop early.
enum Interruption: Sendable, Hashable {
    /// Its own timeout passed.
    case timeout
    /// The awaiting Swift task was cancelled.
    case cancellation
}

/// Runs one blocking libpq call on a connection's serial `DispatchQueue` and awaits it without
/// holding a thread of Swift's cooperative pool.
///
/// Why a queue, not libpq's non-blocking API: the blocking calls are what psql uses, so
/// `connect_timeout` per host, multi-host fallback, SSL and GSS negotiation behave exactly as they
/// do there; a serial queue per connection (as GRDB does for SQLite) keeps every call on one
/// connection ordered, and custom serial queues get a thread of their own when they block, so a
/// slow query never starves the cooperative pool.
///
/// Stopping: on its timeout or on task cancellation the call is *interrupted* — `interrupt` runs on
/// a global queue (for a query: `PQcancel`, which asks the server to cancel it) and the call
/// normally returns at once with the server's 57014. If it is still blocked after `grace` (server
/// unreachable), `abandon` runs (for a query: shut the socket down) and the awaiting task gets
/// `abandoned(reason)` at once; the late value, if the blocked call ever returns, goes to `discard`.
///
/// Such a call may still be inside libpq (authenticating with OpenSSL, negotiating GSS) when the
/// process means to exit; `exit` then runs OpenSSL's clean-up under it and the process crashes.
/// `LibPQCalls.finish(within:)` waits for them first.
enum BlockingCall {
    static func run<Value: Sendable>(
        on queue: DispatchQueue,
        timeout: Duration?,
        grace: Duration,
        interrupt: @escaping @Sendable (Interruption) -> Void,
        abandon: @escaping @Sendable () -> Void,
        abandoned: @escaping @Sendable (Interruption) -> Value,
        discard: @escaping @Sendable (Value) -> Void,
        _ work: @escaping @Sendable () -> Value
    ) async -> (value: Value, interruption: Interruption?) {
        let gate = CallGate<Value>()
        let onInterrupt: @Sendable (Interruption) -> Void = { reason in
            guard gate.interrupt(reason) else { return }
            DispatchQueue.global().async { interrupt(reason) }
            DispatchQueue.global().asyncAfter(deadline: .now() + grace.dispatchInterval) {
                guard gate.isRunning else { return }
                abandon()
                _ = gate.complete(abandoned(reason))
            }
        }
        let timer = timeout.map { limit in
            let item = DispatchWorkItem { onInterrupt(.timeout) }
            DispatchQueue.global().asyncAfter(deadline: .now() + limit.dispatchInterval, execute: item)
            return item
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                gate.install(continuation)
                LibPQCalls.run(on: queue) {
                    let value = work()
                    if !gate.complete(value) { discard(value) }
                }
            }
        } onCancel: {
            onInterrupt(.cancellation)
        }
    }
}

/// The one-time hand-over between the queue, the timers and the awaiting task: whichever completes
/// first wins, later completions are refused.
///
/// The continuation is always resumed after the lock is released: resuming takes the task's own
/// status lock, and cancelling the task holds that lock while its handler calls `interrupt`, which
/// takes this one — resuming under this lock deadlocked a run's end on the team store (the
/// listener's connect completing while the engine cancelled its task group).
private final class CallGate<Value: Sendable>: Sendable {
    typealias Outcome = (value: Value, interruption: Interruption?)
    typealias Waiter = CheckedContinuation<Outcome, Never>

    private struct State {
        var continuation: Waiter?
        var result: Value?
        var finished = false
        var interruption: Interruption?
    }

    private let state = Mutex(State())

    var isRunning: Bool { state.withLock { !$0.finished } }

    func install(_ continuation: Waiter) {
        let ready = state.withLock { s -> Outcome? in
            guard s.finished, let result = s.result else {
                s.continuation = continuation
                return nil
            }
            s.result = nil
            return (result, s.interruption)
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// Records the first interruption; false when the call already finished or was interrupted.
    func interrupt(_ reason: Interruption) -> Bool {
        state.withLock { s in
            guard !s.finished, s.interruption == nil else { return false }
            s.interruption = reason
            return true
        }
    }

    /// Hands `value` to the awaiting task; false when something else already did.
    func complete(_ value: Value) -> Bool {
        let handOver = state.withLock { s -> (waiter: Waiter?, interruption: Interruption?)? in
            guard !s.finished else { return nil }
            s.finished = true
            guard let continuation = s.continuation else {
                s.result = value
                return (nil, nil)
            }
            s.continuation = nil
            return (continuation, s.interruption)
        }
        guard let handOver else { return false }
        handOver.waiter?.resume(returning: (value, handOver.interruption))
        return true
    }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return .never }
        return .nanoseconds(Int(clamping: max(0, nanoseconds.partialValue + attoseconds / 1_000_000_000)))
    }
}
