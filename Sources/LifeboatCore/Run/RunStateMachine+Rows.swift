/// The `runs` and `steps` rows a store keeps for queries (`history`, `show`, `status`…), derived
/// from the machine's state: a step's status is its state, its attempts the machine's count, its
/// forced outcome the machine's; the run's status is its phase. The fold (`apply`) also keeps the
/// facts a row shows beyond the state (when a step started and ended, its summary, error and
/// outputs), so no second fold of the events exists: a store writes the rows the machine hands it
/// with the events, and `audit verify` compares stored rows with a replayed machine's.
public struct RunRows: Sendable, Hashable {
    public var run: RunRecord
    /// The step rows to write: every step's, or only those an append changes.
    public var steps: [StepRecord]

    public init(run: RunRecord, steps: [StepRecord]) {
        self.run = run
        self.steps = steps
    }
}

extension RunStateMachine {
    /// What a step's row shows beyond its state.
    struct StepFacts: Sendable, Hashable {
        var startedAtMs: Int64?
        var endedAtMs: Int64?
        var durationMs: Int64?
        var summary: String?
        var error: String?
        var errorDetail: String?
        var outputs: [String: Value] = [:]
    }

    /// What the run's row shows beyond its phase and current header.
    struct RunFacts: Sendable, Hashable {
        var runID = ""
        /// From `runCreated`: a reload changes the documents, not whose run it is or what it promised.
        var created: RunHeader?
        var createdAtMs: Int64 = 0
        var updatedAtMs: Int64 = 0
        var endedAtMs: Int64?
    }

    /// Every row of the run.
    public var rows: RunRows {
        RunRows(run: runRow, steps: header.steps.indices.map(stepRow(at:)))
    }

    /// The rows that recording `kinds` changed: the run's, and those of the steps the events are
    /// about (every step's after a reload, whose header may add, move or retitle steps).
    public func rows(changedBy kinds: [RunEvent.Kind]) -> RunRows {
        if kinds.contains(where: { if case .documentsReloaded = $0 { return true }; return false }) { return rows }
        var seen = Set<String>()
        let ids = kinds.compactMap(\.stepID).filter { seen.insert($0).inserted }
        return RunRows(run: runRow, steps: ids.compactMap { states.position(of: $0) }.map(stepRow(at:)))
    }

    public var runRow: RunRecord {
        let created = runFacts.created ?? header
        let status: RunStatus
        var pauseReason: RunEvent.PauseReason?
        switch phase {
        case .created: status = .created
        case .executing: status = .running
        case .paused(let reason):
            status = .paused
            pauseReason = reason
        case .finished(.succeeded): status = .succeeded
        case .finished(.failed): status = .failed
        case .finished(.aborted): status = .aborted
        case .rollingBack: status = .rollingBack
        case .rolledBack(.succeeded): status = .rolledBack
        case .rolledBack(.failed): status = .rollbackFailed
        }
        return RunRecord(
            id: runFacts.runID, planID: created.planID, scenario: created.scenario, runbookID: header.runbookID,
            mode: created.mode, status: status, pauseReason: pauseReason, startedBy: created.startedBy,
            documentsHash: header.documentsHash, createdAtMs: runFacts.createdAtMs, updatedAtMs: runFacts.updatedAtMs,
            endedAtMs: runFacts.endedAtMs, objectives: created.objectives)
    }

    private func stepRow(at position: Int) -> StepRecord {
        let step = header.steps[position]
        let facts = stepFacts[step.id] ?? StepFacts()
        return StepRecord(
            runID: runFacts.runID, stepID: step.id, position: position, title: step.title, action: step.action,
            status: Self.status(of: states.list[position]), attempts: attempts[step.id] ?? 0,
            startedAtMs: facts.startedAtMs, endedAtMs: facts.endedAtMs, durationMs: facts.durationMs,
            summary: facts.summary, error: facts.error, outputs: facts.outputs, forced: forced[step.id].map(Self.name(of:)),
            errorDetail: facts.errorDetail)
    }

    static func status(of state: StepState) -> StepStatus {
        switch state {
        case .pending: return .pending
        case .running: return .running
        case .retryWait: return .retryWait
        case .awaitingApproval: return .awaitingApproval
        case .verifying: return .verifying
        case .succeeded: return .succeeded
        case .failed: return .failed
        case .skipped: return .skipped
        case .unknown: return .unknown
        case .compensating: return .compensating
        case .compensated: return .compensated
        case .compensationFailed: return .compensationFailed
        }
    }

    /// `succeeded`, `failed`, `compensated` (resolved) or `skipped`, as rows and reports show it.
    static func name(of forced: Forced) -> String {
        switch forced {
        case .resolved(let resolution): return resolution.rawValue
        case .skipped: return "skipped"
        }
    }

