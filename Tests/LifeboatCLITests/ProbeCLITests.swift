import Foundation
import LifeboatCore
import LifeboatTestSupport
import Testing

/// Steady-state probes through the built binary: real commands and a real HTTP server.
@Suite("CLI: steady-state probes", .serialized)
struct ProbeCLITests {
    /// A command probe that fails while a file exists: the drill pauses once it has failed for its
    /// window, naming the probe, the plan's `probe_breached` notification arrives, and `resume`
    /// goes on once the service is back.
    @Test(arguments: TestStore.allCases)
    func aProbeFailingForItsWindowPausesADrillNamingItAndResumeGoesOn(store: TestStore) async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try await CLI.on(store)
        let down = cli.path("backend-down")
        FileManager.default.createFile(atPath: down, contents: nil)
        try writeScenario(cli, steps: """
              - id: work
                action: command
                with: {argv: [sleep, "2"]}
              - id: after
                action: command
                needs: [work]
                with: {argv: ["true"]}
            probes:
              - id: backend-up
                action: command
                with: {argv: [test, "!", "-e", "\(down)"]}
                interval: 100ms
                abort_when: {failing_for: 500ms}
            """, secrets: "notify:\n  - on: [probe_breached]\n    url: \(receiver.url)/hook")
        #expect(try cli.run("validate", "plans/p.yaml").status == 0)
        let paused = try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill")
        #expect(paused.status == 3, "paused, resumable: \(paused.stdout)\(paused.stderr)")
        #expect(paused.stdout.contains("probe backend-up: FAILING from "), "\(paused.stdout)")
        #expect(paused.stdout.contains("probe backend-up BREACHED its abort criterion: failing for"), "\(paused.stdout)")
        #expect(paused.stdout.contains("lifeboat resume"), "a next action: \(paused.stdout)")
        let id = try #require(try cli.newestRunID())
        let shown = try cli.run("show", id).stdout
        #expect(shown.contains("status paused (probe-breached)"), "\(shown)")
        #expect(shown.contains("backend-up (command every 100ms):"), "\(shown)")
        #expect(shown.contains("BREACHED: failing for"), "\(shown)")
        let notes = receiver.notifications()
        #expect(notes.count == 1, "\(notes.map(\.body))")
        #expect(notes.first?.body.contains("probe backend-up breached: failing for") == true, "\(notes.map(\.body))")

