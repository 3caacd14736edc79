import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as an async wait: the engine pauses at the first and stops at the second.
final class InterruptSignal: Sendable {
    private let pending = Mutex(0)
    private let received = Mutex(0)
    private let waiters = CancellableWaiters<Void>()
    /// Kept alive for the life of the process; set once, right after init.
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    init() {
        var installed: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            installed.append(source)
        }
        sources = installed
    }

    private func fire() {
        let count = received.withLock { n -> Int in
            n += 1
            return n
        }
        Console.err(count == 1
            ? "\ninterrupt received: finishing running steps, then pausing (interrupt again to stop at once)"
            : "\nsecond interrupt: stopping now; `resume` re-runs, verifies or marks unknown the steps left running")
        if waiters.resumeAll(with: ()) == 0 { pending.withLock { $0 += 1 } }
    }

    /// Returns at the next interrupt (or one that arrived while nobody waited), or on cancellation.
    func wait() async {
        await waiters.wait(cancelledValue: ()) { [self] in
            self.pending.withLock { count -> Void? in
                guard count > 0 else { return nil }
                count -= 1
                return ()
            }
        }
    }
}
