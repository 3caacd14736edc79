import CSpawn
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One started command: the leader of its own process group, its stdout and stderr on one pipe.
///
/// `finish` drains the pipe until every writer has closed it, then reaps the leader. The pipe stays
/// drained while the group is being stopped, so a script's SIGTERM trap can still print its last
/// words (a closed pipe would kill it with SIGPIPE before it cleans up). Signals go to the group
/// only while the leader is unreaped: its pid, which is the group's id, cannot be reused until then.
final class ChildProcess: Sendable {
    enum SpawnFailure: Error {
        case noSuchDirectory
        case failed(errno: Int32)
    }

    let pid: pid_t
    private let output: Int32
    /// Written once to make `finish` stop reading: after a stop, a process that left the group
    /// (setsid) may hold the pipe open for ever.
    private let wake: (read: Int32, write: Int32)
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var reaped = false
    }

    private init(pid: pid_t, output: Int32, wake: (read: Int32, write: Int32)) {
        self.pid = pid
        self.output = output
        self.wake = wake
    }

    /// Starts `path` (absolute) with `argv`, this process's environment with `environment` merged
    /// over it, in `directory`.
    static func spawn(path: String, argv: [String], environment: [String: String], directory: String)
        throws(SpawnFailure) -> ChildProcess
    {
        let outputPipe = try makePipe()
        let wakePipe: (read: Int32, write: Int32)
        do { wakePipe = try makePipe() } catch {
            close(outputPipe.read)
            close(outputPipe.write)
            throw error
        }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { argvPointers in
            // Nothing to merge: the child gets this process's environment as it is, not a copy.
            guard !environment.isEmpty else {
                return lifeboat_spawn(path, argvPointers, environ, directory, outputPipe.write, &pid)
            }
            return withCStrings(mergedEnvironment(environment)) { envPointers in
                lifeboat_spawn(path, argvPointers, envPointers, directory, outputPipe.write, &pid)
            }
        }
        close(outputPipe.write)
        guard rc == 0 else {
            for fd in [outputPipe.read, wakePipe.read, wakePipe.write] { close(fd) }
            let directoryUsable = access(directory, X_OK) == 0
            throw (rc == ENOENT || rc == ENOTDIR) && !directoryUsable ? .noSuchDirectory : .failed(errno: rc)
        }
        return ChildProcess(pid: pid, output: outputPipe.read, wake: wakePipe)
    }

    deinit {
        for fd in [output, wake.read, wake.write] { close(fd) }
    }

    /// Blocks until the output pipe is closed by every writer (or `stopReading`), feeding what
    /// arrives to `collector`; then reaps the leader and returns how it ended.
    func finish(into collector: inout OutputCollector) -> CommandOutcome.Termination {
        var buffer = [UInt8](repeating: 0, count: 16 * 1_024)
        var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        reading: while true {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { break }
            guard fds[0].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            switch count {
            case 0: break reading
            case ..<0: if errno != EINTR && errno != EAGAIN { break reading }
            default: buffer.withUnsafeBytes { collector.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
        }
        collector.finish()
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        var status: Int32 = 0
        let reaped = state.withLock { state in
            // The leader is a zombie: the group id is still ours. Whatever of a stopped group
            // outlived its leader (a grandchild that ignored SIGTERM) goes now.
            if state.stopping { _ = kill(-pid, SIGKILL) }
            var result: pid_t
            repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
            state.reaped = true
            return result == pid
        }
        // Someone else reaped it (SIGCHLD ignored): how it ended is unknown, never a success.
        guard reaped else { return .unknown }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// SIGTERM to the whole group; from now on, what outlives the leader is killed when it is reaped.
    func terminateGroup() {
        state.withLock { state in
            state.stopping = true
            if !state.reaped { _ = kill(-pid, SIGTERM) }
        }
    }

    /// SIGKILL to the whole group, unless the leader is already reaped.
    func killGroup() {
        state.withLock { state in
            if !state.reaped { _ = kill(-pid, SIGKILL) }
        }
    }

    /// Makes `finish` stop reading and reap.
    func stopReading() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private static func makePipe() throws(SpawnFailure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let rc = lifeboat_pipe(&fds)
        guard rc == 0 else { throw .failed(errno: rc) }
        return (fds[0], fds[1])
    }

    /// `NAME=value` for every variable of this process, with `updates` replacing or adding.
    private static func mergedEnvironment(_ updates: [String: String]) -> [String] {
        var merged: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let name = text.prefix { $0 != "=" }
            if updates[String(name)] == nil { merged.append(text) }
            pointer += 1
        }
        for (name, value) in updates { merged.append("\(name)=\(value)") }
        return merged
    }
}

/// Calls `body` with a NULL-terminated array of C strings copied from `strings`, valid during the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) } + [nil]
    defer { for copy in copies { free(copy) } }
    return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
}
