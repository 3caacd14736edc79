import GRDB
import LifeboatCore

/// The measurement columns of `runs` (migration v4): `RunFigures` of the run's events, written in
/// the same transaction as the events whenever an ended run's log grows, NULL while the run has
/// not ended. `audit verify` recomputes and compares them.
enum MeasurementColumns {
    /// Writes `figures` (or NULLs) into the run's row; `outage: false` leaves out the outage
    /// columns, for the v4 backfill that runs before migration v6 adds them.
    static func save(_ figures: RunFigures?, runID: String, in db: Database, outage: Bool = true) throws {
        try db.cachedStatement(sql: """
                UPDATE runs SET rto_achieved_ms = ?, rto_objective_ms = ?, rto_verdict = ?, rto_method = ?,
                    human_wait_ms = ?, rpo_achieved_ms = ?, rpo_objective_ms = ?, rpo_verdict = ?, rpo_exact = ?
                WHERE id = ?
                """).execute(
            arguments: [
                figures?.rto.achievedMs, figures?.rto.objectiveMs, figures?.rto.verdict.rawValue, figures?.rto.method,
                figures?.rto.humanWaitMs, figures?.rpo.achievedMs, figures?.rpo.objectiveMs,
                figures?.rpo.verdict.rawValue, figures?.rpo.exact, runID,
            ])
        guard outage else { return }
        try db.cachedStatement(sql: "UPDATE runs SET outage_ms = ?, outage_lower_bound = ? WHERE id = ?").execute(
            arguments: [figures?.outage?.durationMs, figures?.outage?.lowerBound, runID])
    }

    /// Recomputes a run's figures from its whole log (inside the write transaction) and stores them.
    static func refresh(_ run: RunRecord, events: [RunEvent], in db: Database, outage: Bool = true) throws {
        try save(RunFigures.expected(for: run, events: events), runID: run.id, in: db, outage: outage)
    }

    /// The stored figures of a `runs` row (`SELECT *`), nil when the columns are NULL.
    static func figures(_ row: Row) throws -> RunFigures? {
        guard let rtoVerdict = row["rto_verdict"] as String? else { return nil }
        let id: String = row["id"]
        func verdict(_ raw: String?, _ what: String) throws -> RunMeasurement.Verdict {
            guard let raw, let v = RunMeasurement.Verdict(rawValue: raw) else {
                throw StoreDataError(detail: "\(what) of run \(id) is '\(raw ?? "NULL")'")
            }
            return v
        }
        return RunFigures(
            rto: .init(
                objectiveMs: row["rto_objective_ms"], achievedMs: row["rto_achieved_ms"],
                verdict: try verdict(rtoVerdict, "rto_verdict"), method: row["rto_method"] ?? "",
                humanWaitMs: row["human_wait_ms"] ?? 0),
            rpo: .init(
                objectiveMs: row["rpo_objective_ms"], achievedMs: row["rpo_achieved_ms"],
                verdict: try verdict(row["rpo_verdict"], "rpo_verdict"), exact: row["rpo_exact"]),
            outage: (row["outage_lower_bound"] as Bool?).map { .init(durationMs: row["outage_ms"], lowerBound: $0) })
    }

    /// Fills the columns of every ended run of an existing store (run by migration v4; runs recorded
    /// before v6 have no probes, so their outage columns stay NULL).
    static func backfill(in db: Database) throws {
        let ids = try String.fetchAll(db, sql: "SELECT id FROM runs WHERE ended_at_ms IS NOT NULL")
        for id in ids {
            guard let run = try Rows.run(id, in: db) else { continue }
            try refresh(run, events: try Rows.events(of: id, in: db), in: db, outage: false)
        }
    }
}
