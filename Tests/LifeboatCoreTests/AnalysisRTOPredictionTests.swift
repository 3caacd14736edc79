import LifeboatCore
import Testing

@Suite("RTO prediction")
struct AnalysisRTOPredictionTests {
    /// A resolved scenario over `steps`, with an RTO objective.
    func scenario(_ steps: [Step], rto: Int64?, window: RTOWindow? = nil) -> ResolvedScenario {
        let source = DocumentSource(kind: .runbook, path: "r.yaml", text: "")
        let here = SourceLocation(file: "r.yaml", line: 1, column: 1)
        let runbook = Runbook(id: "r", rtoWindow: window, steps: steps, source: source)
        let plan = Plan(id: "p", source: DocumentSource(kind: .plan, path: "p.yaml", text: ""))
        let s = Scenario(name: "s", runbookPath: "r.yaml", resolvedRunbookPath: "/r.yaml", location: here)
        return ResolvedScenario(plan: plan, scenario: s, runbook: runbook, params: [:], objectives: Objectives(rtoMs: rto))
    }

    func step(
        _ id: String, _ needs: [String] = [], action: String = "command", expect: Duration? = nil,
        timeout: Duration? = nil, retry: RetryPolicy? = nil, when: When = .always
    ) -> Step {
        Step(id: id, action: action, needs: needs, timeout: timeout, retry: retry, expect: expect, when: when,
             location: SourceLocation(file: "r.yaml", line: 1, column: 1))
    }

    var failover: [Step] {
        [
            step("declare", action: "approval", expect: .seconds(300), timeout: .seconds(900)),
            step("promote", ["declare"], expect: .seconds(30), timeout: .seconds(120),
                 retry: RetryPolicy(attempts: 3, delayMs: 500, maxDelayMs: 10_000, jitter: .full)),
            step("dns", ["declare"], expect: .seconds(20), timeout: .seconds(60)),
            step("smoke", ["promote", "dns"], action: "http.check", expect: .seconds(10), timeout: .seconds(30)),
            step("cleanup", ["smoke"], expect: .seconds(600), timeout: .seconds(1800), when: .drill),
        ]
    }

    @Test func computesTimelineCriticalPathAndWorstCase() {
        let p = RTOPrediction.predict(scenario(failover, rto: 3_600_000), mode: .execute)
        #expect(p.steps.map(\.id) == ["declare", "promote", "dns", "smoke", "cleanup"])
        let promote = p.steps[1]
        #expect(promote.earliestStartMs == 300_000 && promote.earliestFinishMs == 330_000)
        // 3 × 2m + backoff 500ms + 1s.
        #expect(promote.worstMs == 361_500)
        #expect(p.criticalPath == ["declare", "promote", "smoke"])
        #expect(p.criticalPathMs == 340_000)
        #expect(p.predictedRTOMs == 340_000)
        #expect(p.worstCaseRTOMs == 900_000 + 361_500 + 30_000)
        // cleanup is drill-only: zero in execute mode.
        #expect(p.steps[4].applies == false && p.steps[4].worstMs == 0)
        #expect(p.humanWaitMs == 300_000)
        #expect(p.steps[0].humanWait)
        #expect(p.unboundedSteps.isEmpty && p.stepsWithoutExpect.isEmpty)
        #expect(p.verdict == .feasible)
    }

    @Test func drillModeCountsDrillSteps() {
        let p = RTOPrediction.predict(scenario(failover, rto: 3_600_000), mode: .drill)
        #expect(p.criticalPath == ["declare", "promote", "smoke", "cleanup"])
        #expect(p.predictedRTOMs == 940_000)
    }

    @Test func windowMeasuresFromStartToEnd() {
        let window = RTOWindow(start: "promote", end: "smoke")
        let p = RTOPrediction.predict(scenario(failover, rto: 3_600_000, window: window), mode: .drill)
        #expect(p.window == window)
        #expect(p.predictedRTOMs == 40_000)
        #expect(p.criticalPath == ["declare", "promote", "smoke"])
        #expect(p.worstCaseRTOMs == 361_500 + 30_000)
    }

    @Test("Verdicts against the objective", arguments: [
        (Int64(3_600_000), RTOPrediction.Verdict.feasible),
        (Int64(600_000), .atRisk),       // expected 340s fits, worst case 1291.5s does not
        (Int64(300_000), .infeasible),   // expected 340s already too long
    ])
    func verdicts(_ rto: Int64, _ verdict: RTOPrediction.Verdict) {
        #expect(RTOPrediction.predict(scenario(failover, rto: rto), mode: .execute).verdict == verdict)
    }

    @Test func noObjectiveIsNotMeasured() {
        #expect(RTOPrediction.predict(scenario(failover, rto: nil), mode: .execute).verdict == .notMeasured)
    }

    @Test func anApprovalWhoseTimeoutPausesTheRunIsNamedAndOneThatDeniesIsNot() {
        var deny = step("deny-gate", action: "approval", expect: .seconds(60), timeout: .seconds(120))
        deny.with = ["on_timeout": "deny"]
        let steps = [step("gate", action: "approval", expect: .seconds(60), timeout: .seconds(120)), deny]
        let p = RTOPrediction.predict(scenario(steps, rto: 3_600_000), mode: .execute)
        #expect(p.approvalsThatPause == ["gate"])
        #expect(p.worstCaseRTOMs == 120_000)
        #expect(RTOPrediction.predict(scenario(steps, rto: 3_600_000), mode: .tabletop).approvalsThatPause.isEmpty)
    }

    @Test func missingExpectIsAtRiskAndMissingTimeoutIsUnbounded() {
        let steps = [
            step("a", expect: .seconds(10)),
            step("b", ["a"], timeout: .seconds(20)),
        ]
        let p = RTOPrediction.predict(scenario(steps, rto: 3_600_000), mode: .execute)
        #expect(p.unboundedSteps == ["a"])
        #expect(p.stepsWithoutExpect == ["b"])
        #expect(p.worstCaseRTOMs == 30_000)   // a: no timeout → its expect
        #expect(p.verdict == .atRisk)
    }

    @Test func predictsTheExamplePlan() throws {
        let loader = TestActions.loader
        let plan = try loader.loadPlan(at: FixturePaths.example("plans/payment-platform.yaml"))
        let resolved = try loader.resolve(plan: plan, scenario: "region-failure")
        let p = RTOPrediction.predict(resolved, mode: .drill)
        #expect(p.objectiveMs == 2_700_000)
        #expect(p.criticalPath.first == "declare" && p.criticalPath.last == "smoke")
        #expect(p.verdict == .feasible)
        #expect(p.humanWaitMs == 300_000)
    }
}
