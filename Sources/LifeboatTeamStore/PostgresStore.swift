import Foundation
import LifeboatCore
import LifeboatPostgres
import LifeboatStore
import Synchronization

/// The team store: the state store on a PostgreSQL server, so that operators on other machines
/// share one run. It keeps the SQLite store's contract: one hash-chained event log in one global
/// order (every write locks the chain head row first), append-only events (a trigger refuses UPDATE,
/// DELETE and TRUNCATE), the `runs`/`steps` projections written in the same transaction, pinned
/// documents, the plan+scenario lease and the control queue. A commit returns once it is durable
/// on the server (`synchronous_commit` as the server sets it; keep it on).
///
/// The conninfo is passed to libpq unchanged: `.pgpass`, `PGSERVICE`, `sslmode` and several hosts
/// with `target_session_attrs=read-write` work as for psql. Projections are stored as canonical JSON
/// beside the columns queries filter on.
public final class PostgresStore: StateStore {
    /// Where the store is, without its password (for messages).
    public let display: String
    private let conninfo: String
    private let connection: SerialConnection
    /// One per kind of news this process waits for (each on a connection of its own).
    private let listeners: [RunNews: RunListener]
    /// This process's hold on each run it executes (`takeExecutor`): appends check its epoch.
    private let holds = Mutex<[String: TeamExecutor]>([:])

    private init(display: String, conninfo: String) {
        self.display = display
        self.conninfo = conninfo
        self.connection = SerialConnection(conninfo: conninfo)
        self.listeners = Dictionary(uniqueKeysWithValues: RunNews.allCases.map { ($0, RunListener(conninfo: conninfo, news: $0)) })
    }

    /// Connects to the store at `conninfo` and applies pending migrations.
    public static func open(_ conninfo: String) async throws(LifeboatError) -> PostgresStore {
        do { _ = try Conninfo.parse(conninfo) } catch {
            throw LifeboatError(.storeFailure, "team store: \(error.message)", hint: error.hint ?? "write it as psql takes it")
        }
        let display = Conninfo.redacted(conninfo)
        let store = PostgresStore(display: display, conninfo: conninfo)
        _ = try await store.onConnection("opening") { try await TeamStoreMigrations.migrate($0) }  // the names applied: not needed here
        try await store.fillInFigures()
        return store
    }

    /// Computes the figures of ended runs that lack them (those that ended before `v6-run-figures`,
    /// or whose measuring was interrupted), each from its log, in one transaction per run. Finding
    /// none is one lookup in a partial index.
    private func fillInFigures() async throws(LifeboatError) {
        let ids = try await onConnection("listing runs to measure") { db in
            try await db.query("SELECT id FROM lifeboat.runs WHERE ended_at_ms IS NOT NULL AND figures IS NULL").rows.compactMap { $0[0] }
        }
        for id in ids {
            try await transaction("measuring run \(id)") { db in
                guard let run = try await TeamRows.run(id, in: db) else { return }
                let figures = RunFigures.expected(for: run, events: try await TeamRows.events(of: id, in: db))
                try await TeamRows.update(run, figures: figures, in: db)
            }
        }
    }

    /// The names of the migrations applied to the store, in order.
    public func appliedMigrations() async throws(LifeboatError) -> [String] {
        try await onConnection("reading its migrations") {
            try await $0.query("SELECT name FROM lifeboat.migrations ORDER BY applied_at, name").rows.compactMap { $0[0] }
        }
    }

    public func close() async {
        for listener in listeners.values { await listener.close() }
        await connection.close()
    }

    // MARK: Who executes

