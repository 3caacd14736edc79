import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import LifeboatTestSupport
import Testing

/// kill -9 of the CLI while it promotes a real replica, then `lifeboat resume`: the promotion is
/// verified, not repeated. Part of the serialized promote suite: one promote cluster at a time.
extension PostgresPromoteActionTests {
    @Test func killDuringPromotionThenResumeVerifiesInsteadOfPromotingAgain() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "probe")
            // The write check that follows pg_promote waits 1 s in a trigger, so the kill below lands
            // after the promotion and before the CLI records it even on a loaded machine.
            try await cluster.admin(
                cluster.primary,
                "CREATE FUNCTION slow_probe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$")
            try await cluster.admin(
                cluster.primary, "CREATE TRIGGER slow_probe BEFORE INSERT ON probe FOR EACH ROW EXECUTE FUNCTION slow_probe()")
            try await waitForReplay(cluster)
            var cli = try LifeboatCLI()
            cli.environment["LIFEBOAT_TEST_PG_PASSWORD"] = cluster.primary.password  // the replica's is the same
            try cli.write("plans/p.yaml", """
                plan: promote-crash
                owner: sre
                tier: 2
                objectives: {rto: 10m, rpo: 1m}
                secrets: {pg: {env: LIFEBOAT_TEST_PG_PASSWORD}}
                scenarios:
                  failover:
                    runbook: ../runbooks/r.yaml

                """)
            try cli.write("runbooks/r.yaml", """
                runbook: promote-crash
                params:
                  max_lag: {type: size, default: 16MB}
                steps:
                  - id: promote
                    action: postgres.promote
                    with:
                      conninfo: "\(replica.conninfo(password: "${secrets.pg}"))"
                      primary_conninfo: "\(cluster.primary.conninfo(password: "${secrets.pg}"))"
                      max_lag: "${params.max_lag}"
                      write_check: probe

                """)
            let validate = try cli.run("validate", "plans", "runbooks")
            #expect(validate.status == 0, "\(validate.output)")

            // Watch the replica on an open connection and SIGKILL the CLI the moment recovery ends:
            // pg_promote has done its work, the CLI has not recorded it yet.
            let watcher = try await PGConnection.connect(replica.adminConninfo(), timeout: .seconds(30))
            defer { watcher.close() }
            let (process, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover", "--yes"])
            let deadline = ContinuousClock.now + .seconds(120)
            var killedAfterPromotion = false
            while process.isRunning, ContinuousClock.now < deadline {
                if try await watcher.query("SELECT pg_is_in_recovery()").firstValue == "f" {
                    kill(process.processIdentifier, SIGKILL)
                    killedAfterPromotion = true
                    break
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            if !killedAfterPromotion, process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let runID = try #require(try cli.newestRunID())
            let before = try cli.showJSON(runID)
            let stepsBefore = (before["steps"] as? [[String: Any]]) ?? []
            let statusBefore = stepsBefore.first { $0["stepID"] as? String == "promote" }?["status"] as? String
            print("MEASURE crash: killed after promotion \(killedAfterPromotion), step status at kill \(statusBefore ?? "?"), exit \(process.terminationStatus) reason \(process.terminationReason.rawValue)")
            #expect(killedAfterPromotion)
            #expect(process.terminationReason == .uncaughtSignal, "the CLI finished before the kill landed")

            let resume = try cli.run("resume", runID)
            #expect(resume.status == 0, "\(resume.output)")
            let after = try cli.showJSON(runID)
            let events = (after["events"] as? [[String: Any]]) ?? []
            let text = String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)
            #expect(text.contains("stepVerified"), "no stepVerified event: \(text.suffix(2000))")
            let verified = events.contains { event in
                guard let kind = event["kind"] as? [String: Any], let v = kind["stepVerified"] as? [String: Any],
                    let outcome = v["outcome"] as? [String: Any]
                else { return false }
                return outcome["done"] != nil
            }
            #expect(verified, "the step was not verified done: \(text.suffix(2000))")
            let started = events.filter { ($0["kind"] as? [String: Any])?["stepStarted"] != nil }.count
            #expect(started == 1, "the step started \(started) times")
            let steps = (after["steps"] as? [[String: Any]]) ?? []
            #expect(steps.first { $0["stepID"] as? String == "promote" }?["status"] as? String == "succeeded")
            // Promoted exactly once: timeline 2, not 3.
            let timeline = try await cluster.admin(replica, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)").firstValue
            #expect(timeline == "00000002")
            #expect(try await cluster.admin(replica, "SELECT pg_is_in_recovery()").firstValue == "f")
            try? FileManager.default.removeItem(at: cli.directory)
        }
    }
}
