import Foundation
import LifeboatCore
import LifeboatStore
import LifeboatTeamStore

/// The store a command works on, as `--db` names it: a SQLite file, or the team store on a
/// PostgreSQL server (a `postgresql://` / `postgres://` URI or a libpq conninfo such as
/// `host=db1 dbname=lifeboat` or `service=lifeboat`). What `watch`, `serve` and the evidence
/// commands read is `EvidenceStore`'s.
protocol CommandStore: EvidenceStore {
    /// Takes the run for this process (executing or changing it), or throws `.leaseHeld` naming
    /// the process that has it.
    func holdRun(_ runID: String) async throws -> any RunHold
    /// Who executes the run now (`pid 812`, `host-b pid 812`), nil when no process does.
    func executor(of runID: String) async -> String?
    /// The newest ended drill and real execution of every plan + scenario (`metrics`).
    func lastDrills() async throws -> [EvidenceMetrics.LastDrill]
    /// The newest event's hash (`audit export`'s anchor).
    func chainHead() async throws -> String
    /// Streams runs, their pinned documents and their events (`audit export`).
    @discardableResult
    func exportAudit(
        runID: String?, sinceMs: Int64?, untilMs: Int64?, emit: @escaping @Sendable (AuditRecord) throws -> Void
    ) async throws -> (runs: Int, events: Int)
    /// The hash chain over every event, checked row by row.
    func verifyChain() async throws -> ChainVerification
    /// Every run's stored rows against its replayed events.
    func verifyProjections() async throws -> [ProjectionMismatch]
    /// The storage's own check (`audit verify`): what it is called and what it found.
    func storageCheck() async throws -> (name: String, finding: String, ok: Bool)
    /// What `lifeboat store info` prints.
    func info() async throws -> StoreInfo
    /// Who runs this command, authenticated the way this store knows people (`label`: `--by`).
    func caller(label: String) async throws -> Caller
}

extension CommandStore {
    /// Runs `body` while this process holds the run, and gives the run up afterwards (also when
    /// `body` throws).
    func holding<T>(_ runID: String, _ body: () async throws -> T) async throws -> T {
        try await holding(hold: try await holdRun(runID), body)
    }

    /// `holding`, or nil (without running `body`) when another process holds the run.
    func holdingIfFree<T>(_ runID: String, _ body: () async throws -> T) async throws -> T? {
        let hold: any RunHold
        do { hold = try await holdRun(runID) } catch let error as LifeboatError where error.code == .leaseHeld { return nil }
        return try await holding(hold: hold, body)
    }

    private func holding<T>(hold: any RunHold, _ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            await hold.release()
            return value
        } catch {
            await hold.release()
            throw error
        }
    }
}

/// Which store, its schema version and what it holds (`lifeboat store info`).
struct StoreInfo: Encodable {
    var kind: String
    /// The file, or the team store's conninfo with its password masked.
    var location: String
    var migrations: [String]
    var runs: Int
    var events: Int
    /// The hash of the newest event (64 zeros for an empty store).
    var chainHead: String
}

/// A process's hold on a run (the executor lock).
protocol RunHold: Sendable {
    func release() async
}

extension ExecutorLock: RunHold {}
extension TeamExecutor: RunHold {}

extension SQLiteStore: CommandStore {
    public var name: String { path }

    func holdRun(_ runID: String) async throws -> any RunHold { try ExecutorLock.acquire(storePath: path, runID: runID) }

    func executor(of runID: String) async -> String? {
        ExecutorLock.liveHolder(storePath: path, runID: runID).map { "pid \($0)" }
    }

    /// The operating system account running the command.
    func caller(label: String) async throws -> Caller { OperatorIdentity.caller(label: label) }

    /// The whole log from the store's cache of decoded logs (it reads only what was appended).
    public func events(of runID: String, after count: Int) async throws -> [RunEvent] {
        Array(try await events(of: runID).dropFirst(count))
    }

    func storageCheck() async throws -> (name: String, finding: String, ok: Bool) {
        let finding = try await integrityCheck()
        return ("sqlite integrity", finding, finding == "ok")
    }

    func info() async throws -> StoreInfo {
        let (runs, events) = try await counts()
        return StoreInfo(
            kind: "sqlite", location: path, migrations: try await appliedMigrations(), runs: runs, events: events,
            chainHead: try await chainHead())
    }
}

extension PostgresStore: CommandStore {
    public var name: String { "team store " + display }

    func holdRun(_ runID: String) async throws -> any RunHold {
        try await takeExecutor(runID: runID, host: ProcessInfo.processInfo.hostName, pid: getpid())
    }

    func executor(of runID: String) async -> String? {
        (try? await executorHolder(runID)) ?? nil
    }

    public func events(of runID: String, after count: Int) async throws -> [RunEvent] {
        try await eventsAfter(runID, count: count)
    }

    /// The role PostgreSQL authenticated (`session_user`), and the roles it belongs to.
    func caller(label: String) async throws -> Caller {
        let (user, roles) = try await sessionIdentity()
        return Caller(
            decider: Decider(identity: user, sudoUser: nil, label: label, host: ProcessInfo.processInfo.hostName), groups: roles)
    }

    func storageCheck() async throws -> (name: String, finding: String, ok: Bool) {
        ("storage", "PostgreSQL checks its own pages (not checked here)", true)
    }

    func info() async throws -> StoreInfo {
        let (runs, events, head) = try await counts()
        return StoreInfo(
            kind: "postgresql", location: display, migrations: try await appliedMigrations(), runs: runs, events: events,
            chainHead: head)
    }
}

/// What `--db` names.
enum StoreLocation: Equatable {
    case file(String)
    case team(conninfo: String)

    init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://")
            || trimmed.firstMatch(of: /^[a-z_]+\s*=/) != nil
        {
            self = .team(conninfo: trimmed)
        } else {
            self = .file(text)
        }
    }
}
