import Foundation
import LifeboatCore
import Testing

@Suite("Loading plans and runbooks")
struct DocumentsLoaderTests {
    let loader = TestActions.loader

    @Test func loadsRunbookModel() throws {
        let path = FixturePaths.fixture("valid/runbooks/basic.yaml")
        let runbook = try loader.loadRunbook(at: path)
        #expect(runbook.id == "basic")
        #expect(runbook.source.kind == .runbook)
        #expect(runbook.params.map(\.name) == ["region", "replicas", "ratio", "dry", "grace", "max_lag", "hosts", "labels"])
        #expect(runbook.params[0].required && runbook.params[0].type == .string)
        #expect(runbook.params[1].defaultValue == .int(2))
        #expect(runbook.params[7].defaultValue == ["team": "sre"])
        #expect(runbook.rtoWindow == RTOWindow(start: "declare", end: "check"))
        #expect(runbook.steps.map(\.id) == ["declare", "move", "check", "cleanup"])

        let move = try #require(runbook.step("move"))
        #expect(move.title == "Move traffic")
        #expect(move.needs == ["declare"])
        #expect(move.timeout == .seconds(120))
        #expect(move.expect == .seconds(60))
        #expect(move.retry == RetryPolicy(attempts: 3, delayMs: 500, maxDelayMs: 10_000, jitter: .full))
        #expect(move.idempotent == true)
        #expect(move.with["expect_exit"] == [0, 3])
        #expect(move.rollback?.action == "command")
        #expect(move.location.description == "\(path):18:5")
        #expect(move.location(of: "needs.0").description == "\(path):21:13")
        #expect(move.location(of: "with").description == "\(path):22:5")
        #expect(move.location(of: "with.argv").description == "\(path):22:12")
        #expect(move.location(of: "with.argv.1").description == "\(path):22:30")
        #expect(move.location(of: "timeout").description == "\(path):23:5")
        #expect(move.location(of: "rollback.with.argv.0").line == 27)
        #expect(runbook.step("cleanup")?.when == .drill)
        #expect(runbook.step("declare")?.when == .always)
    }

    @Test func loadsPlanModel() throws {
        let path = FixturePaths.fixture("valid/plans/basic.yaml")
        let plan = try loader.loadPlan(at: path)
        #expect(plan.id == "basic-plan")
        #expect(plan.owner == "sre")
        #expect(plan.tier == 2)
        // Tier 2 defaults (4h / 1h), then the plan's rpo.
        #expect(plan.objectives == Objectives(rtoMs: 14_400_000, rpoMs: 1_800_000))
        #expect(plan.schedule == [.tabletop: .quarterly, .failover: .semiannual, .full: .annual])
        #expect(plan.vars["dns_server"] == "127.0.0.1:5353")
        #expect(plan.secrets == ["tsig": .env("TSIG_SECRET"), "pgpass": .file("/run/secrets/pg")])
        #expect(plan.scenarios.map(\.name) == ["failover", "quick"])
        let failover = try #require(plan.scenario(named: "failover"))
        #expect(failover.runbookPath == "../runbooks/basic.yaml")
        #expect(failover.resolvedRunbookPath == FixturePaths.fixture("valid/runbooks/basic.yaml"))
        #expect(failover.with == ["region": "us-east-1", "replicas": 4])
        #expect(failover.objectives == Objectives(rtoMs: 2_700_000))
        #expect(failover.location.description == "\(path):12:3")
    }

    @Test func validatingAPlanAddsItsRunbooks() {
        let report = loader.validate(paths: [FixturePaths.fixture("valid/plans/basic.yaml")])
        #expect(report.ok)
        #expect(report.files.map(\.kind) == [.plan, .runbook])
        #expect(report.files.map(\.id) == ["basic-plan", "basic"])
        #expect(report.files[1].path == FixturePaths.fixture("valid/runbooks/basic.yaml"))
    }

    @Test func validatesFoldersRecursively() {
        let report = loader.validate(paths: [FixturePaths.fixture("valid")])
        #expect(report.ok)
        #expect(report.files.count == 3)
        #expect(Set(report.files.compactMap(\.id)) == ["basic-plan", "basic", "templates-anywhere"])
    }

    @Test func reportEncodesToJSON() throws {
        let report = loader.validate(paths: [FixturePaths.fixture("invalid/runbooks/unknown-step-key.yaml")])
        let json = report.jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.first?["kind"] as? String == "runbook")
        #expect(files.first?["id"] as? String == "typo")
        let diagnostic = try #require((files.first?["diagnostics"] as? [[String: Any]])?.first)
        #expect((diagnostic["location"] as? [String: Any])?["line"] as? Int == 6)
        #expect(diagnostic["hint"] as? String == "did you mean 'timeout'?")
        let decoded = try JSONDecoder().decode(ValidationReport.self, from: Data(json.utf8))
        #expect(decoded == report)
    }

    @Test func largeRunbookValidates() throws {
        // 2,000 steps in 40 parallel chains, each step using an ancestor's outputs.
        var text = "runbook: big\nparams:\n  region: {type: string, default: eu}\nsteps:\n"
        for i in 0..<2_000 {
            text += "  - id: s\(i)\n    action: command\n"
            if i >= 40 {
                text += "    needs: [s\(i - 40)]\n"
                text += "    with: {argv: [run, \"${steps.s\(i % 40).outputs.x}\", \"${params.region}\"]}\n"
            } else {
                text += "    with: {argv: [run, \"${run.id}\"]}\n"
            }
            text += "    expect: 1s\n    timeout: 5s\n"
        }
        let path = NSTemporaryDirectory() + "lifeboat-big-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let runbook = try loader.loadRunbook(at: path)
        #expect(runbook.steps.count == 2_000)
        let graph = StepGraph(steps: runbook.steps)
        #expect(graph.topologicalOrder.prefix(3) == ["s0", "s1", "s2"])
        #expect(!graph.hasCycle)
    }
}
