import ArgumentParser
import LifeboatCore
import LifeboatStore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show a scenario's step DAG, critical path and predicted RTO against its objective.",
        discussion: """
            Verdicts: feasible (even the worst case by timeouts and retries fits), at-risk (the expected
            time fits but the worst case does not, or steps lack `expect`), infeasible (the expected time
            already exceeds the RTO objective).

            Examples:
              lifeboat plan plans/payment-platform.yaml -s region-failure
              lifeboat plan plans/payment-platform.yaml -s region-failure --drill --json
            """)

    @Argument(help: "The plan file.") var plan: String
    @Option(name: .shortAndLong, help: "The scenario to analyse.") var scenario: String
    @Flag(help: "Predict for a drill (steps with `when: drill` count, `when: real` do not).") var drill = false
    @OptionGroup var params: ParamOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let loader = Runtime.loader
        let resolved = try loader.resolve(plan: loader.loadPlan(at: plan), scenario: scenario, overrides: params.overrides())
        let prediction = RTOPrediction.predict(resolved, mode: drill ? .drill : .execute)
        if output.json {
            try JSONOutput.print(prediction)
            return
        }
        PredictionText.print(prediction, runbook: resolved.runbook, title: "\(resolved.plan.id) / \(resolved.scenario.name) (runbook \(resolved.runbook.id))")
    }
}

/// The text form of a prediction, shared by `plan` and `run --dry-run`.
enum PredictionText {
    static func print(_ p: RTOPrediction, runbook: Runbook, title: String) {
        let ms = DurationText.format(milliseconds:)
        Console.out(title)
        Console.out("")
        Console.out(pad("STEP", 22) + pad("ACTION", 18) + pad("EXPECT", 9) + pad("WORST", 9) + pad("START → FINISH", 20) + "NEEDS")
        for s in p.steps {
            let marker = s.onCriticalPath ? "*" : " "
            let expect = s.applies ? (s.expectMs.map(ms) ?? "—") : "skip"
            Console.out(
                pad(marker + s.id, 22) + pad(s.action, 18) + pad(expect, 9) + pad(s.applies ? ms(s.worstMs) : "—", 9)
                    + pad("\(ms(s.earliestStartMs)) → \(ms(s.earliestFinishMs))", 20)
                    + (runbook.step(s.id)?.needs.joined(separator: ", ") ?? ""))
        }
        Console.out("")
        Console.out("critical path (*): " + p.criticalPath.joined(separator: " → ") + "  = \(ms(p.criticalPathMs))")
        if let w = p.window { Console.out("RTO window: from start of '\(w.start)' to end of '\(w.end)'") }
        var rto = "predicted RTO \(ms(p.predictedRTOMs)) (worst case \(ms(p.worstCaseRTOMs)))"
        if p.humanWaitMs > 0 { rto += ", of which waiting for people \(ms(p.humanWaitMs))" }
        Console.out(rto)
        Console.out("objective: " + (p.objectiveMs.map(ms) ?? "none") + "  →  " + p.verdict.rawValue.uppercased())
        if !p.stepsWithoutExpect.isEmpty {
            Console.out("note: no `expect` on " + p.stepsWithoutExpect.joined(separator: ", ") + " (counted as 0)")
        }
        if !p.unboundedSteps.isEmpty {
            Console.out("note: no `timeout` on " + p.unboundedSteps.joined(separator: ", ") + " (worst case unbounded; counted as expect)")
        }
        if !p.approvalsThatPause.isEmpty {
            Console.out("note: past its timeout, approval " + p.approvalsThatPause.joined(separator: ", ")
                        + " pauses the run until someone resumes it (on_timeout: pause); the worst case assumes a decision in time")
        }
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