    /// Takes run `runID` for this process (see `TeamExecutor`), or throws `.leaseHeld` naming the
    /// process that holds it: its host, pid and how long ago it last wrote.
    public func takeExecutor(runID: String, host: String, pid: Int32, nowMs: Int64 = PostgresStore.nowMs())
        async throws(LifeboatError) -> TeamExecutor
    {
        let lock: PGConnection
        do {
            lock = try await PGConnection.connect(conninfo, timeout: .seconds(15), defaults: TeamExecutor.connectionDefaults("lifeboat executor"))
        } catch {
            throw storeError(error, "taking run \(runID)")
        }
        do {
            let display = self.display
            try await TeamExecutor.keepPeerProbed(lock)
            // Read once the lock is this process's: nobody else changes the run's status from now on.
            var found: RunStatus?
            let claim = try await TeamExecutor.claim(runID, host: host, pid: pid, nowMs: nowMs, keep: true, on: lock) { db in
                found = try await TeamRows.run(runID, in: db)?.status
                guard found != nil else { throw LifeboatError(.notFound, "run \(runID) not found in \(display)") }
            }
            guard case .taken(let epoch) = claim, let status = found else {
                lock.close()
                if case .held(let holder) = claim { throw Self.held(runID, holder: holder, nowMs: nowMs) }
                throw LifeboatError(.internalError, "run \(runID): the team store neither gave nor refused it")
            }
            let executor = TeamExecutor(runID: runID, epoch: epoch, status: status, connection: lock, store: self)
            holds.withLock { $0[runID] = executor }
            return executor
        } catch let error as LifeboatError {
            lock.close()
            throw error
        } catch {
            lock.close()
            throw storeError(error, "taking run \(runID)")
        }
    }

    /// Who executes `runID` now (`host pid N`), nil when nobody holds it. Probes the lock without
    /// keeping it.
    public func executorHolder(_ runID: String) async throws(LifeboatError) -> String? {
        try await onConnection("asking who executes run \(runID)") { db in
            switch try await TeamExecutor.claim(runID, host: "", pid: 0, nowMs: 0, keep: false, on: db) {
            case .held(let row): return row.map { "\($0[0] ?? "?") pid \($0[1] ?? "?")" } ?? "another process"
            default: return nil
            }
        }
    }

    /// Stops checking `executor`'s epoch (it released the run).
    func forget(_ executor: TeamExecutor) {
        holds.withLock { if $0[executor.runID] === executor { $0[executor.runID] = nil } }
    }

    private static func held(_ runID: String, holder: [String?]?, nowMs: Int64) -> LifeboatError {
        guard let holder, let host = holder[0], let pid = holder[1] else {
            return LifeboatError(
                .leaseHeld, "run \(runID) is being executed by another lifeboat process",
                hint: "wait for it or stop it; the team store frees the run when that process's connection ends")
        }
        let ago = Int64(holder[2] ?? "").map { " (last wrote \(DurationText.format(milliseconds: max(0, nowMs - $0))) ago)" } ?? ""
        return LifeboatError(
            .leaseHeld, "run \(runID) is being executed by \(host) pid \(pid)\(ago)",
            hint: "wait for it or stop it; if that machine is gone the server frees the run within about 15 s")
    }

    // MARK: StateStore

    public func createRun(id: String, created: RunEvent, documents: [DocumentSource]) async throws {
        let event = try CreatedEvent.pinning(created, id: id, documents: documents)
        let rows = try createdRows(event)
        let payload = try CanonicalJSON.encode(event)
        let display = self.display
        try await transaction("creating run \(id)") { db in
            try await TeamRows.lockChain(db)
            if try await TeamRows.run(id, in: db) != nil {
                throw LifeboatError(.invalidState, "run \(id) already exists in \(display)")
            }
            try await TeamRows.insert(rows.run, figures: nil, in: db)
            try await TeamRows.syncLease(rows.run, atMs: event.atMs, in: db)
            try await TeamRows.save(rows.steps, in: db)
            try await TeamRows.pin(documents, runID: id, from: 0, in: db)
            try await TeamRows.record([payload], of: id, consuming: [], atMs: event.atMs, in: db)
        }
    }

