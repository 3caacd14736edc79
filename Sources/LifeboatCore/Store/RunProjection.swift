/// The query tables (`runs`, `steps`) as a pure function of the event log. Every store applies
/// events through this one fold, in the same transaction that appends them, so projections can be
/// rebuilt from events and checked against them (`audit verify`).
public enum RunProjection {
    /// A run row from its `runCreated` event.
    public static func newRun(_ event: RunEvent, header: RunHeader) -> (RunRecord, [StepRecord]) {
        let run = RunRecord(
            id: event.runID, planID: header.planID, scenario: header.scenario, runbookID: header.runbookID,
            mode: header.mode, status: .created, pauseReason: nil, startedBy: header.startedBy,
            documentsHash: header.documentsHash, createdAtMs: event.atMs, updatedAtMs: event.atMs,
            endedAtMs: nil, objectives: header.objectives)
        let steps = header.steps.enumerated().map { index, step in
            StepRecord(
                runID: event.runID, stepID: step.id, position: index, title: step.title, action: step.action,
                status: .pending)
        }
        return (run, steps)
    }

    /// Applies one event to the run row.
    public static func apply(_ event: RunEvent, to run: inout RunRecord) {
        run.updatedAtMs = event.atMs
        if case .documentsReloaded(let header, _, _) = event.kind {
            run.documentsHash = header.documentsHash
            run.runbookID = header.runbookID
        }
        guard let status = RunStatus.after(event.kind) else { return }
        run.status = status
        if case .runPaused(let reason) = event.kind { run.pauseReason = reason } else { run.pauseReason = nil }
        switch status {
        case .succeeded, .failed, .aborted, .rolledBack, .rollbackFailed: run.endedAtMs = event.atMs
        case .running, .rollingBack: run.endedAtMs = nil
        default: break
        }
    }

    /// The step rows after `documentsReloaded`: the new header's steps in its order, each keeping
    /// what its row recorded when the step was already in the run.
    public static func reloaded(_ steps: [StepRecord], runID: String, header: RunHeader) -> [StepRecord] {
        let existing = Dictionary(steps.map { ($0.stepID, $0) }, uniquingKeysWith: { first, _ in first })
        return header.steps.enumerated().map { index, step in
            var row = existing[step.id]
                ?? StepRecord(runID: runID, stepID: step.id, position: index, title: step.title, action: step.action, status: .pending)
            row.position = index
            row.title = step.title
            row.action = step.action
            return row
        }
    }

    /// The step id an event is about, if any.
    public static func stepID(of kind: RunEvent.Kind) -> String? {
        switch kind {
        case .stepSkipped(let s, _, _), .stepStarted(let s, _), .stepSucceeded(let s, _, _, _),
            .stepFailed(let s, _, _, _), .stepRetryScheduled(let s, _, _), .stepReleased(let s, _),
            .approvalRequested(let s, _),
            .approvalGranted(let s, _, _, _), .approvalDenied(let s, _, _, _), .stepInterrupted(let s, _, _),
            .stepVerified(let s, _), .stepUnknown(let s, _), .stepResolved(let s, _, _, _), .stepRedriven(let s, _),
            .stepNoted(let s, _, _), .compensationStarted(let s), .compensationSucceeded(let s, _, _),
            .compensationFailed(let s, _, _):
            return s
        case .runCreated, .executorStarted, .circuitChanged, .abortRequested, .pauseRequested, .runPaused, .runFinished,
            .rollbackStarted, .rollbackFinished, .documentsReloaded:
            return nil
        }
    }

    /// Applies one event to the row of the step it is about.
    public static func apply(_ event: RunEvent, to step: inout StepRecord) {
        let at = event.atMs
        switch event.kind {
        case .stepSkipped(_, let reason, let by):
            step.status = .skipped
            step.summary = by.map { "skipped by \($0): \(reason)" } ?? reason
            if by != nil {
                step.forced = "skipped"
                step.error = nil
            }
            step.endedAtMs = at
        case .stepStarted(_, let attempt):
            step.status = .running
            step.attempts = attempt
            if step.startedAtMs == nil { step.startedAtMs = at }
            step.endedAtMs = nil
            step.error = nil
            step.errorDetail = nil
        case .stepSucceeded(_, _, let duration, let result):
            step.status = .succeeded
            step.durationMs = duration
            step.endedAtMs = at
            step.summary = result.summary
            step.outputs = result.outputs
            step.error = nil
        case .stepFailed(_, _, let duration, let error):
            step.status = .failed
            step.durationMs = duration
            step.endedAtMs = at
            step.error = error.message
            step.errorDetail = error.detail
        case .stepRetryScheduled:
            step.status = .retryWait
        case .stepReleased(_, let reason):
            step.status = .pending
            step.summary = reason
        case .approvalRequested(_, let prompt):
            step.status = .awaitingApproval
            step.summary = prompt
        case .approvalGranted(_, let by, let via, let wait):
            step.status = .succeeded
            step.endedAtMs = at
            step.durationMs = wait
            step.summary = "approved by \(by) via \(via)"
            step.outputs = ["approved_by": .string(by), "via": .string(via), "wait_ms": .int(Int(wait))]
        case .approvalDenied(_, let by, _, let reason):
            step.status = .failed
            step.endedAtMs = at
            step.error = "denied by \(by): \(reason)"
        case .stepInterrupted(_, _, let recovery):
            step.status = recovery == .verify ? .verifying : (recovery == .rerun ? .pending : .unknown)
        case .stepVerified(_, let outcome):
            switch outcome {
            case .done(let result):
                step.status = .succeeded
                step.endedAtMs = at
                step.summary = "verified: " + result.summary
                step.outputs = result.outputs
            case .notDone: step.status = .pending
            case .undecidable(let why):
                step.status = .unknown
                step.error = why
            }
        case .stepUnknown(_, let reason):
            step.status = .unknown
            step.error = reason
        case .stepResolved(_, let resolution, let by, let reason):
            let because = reason.map { ": \($0)" } ?? ""
            step.forced = resolution == .retry ? nil : resolution.rawValue
            switch resolution {
            case .succeeded:
                step.status = .succeeded
                step.endedAtMs = at
                step.summary = "resolved as succeeded by \(by)\(because)"
                step.error = nil
            case .failed:
                step.status = step.status == .compensationFailed || step.status == .compensating ? .compensationFailed : .failed
                step.endedAtMs = at
                step.error = "resolved as failed by \(by)\(because)"
            case .compensated:
                step.status = .compensated
                step.summary = "resolved as compensated by \(by)\(because)"
                step.error = nil
            case .retry:
                step.status = .pending
                step.error = nil
            }
        case .stepRedriven:
            step.status = .pending
            step.error = nil
            step.forced = nil
        case .stepNoted:
            break
        case .compensationStarted:
            step.status = .compensating
        case .compensationSucceeded(_, _, let result):
            step.status = .compensated
            step.summary = "compensated: " + result.summary
        case .compensationFailed(_, _, let error):
            step.status = .compensationFailed
            step.error = error.message
            step.errorDetail = error.detail
        case .runCreated, .executorStarted, .circuitChanged, .abortRequested, .pauseRequested, .runPaused, .runFinished,
            .rollbackStarted, .rollbackFinished, .documentsReloaded:
            break
        }
    }
}
