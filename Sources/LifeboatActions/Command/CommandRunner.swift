import LifeboatCore
import Subprocess
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What one finished command left behind.
struct CommandOutcome: Sendable {
    enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
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
        }
    }
}

/// Starts one command through swift-subprocess and waits for it.
///
/// The child gets its own process group and `/dev/null` as stdin; stdout and stderr share one pipe
/// (like `2>&1`), read into a bounded tail. When the calling task is cancelled the whole group gets
/// SIGTERM, then SIGKILL one second later if the leader is still alive; once the leader is gone any
/// survivor of the group gets SIGKILL, so grandchildren (`sh -c 'sleep 100 & sleep 100'`) die too,
/// and the call throws `LifeboatError(.cancelled)`.
enum CommandRunner {
    static let termGrace: Duration = .seconds(1)

    static func run(_ invocation: CommandInvocation, tailLines: Int) async throws(LifeboatError) -> CommandOutcome {
        if Task.isCancelled { throw cancelled(invocation) }
        let executablePath = try resolveExecutable(invocation)

        let arguments: Arguments
        switch invocation.program {
        case .argv(let argv):
            arguments = Arguments(executablePathOverride: argv[0], remainingValues: Array(argv.dropFirst()))
        case .shell(let script):
            arguments = Arguments(executablePathOverride: "sh", remainingValues: ["-c", script])
        }
        var environment = Environment.inherit
        if !invocation.environment.isEmpty {
            var updates: [Environment.Key: String?] = [:]
            for (name, value) in invocation.environment { updates[Environment.Key(stringLiteral: name)] = value }
            environment = environment.updating(updates)
        }
        var options = PlatformOptions()
        // 0: the child leads a new group whose id is its pid (posix_spawn's POSIX_SPAWN_SETPGROUP).
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: termGrace)]

        let clock = ContinuousClock()
        let start = clock.now
        let groupID = GroupID()
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executablePath)), arguments: arguments, environment: environment,
                workingDirectory: FilePath(invocation.workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution in
                groupID.set(execution.processIdentifier.value)
                var collector = OutputCollector(maxLines: tailLines)
                for try await buffer in execution.standardOutput {
                    buffer.withUnsafeBytes { collector.append($0) }
                }
                collector.finish()
                return collector
            }
            if Task.isCancelled {
                groupID.killSurvivors()
                throw cancelled(invocation)
            }
            let collector = result.closureResult
            let termination: CommandOutcome.Termination
            switch result.terminationStatus {
            case .exited(let code): termination = .exited(code)
            case .signaled(let signal): termination = .signalled(signal)
            }
            return CommandOutcome(
                termination: termination, tail: collector.lines, outputs: collector.outputs,
                elapsedMs: (clock.now - start).milliseconds)
        } catch let error as LifeboatError {
            throw error
        } catch {
            if Task.isCancelled {
                groupID.killSurvivors()
                throw cancelled(invocation)
            }
            throw spawnFailure(error, invocation)
        }
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
            throw LifeboatError(
                .actionFailed, "command `\(name)` was not found \(where_)",
                hint: name.contains("/")
                    ? "check the path; relative paths start from the runbook's folder" : "install it or give its full path")
        case .failure(.notExecutable(let path)):
            throw LifeboatError(
                .actionFailed, "command `\(name)` (\(path)) is not an executable file",
                hint: "chmod +x it, or name an interpreter as argv[0]")
        }
    }

    private static func cancelled(_ invocation: CommandInvocation) -> LifeboatError {
        LifeboatError(
            .cancelled, "command `\(invocation.displayName)` was stopped (timeout or abort)",
            hint: "its process group was terminated")
    }

    private static func spawnFailure(_ error: any Error, _ invocation: CommandInvocation) -> LifeboatError {
        if let subprocessError = error as? SubprocessError {
            if subprocessError.code == .failedToChangeWorkingDirectory {
                return LifeboatError(
                    .actionFailed,
                    "cannot run `\(invocation.displayName)` in \(invocation.workingDirectory): no such directory",
                    hint: "fix the step's cwd: (relative to the runbook's folder)")
            }
            if subprocessError.code == .executableNotFound || subprocessError.code == .spawnFailed {
                return LifeboatError(
                    .actionFailed, "command `\(invocation.displayName)` could not be started",
                    hint: "check that it is a program this machine can run", detail: "\(subprocessError)")
            }
        }
        return LifeboatError(
            .actionFailed, "command `\(invocation.displayName)` failed to run",
            hint: "see the detail with `lifeboat show RUN --verbose`", retryable: true, detail: "\(error)")
    }
}

/// The child's process group id, learnt inside the run's body and used after it ends.
private final class GroupID: Sendable {
    private let value = Mutex<pid_t>(0)

    func set(_ pid: pid_t) { value.withLock { $0 = pid } }

    /// SIGKILL to whatever is left of the group once its leader is gone after a cancellation: the
    /// teardown's SIGTERM reached every member, this reaches those that ignored it.
    func killSurvivors() {
        let group = value.withLock { $0 }
        guard group > 0 else { return }
        _ = kill(-group, SIGKILL)
    }
}
