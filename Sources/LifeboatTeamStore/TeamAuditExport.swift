import LifeboatCore
import LifeboatPostgres
import LifeboatStore

/// `audit export` on the team store: the same records, in the same order, as the SQLite store's
/// `exportAudit`, read in one repeatable-read snapshot (events in pages of 5,000 rows).
extension PostgresStore {
    /// The hash of the newest event (64 zeros for an empty log): what an archive anchors to.
    public func chainHead() async throws -> String {
        try await onConnection("reading the chain head") { db in
            try await db.query("SELECT hash FROM lifeboat.chain_head WHERE id = 1").firstValue ?? EventChain.genesis
        }
    }

    /// Streams the runs chosen by `runID` or by creation time (`sinceMs` ≤ created < `untilMs`),
    /// their pinned documents and their events to `emit`. Returns the number of runs and events
    /// emitted. Throws `.notFound` for an unknown `runID`.
    @discardableResult
    public func exportAudit(
        runID: String?, sinceMs: Int64?, untilMs: Int64?, emit: @escaping @Sendable (AuditRecord) throws -> Void
    ) async throws -> (runs: Int, events: Int) {
        var filter = TeamFilter(HistoryQuery(sinceMs: sinceMs, untilMs: untilMs))
        if let runID { filter.conditions.append("r.id = \(filter.bind(runID))") }
        let display = self.display
        let chosen = filter
        return try await transaction("exporting the audit record") { db in
            _ = try await db.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let runs = try await db.query(
                "SELECT r.record FROM lifeboat.runs r \(chosen.whereClause) ORDER BY r.created_at_ms, r.created_order", chosen.values
            ).rows.map { try CanonicalJSON.decode(RunRecord.self, from: $0[0] ?? "", what: "a run row") }
            if let runID, runs.isEmpty {
                throw LifeboatError(.notFound, "no run '\(runID)' in \(display)", hint: "list runs with `lifeboat history`")
            }
            for run in runs {
                try emit(.run(run))
                for (position, document) in try await TeamRows.documents(of: run.id, in: db).enumerated() {
                    try emit(.document(runID: run.id, position: position, document))
                }
            }
            var (events, after) = (0, Int64(0))
            while true {
                var page = chosen
                let from = page.bind(String(after))
                let rows = try await db.query(
                    """
                    SELECT seq, run_id, at_ms, kind, step_id, payload, prev_hash, hash FROM lifeboat.events
                    WHERE seq > \(from) AND run_id IN (SELECT r.id FROM lifeboat.runs r \(page.whereClause)) ORDER BY seq LIMIT 5000
                    """, page.values
                ).rows
                for row in rows {
                    let event = ChainedEvent(
                        seq: Int64(row[0] ?? "") ?? 0, runID: row[1] ?? "", atMs: Int64(row[2] ?? "") ?? 0, kind: row[3] ?? "",
                        stepID: row[4], payload: row[5] ?? "", prevHash: row[6] ?? "", hash: row[7] ?? "")
                    try emit(.event(event))
                    (events, after) = (events + 1, event.seq)
                }
                if rows.count < 5000 { break }
            }
            return (runs.count, events)
        }
    }
}
