import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A thread of its own for work that blocks (reading a pipe, waiting for a child), so it never
/// holds one of the few threads the async runtime shares.
///
/// A thread that finished its work waits for the next instead of exiting: a run of many short
/// commands starts one thread, not one per command. There are as many threads as works that
/// blocked at the same time (one per command running in parallel), never fewer: a work never
/// waits for another to finish.
///
/// These threads leave SIGCHLD unblocked. A child started on one of them reports its exit to
/// that thread, where SIGCHLD (left at its default, ignore) is dropped by the kernel; a child of
/// a thread that blocks it (every thread of the async runtime does) makes the kernel wake another
/// thread of the process for a signal nobody handles.
enum DetachedThread {
    typealias Work = @Sendable () -> Void

    /// Runs `work` on a waiting thread, or on a new one when none waits.
    static func start(_ work: @escaping Work) {
        if let idle = waiting.withLock({ $0.popLast() }) {
            idle.hand(work)
            return
        }
        let worker = Worker(first: work)
        let context = Unmanaged.passRetained(worker).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue().loop()
        }, context)
        guard rc == 0 else {
            // No thread to be had: run it here rather than never.
            Unmanaged<Worker>.fromOpaque(context).release()
            work()
            return
        }
        pthread_detach(thread)
    }

    /// The threads waiting for work, the most recently idle last.
    private static let waiting = Mutex<[Worker]>([])

    private final class Worker: Sendable {
        private let next: Mutex<Work?>
        private let wake = DispatchSemaphore(value: 0)

        init(first: @escaping Work) {
            next = Mutex(first)
        }

        func hand(_ work: @escaping Work) {
            next.withLock { $0 = work }
            wake.signal()
        }

        func loop() -> Never {
            var childSignal = sigset_t()
            sigemptyset(&childSignal)
            sigaddset(&childSignal, SIGCHLD)
            pthread_sigmask(SIG_UNBLOCK, &childSignal, nil)
            while true {
                if let work = next.withLock({ work -> Work? in
                    defer { work = nil }
                    return work
                }) {
                    work()
                }
                DetachedThread.waiting.withLock { $0.append(self) }
                wake.wait()
            }
        }
    }
}
