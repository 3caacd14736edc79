/// One entry of a run's append-only event log: the source of truth from which every projection
/// (run status, step rows) and every report is derived. Replaying a run's events through
/// `RunStateMachine` rebuilds its exact state.
public struct RunEvent: Sendable, Hashable, Codable {
    public var runID: String
    /// Wall clock, UTC, milliseconds since 1970.
    public var atMs: Int64
    /// Monotonic clock reading of the recording process, in milliseconds, and that process's
    /// session id: differences are exact within one session.
    public var monoMs: Int64
    public var session: String
    public var kind: Kind

    public init(runID: String, atMs: Int64, monoMs: Int64, session: String, kind: Kind) {
        self.runID = runID
        self.atMs = atMs
        self.monoMs = monoMs
        self.session = session
        self.kind = kind
    }

    /// Every event an operator causes carries `by` (the `--by` label) and `decider`: who it was, as
    /// the system authenticated them (nil in runs recorded before identities were).
    public enum Kind: Sendable, Hashable, Codable {
        /// The run is created: the first event of every run.
        case runCreated(RunHeader)
        /// A process starts (or, after a stop, resumes) executing the run; `decider` is who runs it
        /// (nil in runs recorded before identities were).
        case executorStarted(pid: Int32, host: String, resumed: Bool, decider: Decider? = nil)
        /// The step will not run in this mode (`when:`), the team skipped it (tabletop), or an
        /// operator skipped it (`by` set: a forced outcome).
        case stepSkipped(step: String, reason: String, by: String? = nil, decider: Decider? = nil)
        /// Intent: the step's side effect is about to start (attempt is 1-based).
        case stepStarted(step: String, attempt: Int)
        case stepSucceeded(step: String, attempt: Int, durationMs: Int64, result: ActionResult)
        case stepFailed(step: String, attempt: Int, durationMs: Int64, error: StepError)
        case stepRetryScheduled(step: String, nextAttempt: Int, delayMs: Int64)
        /// A started step was stopped before it finished and goes back to pending (tabletop quit;
        /// an idempotent step cancelled by an interrupt). It runs again on resume.
        case stepReleased(step: String, reason: String)
        /// An approval step waits for a person.
        case approvalRequested(step: String, prompt: String)
        /// One approval (`by` is the label; `decider` who it was, nil in runs recorded before
        /// identities were). The step succeeds once its quorum of distinct people approved.
        case approvalGranted(step: String, by: String, via: String, waitMs: Int64, decider: Decider? = nil)
        case approvalDenied(step: String, by: String, via: String, reason: String, decider: Decider? = nil)
        /// A decision that did not count: the person may not decide (approvers, separation of
        /// duties), already approved, or came too early or too late. The step's state is unchanged.
        case approvalRefused(step: String, approve: Bool, via: String, why: String, decider: Decider)
        /// Nobody decided within the step's `timeout:`: the run pauses or the step fails (`then`).
        case approvalTimedOut(step: String, waitedMs: Int64, then: ApprovalRule.TimeoutOutcome)
        /// Found `running` when the run resumed after a crash or kill.
        case stepInterrupted(step: String, attempt: Int, recovery: Recovery)
        /// The action's verify answered for an interrupted step.
        case stepVerified(step: String, outcome: VerifyResult)
        /// Nobody can tell whether the step's effect happened: waits for `lifeboat resolve`.
        case stepUnknown(step: String, reason: String)
        /// An operator decided the step by hand (a forced outcome); `reason` is nil in runs recorded
        /// before resolutions needed one.
        case stepResolved(step: String, resolution: Resolution, by: String, reason: String? = nil, decider: Decider? = nil)
        /// A failed step is re-run by `resume` (redrive).
        case stepRedriven(step: String, by: String, decider: Decider? = nil)
        /// A tabletop note or operator remark.
        case stepNoted(step: String, note: String, by: String, decider: Decider? = nil)
        /// `run --step`: the operator's answer before the step starts, after `waitMs` at the prompt.
        /// A skip is followed by `stepSkipped`, a pause by `pauseRequested`.
        case stepAnswered(step: String, answer: StepAnswer, by: String, reason: String? = nil, waitMs: Int64, decider: Decider? = nil)
        /// The step is ready but its bulkhead is full (`limit` steps against it run already): it
        /// starts when one of them ends. Recorded once per wait.
        case stepQueued(step: String, bulkhead: String, limit: Int)
        /// The executor sent plan-level notification `number` (`outcome`: "delivered to 2 of 2
        /// targets", or why not). Bookkeeping: a resume re-sends those without this event.
        case notificationSent(number: Int, trigger: NotifyTrigger, outcome: String)
        /// Steady-state probe samples taken since the last batch, one series per probe (batched: a
        /// crash loses at most the samples of the last flush).
        case probeSamples(series: [ProbeSeries])
        /// A probe met its `abort_when:`: no new step starts, and the run pauses or ends aborted
        /// (`then`) once running steps have finished.
        case probeBreached(probe: String, reason: String, then: ProbeBreachAction)
        case circuitChanged(endpoint: String, state: CircuitState)
        /// A closed circuit's count of consecutive failed calls changed (a failure below the
        /// threshold, or 0 after a success that followed failures): replay rebuilds the count.
        case circuitFailuresCounted(endpoint: String, consecutiveFailures: Int)
        /// An operator asked to abort: no new step starts; the run ends as aborted.
        case abortRequested(by: String, reason: String, decider: Decider? = nil)
        /// An operator asked the executing run to pause: no new step starts.
        case pauseRequested(by: String, reason: String, decider: Decider? = nil)
        /// The executor stopped with the run resumable.
        case runPaused(reason: PauseReason)
        case runFinished(outcome: RunOutcome)
        case rollbackStarted(by: String, strategy: RollbackStrategy, decider: Decider? = nil)
        case compensationStarted(step: String)
        case compensationSucceeded(step: String, durationMs: Int64, result: ActionResult)
        case compensationFailed(step: String, durationMs: Int64, error: StepError)
        case rollbackFinished(outcome: RollbackOutcome)
        /// `resume --reload`: the run continues with corrected documents (pinned in the same
        /// transaction); `header` is the run's header from now on.
        case documentsReloaded(header: RunHeader, previousHash: String, by: String, decider: Decider? = nil)
    }

