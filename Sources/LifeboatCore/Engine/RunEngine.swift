/// Drives a run: feeds inputs to `RunStateMachine`, commits the resulting events to the store
/// before performing the side effects they announce, runs independent steps in parallel up to the
/// run's concurrency limit, and applies timeouts, retries and circuit breakers.
public struct RunEngine: Sendable {
    public var store: any StateStore
    public var actions: ActionRegistry
    public var clock: any EngineClock
    public var configuration: EngineConfiguration
    public var approvals: (any ApprovalSource)?
    public var tabletop: (any TabletopConsole)?
    /// Set for `run --step` / `resume --step`: every step waits for the operator's go.
    public var stepGate: (any StepGate)?
    public var observer: (any RunObserver)?
    /// Uniform samples in [0, 1) for retry jitter.
    public var random: @Sendable () -> Double
    /// Returns when the user interrupts (SIGINT/SIGTERM). The first interrupt pauses after running
    /// steps finish; a second stops at once (the run stays resumable).
    public var waitForInterrupt: (@Sendable () async -> Void)?

    public init(
        store: any StateStore, actions: ActionRegistry, clock: any EngineClock, configuration: EngineConfiguration,
        approvals: (any ApprovalSource)? = nil, tabletop: (any TabletopConsole)? = nil,
        observer: (any RunObserver)? = nil, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        waitForInterrupt: (@Sendable () async -> Void)? = nil
    ) {
        self.store = store
        self.actions = actions
        self.clock = clock
        self.configuration = configuration
        self.approvals = approvals
        self.tabletop = tabletop
        self.observer = observer
        self.random = random
        self.waitForInterrupt = waitForInterrupt
    }

    /// Starts a run the store has just created.
    @discardableResult
    public func start(runID: String, inputs: RunInputs) async throws -> RunStateMachine {
        try await execute(runID: runID, inputs: inputs, first: .start(pid: configuration.pid, host: configuration.host, decider: configuration.caller.decider))
    }

    /// Continues a stopped run (after a crash, a kill, a pause or a failure). Failed steps are
    /// redriven, except those resolved as failed, unless named in `redrive`.
    @discardableResult
    public func resume(runID: String, inputs: RunInputs, redrive: Set<String> = []) async throws -> RunStateMachine {
        try await execute(runID: runID, inputs: inputs, first: resumeInput(redrive: redrive))
    }

    /// The input `resume` gives the machine.
    public func resumeInput(redrive: Set<String> = []) -> RunStateMachine.Input {
        .resume(
            pid: configuration.pid, host: configuration.host, by: configuration.operatorName, redrive: redrive,
            decider: configuration.caller.decider)
    }

    /// Throws the error `input` would meet on `machine` (naming the ways out), without recording.
    public func check(_ input: RunStateMachine.Input, on machine: RunStateMachine, runID: String) throws(LifeboatError) {
        var probe = machine
        _ = try decide(input, on: &probe, runID: runID)
    }

    /// Loads a run's machine from its recorded events.
    public func machine(for runID: String) async throws -> RunStateMachine {
        let events = try await store.events(of: runID)
        guard !events.isEmpty else {
            throw LifeboatError(.notFound, "no run '\(runID)' in the store", hint: "list runs with `lifeboat history`")
        }
        do { return try RunStateMachine.replay(events) } catch {
            throw LifeboatError(.internalError, "run \(runID): \(error.description)")
        }
    }

    /// Runs (or continues, or retries) a run's rollback: the compensations of its completed steps.
    @discardableResult
    public func rollback(
        runID: String, inputs: RunInputs, strategy: RunEvent.RollbackStrategy, rerunInterrupted: Bool = false
    ) async throws -> RunStateMachine {
        try await execute(
            runID: runID, inputs: inputs,
            first: rollbackInput(strategy: strategy, rerunInterrupted: rerunInterrupted))
    }

    /// The input `rollback` gives the machine.
    public func rollbackInput(strategy: RunEvent.RollbackStrategy, rerunInterrupted: Bool) -> RunStateMachine.Input {
        .rollback(
            by: configuration.operatorName, strategy: strategy, rerunInterrupted: rerunInterrupted,
            decider: configuration.caller.decider)
    }

    /// `resume --reload`: records that the run continues under `header`, pinning `documents` (the
    /// corrected plan and runbook) in the same transaction. Refused (naming the steps) when a step
    /// that already ran would now do something else, unless `force`.
    @discardableResult
    public func reload(runID: String, header: RunHeader, documents: [DocumentSource], force: Bool) async throws
        -> RunStateMachine
    {
        var machine = try await machine(for: runID)
        let decision = try decide(
            .reload(header: header, by: configuration.operatorName, force: force, decider: configuration.caller.decider),
            on: &machine, runID: runID)
        try await commit(decision, consuming: [], pinning: documents, runID: runID, machine: machine)
        return machine
    }

    /// Records an operator's input on a run no process is executing (`resolve`, `skip`, `abort`).
    @discardableResult
    public func record(_ input: RunStateMachine.Input, runID: String) async throws -> RunStateMachine {
        var machine = try await machine(for: runID)
        let decision = try decide(input, on: &machine, runID: runID)
        try await commit(decision, consuming: [], runID: runID, machine: machine)
        return machine
    }

    /// The machine's decision for `input`; a refused input is an operator's error that names the
    /// ways out.
    func decide(_ input: RunStateMachine.Input, on machine: inout RunStateMachine, runID: String) throws(LifeboatError)
        -> RunStateMachine.Decision
    {
        do { return try machine.handle(input, atMs: clock.wallMs()) } catch {
            throw LifeboatError(
                .invalidState, "run \(runID): \(error.description)",
                hint: error.hint?.replacing(" RUN", with: " \(runID)"))
        }
    }

    /// The one place events are recorded: stamped with the decision's time, committed (with the
    /// rows they change, derived from `machine`, and the controls they consume) before any side
    /// effect they announce starts, then shown to the observer.
    func commit(
        _ decision: RunStateMachine.Decision, consuming controls: [Int64], pinning documents: [DocumentSource] = [],
        runID: String, machine: RunStateMachine
    ) async throws {
        guard !decision.events.isEmpty || !controls.isEmpty else { return }
        let monoMs = clock.monoMs()
        let events = decision.events.map {
            RunEvent(runID: runID, atMs: decision.atMs, monoMs: monoMs, session: configuration.session, kind: $0)
        }
        try await store.append(
            events, rows: machine.rows(changedBy: decision.events), consumingControls: controls, pinning: documents)
        if !events.isEmpty { observer?.recorded(events, machine: machine) }
    }

    private func execute(runID: String, inputs: RunInputs, first: RunStateMachine.Input) async throws
        -> RunStateMachine
    {
        var session = ExecutionSession(engine: self, runID: runID, inputs: inputs, machine: try await machine(for: runID))
        return try await session.run(first: first)
    }
}
