import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import LifeboatCore
import Synchronization

/// The state store on a SQLite file: the hash-chained event log, the `runs`/`steps` projections
/// written in the same transaction, pinned documents, the plan+scenario lease and the control
/// queue.
///
/// The file is opened in WAL mode with `synchronous=FULL`, foreign keys on and a 5 s busy
/// timeout, so an executor and `lifeboat history`/`approve` in another terminal share it. Writes
/// are IMMEDIATE transactions. A write whose lock is free at once runs on the calling thread, which
/// then waits only for the commit's flush; a write that must wait for another connection's lock,
/// and every read, runs on GRDB's and this store's serial dispatch queues, never on the
/// cooperative pool. Writes are not abandoned when the calling task is cancelled: a checkpoint
/// recorded while shutting down still commits.
public final class SQLiteStore: StateStore {
    /// The database file, as given.
    public let path: String
    let database: DatabaseQueue
    private let writeQueue: DispatchQueue
    /// Held by the write of this store that is running: a write that finds it taken queues on
    /// `writeQueue` (and waits there, not on the calling thread).
    private let writeRunning = Mutex(())
    private let logs = RunLogCache()

    /// Opens the store at `path`, creating its folders and the file (mode 0600) if needed and
    /// applying pending migrations.
    public init(path: String) throws(LifeboatError) {
        self.path = path
        self.writeQueue = DispatchQueue(label: "lifeboat.store.write")
        try StoreAccess.check(path)
        try StoreFile.prepare(path)
        var configuration = Configuration()
        configuration.label = "lifeboat.store"
        configuration.busyMode = .timeout(Double(Self.busyTimeoutMs) / 1_000)
        configuration.foreignKeysEnabled = true
        // WAL is set here rather than with `journalMode = .wal`, which would also lower
        // `synchronous` to NORMAL: every committed transition must survive a power loss.
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else {
                throw LifeboatError(.storeFailure, "cannot switch store \(path) to WAL mode (it is in \(mode ?? "?") mode)")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try StoreFile.withMigrationLock(path) { try Migrations.migrate(database, path: path) }
            self.database = database
        } catch {
            throw StoreErrors.map(error, path: path)
        }
        StoreFile.tightenSidecars(of: path)
    }

    /// The hash of a run's documents: hex SHA-256 over the documents sorted by kind, then path,
    /// each contributing `kind \n path \n byte-count \n text \n`. The CLI puts it in
    /// `RunHeader.documentsHash` before building the `runCreated` event.
    public static func documentsHash(_ documents: [DocumentSource]) -> String {
        Digests.documentsHash(documents)
    }

    // MARK: StateStore

    public func createRun(id: String, created: RunEvent, documents: [DocumentSource]) async throws {
        let event = try CreatedEvent.pinning(created, id: id, documents: documents)
        let rows = try createdRows(event)
        let (run, steps) = (rows.run, rows.steps)
        let payload = try encode(event)
        let (seq, stored) = try await write { db in
            if try Rows.run(id, in: db) != nil {
                throw LifeboatError(.invalidState, "run \(id) already exists in \(self.path)")
            }
            try Rows.save(run, in: db)
            try Leases.take(for: run, atMs: event.atMs, in: db)
            let stored = try steps.map { try Rows.save($0, in: db) }
            try Rows.pin(documents, runID: id, in: db)
            return (try EventChain.append(event, payload: payload, in: db), stored)
        }
        let held = RunLogCache.HeldRows(
            run: ProjectionUpdates.StoredRun(record: run),
            steps: Dictionary(uniqueKeysWithValues: stored.map { ($0.record.stepID, $0) }))
        logs.keep(RunLogCache.Tail(after: 0, events: [(seq, event)]), rows: held, of: id)
    }

