import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatStore
import LifeboatTeamStore

/// Builds the pieces a command needs: the store, the action registry, the engine.
enum Runtime {
    static let actions: ActionRegistry = StandardActions.registry()

    static var loader: DocumentLoader { DocumentLoader(actions: actions.specs) }

    /// Opens (creating and migrating when needed) the store `--db` names.
    static func openStore(_ options: StoreOptions) async throws -> any CommandStore {
        switch options.location {
        case .file(let path): return try SQLiteStore(path: path)
        case .team(let conninfo): return try await PostgresStore.open(conninfo)
        }
    }

    /// The store, or nil when it is a SQLite file that does not exist yet (nothing has run).
    static func storeIfAny(_ options: StoreOptions) async throws -> (any CommandStore)? {
        if case .file(let path) = options.location, !FileManager.default.fileExists(atPath: path) { return nil }
        return try await openStore(options)
    }

    /// Opens an existing store for reading, without creating a SQLite file.
    static func openExistingStore(_ options: StoreOptions) async throws -> any CommandStore {
        if case .file(let path) = options.location, !FileManager.default.fileExists(atPath: path) {
            try StoreAccess.check(path)  // a store that is there but closed to this account says so
            throw LifeboatError(
                .notFound, "no state store at \(path)",
                hint: "run a scenario first, or point --db / LIFEBOAT_DB at the store")
        }
        return try await openStore(options)
    }

    /// `caller`: who runs the command, from `CommandStore.caller(label:)`.
    static func configuration(caller: Caller, autoApprove: Bool = false, waitForApprovals: Bool = true)
        -> EngineConfiguration
    {
        EngineConfiguration(
            pid: getpid(), host: caller.decider.host, operatorName: caller.decider.label,
            session: UUID().uuidString.lowercased(), autoApprove: autoApprove, waitForApprovals: waitForApprovals,
            caller: caller)
    }

    /// Refuses `--yes` before anything starts when a rule keeps the operator from approving a
    /// step still to come (approvers, separation of duties, a quorum above one).
    static func checkAutoApproval(_ machine: RunStateMachine, caller: Caller) throws {
        guard let why = machine.autoApprovalRefusal(by: caller) else { return }
        throw LifeboatError(
            .invalidState, "--yes cannot approve as \(caller.decider.description): \(why)",
            hint: "leave out --yes and have the approvers decide with `lifeboat approve RUN STEP` from their own accounts")
    }

    static func engine(
        store: any StateStore, configuration: EngineConfiguration, observer: (any RunObserver)?,
        interactive: Bool, tabletop: Bool = false, stepByStep: Bool = false, interrupts: InterruptSignal?
    ) -> RunEngine {
        let approvals: (any ApprovalSource)? =
            interactive ? TerminalApprovals(caller: configuration.caller) : nil
        let console: (any TabletopConsole)? = tabletop ? TerminalTabletop() : nil
        var waitForInterrupt: (@Sendable () async -> Void)?
        if let interrupts { waitForInterrupt = { await interrupts.wait() } }
        var engine = RunEngine(
            store: store, actions: actions, clock: clock, configuration: configuration, approvals: approvals,
            tabletop: console, observer: observer, waitForInterrupt: waitForInterrupt)
        if stepByStep { engine.stepGate = TerminalStepGate() }
        return engine
    }

    static let clock = SystemClock()

    /// A new run id: UTC time plus a random suffix, e.g. 20261129-031502-7f3a.
    static func newRunID() -> String {
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return UTCCalendar.compactStamp(clock.wallMs()) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
