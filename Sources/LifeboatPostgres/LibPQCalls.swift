import Dispatch
import Synchronization

/// The libpq calls of this process that are still running on their queues, including those whose
/// awaiting task has stopped waiting (cancelled, timed out).
///
/// A process must not exit while one is inside libpq: `exit` runs OpenSSL's clean-up, and a
/// connection attempt authenticating (SCRAM uses OpenSSL) or negotiating GSS on another thread then
/// dereferences freed memory — seen as a crash after a run on the team store had ended, while its
/// listener was still connecting. The CLI calls `finish(within:)` before it exits.
public enum LibPQCalls {
    private static let running = Atomic<Int>(0)

    /// How many calls are running now.
    public static var count: Int { running.load(ordering: .acquiring) }

    /// Runs `work` on `queue`, counted from now until it returns.
    static func run(on queue: DispatchQueue, _ work: @escaping @Sendable () -> Void) {
        running.add(1, ordering: .acquiringAndReleasing)
        queue.async {
            work()
            running.subtract(1, ordering: .acquiringAndReleasing)
        }
    }

    /// Waits until no call is running, or `limit` has passed (a connection attempt blocked on an
    /// unreachable host is in no library's clean-up: exiting under it is safe). True when none is left.
    @discardableResult
    public static func finish(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while count > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
