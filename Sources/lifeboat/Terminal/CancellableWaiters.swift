import Synchronization

/// Continuations waiting for a value, each removable when its task is cancelled, with no lost
/// wake-up whichever of "cancelled" and "started waiting" happens first.
final class CancellableWaiters<Value: Sendable>: Sendable {
    private struct State {
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Value, Never>] = [:]
        var cancelledBeforeWaiting: Set<Int> = []
    }

    private let state = Mutex(State())

    /// Waits until `resumeAll` or cancellation (which returns `cancelledValue`). `immediate` is
    /// checked under the lock first: return a value to not wait at all.
    func wait(cancelledValue: Value, immediate: @escaping @Sendable () -> Value?) async -> Value {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
                let now: Value? = state.withLock { s in
                    if s.cancelledBeforeWaiting.remove(id) != nil { return cancelledValue }
                    if let value = immediate() { return value }
                    s.waiters[id] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Value, Never>? in
                if let w = s.waiters.removeValue(forKey: id) { return w }
                s.cancelledBeforeWaiting.insert(id)
                return nil
            }
            waiter?.resume(returning: cancelledValue)
        }
    }

    /// Resumes every current waiter with `value`; returns how many there were.
    @discardableResult
    func resumeAll(with value: Value) -> Int {
        let waiters = state.withLock { s -> [CheckedContinuation<Value, Never>] in
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(returning: value) }
        return waiters.count
    }

    /// If anyone waits, resumes the oldest with the value `produce` returns (called under the same
    /// lock as `wait`'s `immediate`, so a value is never left behind while someone waits).
    func resumeOne(producing produce: () -> Value?) {
        let resumption = state.withLock { s -> (CheckedContinuation<Value, Never>, Value)? in
            guard let id = s.waiters.keys.min(), let value = produce() else { return nil }
            return (s.waiters.removeValue(forKey: id)!, value)
        }
        if let (waiter, value) = resumption { waiter.resume(returning: value) }
    }
}
