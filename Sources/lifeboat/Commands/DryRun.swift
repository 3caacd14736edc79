import Foundation
import LifeboatCore
import LifeboatStore

/// `run --dry-run`: resolves every parameter and secret, runs every step's read-only preflight,
/// and prints the predicted timeline. Nothing is changed and no run is recorded.
enum DryRun {
    static func perform(_ resolved: ResolvedScenario, as mode: RunMode, operatorName: String) async throws -> ExitStatus {
        let runID = "dry-run"
        let header = RunSetup.header(
            resolved, mode: mode, startedBy: operatorName, concurrency: 1, approvedByFlag: false, documentsHash: "")
        let inputs = try RunSetup.inputs(runID: runID, plan: resolved.plan, runbook: resolved.runbook, header: header)
        Console.out("dry run of \(resolved.plan.id) / \(resolved.scenario.name) as \(mode.rawValue): nothing will be changed")
        Console.out("")
        var refused = 0
        for step in header.steps {
            guard let doc = inputs.steps[step.id], let handler = Runtime.actions.handler(step.action) else { continue }
            let label = PredictionText.pad(step.id, 22)
            guard step.applies else {
                Console.out(label + "skipped in \(mode.rawValue) (when: \(doc.when.rawValue))")
                continue
            }
            let params: [String: Value]
            do { params = try inputs.render.render(doc.with) } catch {
                Console.out(label + "preflight at run time: parameters use outputs of earlier steps")
                continue
            }
            let context = ActionContext(
                runID: runID, stepID: step.id, mode: .dryRun, params: params, masker: inputs.masker,
                baseDirectory: inputs.baseDirectory, location: doc.location, clock: Runtime.clock)
            let report: PreflightReport
            do { report = try await handler.preflight(in: context) } catch {
                report = .refused(error.description)
            }
            switch report {
            case .ok(let what): Console.out(label + "preflight ok: \(what)")
            case .refused(let why):
                refused += 1
                Console.out(label + "PREFLIGHT REFUSED: \(why)")
            }
            for key in params.keys.sorted() {
                Console.out("    \(key): \(inputs.masker.mask(params[key]!).renderedText)")
            }
        }
        Console.out("")
        PredictionText.print(RTOPrediction.predict(resolved, mode: mode), runbook: resolved.runbook, title: "predicted timeline")
        if refused > 0 {
            Console.err("error: \(refused) preflight check(s) refused; fix them before running")
            return .refused
        }
        return .success
    }
}
