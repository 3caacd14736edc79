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
        try await execute(runID: runID, inputs: inputs, first: .start(pid: configuration.pid, host: configuration.host))
    }

    /// Continues a stopped run (after a crash, a kill, a pause or a failure).
    @discardableResult
    public func resume(runID: String, inputs: RunInputs) async throws -> RunStateMachine {
        try await execute(
            runID: runID, inputs: inputs,
            first: .resume(pid: configuration.pid, host: configuration.host, by: configuration.operatorName))
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

    /// Records inputs that need no executor (`resolve`, `abort` of a stopped run).
    @discardableResult
    public func record(_ input: RunStateMachine.Input, runID: String) async throws -> RunStateMachine {
        var machine = try await machine(for: runID)
        let kinds: [RunEvent.Kind]
        do { kinds = try machine.handle(input) } catch {
            throw LifeboatError(.invalidState, "run \(runID): \(error.description)")
        }
        let events = stamp(kinds, runID: runID)
        try await store.append(events, consumingControls: [])
        observer?.recorded(events, machine: machine)
        return machine
    }

    func stamp(_ kinds: [RunEvent.Kind], runID: String) -> [RunEvent] {
        kinds.map {
            RunEvent(runID: runID, atMs: clock.wallMs(), monoMs: clock.monoMs(), session: configuration.session, kind: $0)
        }
    }

    private func execute(runID: String, inputs: RunInputs, first: RunStateMachine.Input) async throws
        -> RunStateMachine
    {
        var session = ExecutionSession(engine: self, runID: runID, inputs: inputs, machine: try await machine(for: runID))
        return try await session.run(first: first)
    }
}
