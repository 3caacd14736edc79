import Foundation
import LifeboatCore
import LifeboatStore

/// `run --dry-run`: resolves every parameter and secret, runs every step's read-only preflight,
/// and prints the predicted timeline (or, with `--json`, one `DryRunReport`). Nothing is changed
/// and no run is recorded.
enum DryRun {
    static func perform(_ resolved: ResolvedScenario, as mode: RunMode, operatorName: String, json: Bool) async throws
        -> ExitStatus
    {
        let report = try await check(resolved, as: mode, operatorName: operatorName)
        if json {
            try JSONOutput.print(report)
        } else {
            print(report, runbook: resolved.runbook)
        }
        if report.refused > 0 {
            Console.err("error: \(report.refused) preflight check(s) refused; fix them before running")
        }
        return report.exit
    }

    /// Every step's preflight, with its parameters rendered and masked, and the predicted timeline.
    static func check(_ resolved: ResolvedScenario, as mode: RunMode, operatorName: String) async throws -> DryRunReport {
        let runID = "dry-run"
        let header = RunSetup.header(
            resolved, mode: mode, startedBy: operatorName, concurrency: 1, approvedByFlag: false, documentsHash: "")
        let inputs = try RunSetup.inputs(runID: runID, plan: resolved.plan, runbook: resolved.runbook, header: header)
        var steps: [DryRunReport.Step] = []
        for step in header.steps {
            guard let doc = inputs.steps[step.id], let handler = Runtime.actions.handler(step.action) else { continue }
            var checked = DryRunReport.Step(id: step.id, action: step.action, preflight: .ok, detail: "", params: [:])
            guard step.applies else {
                checked.preflight = .skipped
                checked.detail = "skipped in \(mode.rawValue) (when: \(doc.when.rawValue))"
                steps.append(checked)
                continue
            }
            let params: [String: Value]
            do { params = try inputs.render.render(doc.with) } catch {
                checked.preflight = .atRunTime
                checked.detail = "parameters use outputs of earlier steps"
                steps.append(checked)
                continue
            }
            checked.params = params.mapValues(inputs.masker.mask)
            let context = ActionContext(
                runID: runID, stepID: step.id, mode: .dryRun, params: params, masker: inputs.masker,
                baseDirectory: inputs.baseDirectory, location: doc.location, clock: Runtime.clock)
            let report: PreflightReport
            do { report = try await handler.preflight(in: context) } catch { report = .refused(error.description) }
            switch report {
            case .ok(let what): checked.detail = what
            case .refused(let why):
                checked.preflight = .refused
                checked.detail = why
            }
            steps.append(checked)
        }
        return DryRunReport(
            plan: resolved.plan.id, scenario: resolved.scenario.name, mode: mode.rawValue, steps: steps,
            prediction: RTOPrediction.predict(resolved, mode: mode))
    }

    private static func print(_ report: DryRunReport, runbook: Runbook) {
        Console.out("dry run of \(report.plan) / \(report.scenario) as \(report.mode): nothing will be changed")
        Console.out("")
        for step in report.steps {
            let label = PredictionText.pad(step.id, 22)
            switch step.preflight {
            case .skipped: Console.out(label + step.detail)
            case .atRunTime: Console.out(label + "preflight at run time: " + step.detail)
            case .ok: Console.out(label + "preflight ok: " + step.detail)
            case .refused: Console.out(label + "PREFLIGHT REFUSED: " + step.detail)
            }
            for key in step.params.keys.sorted() {
                Console.out("    \(key): \(step.params[key]!.renderedText)")
            }
        }
        Console.out("")
        PredictionText.print(report.prediction, runbook: runbook, title: "predicted timeline")
    }
}

/// What `run --dry-run --json` prints.
struct DryRunReport: Encodable {
    struct Step: Encodable {
        enum Preflight: String, Encodable {
            case ok, refused
            /// The step does not apply in this mode (`when:`).
            case skipped
            /// Its parameters use outputs of earlier steps: checked when the run gets there.
            case atRunTime = "at-run-time"
        }

        var id: String
        var action: String
        var preflight: Preflight
        /// What the preflight found, or why it did not run.
        var detail: String
        /// Rendered, secrets masked; empty when not rendered.
        var params: [String: Value]
    }

    var plan: String
    var scenario: String
    var mode: String
    var steps: [Step]
    var prediction: RTOPrediction
    var refused: Int { steps.filter { $0.preflight == .refused }.count }
    var exit: ExitStatus { refused > 0 ? .refused : .success }

    enum CodingKeys: String, CodingKey { case plan, scenario, mode, steps, prediction, refused, exitCode }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plan, forKey: .plan)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(mode, forKey: .mode)
        try container.encode(steps, forKey: .steps)
        try container.encode(prediction, forKey: .prediction)
        try container.encode(refused, forKey: .refused)
        try container.encode(exit.rawValue, forKey: .exitCode)
    }
}
