import GRDB
import LifeboatCore

/// Which runs `history`, its summary and its report read. Times bound `created_at_ms`.
public struct HistoryQuery: Sendable, Hashable {
    public var planID: String?
    public var scenario: String?
    public var mode: RunMode?
    public var status: RunStatus?
    /// Runs created at or after this time (Unix ms).
    public var sinceMs: Int64?
    /// Runs created before this time (Unix ms).
    public var untilMs: Int64?
    public var limit: Int

    public init(
        planID: String? = nil, scenario: String? = nil, mode: RunMode? = nil, status: RunStatus? = nil,
        sinceMs: Int64? = nil, untilMs: Int64? = nil, limit: Int = 50
    ) {
        self.planID = planID
        self.scenario = scenario
        self.mode = mode
        self.status = status
        self.sinceMs = sinceMs
        self.untilMs = untilMs
        self.limit = limit
    }

    /// SQL conditions (joined with AND) and their arguments; `status` only when `withStatus`.
    func conditions(withStatus: Bool = true) -> (sql: [String], values: [(any DatabaseValueConvertible)?]) {
        var sql: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        if let planID { sql.append("plan_id = ?"); values.append(planID) }
        if let scenario { sql.append("scenario = ?"); values.append(scenario) }
        if let mode { sql.append("mode = ?"); values.append(mode.rawValue) }
        if withStatus, let status { sql.append("status = ?"); values.append(status.rawValue) }
        if let sinceMs { sql.append("created_at_ms >= ?"); values.append(sinceMs) }
        if let untilMs { sql.append("created_at_ms < ?"); values.append(untilMs) }
        return (sql, values)
    }
}

