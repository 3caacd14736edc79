import LifeboatCore
import LifeboatPostgres
import LifeboatStore

/// The team store's rows: the chain head, event rows, projections, pinned documents, leases and
/// control messages. Every function runs inside the caller's transaction.
enum TeamRows {
    /// Takes the chain head's lock until the transaction ends: writers take turns, so one chain runs
    /// through every run in one global order.
    static func lockChain(_ db: PGConnection) async throws {
        _ = try await db.query("SELECT lifeboat.lock_chain()")
    }

    /// Records events of run `runID` (their canonical JSON) after the chain head and consumes the
    /// control messages they answer, through the server's `lifeboat.record_events`, which refuses an
    /// event naming anyone but the connected role or those messages' senders. With `epoch` (an
    /// executor's), the same call checks that the run is still this process's and notes the write,
    /// or throws `.leaseHeld` naming who took it over. `runID` is nil when only messages are consumed.
    static func record(
        _ payloads: [String], of runID: String?, consuming controls: [Int64], atMs: Int64, epoch: Int64? = nil,
        in db: PGConnection
    ) async throws {
        let statement = try recordStatement(payloads, of: runID, consuming: controls, atMs: atMs, epoch: epoch)
        do { _ = try await db.query(statement.sql, statement.params) } catch { throw recordError(error, of: runID) }
    }

    /// `record`'s statement, for a caller that sends it with others in one round trip.
    static func recordStatement(
        _ payloads: [String], of runID: String?, consuming controls: [Int64], atMs: Int64, epoch: Int64?
    ) throws -> PGStatement {
        PGStatement(
            TeamStoreEventFunctions.recordCall,
            [runID, try CanonicalJSON.encode(payloads), try CanonicalJSON.encode(controls), String(atMs), epoch.map(String.init)],
            preparedAs: "lifeboat_record_events")
    }

    /// What `record`'s statement failing means: `.leaseHeld` when the run was taken over (the
    /// server's message names by whom), else the error itself.
    static func recordError(_ error: any Error, of runID: String?) -> any Error {
        guard let error = error as? PGError, error.sqlstate == TeamStoreEventFunctions.takenOver else { return error }
        return LifeboatError(
            .leaseHeld, error.serverMessage ?? error.message, hint: "see what the run did with `lifeboat show \(runID ?? "RUN")`")
    }

    /// Appends events recorded elsewhere, unchecked (`store import`): the schema owner's only.
    static func chain(_ payloads: [String], of runID: String, in db: PGConnection) async throws {
        _ = try await db.query(TeamStoreEventFunctions.chainCall, [runID, try CanonicalJSON.encode(payloads)])
    }

    /// Throws `.leaseHeld` unless `epoch` is still the run's (no other process took it over since).
    static func checkEpoch(_ epoch: Int64, of runID: String, in db: PGConnection) async throws {
        let row = try await db.query("SELECT epoch, host, pid FROM lifeboat.executors WHERE run_id = $1", [runID]).rows.first
        guard let row, row[0] == String(epoch) else { throw takenOver(runID, epoch: epoch, by: row) }
    }

    private static func takenOver(_ runID: String, epoch: Int64, by row: [String?]?) -> LifeboatError {
        let who = row.map { "\($0[1] ?? "?") pid \($0[2] ?? "?") (epoch \($0[0] ?? "?"))" } ?? "another process"
        return LifeboatError(
            .leaseHeld, "run \(runID) was taken over by \(who): this process (epoch \(epoch)) records nothing more and stops",
            hint: "see what the run did with `lifeboat show \(runID)`")
    }

    static func run(_ runID: String, in db: PGConnection) async throws -> RunRecord? {
        guard let text = try await db.query("SELECT record FROM lifeboat.runs WHERE id = $1", [runID]).firstValue else { return nil }
        return try CanonicalJSON.decode(RunRecord.self, from: text, what: "the row of run \(runID)")
    }

