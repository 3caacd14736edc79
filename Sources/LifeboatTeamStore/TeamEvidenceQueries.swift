import LifeboatCore
import LifeboatPostgres
import LifeboatStore

/// `history` (its list, summary and report), `status` and `metrics` on the team store: the same
/// answers as the SQLite store's `EvidenceQueries`, from the figures kept beside each ended run
/// (`v6-run-figures`), with the same percentile rule (`EvidenceStatistics.rank`).
extension PostgresStore {
    /// Runs matching `query`, newest first, with their stored figures and forced-step counts.
    public func measuredRuns(_ query: HistoryQuery) async throws -> [MeasuredRun] {
        var filter = TeamFilter(query)
        let limit = filter.bind(String(max(query.limit, 0)))
        let sql = """
            SELECT r.record, r.figures, \(Self.forcedCount) FROM lifeboat.runs r \(filter.whereClause)
            ORDER BY r.created_at_ms DESC, r.created_order DESC LIMIT \(limit)
            """
        let arguments = filter.values
        return try await onConnection("listing runs") { db in
            try await db.query(sql, arguments).rows.map { row in
                MeasuredRun(
                    run: try CanonicalJSON.decode(RunRecord.self, from: row[0] ?? "", what: "a run row"),
                    measurement: try TeamRows.figures(row[1]), forcedSteps: Int(row[2] ?? "") ?? 0)
            }
        }
    }

    /// Per plan + scenario + mode over the ended runs matching `query` (its status and limit are
    /// ignored): counts, success rate, RTO and RPO last / p50 / p95 and the trend of the `last`
    /// newest measured figures.
    public func historySummary(_ query: HistoryQuery, last: Int) async throws -> [HistorySummaryGroup] {
        let last = max(last, 1)
        var filter = TeamFilter(query, withStatus: false)
        filter.conditions.insert("r.ended_at_ms IS NOT NULL", at: 0)
        let groupSQL = """
            SELECT plan_id, scenario, mode, count(*), count(*) FILTER (WHERE status = 'succeeded'),
                count(*) FILTER (WHERE status = 'succeeded' AND \(Self.hasForcedSteps)),
                count(*) FILTER (WHERE rto_verdict = 'met'), count(*) FILTER (WHERE rto_verdict = 'missed'),
                count(*) FILTER (WHERE rpo_verdict = 'met'), count(*) FILTER (WHERE rpo_verdict = 'missed'),
                count(rto_achieved_ms), count(rpo_achieved_ms)
            FROM lifeboat.runs r \(filter.whereClause) GROUP BY plan_id, scenario, mode ORDER BY plan_id, scenario, mode
            """
        let (groupValues, summaryFilter) = (filter.values, filter)
        return try await onConnection("summarising runs") { db in
            let groups = try await db.query(groupSQL, groupValues).rows
            // Every group's reads go to the server together, in one round trip.
            var reads = SummaryReads()
            let plans = groups.map { g in
                SummaryReads.Group(g, filter: summaryFilter, query: query, last: last, reads: &reads)
            }
            let results = try await db.pipeline(reads.statements)
            return try plans.map { try $0.summary(from: results) }
        }
    }

    /// The newest succeeded run of every plan + scenario + mode (for schedule compliance).
    public func latestSucceededRuns() async throws -> [ScheduleCompliance.LatestRun] {
        try await onConnection("reading the latest runs") { db in
            try await db.query(
                """
                \(Self.groups)
                SELECT g.plan_id, g.scenario, g.mode, r.id, r.ended_at_ms, \(Self.forcedCount) FROM groups g
                CROSS JOIN LATERAL (
                    SELECT id, ended_at_ms FROM lifeboat.runs x
                    WHERE x.status = 'succeeded' AND x.plan_id = g.plan_id AND x.scenario = g.scenario AND x.mode = g.mode
                        AND x.ended_at_ms IS NOT NULL
                    ORDER BY x.ended_at_ms DESC LIMIT 1) r
                ORDER BY g.plan_id, g.scenario, g.mode
                """
            ).rows.compactMap { row in
                guard let mode = RunMode(rawValue: row[2] ?? ""), let ended = Int64(row[4] ?? "") else { return nil }
                return ScheduleCompliance.LatestRun(
                    planID: row[0] ?? "", scenario: row[1] ?? "", mode: mode, runID: row[3] ?? "", endedAtMs: ended,
                    forcedSteps: Int(row[5] ?? "") ?? 0)
            }
        }
    }

