import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatStore

/// Builds the pieces a command needs: the store, the action registry, the engine.
enum Runtime {
    static let actions: ActionRegistry = StandardActions.registry()

    static var loader: DocumentLoader { DocumentLoader(actions: actions.specs) }

    static func openStore(_ options: StoreOptions) throws -> SQLiteStore {
        try SQLiteStore(path: options.path)
    }

    /// Opens an existing store for reading, without creating one.
    static func openExistingStore(_ options: StoreOptions) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: options.path) else {
            throw LifeboatError(
                .notFound, "no state store at \(options.path)",
                hint: "run a scenario first, or point --db / LIFEBOAT_DB at the store")
        }
        return try SQLiteStore(path: options.path)
    }

    static func configuration(operatorName: String, autoApprove: Bool = false, waitForApprovals: Bool = true)
        -> EngineConfiguration
    {
        EngineConfiguration(
            pid: getpid(), host: ProcessInfo.processInfo.hostName, operatorName: operatorName,
            session: UUID().uuidString.lowercased(), autoApprove: autoApprove, waitForApprovals: waitForApprovals)
    }

    static func engine(
        store: any StateStore, configuration: EngineConfiguration, observer: (any RunObserver)?,
        interactive: Bool, tabletop: Bool = false, stepByStep: Bool = false, interrupts: InterruptSignal?
    ) -> RunEngine {
        let approvals: (any ApprovalSource)? =
            interactive ? TerminalApprovals(operatorName: configuration.operatorName) : nil
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
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return f.string(from: Date()) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