    /// What an operator answered at `run --step` before a step.
    public enum StepAnswer: String, Sendable, Hashable, Codable, CaseIterable { case go, skip, pause }

    public enum Recovery: String, Sendable, Hashable, Codable {
        /// The action is idempotent: run it again.
        case rerun
        /// Ask the action's verify.
        case verify
        /// Neither: the step becomes unknown.
        case unknown
    }

    public enum VerifyResult: Sendable, Hashable, Codable {
        case done(ActionResult)
        case notDone(String)
        case undecidable(String)
    }

    public enum Resolution: String, Sendable, Hashable, Codable, CaseIterable {
        case succeeded, failed, retry
        /// A failed (or interrupted) compensation whose effect an operator put in place by hand.
        case compensated
    }

    public enum CircuitState: String, Sendable, Hashable, Codable { case open, halfOpen = "half-open", closed }

    public enum PauseReason: String, Sendable, Hashable, Codable {
        case interrupted
        case awaitingApproval = "awaiting-approval"
        case unknownStep = "unknown-step"
        /// Tabletop: the team stopped and will continue later.
        case quit
        /// An operator paused it (`lifeboat pause`).
        case requested
        /// A steady-state probe met its abort criterion (`probeBreached`).
        case probeBreached = "probe-breached"
    }

    public enum RunOutcome: String, Sendable, Hashable, Codable {
        case succeeded, failed, aborted
    }

    public enum RollbackStrategy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Stop at the first compensation that fails.
        case stopOnFailure = "stop-on-failure"
        /// Run every compensation, report all failures.
        case continueOnFailure = "continue"
    }

    public enum RollbackOutcome: String, Sendable, Hashable, Codable {
        case succeeded, failed
    }
}

/// A run's identity and what it ran, recorded in `runCreated` and pinned in the store.
public struct RunHeader: Sendable, Hashable, Codable {
    public var planID: String
    public var scenario: String
    public var runbookID: String
    public var mode: RunMode
    /// Parameters after merging, secrets never included (they are not parameters).
    public var params: [String: Value]
    public var objectives: Objectives
    public var rtoWindow: RTOWindow?
    /// Who started the run (`--operator`, `LIFEBOAT_OPERATOR`, or the OS user).
    public var startedBy: String
    /// Hash of the pinned plan and runbook text (hex SHA-256), filled by the store.
    public var documentsHash: String
    /// Steps in topological order.
    public var steps: [StepHeader]
    public var concurrency: Int
    public var approvedByFlag: Bool
    /// How many steps may run at once per bulkhead key (the plan's `bulkheads:`); nil in runs
    /// recorded before bulkheads existed, and when the plan has none.
    public var bulkheads: [String: Int]?
    /// The run events the plan's `notify:` sends a message on; nil when it has none.
    public var notifyOn: [NotifyTrigger]?
    /// When the incident began (`--incident-at`, or the scenario's `incident_time` parameter), wall
    /// clock UTC ms: the RTO is also measured from it. Nil when nobody said.
    public var incidentAtMs: Int64?
    /// The runbook's steady-state probes; nil when it has none (and in a tabletop).
    public var probes: [ProbeHeader]?

