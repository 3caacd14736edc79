import GRDB
import LifeboatCore
import Synchronization

/// Reading and writing the projection and side tables. Call inside a GRDB access.
enum Rows {
    // MARK: runs

    static func run(_ id: String, in db: Database) throws -> RunRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id]).map(runRecord)
    }

    static func runRecord(_ row: Row) throws -> RunRecord {
        let id: String = row["id"]
        return RunRecord(
            id: id, planID: row["plan_id"], scenario: row["scenario"], runbookID: row["runbook_id"],
            mode: try enumValue(row["mode"], "mode of run \(id)"),
            status: try enumValue(row["status"], "status of run \(id)"),
            pauseReason: try (row["pause_reason"] as String?).map { try enumValue($0, "pause reason of run \(id)") },
            startedBy: row["started_by"], documentsHash: row["documents_hash"], createdAtMs: row["created_at_ms"],
            updatedAtMs: row["updated_at_ms"], endedAtMs: row["ended_at_ms"],
            objectives: try objectives(row["objectives"], what: "objectives of run \(id)"))
    }

    /// Decoded `objectives` texts: a run's objectives never change, and every append reads its run
    /// row, so each text is decoded once per process. Decoding is a pure function of the text.
    private static let decodedObjectives = Mutex<[String: Objectives]>([:])

    private static func objectives(_ text: String, what: String) throws -> Objectives {
        if let known = decodedObjectives.withLock({ $0[text] }) { return known }
        let value = try CanonicalJSON.decode(Objectives.self, from: text, what: what)
        decodedObjectives.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[text] = value
        }
        return value
    }

    /// Inserts or replaces a run row.
    static func save(_ run: RunRecord, in db: Database) throws {
        try db.cachedStatement(sql: """
                INSERT INTO runs (id, plan_id, scenario, runbook_id, mode, status, pause_reason, started_by,
                    documents_hash, created_at_ms, updated_at_ms, ended_at_ms, objectives)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    plan_id = excluded.plan_id, scenario = excluded.scenario, runbook_id = excluded.runbook_id,
                    mode = excluded.mode, status = excluded.status, pause_reason = excluded.pause_reason,
                    started_by = excluded.started_by, documents_hash = excluded.documents_hash,
                    created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms,
                    ended_at_ms = excluded.ended_at_ms, objectives = excluded.objectives
                """).execute(
            arguments: [
                run.id, run.planID, run.scenario, run.runbookID, run.mode.rawValue, run.status.rawValue,
                run.pauseReason?.rawValue, run.startedBy, run.documentsHash, run.createdAtMs, run.updatedAtMs,
                run.endedAtMs, try CanonicalJSON.encode(run.objectives),
            ])
    }

    // MARK: steps

    static func steps(of runID: String, in db: Database) throws -> [StepRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM steps WHERE run_id = ? ORDER BY position"), arguments: [runID])
            .map(stepRecord)
    }

    static func stepRecord(_ row: Row) throws -> StepRecord {
        let runID: String = row["run_id"]
        let stepID: String = row["step_id"]
        let what = "step \(stepID) of run \(runID)"
        return StepRecord(
            runID: runID, stepID: stepID, position: row["position"], title: row["title"], action: row["action"],
            status: try enumValue(row["status"], "status of \(what)"), attempts: row["attempts"],
            startedAtMs: row["started_at_ms"], endedAtMs: row["ended_at_ms"], durationMs: row["duration_ms"],
            summary: row["summary"], error: row["error"],
            outputs: try outputs(row["outputs"], what: "outputs of \(what)"), forced: row["forced"],
            errorDetail: row["error_detail"])
    }

    /// The stored text of a step's outputs (`{}` for none, which is what the encoder writes for an
    /// empty map, without running it).
    static func outputsJSON(_ outputs: [String: Value]) throws -> String {
        outputs.isEmpty ? "{}" : try CanonicalJSON.encode(outputs)
    }

    private static func outputs(_ text: String, what: String) throws -> [String: Value] {
        text == "{}" ? [:] : try CanonicalJSON.decode([String: Value].self, from: text, what: what)
    }

    /// Inserts or replaces a step row; returns it as stored.
    @discardableResult
    static func save(_ step: StepRecord, in db: Database) throws -> ProjectionUpdates.StoredStep {
        let outputs = try outputsJSON(step.outputs)
        try db.cachedStatement(sql: """
                INSERT INTO steps (run_id, step_id, position, title, action, status, attempts, started_at_ms,
                    ended_at_ms, duration_ms, summary, error, outputs, forced, error_detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run_id, step_id) DO UPDATE SET
                    position = excluded.position, title = excluded.title, action = excluded.action,
                    status = excluded.status, attempts = excluded.attempts, started_at_ms = excluded.started_at_ms,
                    ended_at_ms = excluded.ended_at_ms, duration_ms = excluded.duration_ms,
                    summary = excluded.summary, error = excluded.error, outputs = excluded.outputs,
                    forced = excluded.forced, error_detail = excluded.error_detail
                """).execute(
            arguments: [
                step.runID, step.stepID, step.position, step.title, step.action, step.status.rawValue, step.attempts,
                step.startedAtMs, step.endedAtMs, step.durationMs, step.summary, step.error,
                outputs, step.forced, step.errorDetail,
            ])
        return ProjectionUpdates.StoredStep(record: step, outputsJSON: outputs)
    }

    // MARK: events

    static func events(of runID: String, in db: Database) throws -> [RunEvent] {
        try events(of: runID, after: 0, in: db).map(\.event)
    }

    /// The run's events with seq in `after+1 ..< before`, decoded, in order.
    static func events(of runID: String, after: Int64, before: Int64 = .max, in db: Database) throws
        -> [(seq: Int64, event: RunEvent)]
    {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, payload FROM events WHERE run_id = ? AND seq > ? AND seq < ? ORDER BY seq"),
            arguments: [runID, after, before]
        ).map { row in
            let seq: Int64 = row["seq"]
            return (seq, try CanonicalJSON.decode(RunEvent.self, from: row["payload"], what: "event \(seq)"))
        }
    }

    // MARK: documents

    /// Pins `documents` at the positions after the run's first `after` ones.
    static func pin(_ documents: [DocumentSource], runID: String, after: Int = 0, in db: Database) throws {
        for (offset, document) in documents.enumerated() {
            let position = after + offset
            try db.cachedStatement(sql: "INSERT INTO documents (run_id, position, kind, path, text, sha256) VALUES (?, ?, ?, ?, ?, ?)").execute(
                arguments: [
                    runID, position, document.kind.rawValue, document.path, document.text,
                    Digests.sha256(document.text),
                ])
        }
    }

    static func documents(of runID: String, in db: Database) throws -> [PinnedDocument] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, path, text, sha256 FROM documents WHERE run_id = ? ORDER BY position"),
            arguments: [runID]
        ).map { row in
            PinnedDocument(
                source: DocumentSource(
                    kind: try enumValue(row["kind"], "kind of a document of run \(runID)"), path: row["path"],
                    text: row["text"]),
                sha256: row["sha256"])
        }
    }

    // MARK: controls

    static func post(_ message: ControlMessage, in db: Database) throws -> Int64 {
        try db.execute(
            sql: #"INSERT INTO controls (run_id, payload, "by", at_ms) VALUES (?, ?, ?, ?)"#,
            arguments: [message.runID, try CanonicalJSON.encode(message.kind), message.by, message.atMs])
        return db.lastInsertedRowID
    }

    static func pendingControls(of runID: String, in db: Database) throws -> [ControlMessage] {
        try Row.fetchAll(
            db,
            sql: #"SELECT id, payload, "by", at_ms FROM controls WHERE run_id = ? AND consumed_at_ms IS NULL ORDER BY id"#,
            arguments: [runID]
        ).map { row in
            let id: Int64 = row["id"]
            return ControlMessage(
                id: id, runID: runID,
                kind: try CanonicalJSON.decode(ControlMessage.Kind.self, from: row["payload"], what: "control \(id)"),
                by: row["by"], atMs: row["at_ms"])
        }
    }

    static func consume(_ ids: [Int64], atMs: Int64, in db: Database) throws {
        for id in ids {
            try db.cachedStatement(sql: "UPDATE controls SET consumed_at_ms = ? WHERE id = ? AND consumed_at_ms IS NULL").execute(
                arguments: [atMs, id])
        }
    }

    // MARK: helpers

    private static func enumValue<E: RawRepresentable>(_ raw: String, _ what: String) throws -> E
    where E.RawValue == String {
        guard let value = E(rawValue: raw) else { throw StoreDataError(detail: "\(what) is '\(raw)'") }
        return value
    }
}
