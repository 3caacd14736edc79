import Foundation
import GRDB
import LifeboatTestSupport
import Testing

/// `history` filters, summary and report, `status`, `metrics` (checked by promtool) and
/// `audit export` / `verify`, on the built binary with real drills.
@Suite("CLI: evidence", .serialized)
struct EvidenceCLITests {
    /// A plan with a schedule and one scenario of two quick command steps; a second plan never run.
    func setUp(_ store: TestStore = .sqlite) async throws -> CLI {
        let cli = try await CLI.on(store)
        try cli.write("plans/e.yaml", """
            plan: evidence-plan
            owner: sre
            tier: 2
            objectives: {rto: 10m, rpo: 1m}
            schedule: {tabletop: quarterly, failover: semiannual, full: annual}
            scenarios:
              failover:
                runbook: ../runbooks/r.yaml

            """)
        try cli.write("runbooks/r.yaml", """
            runbook: quick
            steps:
              - id: one
                action: command
                with: {argv: ["true"]}
              - id: two
                action: command
                needs: [one]
                with: {argv: ["true"]}
            """)
        return cli
    }

    /// ISO date-time `days` from now.
    func daysFromNow(_ days: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date().addingTimeInterval(days * 86_400))
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test(arguments: TestStore.allCases)
    func historyFiltersAndSummarizes(store: TestStore) async throws {
        let cli = try await setUp(store)
        for _ in 0..<3 {
            let run = try cli.run("run", "plans/e.yaml", "-s", "failover", "--drill")
            #expect(run.status == 0, "\(run.stderr)")
        }
        let all = try cli.run("history", "--mode", "drill", "--since", "1d", "--outcome", "succeeded", "--json")
        #expect(all.status == 0, "\(all.stderr)")
        let entries = try #require(try json(all.stdout) as? [[String: Any]])
        #expect(entries.count == 3)
        let rto = (entries[0]["measurement"] as? [String: Any])?["rto"] as? [String: Any]
        #expect(rto?["verdict"] as? String == "met")
        #expect(rto?["achievedMs"] is Int)
        let old = try cli.run("history", "--until", "2001-01-01")
        #expect(old.stdout.contains("no runs match these filters"))
        let bad = try cli.run("history", "--since", "last tuesday")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--since"))

        let summary = try cli.run("history", "--summary", "--last", "2", "--json")
        #expect(summary.status == 0, "\(summary.stderr)")
        let groups = try #require(try json(summary.stdout) as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(groups[0]["runs"] as? Int == 3)
        #expect(groups[0]["successRate"] as? Double == 1)
        let rtoSummary = try #require(groups[0]["rto"] as? [String: Any])
        #expect((rtoSummary["series"] as? [Int])?.count == 2)
        #expect(rtoSummary["objectiveMs"] as? Int == 600_000)
        #expect(rtoSummary["p95Ms"] is Int)
        let text = try cli.run("history", "--summary")
        #expect(text.stdout.contains("evidence-plan / failover"))
        #expect(text.stdout.contains("100%"))

        let html = try cli.run("history", "--report", "html", "--plan", "evidence-plan", "--since", "30d", "-o", cli.path("r.html"))
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: cli.path("r.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg"))
        #expect(page.contains("objective 10m"))
        let md = try cli.run("history", "--report", "md", "--plan", "evidence-plan")
        #expect(md.stdout.contains("# DR history: evidence-plan"))
        #expect(md.stdout.contains("| failover | drill | 3 | 100 % |"))
        #expect(try cli.run("history", "--report", "html").status == 2)  // needs --plan
    }

    @Test(arguments: TestStore.allCases)
    func statusShowsDueAndOverdueAndCheckFails(store: TestStore) async throws {
        let cli = try await setUp(store)
        let never = try cli.run("status", "plans", "--check")
        #expect(never.status == 7)
        #expect(never.stdout.contains("NEVER"))
        let run = try cli.run("run", "plans/e.yaml", "-s", "failover", "--drill")
        #expect(run.status == 0, "\(run.stderr)")

        let soon = try cli.run("status", "plans", "--check", "--json", "--now", daysFromNow(10))
        #expect(soon.status == 0, "\(soon.stdout)\(soon.stderr)")
        let report = try #require(try json(soon.stdout) as? [String: Any])
        #expect(report["overdue"] as? Bool == false)
        let plans = try #require(report["plans"] as? [[String: Any]])
        let cadences = try #require(plans.first?["cadences"] as? [[String: Any]])
        #expect(cadences.map { $0["cadence"] as? String } == ["tabletop", "failover", "full"])
        #expect(cadences.allSatisfy { $0["state"] as? String == "ok" })

        // 100 days on: the quarterly tabletop is overdue, the semiannual failover is not.
        var later = cli
        later.environment["LIFEBOAT_NOW"] = daysFromNow(100)
        let quarter = try later.run("status", "plans", "--check")
        #expect(quarter.status == 7)
        let tabletop = try #require(quarter.stdout.split(separator: "\n").first { $0.contains(" quarterly ") })
        #expect(tabletop.contains("OVERDUE"))
        let failover = try #require(quarter.stdout.split(separator: "\n").first { $0.contains(" semiannual ") })
        #expect(failover.contains(" ok "))
        #expect(try cli.run("status", "plans", "--now", daysFromNow(100)).status == 0)  // without --check
        #expect(try cli.run("status", "nowhere").status == 5)
    }

    @Test(arguments: TestStore.allCases)
    func metricsPassPromtoolAndAreWrittenAtomically(store: TestStore) async throws {
        let cli = try await setUp(store)
        let run = try cli.run("run", "plans/e.yaml", "-s", "failover", "--drill")
        #expect(run.status == 0, "\(run.stderr)")
        let result = try cli.run("metrics", "plans", "--textfile", cli.path("lifeboat.prom"))
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: cli.path("lifeboat.prom"), encoding: .utf8)
        #expect(text.contains("# TYPE lifeboat_rto_achieved_seconds gauge"))
        #expect(text.contains(#"lifeboat_rto_objective_seconds{plan="evidence-plan",scenario="failover",mode="drill"} 600"#))
        #expect(text.contains(#"lifeboat_rto_objective_met{plan="evidence-plan",scenario="failover",mode="drill"} 1"#))
        #expect(text.contains(#"lifeboat_schedule_overdue{plan="evidence-plan",cadence="tabletop",frequency="quarterly"} 0"#))
        #expect(text.contains(#"lifeboat_last_drill_forced_steps{plan="evidence-plan",scenario="failover",mode="drill"} 0"#))
        // --json: the figures behind the text.
        let figures = try cli.run("metrics", "plans", "--json")
        #expect(figures.status == 0, "\(figures.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(figures.stdout.utf8)) as? [String: Any])
        let drills = try #require(document["lastDrills"] as? [[String: Any]])
        #expect(drills.count == 1 && (drills[0]["run"] as? [String: Any])?["planID"] as? String == "evidence-plan")
        #expect((document["schedule"] as? [[String: Any]])?.first?["planID"] as? String == "evidence-plan")
        #expect(try cli.run("metrics", "plans", "--json", "--textfile", cli.path("x.prom")).status == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        promtool.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: cli.path("lifeboat.prom")))
        let errors = Pipe()
        promtool.standardOutput = errors
        promtool.standardError = errors
        try promtool.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        #expect(promtool.terminationStatus == 0, "promtool: \(output)\n\(text)")
    }

    @Test func auditExportReverifiesAndTamperingIsNamed() async throws {
        let cli = try await setUp()
        #expect(try cli.run("run", "plans/e.yaml", "-s", "failover", "--drill").status == 0)
        let id = try #require(try cli.newestRunID())
        let export = try cli.run("audit", "export", id, "-o", cli.path("run.jsonl"))
        #expect(export.status == 0, "\(export.stderr)")
        let lines = try String(contentsOfFile: cli.path("run.jsonl"), encoding: .utf8).split(separator: "\n")
        let types = try lines.map { (try json(String($0)) as? [String: Any])?["type"] as? String }
        #expect(types.first == "export")
        #expect(types.last == "end")
        #expect(types.filter { $0 == "document" }.count == 2)
        #expect(types.filter { $0 == "event" }.count > 5)
        // Re-verify every event's hash and link with Python, from the archive alone.
        let check = """
            import hashlib, json, sys
            prev = None
            for line in open(sys.argv[1]):
                r = json.loads(line)
                if r["type"] != "event": continue
                h = hashlib.sha256((r["prevHash"] + "\\n" + str(r["seq"]) + "\\n" + r["runId"] + "\\n" + r["payload"]).encode()).hexdigest()
                assert h == r["hash"], r["seq"]
                assert prev is None or prev == r["prevHash"], r["seq"]
                prev = r["hash"]
            """
        try cli.write("check.py", check)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", cli.path("check.py"), cli.path("run.jsonl")]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)

        #expect(try cli.run("audit", "verify").status == 0)
        let raw = try DatabaseQueue(path: cli.dbPath)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER events_no_update")
            try db.execute(sql: "UPDATE events SET payload = replace(payload, '\"attempt\":1', '\"attempt\":2') WHERE seq = 3")
        }
        try raw.close()
        let verify = try cli.run("audit", "verify")
        #expect(verify.status == 6)
        #expect(verify.stdout.contains("chain broken at event 3: event 3 (run \(id)) was altered"), "\(verify.stdout)")
        #expect(try cli.run("audit", "export", "no-such-run").status == 5)
    }
}