    public init(
        planID: String, scenario: String, runbookID: String, mode: RunMode, params: [String: Value],
        objectives: Objectives, rtoWindow: RTOWindow?, startedBy: String, documentsHash: String,
        steps: [StepHeader], concurrency: Int, approvedByFlag: Bool, bulkheads: [String: Int]? = nil,
        notifyOn: [NotifyTrigger]? = nil, incidentAtMs: Int64? = nil, probes: [ProbeHeader]? = nil
    ) {
        self.planID = planID
        self.scenario = scenario
        self.runbookID = runbookID
        self.mode = mode
        self.params = params
        self.objectives = objectives
        self.rtoWindow = rtoWindow
        self.startedBy = startedBy
        self.documentsHash = documentsHash
        self.steps = steps
        self.concurrency = concurrency
        self.approvedByFlag = approvedByFlag
        self.bulkheads = bulkheads
        self.notifyOn = notifyOn
        self.incidentAtMs = incidentAtMs
        self.probes = probes
    }
}

/// The facts about a step that the state machine needs, frozen when the run is created.
public struct StepHeader: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var action: String
    public var needs: [String]
    public var idempotent: Bool
    public var hasVerify: Bool
    public var retry: RetryPolicy
    public var timeoutMs: Int64?
    public var expectMs: Int64?
    /// False when `when:` excludes this run's mode: the step is skipped.
    public var applies: Bool
    public var hasCompensation: Bool
    /// Whether the compensation's action may run again after a crash interrupted it (nil in runs
    /// recorded before this was kept: treated as not idempotent).
    public var compensationIdempotent: Bool?
    /// What the step does, as canonical text (its action, `with:` and rollback): `resume --reload`
    /// compares it to see whether a step that already ran would now do something else. Nil in runs
    /// recorded before it was kept (then any reload of a step that ran counts as a change).
    public var definition: String?
    /// An approval step's rule (nil for other steps, and in runs recorded before rules were kept:
    /// then anyone decides, once).
    public var approval: ApprovalRule?
    /// The bulkhead key the step counts against: its `bulkhead:` name, else its action's endpoint
    /// as far as it can be known before the run (nil when neither is known).
    public var bulkhead: String?

    public init(
        id: String, title: String, action: String, needs: [String], idempotent: Bool, hasVerify: Bool,
        retry: RetryPolicy, timeoutMs: Int64?, expectMs: Int64?, applies: Bool, hasCompensation: Bool,
        compensationIdempotent: Bool? = nil, definition: String? = nil, approval: ApprovalRule? = nil,
        bulkhead: String? = nil
    ) {
        self.id = id
        self.title = title
        self.action = action
        self.needs = needs
        self.idempotent = idempotent
        self.hasVerify = hasVerify
        self.retry = retry
        self.timeoutMs = timeoutMs
        self.expectMs = expectMs
        self.applies = applies
        self.hasCompensation = hasCompensation
        self.compensationIdempotent = compensationIdempotent
        self.definition = definition
        self.approval = approval
        self.bulkhead = bulkhead
    }

    /// The approval rule this step is decided by.
    public var approvalRule: ApprovalRule { approval ?? .anyone }

    public var isApproval: Bool { action == BuiltinActions.approval }
}

/// A failure as recorded: code, one-line message, whether a retry may help, and the detail behind
/// it (a command's output tail, a server's words, the errno text), secrets masked in both.
public struct StepError: Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: LifeboatError.Code
    public var message: String
    public var retryable: Bool
    /// Nil in runs recorded before details were kept, and for errors that have none.
    public var detail: String?

    public init(code: LifeboatError.Code, message: String, retryable: Bool, detail: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.detail = detail
    }

    /// `error` as recorded. Its texts come masked: the engine gets every step error from the
    /// step's `ActionContext`, which masks them.
    public init(_ error: LifeboatError) {
        self.init(code: error.code, message: error.description, retryable: error.retryable, detail: error.detail)
    }

    public var description: String { message }
}

/// Names of actions the engine itself implements.
public enum BuiltinActions {
    public static let approval = "approval"
    /// The action a plan's `notify:` messages are sent with.
    public static let notify = "notify"
}
