import GRDB
import LifeboatCore
import Synchronization

/// Writes a changed projection row by updating only the columns whose stored bytes change.
///
/// The resulting row is the one the full upsert in `Rows.save` would leave: every column not
/// named in the `UPDATE` already holds exactly the value the upsert would write. Naming fewer
/// columns keeps SQLite from rewriting indexes whose columns did not change (`runs_by_plan`,
/// `runs_by_created`, `runs_by_status`, `steps_by_position`), so a step's commit appends fewer
/// pages to the WAL. Text is compared by its UTF-8 bytes (Swift's `==` on strings treats
/// canonically equivalent spellings as equal), and JSON columns by their encoded text.
enum ProjectionUpdates {
    /// A run row as read for an update.
    struct StoredRun: Sendable {
        var record: RunRecord
    }

    /// A step row as read for an update, with its stored `outputs` text.
    struct StoredStep: Sendable {
        var record: StepRecord
        var outputsJSON: String
    }

    static func storedRun(_ id: String, in db: Database) throws -> StoredRun? {
        try Rows.run(id, in: db).map { StoredRun(record: $0) }
    }

    static func storedStep(_ runID: String, _ stepID: String, in db: Database) throws -> StoredStep? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM steps WHERE run_id = ? AND step_id = ?"), arguments: [runID, stepID])
        else { return nil }
        return StoredStep(record: try Rows.stepRecord(row), outputsJSON: row["outputs"])
    }

    /// Updates the columns of `run`'s existing row that differ from `stored`.
    static func update(_ run: RunRecord, stored: StoredRun, in db: Database) throws {
        let old = stored.record
        var changes = Changes()
        changes.text("plan_id", run.planID, old.planID)
        changes.text("scenario", run.scenario, old.scenario)
        changes.text("runbook_id", run.runbookID, old.runbookID)
        changes.text("mode", run.mode.rawValue, old.mode.rawValue)
        changes.text("status", run.status.rawValue, old.status.rawValue)
        changes.text("pause_reason", run.pauseReason?.rawValue, old.pauseReason?.rawValue)
        changes.text("started_by", run.startedBy, old.startedBy)
        changes.text("documents_hash", run.documentsHash, old.documentsHash)
        changes.int("created_at_ms", run.createdAtMs, old.createdAtMs)
        changes.int("updated_at_ms", run.updatedAtMs, old.updatedAtMs)
        changes.int("ended_at_ms", run.endedAtMs, old.endedAtMs)
        // Objectives hold only integers, so equal values encode to equal text.
        if run.objectives != old.objectives {
            changes.set("objectives", .text(try CanonicalJSON.encode(run.objectives)))
        }
        try changes.execute(table: "runs", key: "id = ?", keyValues: [run.id], in: db)
    }

    /// Updates the columns of `step`'s existing row that differ from `stored`; returns the row as
    /// it now is.
    @discardableResult
    static func update(_ step: StepRecord, stored: StoredStep, in db: Database) throws -> StoredStep {
        let old = stored.record
        var changes = Changes()
        changes.int("position", Int64(step.position), Int64(old.position))
        changes.text("title", step.title, old.title)
        changes.text("action", step.action, old.action)
        changes.text("status", step.status.rawValue, old.status.rawValue)
        changes.int("attempts", Int64(step.attempts), Int64(old.attempts))
        changes.int("started_at_ms", step.startedAtMs, old.startedAtMs)
        changes.int("ended_at_ms", step.endedAtMs, old.endedAtMs)
        changes.int("duration_ms", step.durationMs, old.durationMs)
        changes.text("summary", step.summary, old.summary)
        changes.text("error", step.error, old.error)
        changes.text("forced", step.forced, old.forced)
        changes.text("error_detail", step.errorDetail, old.errorDetail)
        let outputs = try Rows.outputsJSON(step.outputs)
        changes.text("outputs", outputs, stored.outputsJSON)
        try changes.execute(
            table: "steps", key: "run_id = ? AND step_id = ?", keyValues: [step.runID, step.stepID], in: db)
        return StoredStep(record: step, outputsJSON: outputs)
    }

    /// The `SET` list of one update.
    private struct Changes {
        var columns: [String] = []
        var values: [DirectStatement.Value] = []

        mutating func set(_ column: String, _ value: DirectStatement.Value) {
            columns.append(column)
            values.append(value)
        }

        mutating func text(_ column: String, _ new: String?, _ old: String?) {
            switch (new, old) {
            case (nil, nil): return
            case (let new?, let old?) where new.utf8.elementsEqual(old.utf8): return
            default: set(column, .text(new))
            }
        }

        mutating func int(_ column: String, _ new: Int64?, _ old: Int64?) {
            if new != old { set(column, .integer(new)) }
        }

        func execute(table: String, key: String, keyValues: [String], in db: Database) throws {
            guard !columns.isEmpty else { return }
            let sql = Self.sql(Statement(table: table, columns: columns, key: key))
            try DirectStatement(sql, in: db).execute(values + keyValues.map { .text($0) })
        }

        /// An update's table, the columns it sets (in order) and its `WHERE`.
        private struct Statement: Hashable {
            var table: String
            var columns: [String]
            var key: String
        }

        /// Each update's SQL, built the first time it is needed: a run's appends name few sets of
        /// columns, and building the text at every append cost more than looking it up.
        private static let texts = Mutex<[Statement: String]>([:])

        private static func sql(_ statement: Statement) -> String {
            if let known = texts.withLock({ $0[statement] }) { return known }
            let sql = "UPDATE \(statement.table) SET " + statement.columns.map { "\($0) = ?" }.joined(separator: ", ")
                + " WHERE " + statement.key
            texts.withLock { $0[statement] = sql }
            return sql
        }
    }
}
