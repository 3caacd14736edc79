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

    /// Runs `work` on a waiting thread, or on a new one when none waits; here, at once, when no
    /// thread can be had (rather than never).
    static func start(_ work: @escaping Work) {
        if !handOff(work) { work() }
    }

    /// Runs `work` on a waiting thread or a new one; false, with `work` not run, when no thread
    /// can be had.
    private static func handOff(_ work: @escaping Work) -> Bool {
        if let idle = waiting.withLock({ $0.popLast() }) {
            idle.hand(work)
            return true
        }
        let worker = Worker(first: work)
        let context = Unmanaged.passRetained(worker).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue().loop()
        }, context)
        guard rc == 0 else {
            Unmanaged<Worker>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// A task executor on these threads: each job runs on a waiting thread or a new one, so a
    /// job may block its thread. A command's attempt runs here and waits for its child on the
    /// thread it runs on (`isCurrent`), with no hand-off to another thread and back.
    static let executor: any TaskExecutor = Executor()

    /// Whether the calling thread is one of these threads, where work may block.
    static var isCurrent: Bool { pthread_getspecific(marker) != nil }

    /// Set on each of these threads.
    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private final class Executor: TaskExecutor {
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            // A job never runs inside `enqueue`: with no thread to be had it goes to the shared
            // runtime, where a command hands its wait to `start` as it does from any other task.
            if !DetachedThread.handOff({ job.runSynchronously(on: self.asUnownedTaskExecutor()) }) {
                globalConcurrentExecutor.enqueue(ExecutorJob(job))
            }
        }
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
            pthread_setspecific(DetachedThread.marker, UnsafeRawPointer(bitPattern: 1))
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
