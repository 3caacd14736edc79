import LifeboatCore
import LifeboatPostgres

/// The running steps' latest output lines (`StepProgress`, migration `v7-step-progress`): beside
/// the event log, overwritten, not evidence.
extension PostgresStore {
    public func stepProgress(of runID: String) async throws -> [StepProgress] {
        try await onConnection("reading run \(runID)'s progress") { db in
            try await db.query(
                "SELECT step_id, line, at_ms FROM lifeboat.step_progress WHERE run_id = $1 ORDER BY step_id", [runID]
            ).rows.map { StepProgress(stepID: $0[0] ?? "", line: $0[1] ?? "", atMs: Int64($0[2] ?? "") ?? 0) }
        }
    }

    public func noteProgress(_ progress: StepProgress, of runID: String) async throws {
        try await onConnection("sharing run \(runID)'s progress") { db in
            _ = try await db.query(
                """
                INSERT INTO lifeboat.step_progress (run_id, step_id, line, at_ms) VALUES ($1, $2, $3, $4)
                ON CONFLICT (run_id, step_id) DO UPDATE SET line = excluded.line, at_ms = excluded.at_ms
                """,
                [runID, progress.stepID, progress.line, String(progress.atMs)])
        }
    }
}
