import GRDB
import LifeboatCore

/// The plan+scenario lease: at most one run whose status `holdsLease` per plan and scenario.
/// The `leases` row exists exactly while its run's status holds the lease.
package enum Leases {
    /// Takes (or keeps) the lease of `run`'s plan and scenario for it, or throws `.leaseHeld`
    /// naming the other active run.
    static func take(for run: RunRecord, atMs: Int64, in db: Database) throws {
        let holder = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.id, r.status FROM leases l JOIN runs r ON r.id = l.run_id
                WHERE l.plan_id = ? AND l.scenario = ?
                """),
            arguments: [run.planID, run.scenario])
        if let holder {
            let id: String = holder["id"]
            if id == run.id { return }
            let rawStatus: String = holder["status"]
            if RunStatus(rawValue: rawStatus)?.holdsLease ?? true {
                throw held(planID: run.planID, scenario: run.scenario, by: id, status: rawStatus)
            }
        }
        try db.cachedStatement(sql: """
                INSERT INTO leases (plan_id, scenario, run_id, taken_at_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT(plan_id, scenario) DO UPDATE SET run_id = excluded.run_id, taken_at_ms = excluded.taken_at_ms
                """).execute(
            arguments: [run.planID, run.scenario, run.id, atMs])
    }

    /// Releases whatever lease `runID` holds.
    static func release(runID: String, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM leases WHERE run_id = ?").execute(arguments: [runID])
    }

    /// Keeps the lease row in step with the run's status.
    static func sync(_ run: RunRecord, atMs: Int64, in db: Database) throws {
        if run.status.holdsLease {
            try take(for: run, atMs: atMs, in: db)
        } else {
            try release(runID: run.id, in: db)
        }
    }

    /// The error for a lease held by another run.
    package static func held(planID: String, scenario: String, by runID: String, status: String) -> LifeboatError {
        LifeboatError(
            .leaseHeld, "plan \(planID) scenario \(scenario) already has an active run \(runID) (\(status))",
            hint: status == RunStatus.rollingBack.rawValue || status == RunStatus.rollbackFailed.rawValue
                ? "retry its rollback with `lifeboat rollback \(runID)` or end it with `lifeboat abort \(runID)`"
                : "resume it with `lifeboat resume \(runID)` or end it with `lifeboat abort \(runID)`")
    }
}
