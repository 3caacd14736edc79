import Foundation
import LifeboatTestSupport
import Testing

/// `lifeboat serve` over the team store: a run executing in another process reaches an open page
/// (headless Chromium) within a second of each commit, and an event stream gets every event in
/// order; no response shows the store's password.
@Suite("serve on the team store", .serialized)
struct TeamStoreServeTests {
    @Test func aRunExecutingElsewhereIsLiveOnThePageAndInTheStream() async throws {
        let cli = try await TeamStoreCLITests.cli()
        // The first step outlasts the browser's start (over 2 s on a slow machine), so the page
        // shows it running before it succeeds.
        try cli.write("runbooks/r.yaml", """
            runbook: r
            steps:
              - {id: first, action: command, with: {argv: [sleep, "6"]}}
              - {id: second, action: command, needs: [first], with: {argv: [sleep, "1"]}}

            """)
        let served = try Served(cli)
        defer { served.stop() }
        let (executor, newest) = try cli.startRun(["plans/p.yaml", "-s", "failover", "--drill"])
        defer { if executor.isRunning { executor.terminate() } }
        let id = try #require(newest)
        // A stream from the first event, read to its end while the run goes on.
        let streamURL = served.url + "/runs/\(id)/events"
        let streamed = Task.detached { try Fetched.get(streamURL, maxTime: 30) }
        let watched = try PageWatch.run(
            served.url + "/runs/" + id, until: PageWatch.stepState("first") + " === 'succeeded'",
            reportBefore: PageWatch.stepState("first"))
        #expect(watched.ok && watched.reportBefore == "running", "before: \(watched.reportBefore ?? "nil")")
        executor.waitUntilExit()
        #expect(executor.terminationStatus == 0)
        let committed = try #require(try cli.stepSucceededAtMs(id, "first"))
        let events = try cli.showJSON(id)["events"] as? [Any] ?? []
        let seen = try #require(watched.seenAtMs)
        #expect(seen >= committed && seen - committed < 1000, "seen \(seen - committed) ms after the commit")
        let stream = try await streamed.value
        let ids = stream.body.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
        #expect(ids == Array(1...events.count), "\(stream.body.suffix(400))")
        #expect(stream.body.hasSuffix("event: end\ndata: \(events.count)\n\n"))
        let password = TeamStoreCLITests.password(cli)
        for path in ["/", "/runs/\(id)", "/status", "/runs/none"] {
            let response = try Fetched.get(served.url + path)
            #expect(!response.body.contains(password), "\(path) shows the store's password")
        }
        #expect(try Fetched.get(served.url + "/runs/\(id)").body.contains("team store"))
    }
}
