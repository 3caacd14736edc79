import Foundation
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes sure no PostgreSQL server outlives the test process.
///
/// Every cluster's base folder is registered here while it exists. At normal process exit an
/// `atexit` handler stops what is left (SIGQUIT to each postmaster, i.e. an immediate shutdown,
/// then waits for it) and removes the folders. For a crash, a detached watchdog shell per cluster
/// does the same once the test process is gone.
public enum ClusterCleanup {
    private static let registered = Mutex<Set<String>>([])
    private static let installed = Mutex(false)

    /// Data folders inside a cluster's base folder.
    static let nodeNames = ["primary", "replica"]

    public static func register(_ baseDir: String) {
        installed.withLock { done in
            guard !done else { return }
            done = true
            atexit { ClusterCleanup.stopAllNow() }
        }
        registered.withLock { _ = $0.insert(baseDir) }
    }

    public static func unregister(_ baseDir: String) {
        registered.withLock { _ = $0.remove(baseDir) }
    }

    /// Stops every registered cluster at once and removes its folder (synchronous; for `atexit`).
    public static func stopAllNow() {
        let bases = registered.withLock { all in
            defer { all.removeAll() }
            return all
        }
        for base in bases { stopNow(base) }
    }

    /// SIGQUIT to each postmaster under `base`, wait up to 10 s for them to go, remove `base`.
    public static func stopNow(_ base: String) {
        var pids: [pid_t] = []
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: base) {
            for entry in entries {
                if let pid = postmasterPID(dataDir: base + "/" + entry) {
                    kill(pid, SIGQUIT)
                    pids.append(pid)
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while pids.contains(where: { kill($0, 0) == 0 }), ContinuousClock.now < deadline { usleep(10_000) }
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: base)
    }

    /// The postmaster's pid from `postmaster.pid`, when the file exists.
    public static func postmasterPID(dataDir: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDir + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first), pid > 0
        else { return nil }
        return pid
    }

    /// A detached shell that waits for this process to end (or `base` to vanish), then stops any
    /// postmaster under `base` and removes it — the cleanup for a crashed or killed test run.
    public static func startWatchdog(_ base: String) async throws {
        let me = getpid()
        let script = """
            while kill -0 \(me) 2>/dev/null && [ -d '\(base)' ]; do sleep 1; done
            [ -d '\(base)' ] || exit 0
            for f in '\(base)'/*/postmaster.pid; do [ -f "$f" ] && kill -QUIT "$(head -1 "$f")" 2>/dev/null; done
            sleep 2; rm -rf '\(base)'
            """
        // No pipes: setsid -f returns at once, and the watchdog must not hold any of our output open.
        let result = try await Subprocess.run(
            .path(FilePath("/usr/bin/setsid")), arguments: ["-f", "/bin/sh", "-c", script], workingDirectory: FilePath("/"),
            input: .none, output: .discarded, error: .discarded)
        guard case .exited(0) = result.terminationStatus else {
            throw HarnessError("could not start the cleanup watchdog (\(result.terminationStatus))")
        }
    }
}
