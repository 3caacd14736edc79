import Foundation
import LifeboatTestSupport
import Testing

extension LifeboatCLI {
    /// plans/p.yaml (plan `dns`, scenario `failover`, var `dns_server`, secret `tsig` from
    /// $LIFEBOAT_TSIG_SECRET) and runbooks/r.yaml with `steps` (YAML list items under `steps:`).
    func writeDNSDocuments(server: String, steps: String) throws {
        try write("plans/p.yaml", """
            plan: dns
            owner: sre
            tier: 2
            objectives: {rto: 10m, rpo: 1m}
            vars: {dns_server: "\(server)"}
            secrets:
              tsig: {env: LIFEBOAT_TSIG_SECRET}
            scenarios:
              failover:
                runbook: ../runbooks/r.yaml

            """)
        try write("runbooks/r.yaml", "runbook: dns\nsteps:\n" + steps + "\n")
    }
}

/// kill -9 of the CLI while its dns.update is in flight, then `lifeboat resume`: the step is
/// verified against the server, not sent again.
@Suite("DNS crash: kill -9 during dns.update, then resume")
struct DNSCrashTests {
    @Test func killDuringUpdateThenResumeVerifiesInsteadOfUpdatingAgain() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let relay = try DNSRelay(upstreamPort: bind.port, delay: 2, directory: bind.directory)
            defer { relay.stop() }
            var cli = try LifeboatCLI()
            defer { try? FileManager.default.removeItem(at: cli.directory) }
            cli.environment["LIFEBOAT_TSIG_SECRET"] = bind.secret
            try cli.writeDNSDocuments(server: "127.0.0.1:\(relay.port)", steps: """
                  - id: dns
                    action: dns.update
                    with:
                      server: "${vars.dns_server}"
                      zone: example.test.
                      name: db
                      type: A
                      records: [10.0.0.7]
                      ttl: 60
                      key_name: \(BINDServer.keyName)
                      key_secret: "${secrets.tsig}"
                      timeout: 5s
                """)
            let validate = try cli.run("validate", "plans", "runbooks")
            #expect(validate.status == 0, "\(validate.output)")
            let serialBefore = try bind.serial()

            // Kill the moment the relay holds the UPDATE: run() is in flight, nothing recorded its end.
            let (process, output, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover", "--yes"])
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning, relay.updatesReceived == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let killed = process.isRunning
            if killed { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            #expect(killed, "the CLI ended before the update was in flight: \((try? String(contentsOf: output, encoding: .utf8)) ?? "") relay: \(relay.lines)")
            #expect(process.terminationReason == .uncaughtSignal)
            let runID = try #require(try cli.newestRunID())
            let before = try cli.showJSON(runID)
            let statusAtKill = ((before["steps"] as? [[String: Any]]) ?? []).first { $0["stepID"] as? String == "dns" }?["status"] as? String
            #expect(statusAtKill == "running")

            // The relay still delivers the held UPDATE: the change happens although the CLI died.
            let forwardDeadline = ContinuousClock.now + .seconds(20)
            while relay.updatesForwarded == 0, ContinuousClock.now < forwardDeadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(relay.updatesForwarded == 1)
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.7"])

            let resume = try cli.run("resume", runID)
            #expect(resume.status == 0, "\(resume.output)")
            let after = try cli.showJSON(runID)
            let events = (after["events"] as? [[String: Any]]) ?? []
            let text = String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)
            let verifiedDone = events.contains { event in
                guard let kind = event["kind"] as? [String: Any], let v = kind["stepVerified"] as? [String: Any],
                    let outcome = v["outcome"] as? [String: Any]
                else { return false }
                return outcome["done"] != nil
            }
            #expect(verifiedDone, "the step was not verified done: \(text.suffix(2000))")
            let started = events.filter { ($0["kind"] as? [String: Any])?["stepStarted"] != nil }.count
            #expect(started == 1, "the step started \(started) times")
            let steps = (after["steps"] as? [[String: Any]]) ?? []
            #expect(steps.first { $0["stepID"] as? String == "dns" }?["status"] as? String == "succeeded")
            #expect(text.contains("verified after a resume"))
            // No blind second UPDATE: the serial went up once per UPDATE that reached the server.
            #expect(relay.updatesReceived == 1)
            #expect(relay.updatesForwarded == 1)
            #expect(try bind.serial() == serialBefore + relay.updatesForwarded)
            // The secret is in no output and no stored event.
            #expect(!resume.output.contains(bind.secret) && !text.contains(bind.secret))
            print("MEASURE dns crash: status at kill \(statusAtKill ?? "?"), updates forwarded \(relay.updatesForwarded), serial \(serialBefore) → \(try bind.serial())")
        }
    }
}
