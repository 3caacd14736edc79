import LifeboatCore
import LifeboatTestSupport
import Testing

/// The run planner's decisions: each step's resume rules in the header, and what a reload changes.
@Suite("Run planner")
struct RunPlannerTests {
    let loader = TestActions.loader
    /// `command` is not idempotent and has a verify; `http.check` is idempotent without one.
    let planner = RunPlanner(actions: ActionRegistry([
        ScriptedAction(name: "command", idempotent: false, verify: { _ in .notDone("no") }),
        ScriptedAction(name: "http.check", idempotent: true),
    ]))

    func header(_ mode: RunMode) throws -> RunHeader {
        let plan = try loader.loadPlan(at: FixturePaths.fixture("valid/plans/basic.yaml"))
        let resolved = try loader.resolve(plan: plan, scenario: "failover")
        return planner.header(resolved, mode: mode, startedBy: "alice", concurrency: 2, approvedByFlag: false, documentsHash: "h")
    }

    @Test func eachStepCarriesTheRulesThatDecideResume() throws {
        let steps = Dictionary(uniqueKeysWithValues: try header(.execute).steps.map { ($0.id, $0) })
        #expect(try header(.execute).steps.map(\.id) == ["declare", "move", "check", "cleanup"])
        // The step's own `idempotent: true` wins over its action's.
        #expect(steps["move"]?.idempotent == true && steps["move"]?.hasVerify == true)
        #expect(steps["move"]?.hasCompensation == true && steps["move"]?.compensationIdempotent == false)
        #expect(steps["check"]?.idempotent == true && steps["check"]?.hasVerify == false)
        #expect(steps["check"]?.compensationIdempotent == nil)
        #expect(steps["cleanup"]?.applies == false)  // when: drill
        #expect(steps["move"]?.retry == RetryPolicy(attempts: 3, delayMs: 500, maxDelayMs: 10_000, jitter: .full))
        #expect(steps["move"]?.definition?.contains("./undo.sh") == true)
    }

    /// Runs recorded by earlier versions pinned definitions written by `JSONEncoder` (sorted keys,
    /// slashes as they are); `resume --reload` compares them as text, so the text must not change.
    @Test func theDefinitionIsTheTextEarlierVersionsRecorded() throws {
        struct Written: Encodable {
            var action: String
            var with: [String: Value]
            var rollbackAction: String?
            var rollbackWith: [String: Value]?
        }
        let plan = try loader.loadPlan(at: FixturePaths.fixture("valid/plans/basic.yaml"))
        let steps = try loader.resolve(plan: plan, scenario: "failover").runbook.steps
        #expect(steps.contains { $0.rollback != nil })
        for step in steps {
            let written = Written(
                action: step.action, with: step.with, rollbackAction: step.rollback?.action, rollbackWith: step.rollback?.with)
            #expect(RunPlanner.definition(of: step) == (try CanonicalJSON.foundationEncode(written)))
        }
    }

    @Test func aTabletopRunsNothingSoEveryStepIsIdempotentAndNoneIsVerified() throws {
        let steps = try header(.tabletop).steps
        #expect(steps.allSatisfy { $0.idempotent && !$0.hasVerify })
    }

    @Test func theDefinitionChangesWithTheParametersOnly() throws {
        let move = try #require(try header(.execute).steps.first { $0.id == "move" })
        var changed = try header(.execute)
        changed.steps[1].definition = "{\"action\":\"command\",\"with\":{}}"
        changed.steps[2].needs = []
        changed.steps.removeLast()
        changed.steps.append(TestHeaders.step("notify<check"))
        #expect(RunPlanner.changes(from: try header(.execute), to: changed) == [
            "~ move: parameters", "~ check: needs [move] → []", "+ notify: added (scripted)", "- cleanup: removed",
        ])
        #expect(RunPlanner.changes(from: try header(.execute), to: try header(.drill)).isEmpty)
        #expect(move.definition == (try header(.drill)).steps[1].definition)
    }
}
