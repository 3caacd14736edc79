import Foundation
import Synchronization

/// Folders the CLI tests made, removed when the test process exits.
private let madeFolders = Mutex<[URL]>([])
private let removeMadeFoldersAtExit: Void = {
    atexit {
        for url in madeFolders.withLock({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }
}()

/// Runs the built `lifeboat` binary as a user would, in a temp folder with its own store, capturing
/// stdout, stderr and the exit status: the one launcher of the binary in the tests (CLI, crash and
/// integration suites).
public struct LifeboatCLI: Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Both streams, for messages in expectations.
        public var output: String { stdout + stderr }

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// The binary next to the test bundle (`.build/debug/lifeboat`), or `$LIFEBOAT_BIN`.
    public static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["LIFEBOAT_BIN"] { return env }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lifeboat").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/lifeboat").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }()

    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public let directory: URL
    public var environment: [String: String]
    /// A command the binary is started under, given the rest of the command line as its own
    /// arguments (e.g. `unshare --mount sh -c '…; exec "$0" "$@"'`); empty for none.
    public var wrapper: [String] = []

    /// A fresh temp folder with its own store.
    public init() throws {
        _ = removeMadeFoldersAtExit
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        madeFolders.withLock { [directory] in $0.append(directory) }
        var env = ProcessInfo.processInfo.environment
        env["LIFEBOAT_DB"] = directory.appendingPathComponent("state.db").path
        env["LIFEBOAT_OPERATOR"] = "tester"
        env.removeValue(forKey: "LIFEBOAT_BIN")
        environment = env
    }

    public var dbPath: String { environment["LIFEBOAT_DB"]! }

    /// How the binary names the tests' operator in its logs: the label `tester` with the account
    /// that runs the tests beside it.
    public static let tester = "tester (account \(osAccount))"

    /// The operating system account that runs the tests.
    public static let osAccount: String =
        getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(geteuid())"

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    public func write(_ name: String, _ text: String) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Starts the binary (as operating system `account` when given: see `TestAccounts`); the
    /// caller waits or kills it.
    public func start(
        _ arguments: [String], stdin: String? = nil, as account: String? = nil, onExit: (@Sendable () -> Void)? = nil
    ) throws -> (Process, out: URL, err: URL) {
        let process = Process()
        if let onExit { process.terminationHandler = { _ in onExit() } }
        let command = try wrapper + (account.map { try ["/usr/bin/setpriv"] + TestAccounts.setprivArguments($0) } ?? [])
            + [Self.binary] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = directory
        let tag = UUID().uuidString
        let out = directory.appendingPathComponent("out-\(tag).txt")
        let err = directory.appendingPathComponent("err-\(tag).txt")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let stdin {
            let input = directory.appendingPathComponent("in-\(tag).txt")
            try stdin.write(to: input, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return (process, out, err)
    }

    @discardableResult
    public func run(_ arguments: String..., stdin: String? = nil, as account: String? = nil) throws -> Result {
        try run(arguments, stdin: stdin, as: account)
    }

    @discardableResult
    public func run(_ arguments: [String], stdin: String? = nil, as account: String? = nil) throws -> Result {
        let exited = DispatchSemaphore(value: 0)
        let (process, out, err) = try start(arguments, stdin: stdin, as: account, onExit: { exited.signal() })
        var stuck = ""
        if exited.wait(timeout: .now() + Self.commandLimit) == .timedOut {
            stuck = stop(stuck: process, arguments)
            process.waitUntilExit()
        }
        return Result(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: ((try? String(contentsOf: err, encoding: .utf8)) ?? "") + stuck)
    }

    /// How long `run` waits for a command: one that has not exited by then is stuck, and its test
    /// fails with the process's threads in its stderr instead of stalling the whole suite.
    public static let commandLimit: TimeInterval = 300

    /// Kills a stuck command, first writing its threads' backtraces (gdb, where installed) to a
    /// file beside its output; returns what its test should read.
    private func stop(stuck process: Process, _ arguments: [String]) -> String {
        let pid = process.processIdentifier
        var note = "\nTEST HARNESS: `lifeboat \(arguments.joined(separator: " "))` (pid \(pid)) did not exit within "
            + "\(Int(Self.commandLimit)) s and was killed"
        let gdb = "/usr/bin/gdb"
        if FileManager.default.isExecutableFile(atPath: gdb) {
            let traces = directory.appendingPathComponent("stuck-\(pid).txt")
            FileManager.default.createFile(atPath: traces.path, contents: nil)
            let debugger = Process()
            debugger.executableURL = URL(fileURLWithPath: gdb)
            debugger.arguments = ["-p", String(pid), "-batch", "-ex", "thread apply all bt"]
            debugger.standardOutput = try? FileHandle(forWritingTo: traces)
            debugger.standardError = FileHandle.nullDevice
            if (try? debugger.run()) != nil { debugger.waitUntilExit() }
            note += "; its threads:\n" + ((try? String(contentsOf: traces, encoding: .utf8)) ?? "")
        }
        kill(pid, SIGKILL)
        return note
    }

    /// The id of the newest run, read from `lifeboat history --json`; nil while there is none yet
    /// (no store, or no run in it).
    public func newestRunID() throws -> String? {
        let result = try run("history", "--json")
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
              let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]],
              let run = entries.first?["run"] as? [String: Any]
        else { return nil }
        return run["id"] as? String
    }

    /// `show RUN --json --events` as a dictionary.
    public func showJSON(_ runID: String) throws -> [String: Any] {
        let result = try run("show", runID, "--json", "--events")
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    }
}
