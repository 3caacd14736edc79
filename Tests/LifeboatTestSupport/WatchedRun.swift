import Foundation

extension LifeboatCLI {
    /// What `lifeboat watch RUN --json` printed while `act` drove the run to its end: its exit
    /// status, its lines, and whether those lines are, in order, exactly the events
    /// `show RUN --json --events` lists afterwards.
    public struct Watched {
        public var status: Int32
        public var lines: [String]
        public var sameAsShow: Bool
        public var stderr: String
    }

    /// Starts `watch RUN --json`, waits until it has printed the events so far (it is following),
    /// runs `act`, then waits (at most 60 s) for watch to end with the run.
    public func watch(_ runID: String, while act: () throws -> Void) throws -> Watched {
        let (watcher, out, err) = try start(["watch", runID, "--json"])
        defer { if watcher.isRunning { watcher.terminate() } }
        func printed() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        for _ in 0..<200 where printed().isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        try act()
        for _ in 0..<600 where watcher.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if watcher.isRunning { return Watched(status: -1, lines: [], sameAsShow: false, stderr: "watch did not end with the run") }
        let lines = printed().split(separator: "\n").map(String.init)
        let watched = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        let shown = (try showJSON(runID)["events"] as? [[String: Any]] ?? []).map { NSDictionary(dictionary: $0) }
        return Watched(
            status: watcher.terminationStatus, lines: lines, sameAsShow: !shown.isEmpty && watched == shown,
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