    /// The newest ended drill and the newest ended real execution of every plan + scenario.
    public func lastDrills() async throws -> [EvidenceMetrics.LastDrill] {
        try await onConnection("reading the latest drills") { db in
            try await db.query(
                """
                \(Self.groups)
                SELECT r.record, r.figures, \(Self.forcedCount) FROM groups g
                CROSS JOIN LATERAL (
                    SELECT id, record, figures FROM lifeboat.runs x
                    WHERE x.plan_id = g.plan_id AND x.scenario = g.scenario AND x.mode = g.mode AND x.ended_at_ms IS NOT NULL
                    ORDER BY x.created_at_ms DESC LIMIT 1) r
                WHERE g.mode IN ('drill', 'execute')
                ORDER BY g.plan_id, g.scenario, g.mode
                """
            ).rows.map { row in
                EvidenceMetrics.LastDrill(
                    run: try CanonicalJSON.decode(RunRecord.self, from: row[0] ?? "", what: "a run row"),
                    figures: try TeamRows.figures(row[1]), forcedSteps: Int(row[2] ?? "") ?? 0)
            }
        }
    }

    /// SQL for how many steps of run `r` an operator forced.
    private static let forcedCount = "(SELECT count(*) FROM lifeboat.steps s WHERE s.run_id = r.id AND s.forced)"

    /// SQL for whether run `r` has a forced step: one pass over the few forced step rows
    /// (`steps_forced`) for a whole query, rather than a probe per run.
    private static let hasForcedSteps = "r.id IN (SELECT s.run_id FROM lifeboat.steps s WHERE s.forced)"

    /// A `WITH` clause naming `groups`: every distinct (plan, scenario, mode) of the runs, found by
    /// one index seek per group (`runs_evidence`, a skip scan) rather than a scan of every run.
    private static let groups = """
        WITH RECURSIVE groups AS (
            (SELECT plan_id, scenario, mode FROM lifeboat.runs ORDER BY plan_id, scenario, mode LIMIT 1)
            UNION ALL
            SELECT n.plan_id, n.scenario, n.mode FROM groups g CROSS JOIN LATERAL (
                SELECT plan_id, scenario, mode FROM lifeboat.runs x WHERE (x.plan_id, x.scenario, x.mode) > (g.plan_id, g.scenario, g.mode)
                ORDER BY plan_id, scenario, mode LIMIT 1) n)
        """
}

/// A `HistoryQuery` as SQL conditions on `lifeboat.runs r` with numbered parameters.
struct TeamFilter {
    var conditions: [String] = []
    var values: [String?] = []

    init(_ query: HistoryQuery, withStatus: Bool = true) {
        func add(_ column: String, _ op: String, _ value: String?) {
            guard let value else { return }
            conditions.append("r.\(column) \(op) \(bind(value))")
        }
        add("plan_id", "=", query.planID)
        add("scenario", "=", query.scenario)
        add("mode", "=", query.mode?.rawValue)
        if withStatus { add("status", "=", query.status?.rawValue) }
        add("created_at_ms", ">=", query.sinceMs.map(String.init))
        add("created_at_ms", "<", query.untilMs.map(String.init))
    }

    /// Adds `value` as the next parameter; returns its placeholder (`$3`).
    mutating func bind(_ value: String) -> String {
        values.append(value)
        return "$\(values.count)"
    }

    var whereClause: String { conditions.isEmpty ? "WHERE true" : "WHERE " + conditions.joined(separator: " AND ") }
}