    /// Keeps the facts `kind`, recorded at `atMs`, adds to the rows (after the state has changed).
    mutating func recordFacts(_ kind: RunEvent.Kind, atMs at: Int64) {
        runFacts.updatedAtMs = at
        if RunStatus.after(kind) != nil {
            switch runRow.status {
            case .succeeded, .failed, .aborted, .rolledBack, .rollbackFailed: runFacts.endedAtMs = at
            case .running, .rollingBack: runFacts.endedAtMs = nil
            case .created, .paused: break
            }
        }
        guard let id = kind.stepID else { return }
        var step = stepFacts[id] ?? StepFacts()
        switch kind {
        case .stepSkipped(_, let reason, let by, _):
            step.summary = by.map { "skipped by \($0): \(reason)" } ?? reason
            if by != nil { step.error = nil }
            step.endedAtMs = at
        case .stepStarted:
            if step.startedAtMs == nil { step.startedAtMs = at }
            step.endedAtMs = nil
            step.error = nil
            step.errorDetail = nil
        case .stepSucceeded(_, _, let duration, let result):
            step.durationMs = duration
            step.endedAtMs = at
            step.summary = result.summary
            step.outputs = result.outputs
            step.error = nil
        case .stepFailed(_, _, let duration, let error):
            step.durationMs = duration
            step.endedAtMs = at
            step.error = error.message
            step.errorDetail = error.detail
        case .stepReleased(_, let reason):
            step.summary = reason
        case .approvalRequested(_, let prompt):
            step.summary = prompt
            step.error = nil
        case .approvalGranted(_, let by, let via, let wait, _):
            if states[id] == .awaitingApproval {
                step.summary = "approved by \(by) via \(via) (\(progressText(id)))"
            } else {
                step.endedAtMs = at
                step.durationMs = wait
                step.summary = "approved by \(by) via \(via)" + (approvalProgress(id).needed > 1 ? " (\(progressText(id)))" : "")
                step.outputs = outputs[id] ?? [:]
            }
        case .approvalDenied(_, let by, _, let reason, _):
            step.endedAtMs = at
            step.error = "denied by \(by): \(reason)"
        case .approvalTimedOut(_, let waited, let then):
            if then == .deny { step.endedAtMs = at }
            step.error = "no decision within \(DurationText.format(milliseconds: waited))" + (then == .deny ? ": denied" : ": the run paused")
        case .stepVerified(_, .done(let result)):
            step.endedAtMs = at
            step.summary = "verified: " + result.summary
            step.outputs = result.outputs
        case .stepVerified(_, .undecidable(let why)):
            step.error = why
        case .stepUnknown(_, let reason):
            step.error = reason
        case .stepResolved(_, let resolution, let by, let reason, _):
            let because = reason.map { ": \($0)" } ?? ""
            switch resolution {
            case .succeeded:
                step.endedAtMs = at
                step.summary = "resolved as succeeded by \(by)\(because)"
                step.error = nil
            case .failed:
                step.endedAtMs = at
                step.error = "resolved as failed by \(by)\(because)"
            case .compensated:
                step.summary = "resolved as compensated by \(by)\(because)"
                step.error = nil
            case .retry:
                step.error = nil
            }
        case .stepRedriven:
            step.error = nil
        case .compensationSucceeded(_, _, let result):
            step.summary = "compensated: " + result.summary
        case .compensationFailed(_, _, let error):
            step.error = error.message
            step.errorDetail = error.detail
        default:
            break
        }
        stepFacts[id] = step
    }
}

extension RunEvent.Kind {
    /// The step this event is about, if any.
    public var stepID: String? {
        switch self {
        case .stepSkipped(let s, _, _, _), .stepStarted(let s, _), .stepSucceeded(let s, _, _, _),
            .stepFailed(let s, _, _, _), .stepRetryScheduled(let s, _, _), .stepReleased(let s, _),
            .approvalRequested(let s, _),
            .approvalGranted(let s, _, _, _, _), .approvalDenied(let s, _, _, _, _), .approvalRefused(let s, _, _, _, _),
            .approvalTimedOut(let s, _, _), .stepInterrupted(let s, _, _),
            .stepVerified(let s, _), .stepUnknown(let s, _), .stepResolved(let s, _, _, _, _), .stepRedriven(let s, _, _),
            .stepNoted(let s, _, _, _), .stepAnswered(let s, _, _, _, _, _), .stepQueued(let s, _, _),
            .compensationStarted(let s), .compensationSucceeded(let s, _, _),
            .compensationFailed(let s, _, _):
            return s
        case .runCreated, .executorStarted, .circuitChanged, .circuitFailuresCounted, .abortRequested, .pauseRequested, .runPaused, .runFinished,
            .notificationSent, .probeSamples, .probeBreached,
            .rollbackStarted, .rollbackFinished, .documentsReloaded:
            return nil
        }
    }
}