    static func insert(_ run: RunRecord, figures: RunFigures?, in db: PGConnection) async throws {
        _ = try await db.query(
            """
            INSERT INTO lifeboat.runs (id, plan_id, scenario, mode, status, created_at_ms, record, ended_at_ms, figures,
                rto_achieved_ms, rto_objective_ms, rto_verdict, rpo_achieved_ms, rpo_objective_ms, rpo_verdict)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """,
            [run.id, run.planID, run.scenario, run.mode.rawValue, run.status.rawValue, String(run.createdAtMs),
             try CanonicalJSON.encode(run)] + (try figureValues(figures, of: run)))
    }

    /// Writes `steps` and the run's row (`figures`, its RTO and RPO, nil until it has ended, beside
    /// it) in one statement. Returns the status the run had before, nil when there is no such run.
    @discardableResult
    static func update(_ run: RunRecord, figures: RunFigures?, savingSteps steps: [StepRecord] = [], in db: PGConnection)
        async throws -> RunStatus?
    {
        let statement = try updateStatement(run, figures: figures, savingSteps: steps)
        return statusBefore(try await db.query(statement.sql, statement.params))
    }

    /// `update`'s statement, for a caller that sends it with others in one round trip.
    static func updateStatement(_ run: RunRecord, figures: RunFigures?, savingSteps steps: [StepRecord]) throws -> PGStatement {
        PGStatement(
            """
            WITH saved AS (\(saveSteps("$12"))),
                old AS (SELECT id, status FROM lifeboat.runs WHERE id = $1 FOR UPDATE)
            UPDATE lifeboat.runs r SET status = $2, record = $3, ended_at_ms = $4, figures = $5, rto_achieved_ms = $6,
                rto_objective_ms = $7, rto_verdict = $8, rpo_achieved_ms = $9, rpo_objective_ms = $10, rpo_verdict = $11
            FROM old WHERE r.id = old.id RETURNING old.status
            """,
            [run.id, run.status.rawValue, try CanonicalJSON.encode(run)] + (try figureValues(figures, of: run))
                + [try stepRows(steps)],
            preparedAs: "lifeboat_update_run")
    }

    /// The status `update`'s statement returned: the run's before it; nil when there is no such run.
    static func statusBefore(_ result: PGResult) -> RunStatus? { result.firstValue.flatMap(RunStatus.init(rawValue:)) }

    /// The values of the figure columns: `figures` is "null" for an ended run with nothing to
    /// measure, NULL (to be measured) only until the run ends.
    private static func figureValues(_ figures: RunFigures?, of run: RunRecord) throws -> [String?] {
        [run.endedAtMs.map(String.init), try figures.map(CanonicalJSON.encode) ?? (run.endedAtMs == nil ? nil : "null"),
         figures?.rto.achievedMs.map(String.init), figures?.rto.objectiveMs.map(String.init), figures?.rto.verdict.rawValue,
         figures?.rpo.achievedMs.map(String.init), figures?.rpo.objectiveMs.map(String.init), figures?.rpo.verdict.rawValue]
    }

    /// The stored figures of a run row's `figures` column (nil: not ended, or nothing measurable).
    static func figures(_ text: String?) throws -> RunFigures? {
        guard let text, text != "null" else { return nil }
        return try CanonicalJSON.decode(RunFigures.self, from: text, what: "a run's figures")
    }

    /// Writes step rows (new or changed) in one statement.
    static func save(_ steps: [StepRecord], in db: PGConnection) async throws {
        guard !steps.isEmpty else { return }
        _ = try await db.query(saveSteps("$1"), [try stepRows(steps)])
    }

    /// SQL that upserts the step rows given as JSON in parameter `parameter` (see `stepRows`).
    private static func saveSteps(_ parameter: String) -> String {
        """
        INSERT INTO lifeboat.steps (run_id, step_id, position, record, forced)
        SELECT e ->> 'run', e ->> 'step', (e ->> 'position')::int, e ->> 'record', (e ->> 'forced')::boolean
        FROM jsonb_array_elements(\(parameter)::jsonb) e
        ON CONFLICT (run_id, step_id) DO UPDATE SET position = excluded.position, record = excluded.record, forced = excluded.forced
        RETURNING 1
        """
    }

