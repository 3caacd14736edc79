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

/// A plan's `notify:`: messages on run events without a step in the runbook.
@Suite("CLI: plan-level notify", .serialized)
struct PlanNotifyCLITests {
    func writePlan(_ cli: CLI, url: String) throws {
        try cli.write("token", "tok-\(UUID().uuidString.prefix(10))\n")
        try writeScenario(cli, steps: """
              - id: declare
                action: approval
                with: {prompt: "Fail over?"}
              - id: work
                action: command
                needs: [declare]
                with: {argv: ["true"]}
            """, secrets: """
            secrets:
              hook: {file: \(cli.path("token"))}
            notify:
              - on: [approval_needed, run_ended]
                url: \(url)
                headers: {Authorization: "Bearer ${secrets.hook}"}
            """)
    }

    /// Approval needed, then run ended: two messages, each with its own key, the token sent and
    /// recorded nowhere; each send is in the events.
    @Test func approvalNeededAndRunEndedAreNotified() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try CLI()
        try writePlan(cli, url: receiver.url + "/hook")
        #expect(try cli.run("validate", "plans/p.yaml").status == 0)
        // A drill: the person who started it may approve it (separation of duties is for real runs).
        let (process, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover", "--drill"])
        let deadline = Date().addingTimeInterval(20)
        while receiver.requests().isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let id = try #require(try cli.newestRunID())
        let approved = try cli.run("approve", id, "declare")
        #expect(approved.status == 0, "\(approved.output)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let sent = receiver.requests()
        #expect(sent.map(\.key) == ["\(id)/notify/1", "\(id)/notify/2"])
        let texts = sent.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: String] }.compactMap { $0["text"] }
        #expect(texts.first == "test-plan / failover (drill), run \(id): approval needed for step declare: `lifeboat approve \(id) declare`", "\(texts)")
        #expect(texts.last == "test-plan / failover (drill), run \(id): run succeeded", "\(texts)")
        let token = try String(contentsOfFile: cli.path("token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(sent.allSatisfy { $0.headers["authorization"] == "Bearer " + token })
        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("notification 1 (approval_needed): delivered to 1 of 1 target"), "\(events)")
        #expect(events.contains("notification 2 (run_ended): delivered to 1 of 1 target"), "\(events)")
        let store = try Data(contentsOf: URL(fileURLWithPath: cli.dbPath))
        #expect(store.range(of: Data(token.utf8)) == nil)
    }

    /// kill -9 while the approval-needed message is in flight, then `resume --yes`: the message is
    /// sent again under the same key (the receiver drops it), and the run's end is notified once.
    @Test func aKilledExecutorsUnsentNotificationIsSentAgainOnResume() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try CLI()
        try writePlan(cli, url: receiver.url + "/slow-first/30")
        let (process, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover", "--drill"])
        let deadline = Date().addingTimeInterval(20)
        while receiver.requests().isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let id = try #require(try cli.newestRunID())
        let resumed = try cli.run("resume", id, "--yes")
        #expect(resumed.status == 0, "\(resumed.output)")
        // The resent message and the run's end go out concurrently: compare without their order.
        let keys = receiver.requests().compactMap(\.key).sorted()
        print("MEASURE plan notify kill -9: keys \(keys), notifications \(receiver.notifications().count)")
        #expect(keys == ["\(id)/notify/1", "\(id)/notify/1", "\(id)/notify/2"])
        #expect(receiver.notifications().compactMap(\.key).sorted() == ["\(id)/notify/1", "\(id)/notify/2"])
    }

    @Test func anUnknownRunEventIsRefusedWithItsPlace() throws {
        try expectPlanRefused(
            "notify:\n  - {on: [run_finished], url: \"http://127.0.0.1:9/hook\"}", atLine: 6,
            "'run_finished' is not a valid run event for notify[0].on")
    }
}