    public func append(
        _ events: [RunEvent], rows: RunRows?, consumingControls controls: [Int64], pinning documents: [DocumentSource]
    ) async throws {
        if events.isEmpty && controls.isEmpty { return }
        let payloads = try events.map { try CanonicalJSON.encode($0) }
        let reloaded = try reloadedHeader(events, pinning: documents, hash: Digests.documentsHash)
        let atMs = events.last?.atMs ?? Self.nowMs()
        guard let runID = events.first?.runID else {
            return try await transaction("consuming control messages") { db in
                try await TeamRows.record([], of: nil, consuming: controls, atMs: atMs, in: db)
            }
        }
        guard let rows, rows.run.id == runID, events.allSatisfy({ $0.runID == runID }) else {
            throw LifeboatError(.internalError, "run \(runID): an append carries one run's events with that run's rows")
        }
        if events.contains(where: { if case .runCreated = $0.kind { return true } else { return false } }) {
            throw LifeboatError(.internalError, "run \(runID): runCreated is recorded by createRun only")
        }
        let hold = holds.withLock { $0[runID] }
        let record = try TeamRows.recordStatement(payloads, of: runID, consuming: controls, atMs: atMs, epoch: hold?.epoch)
        do {
            // Round trips are the cost of a step here. record_events checks the epoch (noting the
            // write) and takes the chain lock; one statement writes the step rows and the run's row
            // and returns the run's status before. In the middle of a run this process holds and
            // whose status holds the lease, nothing depends on that status: the whole append is one
            // round trip. Otherwise (a run not held here, one taking the lease back, a reload, an
            // ended run) the status before decides whether the lease changes.
            if let hold, hold.lastStatus.holdsLease, rows.run.status.holdsLease, reloaded == nil, rows.run.endedAtMs == nil {
                let results = try await connection.transactionInOneRoundTrip(
                    [record, try TeamRows.updateStatement(rows.run, figures: nil, savingSteps: rows.steps)])
                guard TeamRows.statusBefore(results[1])?.holdsLease == true else {
                    throw LifeboatError(.internalError, "run \(runID) changed its lease while this process held it")
                }
            } else {
                try await appendInSteps(record, rows: rows, reloaded: reloaded, documents: documents)
            }
        } catch {
            throw storeError(TeamRows.recordError(error, of: runID), "recording run \(runID)")
        }
        hold?.wrote(rows.run.status)
    }

    /// `append` where the run's status before decides what else is written: BEGIN with the two
    /// statements in one round trip, then COMMIT (an ended run's figures and a reload read first).
    private func appendInSteps(_ record: PGStatement, rows: RunRows, reloaded: RunHeader?, documents: [DocumentSource])
        async throws
    {
        let (runID, display) = (rows.run.id, self.display)
        let pipelined = reloaded == nil && rows.run.endedAtMs == nil
        let opening = pipelined ? [record, try TeamRows.updateStatement(rows.run, figures: nil, savingSteps: rows.steps)] : []
        try await connection.transaction(opening: opening) { db, opened in
            let before: RunStatus?
            if pipelined {
                before = TeamRows.statusBefore(opened[1])
            } else {
                if reloaded != nil {
                    try await TeamRows.pin(documents, runID: runID, from: try await TeamRows.documentCount(runID, in: db), in: db)
                    try await TeamRows.keepOnlySteps(rows.steps.map(\.stepID), of: runID, in: db)
                }
                _ = try await db.query(record.sql, record.params)
                // An ended run's figures follow its whole log; a resumed run clears them.
                let figures = rows.run.endedAtMs == nil
                    ? nil : RunFigures.expected(for: rows.run, events: try await TeamRows.events(of: runID, in: db))
                before = try await TeamRows.update(rows.run, figures: figures, savingSteps: rows.steps, in: db)
            }
            guard let before else { throw LifeboatError(.notFound, "run \(runID) not found in \(display)") }
            // The lease row changes only when the run starts or stops holding it.
            if before.holdsLease != rows.run.status.holdsLease {
                try await TeamRows.syncLease(rows.run, atMs: rows.run.updatedAtMs, in: db)
            }
        }
    }

    public func events(of runID: String) async throws -> [RunEvent] {
        try await onConnection("reading run \(runID)") { db in try await TeamRows.events(of: runID, in: db) }
    }