    /// Step rows as the JSON `saveSteps` reads: each row's record is its canonical JSON, as text.
    private static func stepRows(_ steps: [StepRecord]) throws -> String {
        struct Row: Encodable {
            var run: String
            var step: String
            var position: Int
            var record: String
            var forced: Bool
        }
        return try CanonicalJSON.encode(try steps.map {
            Row(run: $0.runID, step: $0.stepID, position: $0.position, record: try CanonicalJSON.encode($0), forced: $0.forced != nil)
        })
    }

    /// A run's events in log order after its first `count`, read inside the caller's transaction.
    static func events(of runID: String, after count: Int = 0, in db: PGConnection) async throws -> [RunEvent] {
        try await db.query(
            "SELECT seq, payload FROM lifeboat.events WHERE run_id = $1 ORDER BY seq OFFSET $2", [runID, String(max(count, 0))]
        ).rows.map { row in
            try CanonicalJSON.decode(RunEvent.self, from: row[1] ?? "", what: "event \(row[0] ?? "?")")
        }
    }

    /// Removes the rows of steps a reloaded header no longer has.
    static func keepOnlySteps(_ ids: [String], of runID: String, in db: PGConnection) async throws {
        _ = try await db.query(
            "DELETE FROM lifeboat.steps WHERE run_id = $1 AND step_id NOT IN (SELECT jsonb_array_elements_text($2::jsonb))",
            [runID, try CanonicalJSON.encode(ids)])
    }

    static func pin(_ documents: [DocumentSource], runID: String, from first: Int, in db: PGConnection) async throws {
        for (offset, document) in documents.enumerated() {
            _ = try await db.query(
                "INSERT INTO lifeboat.documents (run_id, ord, kind, path, sha256, text) VALUES ($1, $2, $3, $4, $5, $6)",
                [runID, String(first + offset), document.kind.rawValue, document.path, Digests.sha256(document.text), document.text])
        }
    }

    static func documentCount(_ runID: String, in db: PGConnection) async throws -> Int {
        Int(try await db.query("SELECT count(*) FROM lifeboat.documents WHERE run_id = $1", [runID]).firstValue ?? "") ?? 0
    }

    static func documents(of runID: String, in db: PGConnection) async throws -> [PinnedDocument] {
        try await db.query("SELECT kind, path, sha256, text FROM lifeboat.documents WHERE run_id = $1 ORDER BY ord", [runID])
            .rows.map { row in
                guard let kind = DocumentSource.Kind(rawValue: row[0] ?? "") else {
                    throw LifeboatError(.storeFailure, "run \(runID) pins a document of unknown kind '\(row[0] ?? "")'")
                }
                return PinnedDocument(source: DocumentSource(kind: kind, path: row[1] ?? "", text: row[3] ?? ""), sha256: row[2] ?? "")
            }
    }

    /// Keeps the lease row in step with the run's status: a status that holds the lease takes it (or
    /// throws `.leaseHeld` naming the other active run); any other releases it.
    static func syncLease(_ run: RunRecord, atMs: Int64, in db: PGConnection) async throws {
        guard run.status.holdsLease else {
            _ = try await db.query("DELETE FROM lifeboat.leases WHERE run_id = $1", [run.id])
            return
        }
        let holder = try await db.query(
            """
            SELECT r.id, r.status FROM lifeboat.leases l JOIN lifeboat.runs r ON r.id = l.run_id
            WHERE l.plan_id = $1 AND l.scenario = $2
            """,
            [run.planID, run.scenario]).rows.first
        if let holder, let id = holder[0], let status = holder[1] {
            if id == run.id { return }
            if RunStatus(rawValue: status)?.holdsLease ?? true {
                throw Leases.held(planID: run.planID, scenario: run.scenario, by: id, status: status)
            }
        }
        _ = try await db.query(
            """
            INSERT INTO lifeboat.leases (plan_id, scenario, run_id, taken_at_ms) VALUES ($1, $2, $3, $4)
            ON CONFLICT (plan_id, scenario) DO UPDATE SET run_id = excluded.run_id, taken_at_ms = excluded.taken_at_ms
            """,
            [run.planID, run.scenario, run.id, String(atMs)])
    }
}