        try FileManager.default.removeItem(atPath: down)
        let resumed = try cli.run("resume", id)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let steps = try #require(try cli.showJSON(id)["steps"] as? [[String: Any]])
        #expect(steps.allSatisfy { $0["status"] as? String == "succeeded" }, "\(steps)")
    }

    /// `on_breach: abort` with an error rate: the drill ends aborted (exit 1), and its report says
    /// the probe aborted it and why.
    @Test(arguments: TestStore.allCases)
    func aProbeWhoseErrorRateIsTooHighAbortsTheDrill(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: work
                action: command
                with: {argv: [sleep, "3"]}
              - id: after
                action: command
                needs: [work]
                with: {argv: ["true"]}
            probes:
              - id: flaky
                action: command
                with: {argv: ["false"]}
                interval: 100ms
                abort_when: {error_rate: "10%", over: 500ms}
                on_breach: abort
            """)
        let aborted = try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill")
        #expect(aborted.status == 1, "\(aborted.stdout)\(aborted.stderr)")
        #expect(aborted.stdout.contains("probe flaky BREACHED its abort criterion: "), "\(aborted.stdout)")
        #expect(aborted.stdout.contains("(100.0% > 10%)"), "\(aborted.stdout)")
        let id = try #require(try cli.newestRunID())
        let report = try cli.run("report", id, "--format", "md").stdout
        #expect(report.contains("| Aborted by | probe flaky (abort_when): "), "\(report)")
        let steps = try #require(try cli.showJSON(id)["steps"] as? [[String: Any]])
        #expect(steps.first { $0["stepID"] as? String == "after" }?["status"] as? String == "pending", "\(steps)")
    }

    /// A probe whose program does not exist says nothing about the service: reported as not
    /// runnable, never counted as failing, and the run goes on.
    @Test(arguments: TestStore.allCases)
    func aProbeThatCannotRunIsReportedAsNotRunnable(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: work
                action: command
                with: {argv: [sleep, "1"]}
            probes:
              - id: health
                action: command
                with: {argv: ["\(cli.path("no-such-health-tool"))"]}
                interval: 200ms
                abort_when: {failing_for: 200ms}
            """)
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("probe health: NOT RUNNABLE from "), "\(result.stdout)")
        #expect(result.stdout.contains("(this is the probe, not the service)"), "\(result.stdout)")
        let id = try #require(try cli.newestRunID())
        let shown = try cli.run("show", id).stdout
        #expect(shown.contains("0 failed; NOT RUNNABLE"), "\(shown)")
        #expect(shown.contains("was not found"), "\(shown)")
        let probes = try #require(try cli.showJSON(id)["probes"] as? [[String: Any]])
        #expect(probes.first?["failed"] as? Int == 0)
        #expect((probes.first?["notRunnable"] as? Int ?? 0) >= 3)
    }

    /// An HTTP probe every 200 ms that measures the outage, against a real server made to answer
    /// 503 for 1.5 s while the run works: the observed outage is within one interval of the time it
    /// was down, and the RTO objective is judged on it.
    @Test func theObservedOutageIsWithinOneIntervalOfTheRealOne() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: work
                action: command
                with: {argv: [sleep, "4"]}
            probes:
              - id: users
                action: http.check
                with: {url: "\(receiver.url)/health", expect_status: 200}
                interval: 200ms
                measures: outage
            """, rto: "10m, judge_rto_by: outage")
        let window = ToggleTimes()
        let toggler = Thread {
            Thread.sleep(forTimeInterval: 1.2)
            receiver.setDown(true)
            window.down = Date().timeIntervalSince1970
            Thread.sleep(forTimeInterval: 1.5)
            receiver.setDown(false)
            window.up = Date().timeIntervalSince1970
        }
        toggler.start()
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let id = try #require(try cli.newestRunID())
        let measurement = try #require(try cli.showJSON(id)["measurement"] as? [String: Any])
        let outage = try #require(measurement["outage"] as? [String: Any])
        let observed = try #require(outage["durationMs"] as? Int)
        let truth = Int(((window.up - window.down) * 1000).rounded())
        print("MEASURE observed outage \(observed) ms, server down \(truth) ms, probe interval 200 ms")
        #expect(abs(observed - truth) <= 200, "observed \(observed) ms, down \(truth) ms")
        #expect(outage["lowerBound"] as? Bool == false)
        let rto = try #require(measurement["rto"] as? [String: Any])
        #expect(rto["judgedBy"] as? String == "outage")
        #expect(rto["verdict"] as? String == "met")
        #expect(result.stdout.contains("Observed outage: "), "\(result.stdout)")
        #expect(result.stdout.contains("on the observed outage"), "\(result.stdout)")
        // The figure is kept with the run: history and metrics show it without re-reading events.
        let seen = DurationText.format(milliseconds: Int64(observed))
        let history = try cli.run("history").stdout
        #expect(history.contains("outage seen \(seen)"), "\(history)")
        let summary = try cli.run("history", "--summary").stdout
        #expect(summary.contains("outage seen in the last run that measured it: \(seen)"), "\(summary)")
        let metrics = try cli.run("metrics").stdout
        #expect(metrics.contains("lifeboat_observed_outage_seconds{plan=\"test-plan\",scenario=\"failover\",mode=\"execute\"} \(Double(observed) / 1000)"),
                "\(metrics)")
    }

    @Test func probesWrittenWrongAreRefusedWithTheirPlace() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: work
                action: command
                with: {argv: ["true"]}
            probes:
              - id: a
                action: dns.update
                with: {server: "127.0.0.1:53"}
              - id: b
                action: command
                with: {argv: ["${steps.work.outputs.exit_code}"]}
                from: wrk
                abort_when: {error_rate: "1%"}
            """, rto: "10m, judge_rto_by: outage")
        let refused = try cli.run("validate", "plans/p.yaml")
        #expect(refused.status == 2, "\(refused.output)")
        for expected in [
            "runbooks/r.yaml:9:13: error: probe 'a' cannot run 'dns.update': a probe checks, it changes nothing",
            "probe 'b' starts from 'wrk', which is not a step of this runbook",
            "a probe runs beside the steps, so step outputs are not available to it",
            "'abort_when' of probe 'b' has an error_rate but no 'over'",
            "scenario 'failover' judges its RTO by the observed outage, but runbook 'test-runbook' has no probe that measures it",
        ] {
            #expect(refused.output.contains(expected), "missing: \(expected)\n\(refused.output)")
        }
    }
}

/// When the test's server went down and came back (seconds since 1970).
private final class ToggleTimes: @unchecked Sendable {
    var down = 0.0
    var up = 0.0
}
