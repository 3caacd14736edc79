import Foundation
import LifeboatTestSupport
import Testing

/// `notify` steps through the built binary against a real webhook receiver that drops repeated
/// `Idempotency-Key`s, as a chat service does.
@Suite("CLI: notify", .serialized)
struct NotifyCLITests {
    /// kill -9 while the receiver holds the request, then `resume`: the request is sent again with
    /// the same key, and the receiver shows one notification.
    @Test func aKillDuringTheRequestThenResumeShowsOneNotification() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try CLI()
        try cli.write("token", "tok-\(UUID().uuidString.prefix(10))\n")
        let token = try String(contentsOfFile: cli.path("token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try writeScenario(cli, steps: """
              - id: tell
                action: notify
                with:
                  url: \(receiver.url)/slow-first/30
                  text: "Failover of ${run.plan} started: run ${run.id}"
                  headers: {Authorization: "Bearer ${secrets.hook}"}
                  timeout: 60s
              - id: after
                action: command
                needs: [tell]
                with: {argv: ["true"]}
            """, secrets: "secrets:\n  hook: {file: \(cli.path("token"))}")
        let (process, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        let deadline = Date().addingTimeInterval(20)
        while receiver.requests().isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(receiver.requests().count == 1, "the request never arrived")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let id = try #require(try cli.newestRunID())

        let resumed = try cli.run("resume", id)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let key = "\(id)/tell/1"
        let sent = receiver.requests()
        print("MEASURE notify kill -9: \(sent.count) requests, keys \(sent.map { $0.key ?? "none" }), notifications \(receiver.notifications().count)")
        #expect(sent.count == 2, "the interrupted request should have been sent again")
        #expect(sent.allSatisfy { $0.key == key })
        #expect(sent.last?.duplicate == true)
        #expect(receiver.notifications().count == 1)
        let body = try #require(try JSONSerialization.jsonObject(with: Data((sent.first?.body ?? "").utf8)) as? [String: String])
        #expect(body["text"] == "Failover of test-plan started: run \(id)")
        #expect(sent.first?.headers["authorization"] == "Bearer " + token)

        let shown = try cli.showJSON(id)
        let steps = try #require(shown["steps"] as? [[String: Any]])
        let tell = try #require(steps.first { $0["stepID"] as? String == "tell" })
        #expect(tell["status"] as? String == "succeeded")
        let text = try cli.run("show", id, "--events").stdout + resumed.stdout + resumed.stderr
        #expect(text.contains("Idempotency-Key \(key)"), "\(text)")
        let store = try Data(contentsOf: URL(fileURLWithPath: cli.dbPath))
        #expect(store.range(of: Data(token.utf8)) == nil, "the token was written to the store")
        #expect(!text.contains(token))
    }
}