    public func append(
        _ events: [RunEvent], rows: RunRows?, consumingControls controls: [Int64], pinning documents: [DocumentSource]
    ) async throws {
        if events.isEmpty && controls.isEmpty { return }
        let payloads = try events.map(encode)
        let path = self.path
        let reloaded = try reloadedHeader(events, pinning: documents, hash: Self.documentsHash)
        guard let runID = events.first?.runID else {
            return try await write { db in try Rows.consume(controls, atMs: Self.nowMs(), in: db) }
        }
        guard let rows, rows.run.id == runID, events.allSatisfy({ $0.runID == runID }) else {
            throw LifeboatError(.internalError, "run \(runID): an append carries one run's events with that run's rows")
        }
        let logs = self.logs
        let (tail, written) = try await write(run: runID) { db in
            // What others recorded since this process last looked; nothing: the held rows are current.
            let head = try EventChain.head(in: db)
            var tail = try logs.tail(of: runID, chainHead: head.seq, in: db)
            // The rows as they will be after this append (none after a reload, which rewrites them).
            var written = reloaded == nil ? logs.takeRows(of: runID, current: tail) : nil
            let rowsWereHeld = written != nil
            guard let stored = try written?.run ?? ProjectionUpdates.storedRun(runID, in: db) else {
                throw LifeboatError(.notFound, "run \(runID) not found in \(path)")
            }
            if written == nil && reloaded == nil { written = RunLogCache.HeldRows(run: stored, steps: [:]) }
            if reloaded != nil {
                try Rows.pin(documents, runID: runID, after: try Rows.documents(of: runID, in: db).count, in: db)
                try db.execute(
                    sql: "DELETE FROM steps WHERE run_id = ? AND step_id NOT IN (SELECT value FROM json_each(?))",
                    arguments: [runID, try CanonicalJSON.encode(rows.steps.map(\.stepID))])
            }
            if events.contains(where: { if case .runCreated = $0.kind { return true }; return false }) {
                throw LifeboatError(.internalError, "run \(runID): runCreated is recorded by createRun only")
            }
            let seqs = try EventChain.append(Array(zip(events, payloads)), after: head, in: db)
            tail.events += zip(seqs, events).map { ($0, $1) }
            for step in rows.steps {
                let new: ProjectionUpdates.StoredStep
                if let old = try written?.steps[step.stepID] ?? ProjectionUpdates.storedStep(runID, step.stepID, in: db) {
                    new = try ProjectionUpdates.update(step, stored: old, in: db)
                } else {
                    new = try Rows.save(step, in: db)
                }
                written?.steps[step.stepID] = new
            }
            let run = rows.run
            try ProjectionUpdates.update(run, stored: stored, in: db)
            written?.run = ProjectionUpdates.StoredRun(record: run)
            // Rows held by this process are what its last write left, and so is the lease (only a
            // write of this run changes it): it can change only with whether the run holds it.
            if !rowsWereHeld || stored.record.status.holdsLease != run.status.holdsLease {
                try Leases.sync(run, atMs: run.updatedAtMs, in: db)
            }
            // The measurement columns follow the log of an ended run; a resumed run clears them.
            if run.endedAtMs != nil {
                try MeasurementColumns.refresh(run, events: try logs.events(of: runID, completing: tail, in: db), in: db)
            } else if stored.record.endedAtMs != nil {
                try MeasurementColumns.save(nil, runID: runID, in: db)
            }
            try Rows.consume(controls, atMs: events.last?.atMs ?? Self.nowMs(), in: db)
            return (tail, written)
        }
        logs.keep(tail, rows: written, of: runID)
    }

    public func events(of runID: String) async throws -> [RunEvent] {
        let logs = self.logs
        let (tail, events) = try await read { db in
            let tail = try logs.tail(of: runID, in: db)
            return (tail, try logs.events(of: runID, completing: tail, in: db))
        }
        logs.keep(tail, of: runID)
        return events
    }