extension SQLiteStore {
    /// Runs matching `query` with their stored figures, newest first.
    public func measuredRuns(_ query: HistoryQuery) async throws -> [MeasuredRun] {
        var (conditions, values) = query.conditions()
        values.append(max(query.limit, 0))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT runs.*, (SELECT count(*) FROM steps WHERE steps.run_id = runs.id AND steps.forced IS NOT NULL) AS forced_steps
            FROM runs \(whereClause) ORDER BY created_at_ms DESC, rowid DESC LIMIT ?
            """
        let arguments = StatementArguments(values)
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                MeasuredRun(run: try Rows.runRecord(row), measurement: try MeasurementColumns.figures(row), forcedSteps: row["forced_steps"])
            }
        }
    }

    /// Per plan + scenario + mode over the ended runs matching `query` (its status and limit are
    /// ignored): counts, success rate, RTO and RPO last / p50 / p95 and the trend of the `last`
    /// newest measured figures.
    public func historySummary(_ query: HistoryQuery, last: Int) async throws -> [HistorySummaryGroup] {
        let last = max(last, 1)
        return try await read { db in
            let (conditions, values) = query.conditions(withStatus: false)
            let filter = (["ended_at_ms IS NOT NULL"] + conditions).joined(separator: " AND ")
            let groups = try Row.fetchAll(
                db,
                sql: """
                    SELECT plan_id, scenario, mode, count(*) AS runs, total(status = 'succeeded') AS ok,
                        total(rto_verdict = 'met') AS rto_met, total(rto_verdict = 'missed') AS rto_missed,
                        total(rpo_verdict = 'met') AS rpo_met, total(rpo_verdict = 'missed') AS rpo_missed,
                        count(rto_achieved_ms) AS rto_n, count(rpo_achieved_ms) AS rpo_n
                    FROM runs WHERE \(filter) GROUP BY plan_id, scenario, mode ORDER BY plan_id, scenario, mode
                    """, arguments: StatementArguments(values))
            // Succeeded runs with a forced step, found from the few forced step rows
            // (`steps_forced`); the counts above stay within `runs_evidence` alone.
            var forcedByGroup: [[String]: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT plan_id, scenario, mode, count(*) AS n FROM runs
                    WHERE \(filter) AND status = 'succeeded' AND id IN (SELECT run_id FROM steps WHERE forced IS NOT NULL)
                    GROUP BY plan_id, scenario, mode
                    """, arguments: StatementArguments(values))
            {
                forcedByGroup[[row["plan_id"], row["scenario"], row["mode"]]] = row["n"]
            }
            return try groups.map { g in
                let plan: String = g["plan_id"]
                let scenario: String = g["scenario"]
                let modeText: String = g["mode"]
                let groupFilter = filter + " AND plan_id = ? AND scenario = ? AND mode = ?"
                let arguments = StatementArguments(values + [plan as (any DatabaseValueConvertible)?, scenario, modeText])
                let newest = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, ended_at_ms, rto_objective_ms, rpo_objective_ms FROM runs WHERE \(groupFilter)
                        ORDER BY created_at_ms DESC LIMIT 1
                        """, arguments: arguments)
                // Percentiles walk a partial index ordered by the figure (a measured figure implies
                // an ended run); the newest figures walk `runs_evidence` backwards.
                let (timeConditions, timeValues) = HistoryQuery(sinceMs: query.sinceMs, untilMs: query.untilMs).conditions()
                let figureFilter = (["plan_id = ?", "scenario = ?", "mode = ?"] + timeConditions).joined(separator: " AND ")
                let figureArguments = StatementArguments([plan, scenario, modeText] + timeValues)
                func figures(_ column: String, _ objective: String, met: String, missed: String, measured: String) throws
                    -> HistorySummaryGroup.Figures
                {
                    let count = Int(g[measured] as Int64)
                    func at(_ p: Double) throws -> Int64? {
                        guard count > 0 else { return nil }
                        return try Int64.fetchOne(
                            db,
                            sql: """
                                SELECT \(column) FROM runs WHERE \(figureFilter) AND \(column) IS NOT NULL
                                ORDER BY \(column) LIMIT 1 OFFSET \(EvidenceStatistics.rank(p, count: count) - 1)
                                """, arguments: figureArguments)
                    }
                    // None measured: nothing to read (the group's newest-first index would be walked whole).
                    let recent = count == 0 ? [] : try Int64.fetchAll(
                        db,
                        sql: """
                            SELECT \(column) FROM runs WHERE \(groupFilter) AND \(column) IS NOT NULL
                            ORDER BY created_at_ms DESC LIMIT \(last)
                            """, arguments: arguments)
                    let series = Array(recent.reversed())
                    return .init(
                        objectiveMs: newest.flatMap { $0[objective] as Int64? }, measured: count, lastMs: recent.first,
                        p50Ms: try at(50), p95Ms: try at(95), met: Int(g[met] as Double), missed: Int(g[missed] as Double),
                        series: series, trend: EvidenceStatistics.trend(series))
                }
                var group = HistorySummaryGroup(
                    planID: plan, scenario: scenario, mode: RunMode(rawValue: modeText) ?? .drill,
                    runs: g["runs"], succeeded: Int(g["ok"] as Double), succeededForced: forcedByGroup[[plan, scenario, modeText]] ?? 0,
                    lastRunID: newest.map { $0["id"] as String },
                    lastEndedAtMs: newest.flatMap { $0["ended_at_ms"] as Int64? },
                    rto: try figures("rto_achieved_ms", "rto_objective_ms", met: "rto_met", missed: "rto_missed", measured: "rto_n"),
                    rpo: try figures("rpo_achieved_ms", "rpo_objective_ms", met: "rpo_met", missed: "rpo_missed", measured: "rpo_n"))
                group.lastOutage = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT outage_ms, outage_lower_bound FROM runs WHERE \(groupFilter) AND outage_lower_bound IS NOT NULL
                        ORDER BY created_at_ms DESC LIMIT 1
                        """, arguments: arguments
                ).map { RunFigures.Outage(durationMs: $0["outage_ms"], lowerBound: $0["outage_lower_bound"]) }
                return group
            }
        }
    }

    /// The newest succeeded run of every plan + scenario + mode (for schedule compliance).
    public func latestSucceededRuns() async throws -> [ScheduleCompliance.LatestRun] {
        try await read { db in
            try Self.groups(in: db).compactMap { plan, scenario, modeText in
                guard let mode = RunMode(rawValue: modeText),
                    let row = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT id, ended_at_ms,
                                (SELECT count(*) FROM steps WHERE steps.run_id = runs.id AND steps.forced IS NOT NULL) AS forced_steps
                            FROM runs
                            WHERE status = 'succeeded' AND plan_id = ? AND scenario = ? AND mode = ? AND ended_at_ms IS NOT NULL
                            ORDER BY ended_at_ms DESC LIMIT 1
                            """, arguments: [plan, scenario, modeText])
                else { return nil }
                return ScheduleCompliance.LatestRun(
                    planID: plan, scenario: scenario, mode: mode, runID: row["id"], endedAtMs: row["ended_at_ms"],
                    forcedSteps: row["forced_steps"])
            }
        }
    }

    /// The newest ended drill and the newest ended real execution of every plan + scenario.
    public func lastDrills() async throws -> [EvidenceMetrics.LastDrill] {
        try await read { db in
            try Self.groups(in: db).filter { $0.2 == RunMode.drill.rawValue || $0.2 == RunMode.execute.rawValue }
                .compactMap { plan, scenario, mode in
                    guard
                        let row = try Row.fetchOne(
                            db,
                            sql: """
                                SELECT runs.*, (SELECT count(*) FROM steps
                                    WHERE steps.run_id = runs.id AND steps.forced IS NOT NULL) AS forced_steps
                                FROM runs WHERE plan_id = ? AND scenario = ? AND mode = ? AND ended_at_ms IS NOT NULL
                                ORDER BY created_at_ms DESC LIMIT 1
                                """, arguments: [plan, scenario, mode])
                    else { return nil }
                    return .init(
                        run: try Rows.runRecord(row), figures: try MeasurementColumns.figures(row), forcedSteps: row["forced_steps"])
                }
        }
    }

    /// Every distinct (plan, scenario, mode) of `runs`, sorted: one seek in `runs_evidence` per
    /// group (a skip scan) rather than a scan of every run.
    static func groups(in db: Database) throws -> [(String, String, String)] {
        var out: [(String, String, String)] = []
        var row = try Row.fetchOne(db, sql: "SELECT plan_id, scenario, mode FROM runs ORDER BY plan_id, scenario, mode LIMIT 1")
        while let r = row {
            let key = (r[0] as String, r[1] as String, r[2] as String)
            out.append(key)
            row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT plan_id, scenario, mode FROM runs WHERE (plan_id, scenario, mode) > (?, ?, ?)
                    ORDER BY plan_id, scenario, mode LIMIT 1
                    """), arguments: [key.0, key.1, key.2])
        }
        return out
    }
}
