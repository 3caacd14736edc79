import LifeboatCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif


/// What one finished command left behind.
struct CommandOutcome: Sendable {
    enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
        /// Reaped by someone else (this process ignoring SIGCHLD): how it ended is unknown.
        case unknown
    }

    var termination: Termination
    /// The last lines of stdout and stderr together, unmasked.
    var tail: [String]
    /// `lifeboat-output: KEY=VALUE` lines, unmasked.
    var outputs: [String: String]
    var elapsedMs: Int64

    var exitCode: Int32? {
        if case .exited(let code) = termination { return code }
        return nil
    }

    /// `exited with 3`, `was killed by signal 9`.
    var terminationText: String {
        switch termination {
        case .exited(let code): return "exited with \(code)"
        case .signalled(let signal): return "was killed by signal \(signal)"
        case .unknown: return "ended, but how is unknown (it was reaped elsewhere)"
        }
    }
}

/// Starts one command (`ChildProcess`) and waits for it on a thread of its own.
///
/// The child gets its own process group and `/dev/null` as stdin; stdout and stderr share one pipe
/// (like `2>&1`), read into a bounded tail. When the calling task is cancelled the whole group gets
/// SIGTERM, and SIGKILL one second later if its leader has not been reaped by then; the pipe is
/// drained all the while (a script's SIGTERM trap runs to its end), so grandchildren
/// (`sh -c 'sleep 100 & sleep 100'`) die too, and the call throws `LifeboatError(.cancelled)`.
enum CommandRunner {
    static let termGrace: Duration = .seconds(1)
    /// After the SIGKILL, how long a process that left the group may keep the pipe open.
    static let abandonGrace: Duration = .milliseconds(200)
    /// How a started command ended, and what it printed.
    private typealias Ended = (CommandOutcome.Termination, OutputCollector)

    /// `onLine` gets each complete output line as it arrives (unmasked).
    static func run(
        _ invocation: CommandInvocation, tailLines: Int, onLine: (@Sendable (String) -> Void)? = nil
    ) async throws(LifeboatError) -> CommandOutcome {
        if Task.isCancelled { throw cancelled(invocation) }
        let executablePath = try resolveExecutable(invocation)
        let argv: [String]
        switch invocation.program {
        case .argv(let written): argv = written
        case .shell(let script): argv = ["sh", "-c", script]
        }

        let clock = ContinuousClock()
        let start = clock.now
        // The child is started on the thread that waits for it: this one when it is a
        // `DetachedThread` (an attempt on `DetachedThread.executor`), else one handed the work. A
        // cancellation that comes before the child exists stops it as soon as it does.
        let started = Mutex<(child: ChildProcess?, cancelled: Bool)>((nil, false))
        let stopper = Mutex<Task<Void, Never>?>(nil)
        @Sendable func stop(_ child: ChildProcess) {
            child.terminateGroup()
            stopper.withLock {
                $0 = Task.detached {
                    try? await Task.sleep(for: termGrace)
                    child.killGroup()
                    try? await Task.sleep(for: abandonGrace)
                    child.stopReading()
                }
            }
        }
        @Sendable func spawnAndFinish() -> Result<Ended, ChildProcess.SpawnFailure> {
            let child: ChildProcess
            do throws(ChildProcess.SpawnFailure) {
                child = try ChildProcess.spawn(
                    path: executablePath, argv: argv, environment: invocation.environment,
                    directory: invocation.workingDirectory)
            } catch {
                return .failure(error)
            }
            if started.withLock({ $0.child = child; return $0.cancelled }) { stop(child) }
            var collector = OutputCollector(maxLines: tailLines, onLine: onLine)
            let termination = child.finish(into: &collector)
            return .success((termination, collector))
        }
        let finished = await withTaskCancellationHandler {
            if DetachedThread.isCurrent { return spawnAndFinish() }
            return await withCheckedContinuation { (continuation: CheckedContinuation<Result<Ended, ChildProcess.SpawnFailure>, Never>) in
                DetachedThread.start { continuation.resume(returning: spawnAndFinish()) }
            }
        } onCancel: {
            let child = started.withLock { state -> ChildProcess? in
                state.cancelled = true
                return state.child
            }
            if let child { stop(child) }
        }
        let (termination, collector): Ended
        switch finished {
        case .success(let ended): (termination, collector) = ended
        case .failure(let failure): throw spawnFailure(failure, invocation)
        }
        stopper.withLock { $0?.cancel() }
        if Task.isCancelled { throw cancelled(invocation) }
        return CommandOutcome(
            termination: termination, tail: collector.lines, outputs: collector.outputs,
            elapsedMs: (clock.now - start).milliseconds)
    }

    /// The absolute path to exec, or a non-retryable error naming `argv[0]`.
    static func resolveExecutable(_ invocation: CommandInvocation) throws(LifeboatError) -> String {
        let name: String
        switch invocation.program {
        case .argv(let argv): name = argv[0]
        case .shell: name = CommandInvocation.shellPath
        }
        let lookup = ExecutableLookup.resolve(
            name, baseDirectory: invocation.runbookDirectory, searchPath: invocation.environment["PATH"])
        switch lookup {
        case .success(let path):
            return path
        case .failure(.notFound(let searched)):
            let where_ = searched == "PATH" ? "on PATH" : "at \(searched)"
            var error = LifeboatError(
                .actionFailed, "command `\(name)` was not found \(where_)",
                hint: name.contains("/")
                    ? "check the path; relative paths start from the runbook's folder" : "install it or give its full path")
            error.couldNotStart = true
            throw error
        case .failure(.notExecutable(let path)):
            var error = LifeboatError(
                .actionFailed, "command `\(name)` (\(path)) is not an executable file",
                hint: "chmod +x it, or name an interpreter as argv[0]")
            error.couldNotStart = true
            throw error
        }
    }

    private static func cancelled(_ invocation: CommandInvocation) -> LifeboatError {
        LifeboatError(
            .cancelled, "command `\(invocation.displayName)` was stopped (timeout or abort)",
            hint: "its process group was terminated")
    }

    private static func spawnFailure(_ failure: ChildProcess.SpawnFailure, _ invocation: CommandInvocation) -> LifeboatError {
        var error = spawnError(failure, invocation)
        error.couldNotStart = true
        return error
    }

    private static func spawnError(_ failure: ChildProcess.SpawnFailure, _ invocation: CommandInvocation) -> LifeboatError {
        switch failure {
        case .noSuchDirectory:
            return LifeboatError(
                .actionFailed,
                "cannot run `\(invocation.displayName)` in \(invocation.workingDirectory): no such directory",
                hint: "fix the step's cwd: (relative to the runbook's folder)")
        case .failed(let code) where code == EAGAIN || code == ENOMEM || code == EMFILE || code == ENFILE:
            return LifeboatError(
                .actionFailed, "command `\(invocation.displayName)` failed to start: \(String(cString: strerror(code)))",
                hint: "this machine is short of processes, memory or file descriptors; retry when it is not",
                retryable: true)
        case .failed(let code):
            return LifeboatError(
                .actionFailed,
                "command `\(invocation.displayName)` could not be started: \(String(cString: strerror(code)))",
                hint: "check that it is a program this machine can run")
        }
    }
}
