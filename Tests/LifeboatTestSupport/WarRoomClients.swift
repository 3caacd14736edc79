import Foundation

/// A `lifeboat serve` the test started (port 0: the kernel picks one), stopped with SIGTERM.
public struct Served {
    public let process: Process
    public let url: String
    public let output: URL

    public init(_ cli: LifeboatCLI, _ arguments: [String] = []) throws {
        let (process, out, err) = try cli.start(["serve", "--listen", "127.0.0.1:0"] + arguments)
        self.process = process
        self.output = out
        var found: String?
        for _ in 0..<400 where found == nil && process.isRunning {
            Thread.sleep(forTimeInterval: 0.025)
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            found = text.firstMatch(of: /on (https?:\/\/127\.0\.0\.1:\d+)/).map { String($0.1) }
        }
        guard let found else {
            process.terminate()
            throw ServeError("serve did not start: " + ((try? String(contentsOf: err, encoding: .utf8)) ?? ""))
        }
        url = found
    }

    /// Stops it as Ctrl-C would; its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.interrupt() }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

public struct ServeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One HTTP exchange made with curl (a real client): status, headers (names lower-cased) and body.
public struct Fetched: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public static func get(
        _ url: String, headers: [String] = [], method: String = "GET", maxTime: Double = 10, curlOptions: [String] = []
    ) throws -> Fetched {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let head = folder.appendingPathComponent("head").path, body = folder.appendingPathComponent("body").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-X", method, "--max-time", String(maxTime), "-D", head, "-o", body] + curlOptions
            + headers.flatMap { ["-H", $0] } + [url]
        try process.run()
        process.waitUntilExit()
        let headText = (try? String(contentsOfFile: head, encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        var status = 0
        for line in headText.split(separator: "\r\n") {
            if line.hasPrefix("HTTP/") {
                status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            } else if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return Fetched(status: status, headers: fields, body: (try? String(contentsOfFile: body, encoding: .utf8)) ?? "")
    }
}

/// `scripts/page-watch`: the page in headless Chromium, watched live (see the script).
public struct PageWatch {
    public var ok: Bool
    public var loadedAtMs: Int64
    public var seenAtMs: Int64?
    public var reportBefore: String?
    public var report: String?

    public static func run(_ url: String, until: String? = nil, reportBefore: String? = nil, report: String? = nil,
                    before: String? = nil, after: String? = nil, timeout: Double = 15) throws -> PageWatch {
        var arguments = [LifeboatCLI.repoRoot.appendingPathComponent("scripts/page-watch").path, url, "--timeout", String(timeout)]
        for (flag, value) in [("--until", until), ("--report-before", reportBefore), ("--report", report), ("--before", before), ("--after", after)] {
            if let value { arguments += [flag, value] }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServeError("page-watch failed (\(process.terminationStatus)): \(problems)")
        }
        return PageWatch(
            ok: object["ok"] as? Bool ?? false, loadedAtMs: (object["loadedAtMs"] as? NSNumber)?.int64Value ?? 0,
            seenAtMs: (object["seenAtMs"] as? NSNumber)?.int64Value, reportBefore: object["reportBefore"] as? String,
            report: object["report"] as? String)
    }

    /// The status pill of `step` in the page's step table.
    public static func stepState(_ step: String) -> String {
        "(document.querySelector('tr[data-step=\"\(step)\"] .pill') || {}).textContent"
    }
}

extension LifeboatCLI {
    /// Starts `lifeboat run …` in the background and waits (up to 5 s) for its run to be in the
    /// store; the caller stops the process.
    public func startRun(_ arguments: [String]) throws -> (executor: Process, runID: String?) {
        let (executor, _, _) = try start(["run"] + arguments)
        var id: String?
        for _ in 0..<200 where id == nil {
            Thread.sleep(forTimeInterval: 0.025)
            id = try newestRunID()
        }
        return (executor, id)
    }

    /// When run `runID` recorded that `step` succeeded (the event's time, ms since the epoch).
    public func stepSucceededAtMs(_ runID: String, _ step: String) throws -> Int64? {
        let events = try showJSON(runID)["events"] as? [[String: Any]] ?? []
        let event = events.first { event in
            ((event["kind"] as? [String: Any])?["stepSucceeded"] as? [String: Any])?["step"] as? String == step
        }
        return (event?["atMs"] as? NSNumber)?.int64Value
    }
}