    /// The run's events after its first `count`, in log order (only those are read and decoded).
    public func eventsAfter(_ runID: String, count: Int) async throws -> [RunEvent] {
        try await onConnection("reading run \(runID)") { db in try await TeamRows.events(of: runID, after: count, in: db) }
    }

    public func run(_ runID: String) async throws -> RunRecord? {
        try await onConnection("reading run \(runID)") { db in try await TeamRows.run(runID, in: db) }
    }

    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        var conditions: [String] = []
        var values: [String?] = []
        for (column, value) in [
            ("plan_id", filter.planID), ("scenario", filter.scenario), ("mode", filter.mode?.rawValue),
            ("status", filter.status?.rawValue),
        ] {
            guard let value else { continue }
            values.append(value)
            conditions.append("\(column) = $\(values.count)")
        }
        values.append(String(max(filter.limit, 0)))
        let arguments = values
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT record FROM lifeboat.runs \(whereClause) ORDER BY created_at_ms DESC, created_order DESC LIMIT $\(values.count)"
        return try await onConnection("listing runs") { db in
            try await db.query(sql, arguments).rows.map { try CanonicalJSON.decode(RunRecord.self, from: $0[0] ?? "", what: "a run row") }
        }
    }

    public func steps(of runID: String) async throws -> [StepRecord] {
        try await onConnection("reading the steps of run \(runID)") { db in
            try await db.query("SELECT record FROM lifeboat.steps WHERE run_id = $1 ORDER BY position", [runID]).rows.map {
                try CanonicalJSON.decode(StepRecord.self, from: $0[0] ?? "", what: "a step row of run \(runID)")
            }
        }
    }

    public func documents(of runID: String) async throws -> [PinnedDocument] {
        try await onConnection("reading the documents of run \(runID)") { db in try await TeamRows.documents(of: runID, in: db) }
    }

    public func postControl(_ message: ControlMessage) async throws {
        let display = self.display
        try await transaction("queueing a message for run \(message.runID)") { db in
            guard try await TeamRows.run(message.runID, in: db) != nil else {
                throw LifeboatError(.notFound, "run \(message.runID) not found in \(display)")
            }
            _ = try await db.query(
                "INSERT INTO lifeboat.controls (run_id, kind, by, at_ms) VALUES ($1, $2, $3, $4)",
                [message.runID, try CanonicalJSON.encode(message.kind), message.by, String(message.atMs)])
        }
    }

    /// Woken by the server's notification (`RunListener`).
    public func waitFor(_ news: RunNews, of runID: String) async -> Bool { await listeners[news]?.wait(for: runID) ?? false }

    /// The run's unconsumed messages. For a run this process executes, first checks that it still
    /// does: that its lock's session is alive (a store that failed over or restarted has ended it,
    /// and then nothing keeps another process from taking the run) and that its epoch is the run's
    /// (an executor that was stopped and woke after another took over). Either way it learns it
    /// here, within one poll, and stops rather than waiting on.
    public func pendingControls(of runID: String) async throws -> [ControlMessage] {
        let hold = holds.withLock { $0[runID] }
        let epoch = hold?.epoch
        let messages = try await onConnection("reading the messages for run \(runID)") { db in
            if let epoch { try await TeamRows.checkEpoch(epoch, of: runID, in: db) }
            // The sender and its roles come from the server's stamp, never from the message body.
            return try await db.query(
                """
                SELECT c.id, c.kind, c.by, c.at_ms, c.sent_by, \(Self.rolesJSON(of: "c.sent_by"))
                FROM lifeboat.controls c WHERE c.run_id = $1 AND c.consumed_at_ms IS NULL ORDER BY c.id
                """,
                [runID]
            ).rows.map { row in
                var message = ControlMessage(
                    id: Int64(row[0] ?? "") ?? 0, runID: runID,
                    kind: try CanonicalJSON.decode(ControlMessage.Kind.self, from: row[1] ?? "", what: "a control message"),
                    by: row[2] ?? "", atMs: Int64(row[3] ?? "") ?? 0)
                if let sender = row[4] {
                    let roles = try CanonicalJSON.decode([String].self, from: row[5] ?? "[]", what: "a sender's roles")
                    message.authenticate(as: sender, groups: Set(roles))
                }
                return message
            }
        }
        if let hold, !(await hold.isStillHeld()) {
            throw LifeboatError(
                .storeFailure,
                "run \(runID): this process lost its hold on the run (its lock's session on team store \(display) ended) and starts nothing more",
                hint: "`lifeboat resume \(runID)` continues the run once the store is reachable")
        }
        return messages
    }

    // MARK: Audit

    /// Checks the whole event chain (see `ChainWalk`), reading the log in pages of 5,000 rows (each
    /// read one row further, so that a row's successor is always at hand).
    public func verifyChain() async throws -> ChainVerification {
        let pageSize = 5_000
        var walk = ChainWalk()
        var after: Int64 = 0
        while true {
            let from = after
            let rows = try await onConnection("reading the event log") { db in
                try await db.query(
                    """
                    SELECT seq, run_id, at_ms, kind, step_id, payload, prev_hash, hash FROM lifeboat.events
                    WHERE seq > $1 ORDER BY seq LIMIT $2
                    """, [String(from), String(pageSize + 1)]).rows
            }.map { row in
                ChainWalk.Row(
                    seq: Int64(row[0] ?? "") ?? 0, runID: row[1] ?? "", atMs: Int64(row[2] ?? "") ?? 0, kind: row[3] ?? "",
                    stepID: row[4], payload: row[5] ?? "", prevHash: row[6] ?? "", hash: row[7] ?? "")
            }
            for (i, row) in rows.prefix(pageSize).enumerated() {
                let following = rows.indices.contains(i + 1) && rows[i + 1].seq == row.seq + 1 ? rows[i + 1] : nil
                if let broken = walk.take(row, next: { _ in following.map { (runID: $0.runID, hash: $0.hash) } }) {
                    return broken
                }
                after = row.seq
            }
            if rows.count <= pageSize { break }
        }
        let head = try await onConnection("reading the chain head") { db in
            try await db.query("SELECT seq FROM lifeboat.chain_head WHERE id = 1").firstValue
        }
        return walk.finish(lastRecordedSeq: Int64(head ?? "") ?? 0)
    }

    /// Replays every run's events and compares the stored `runs` and `steps` rows, and an ended
    /// run's figures, with what they derive.
    public func verifyProjections() async throws -> [ProjectionMismatch] {
        let ids = try await onConnection("listing runs") { db in
            try await db.query("SELECT id FROM lifeboat.runs ORDER BY created_at_ms, created_order").rows.compactMap { $0[0] }
        }
        var mismatches: [ProjectionMismatch] = []
        for id in ids {
            let figures = try await onConnection("reading run \(id)") { db in
                try TeamRows.figures(try await db.query("SELECT figures FROM lifeboat.runs WHERE id = $1", [id]).firstValue)
            }
            mismatches += ProjectionCheck.compare(
                runID: id, events: try await events(of: id), run: try await run(id), steps: try await steps(of: id),
                figures: .stored(figures))
        }
        return mismatches
    }

    // MARK: Moving in and facts

    /// Records a whole run from another store (`lifeboat store import`) in one transaction: its rows
    /// as its events replay to, its documents, its events appended to this store's chain (their
    /// payloads re-encoded canonically). Returns false, changing nothing, when the run is here already.
    public func importRun(_ events: [RunEvent], documents: [PinnedDocument]) async throws -> Bool {
        guard let first = events.first, case .runCreated = first.kind else {
            throw LifeboatError(.invalidInput, "a run to import must start with runCreated")
        }
        let runID = first.runID
        let rows: RunRows
        do { rows = try RunStateMachine.replay(events).rows } catch {
            throw LifeboatError(.invalidInput, "run \(runID) does not replay: \(error.description)")
        }
        let payloads = try events.map { try CanonicalJSON.encode($0) }
        return try await transaction("importing run \(runID)") { db in
            try await TeamRows.lockChain(db)
            if try await TeamRows.run(runID, in: db) != nil { return false }
            try await TeamRows.insert(rows.run, figures: RunFigures.expected(for: rows.run, events: events), in: db)
            try await TeamRows.syncLease(rows.run, atMs: rows.run.updatedAtMs, in: db)
            try await TeamRows.save(rows.steps, in: db)
            try await TeamRows.pin(documents.map(\.source), runID: runID, from: 0, in: db)
            try await TeamRows.chain(payloads, of: runID, in: db)
            return true
        }
    }

    /// How many runs and events the store holds, and its chain head's hash.
    public func counts() async throws -> (runs: Int, events: Int, head: String) {
        try await onConnection("counting") { db in
            let row = try await db.query("""
                SELECT (SELECT count(*) FROM lifeboat.runs), (SELECT seq FROM lifeboat.chain_head WHERE id = 1),
                    (SELECT hash FROM lifeboat.chain_head WHERE id = 1)
                """).rows.first
            return (Int(row?[0] ?? "") ?? 0, Int(row?[1] ?? "") ?? 0, row?[2] ?? EventChain.genesis)
        }
    }

    /// Who this connection is, as PostgreSQL authenticated it (`session_user`: password,
    /// certificate or peer), and every role it is a member of, directly or through other roles.
    public func sessionIdentity() async throws(LifeboatError) -> (user: String, roles: Set<String>) {
        try await onConnection("asking who is connected") { db in
            let row = try await db.query("SELECT session_user::text, \(Self.rolesJSON(of: "session_user"))").rows.first
            let roles = try CanonicalJSON.decode([String].self, from: row?[1] ?? "[]", what: "the session's roles")
            return (row?[0] ?? "", Set(roles))
        }
    }

    /// SQL for the roles the role `role` (an SQL expression) is a member of, directly or through
    /// other roles, as a JSON array (NULL when none): what `group:NAME` approvers are checked against.
    private static func rolesJSON(of role: String) -> String {
        "(SELECT json_agg(r.rolname::text) FROM pg_roles r WHERE r.rolname <> \(role) AND pg_has_role(\(role), r.oid, 'MEMBER'))"
    }

    // MARK: Access

    /// `body` (which only reads) on the connection alone, once more on a new connection when the
    /// first broke (a server restart, a connection ended by an administrator); every failure becomes
    /// a store failure naming the store. Writes are never repeated: a lost acknowledgement would
    /// record them twice.
    func onConnection<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PGConnection) async throws -> T)
        async throws(LifeboatError) -> T
    {
        do {
            do { return try await connection.exclusive(body) } catch let error as PGError where error.kind == .connection {
                return try await connection.exclusive(body)
            }
        } catch {
            throw storeError(error, what)
        }
    }

    func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PGConnection) async throws -> T)
        async throws(LifeboatError) -> T
    {
        do { return try await connection.transaction(body) } catch { throw storeError(error, what) }
    }

    private func storeError(_ error: any Error, _ what: String) -> LifeboatError {
        switch error {
        case let error as LifeboatError: return error
        case let error as PGError where error.sqlstate == "42501" && error.message.contains("permission denied"):
            // A missing grant (the server's own refusal, which offers no hint of its own).
            return LifeboatError(
                .storeFailure, "team store \(display): \(what) failed: \(error.message)",
                hint: "give the role the grants listed under Roles in docs/cli.md (`store import` needs the role that owns the schema)")
        case let error as PGError where error.kind == .connection:
            // The server went away: the run stops where its log says; nothing is lost.
            return LifeboatError(
                .storeFailure, "team store \(display): \(what) failed: \(error.message)",
                hint: "the server may have restarted or been stopped; once it is back, `lifeboat resume RUN` continues the run")
        case let error as PGError:
            return LifeboatError(
                .storeFailure, "team store \(display): \(what) failed: \(error.message)",
                hint: error.hint ?? "check the store's server and its role's grants; `lifeboat resume RUN` continues once it is back")
        default:
            return LifeboatError(.storeFailure, "team store \(display): \(what) failed: \(error)")
        }
    }

    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
