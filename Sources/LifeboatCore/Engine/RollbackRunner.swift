/// `lifeboat rollback`: runs the compensations of completed steps in reverse order of completion,
/// one at a time, recording each before and after it runs.
public struct RollbackRunner: Sendable {
    public var engine: RunEngine

    public init(engine: RunEngine) { self.engine = engine }

    /// The steps whose compensations would run, in the order they would run.
    public static func plan(_ machine: RunStateMachine, steps: [String: Step]) -> [String] {
        machine.completionOrder.reversed().filter { id in
            guard steps[id]?.rollback != nil else { return false }
            switch machine.state(of: id) {
            case .succeeded, .compensating, .compensationFailed: return true
            default: return false
            }
        }
    }

    /// Runs the rollback. `rerunInterrupted` allows re-running a non-idempotent compensation that
    /// a crash interrupted (the operator has checked it by hand).
    @discardableResult
    public func rollback(
        runID: String, inputs: RunInputs, strategy: RunEvent.RollbackStrategy, rerunInterrupted: Bool = false
    ) async throws -> RunStateMachine {
        var machine = try await engine.machine(for: runID)
        switch machine.phase {
        case .executing:
            throw LifeboatError(
                .invalidState, "run \(runID) is executing", hint: "abort it first with `lifeboat abort \(runID)`")
        case .rolledBack(.succeeded):
            throw LifeboatError(.invalidState, "run \(runID) is already rolled back")
        default:
            break
        }
        let order = Self.plan(machine, steps: inputs.steps)
        for id in order where machine.state(of: id) == .compensating {
            guard let compensation = inputs.steps[id]?.rollback else { continue }
            let idempotent = engine.actions.spec(compensation.action)?.idempotent ?? false
            if !idempotent && !rerunInterrupted {
                throw LifeboatError(
                    .invalidState,
                    "run \(runID): the compensation of step '\(id)' was interrupted and its action '\(compensation.action)' is not idempotent",
                    hint: "check its effect by hand, then run `lifeboat rollback \(runID) --rerun-interrupted`")
            }
        }
        if machine.phase != .rollingBack {
            try await record(.rollbackStarted(by: engine.configuration.operatorName, strategy: strategy), &machine, runID)
        }
        var failed = false
        compensations: for id in order {
            guard let step = inputs.steps[id], let compensation = step.rollback else { continue }
            try await record(.compensationStarted(step: id), &machine, runID)
            let start = engine.clock.monoMs()
            let result = await compensate(id, compensation, machine: machine, inputs: inputs, runID: runID)
            let duration = engine.clock.monoMs() - start
            switch result {
            case .success(let r):
                let masked = ActionResult(outputs: r.outputs.mapValues(inputs.masker.mask), summary: inputs.masker.mask(r.summary))
                try await record(.compensationSucceeded(step: id, durationMs: duration, result: masked), &machine, runID)
            case .failure(let error):
                failed = true
                try await record(
                    .compensationFailed(step: id, durationMs: duration, error: StepError(error, masker: inputs.masker)),
                    &machine, runID)
                if strategy == .stopOnFailure { break compensations }
            }
        }
        try await record(.rollbackFinished(outcome: failed ? .failed : .succeeded), &machine, runID)
        return machine
    }

    private func compensate(
        _ id: String, _ compensation: Compensation, machine: RunStateMachine, inputs: RunInputs, runID: String
    ) async -> Result<ActionResult, LifeboatError> {
        guard let handler = engine.actions.handler(compensation.action) else {
            return .failure(LifeboatError(.invalidInput, "step '\(id)': unknown rollback action '\(compensation.action)'",
                                          location: compensation.location))
        }
        var context = inputs.render
        context.stepOutputs = machine.outputs
        let params: [String: Value]
        do { params = try context.render(compensation.with) } catch {
            return .failure(error)
        }
        let request = ActionRequest(
            runID: runID, stepID: id, attempt: 1, mode: machine.header.mode, params: params, masker: inputs.masker,
            baseDirectory: inputs.baseDirectory, location: compensation.location)
        let timeout = machine.step(id)?.timeoutMs
        return await StepAttempt.run(handler, request, timeoutMs: timeout, clock: engine.clock)
    }

    private func record(_ kind: RunEvent.Kind, _ machine: inout RunStateMachine, _ runID: String) async throws {
        do { try machine.apply(kind) } catch {
            throw LifeboatError(.internalError, "run \(runID): \(error.description)")
        }
        let events = engine.stamp([kind], runID: runID)
        try await engine.store.append(events, consumingControls: [])
        engine.observer?.recorded(events, machine: machine)
    }
}
