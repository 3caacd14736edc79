import Foundation
import GRDB
import Synchronization
import Testing

/// Folders the CLI tests made, removed when the test process exits.
private let madeFolders = Mutex<[URL]>([])
private let removeMadeFoldersAtExit: Void = {
    atexit {
        for url in madeFolders.withLock({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }
}()

/// Runs the built `lifeboat` binary as a user would, capturing stdout, stderr and the exit status.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary next to the test bundle (`.build/debug/lifeboat`), or `$LIFEBOAT_BIN`.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["LIFEBOAT_BIN"] { return env }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lifeboat").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/lifeboat").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }()

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let directory: URL
    var environment: [String: String]

    /// A fresh temp folder with its own store.
    init() throws {
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

    var dbPath: String { environment["LIFEBOAT_DB"]! }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Starts the binary; the caller waits or kills it.
    func start(_ arguments: [String], stdin: String? = nil) throws -> (Process, out: URL, err: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
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
    func run(_ arguments: String..., stdin: String? = nil) throws -> Result {
        try run(arguments, stdin: stdin)
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let (process, out, err) = try start(arguments, stdin: stdin)
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// `PRAGMA integrity_check` on the store, read through a separate SQLite connection.
    func integrityCheck() throws -> String {
        let queue = try DatabaseQueue(path: dbPath)
        return try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// The id of the newest run, read from `lifeboat history --json`; nil while there is none yet
    /// (no store, or no run in it).
    func newestRunID() throws -> String? {
        let result = try run("history", "--json")
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
              let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]],
              let run = entries.first?["run"] as? [String: Any]
        else { return nil }
        return run["id"] as? String
    }
}