    public func run(_ runID: String) async throws -> RunRecord? {
        try await read { db in try Rows.run(runID, in: db) }
    }

    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        var conditions: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        if let planID = filter.planID {
            conditions.append("plan_id = ?")
            values.append(planID)
        }
        if let scenario = filter.scenario {
            conditions.append("scenario = ?")
            values.append(scenario)
        }
        if let mode = filter.mode {
            conditions.append("mode = ?")
            values.append(mode.rawValue)
        }
        if let status = filter.status {
            conditions.append("status = ?")
            values.append(status.rawValue)
        }
        values.append(max(filter.limit, 0))
        let arguments = StatementArguments(values)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM runs \(whereClause) ORDER BY created_at_ms DESC, rowid DESC LIMIT ?"
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Rows.runRecord) }
    }

    public func steps(of runID: String) async throws -> [StepRecord] {
        try await read { db in try Rows.steps(of: runID, in: db) }
    }

    public func documents(of runID: String) async throws -> [PinnedDocument] {
        try await read { db in try Rows.documents(of: runID, in: db) }
    }

    public func postControl(_ message: ControlMessage) async throws {
        _ = try await post(message)
    }

    public func pendingControls(of runID: String) async throws -> [ControlMessage] {
        try await read { db in try Rows.pendingControls(of: runID, in: db) }
    }

    public func stepProgress(of runID: String) async throws -> [StepProgress] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT step_id, line, at_ms FROM step_progress WHERE run_id = ? ORDER BY step_id", arguments: [runID])
                .map { StepProgress(stepID: $0["step_id"], line: $0["line"], atMs: $0["at_ms"]) }
        }
    }

    public func noteProgress(_ progress: StepProgress, of runID: String) async throws {
        try await write(run: runID) { db in
            try db.execute(
                sql: """
                    INSERT INTO step_progress (run_id, step_id, line, at_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT (run_id, step_id) DO UPDATE SET line = excluded.line, at_ms = excluded.at_ms
                    """,
                arguments: [runID, progress.stepID, progress.line, progress.atMs])
        }
    }

    // MARK: Beyond the protocol

    /// Queues an operator's message and returns the id the store assigned to it.
    @discardableResult
    public func post(_ message: ControlMessage) async throws -> Int64 {
        let path = self.path
        return try await write { db in
            guard try Rows.run(message.runID, in: db) != nil else {
                throw LifeboatError(.notFound, "run \(message.runID) not found in \(path)")
            }
            return try Rows.post(message, in: db)
        }
    }

    /// Closes the connection now (checkpointing the WAL into the database file) instead of when
    /// the store is deallocated. Any later use of the store fails.
    public func close() throws(LifeboatError) {
        let database = self.database
        let result: Result<Void, any Error> = writeQueue.sync { Result { try database.close() } }
        if case .failure(let error) = result { throw StoreErrors.map(error, path: path) }
    }

    /// Checks the whole event hash chain; reports the first broken row.
    public func verifyChain() async throws -> ChainVerification {
        try await read { db in try EventChain.verify(db) }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file, otherwise SQLite's findings.
    public func integrityCheck() async throws -> String {
        try await read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }

    /// The names of the migrations applied to the file, in order.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    // MARK: Access

    /// A read transaction on GRDB's queue.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch {
            throw StoreErrors.map(error, path: path)
        }
    }

    /// How long a write waits for another connection's write lock before it fails as busy.
    static let busyTimeoutMs: Int32 = 5_000

    /// An IMMEDIATE write transaction, run to completion even if the calling task is cancelled.
    ///
    /// When the write lock is free at once, the transaction runs on the calling thread: a hop to a
    /// queue and back costs two thread wake-ups, about 0.05 ms an append here (docs/benchmarks.md).
    /// When it is not (another connection writes, or a write of this store waits on the queue),
    /// the transaction waits for it on `writeQueue`, up to the busy timeout, off the cooperative pool.
    func write<T: Sendable>(run: String? = nil, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let database = self.database
        let path = self.path
        do {
            let atOnce = try writeRunning.withLockIfAvailable { _ in
                try database.writeWithoutTransaction { try Self.immediateTransactionAtOnce($0, body) }
            }
            if case .some(.some(let value)) = atOnce { return value }  // writeRunning was free, and SQLite's lock too
        } catch {
            throw StoreErrors.map(error, path: path, run: run)
        }
        return try await withCheckedThrowingContinuation { continuation in
            writeQueue.async { [self] in
                do {
                    let value = try writeRunning.withLock { _ in
                        try database.writeWithoutTransaction { try Self.immediateTransaction($0, body) }
                    }
                    continuation.resume(returning: value)
                } catch {
                    continuation.resume(throwing: StoreErrors.map(error, path: path, run: run))
                }
            }
        }
    }

    /// `body` in an IMMEDIATE transaction if SQLite's write lock is free now: only the `BEGIN` is
    /// tried without waiting (the busy timeout is back as soon as it has run). Nil, with nothing
    /// done, when another connection holds the lock.
    private static func immediateTransactionAtOnce<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T? {
        sqlite3_busy_timeout(db.sqliteConnection, 0)
        do {
            defer { sqlite3_busy_timeout(db.sqliteConnection, busyTimeoutMs) }
            try DirectStatement("BEGIN IMMEDIATE TRANSACTION", in: db).execute([])
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil
        }
        return try committed(db, body)
    }

    /// `body` in an IMMEDIATE transaction, waiting for SQLite's write lock up to the busy timeout.
    private static func immediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try DirectStatement("BEGIN IMMEDIATE TRANSACTION", in: db).execute([])
        return try committed(db, body)
    }

    /// `body` in the transaction just begun, committed, or rolled back on any error, as GRDB's
    /// `inTransaction` does, through statements prepared once (`DirectStatement`) rather than parsed
    /// at every append.
    private static func committed<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        do {
            let value = try body(db)
            try DirectStatement("COMMIT TRANSACTION", in: db).execute([])
            return value
        } catch {
            // An error SQLite answered with a rollback of its own (a full disk) leaves none to undo.
            if sqlite3_get_autocommit(db.sqliteConnection) == 0 {
                try? DirectStatement("ROLLBACK TRANSACTION", in: db).execute([])
            }
            throw error
        }
    }

    private func encode(_ event: RunEvent) throws -> String {
        do {
            return try CanonicalJSON.encode(event)
        } catch {
            throw LifeboatError(.internalError, "run \(event.runID): event does not encode: \(error)")
        }
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
