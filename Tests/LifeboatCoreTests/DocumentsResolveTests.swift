import LifeboatCore
import Testing

@Suite("Resolving a scenario")
struct DocumentsResolveTests {
    let loader = TestActions.loader

    func plan() throws -> Plan { try loader.loadPlan(at: FixturePaths.fixture("valid/plans/basic.yaml")) }

    @Test func mergesDefaultsScenarioAndOverrides() throws {
        let resolved = try loader.resolve(plan: plan(), scenario: "failover", overrides: [
            "ratio": "0.75", "dry": "true", "grace": "2m", "hosts": "[x, y, z]", "labels": "{team: dba}",
        ])
        #expect(resolved.runbook.id == "basic")
        #expect(resolved.params["region"] == "us-east-1")   // scenario
        #expect(resolved.params["replicas"] == 4)           // scenario over default 2
        #expect(resolved.params["ratio"] == .double(0.75))  // override, typed
        #expect(resolved.params["dry"] == true)
        #expect(resolved.params["grace"] == "2m")
        #expect(resolved.params["max_lag"] == "16MB")       // default
        #expect(resolved.params["hosts"] == ["x", "y", "z"])
        #expect(resolved.params["labels"] == ["team": "dba"])
    }

    @Test func objectivesLayerTierPlanAndScenario() throws {
        let p = try plan()
        // tier 2 → 4h/1h; plan rpo 30m; scenario rto 45m.
        #expect(try loader.resolve(plan: p, scenario: "failover").objectives == Objectives(rtoMs: 2_700_000, rpoMs: 1_800_000))
        #expect(try loader.resolve(plan: p, scenario: "quick").objectives == Objectives(rtoMs: 14_400_000, rpoMs: 1_800_000))
    }

    @Test func unknownScenarioSuggestsTheClosest() throws {
        let p = try plan()
        #expect {
            _ = try loader.resolve(plan: p, scenario: "failvoer", overrides: [:])
        } throws: { error in
            guard let d = (error as? ValidationFailure)?.diagnostics.first else { return false }
            return d.message == "plan 'basic-plan' has no scenario 'failvoer'"
                && d.hint == "did you mean 'failover'? available: failover, quick"
                && d.location.description == FixturePaths.fixture("valid/plans/basic.yaml") + ":11:1"
        }
    }

    @Test("Bad overrides are errors at the plan's scenario", arguments: [
        (["replcas": "3"], "-p replcas=…: runbook 'basic' has no param 'replcas'", "did you mean 'replicas'?"),
        (["replicas": "many"], "-p replicas=many: 'many' is not an integer", "param 'replicas' is declared as int"),
        (["dry": "maybe"], "-p dry=maybe: 'maybe' is not true or false", "param 'dry' is declared as bool"),
        (["grace": "soon"], "-p grace=soon: 'soon' is not a duration", "param 'grace' is declared as duration"),
        (["max_lag": "lots"], "-p max_lag=lots: 'lots' is not a size", "param 'max_lag' is declared as size"),
        (["hosts": "{a: 1}"], "-p hosts={a: 1}: '{a: 1}' must be a list", "param 'hosts' is declared as list"),
    ])
    func badOverride(_ overrides: [String: String], _ message: String, _ hint: String) throws {
        let p = try plan()
        #expect {
            _ = try loader.resolve(plan: p, scenario: "quick", overrides: overrides)
        } throws: { error in
            guard let failure = error as? ValidationFailure, failure.diagnostics.count == 1 else { return false }
            let d = failure.diagnostics[0]
            return d.message.hasPrefix(message) && d.hint == hint
                && d.location.description == FixturePaths.fixture("valid/plans/basic.yaml") + ":17:3"
        }
    }

    @Test func overrideCanSupplyARequiredParam() throws {
        let path = FixturePaths.fixture("invalid/plans/scenario-params.yaml")
        // The plan itself loads (its problems are in the combination with the runbook).
        let p = try loader.loadPlan(at: path)
        let resolved = try loader.resolve(plan: p, scenario: "missing", overrides: ["region": "ap-south-1"])
        #expect(resolved.params == ["region": "ap-south-1", "replicas": 3, "grace": "30s"])
        #expect(throws: ValidationFailure.self) { try loader.resolve(plan: p, scenario: "missing") }
    }

    @Test func resolveReportsRunbookAndPlanContextProblems() throws {
        let p = try loader.loadPlan(at: FixturePaths.fixture("invalid/plans/missing-vars-secrets.yaml"))
        #expect {
            _ = try loader.resolve(plan: p, scenario: "one")
        } throws: { error in
            let lines = (error as? ValidationFailure)?.diagnostics.map(\.location.line)
            return lines == [10, 11]
        }
    }

    @Test func paymentPlatformScenariosResolve() throws {
        let p = try loader.loadPlan(at: FixturePaths.example("plans/payment-platform.yaml"))
        #expect(p.tier == 1)
        #expect(p.owner == "pay-sre")
        #expect(p.objectives == Objectives(rtoMs: 3_600_000, rpoMs: 300_000))
        #expect(p.schedule == [.tabletop: .quarterly, .failover: .semiannual, .full: .annual])
        #expect(p.scenarios.map(\.name) == ["region-failure", "database-corruption", "security-incident"])
        for scenario in p.scenarios {
            let resolved = try loader.resolve(plan: p, scenario: scenario.name)
            #expect(resolved.runbook.steps.count >= 8)
            #expect(resolved.runbook.rtoWindow != nil)
        }
        #expect(try loader.resolve(plan: p, scenario: "region-failure").objectives.rtoMs == 2_700_000)
    }
}
