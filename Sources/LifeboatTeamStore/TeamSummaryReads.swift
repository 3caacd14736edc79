import LifeboatCore
import LifeboatPostgres
import LifeboatStore

/// The reads `historySummary` sends for its groups, in one pipeline: each group's newest run, its
/// newest observed outage, and per figure (RTO, RPO) its recent values and its p50 and p95 (the
/// percentiles over the group within the time bounds, as the SQLite store computes them; a
/// measured figure implies an ended run).
struct SummaryReads {
    var statements: [PGStatement] = []

    /// Adds `sql`; returns where its result will be.
    mutating func add(_ sql: String, _ values: [String?]) -> Int {
        statements.append(PGStatement(sql, values))
        return statements.count - 1
    }

    struct Group {
        let row: [String?]
        let newest: Int
        let outage: Int
        let rto: Figure
        let rpo: Figure

        struct Figure {
            let measured: Int
            let recent: Int?
            let p50: Int?
            let p95: Int?
        }

        /// The group of the counting query's row `row` (plan, scenario, mode, then the counts).
        init(_ row: [String?], filter: TeamFilter, query: HistoryQuery, last: Int, reads: inout SummaryReads) {
            self.row = row
            let key = [row[0] ?? "", row[1] ?? "", row[2] ?? ""]
            func inGroup(_ base: TeamFilter) -> TeamFilter {
                var filter = base
                let keys = key.map { filter.bind($0) }
                filter.conditions += ["r.plan_id = \(keys[0])", "r.scenario = \(keys[1])", "r.mode = \(keys[2])"]
                return filter
            }
            let group = inGroup(filter)
            let bounds = inGroup(TeamFilter(HistoryQuery(sinceMs: query.sinceMs, untilMs: query.untilMs)))
            newest = reads.add(
                "SELECT id, ended_at_ms, rto_objective_ms, rpo_objective_ms FROM lifeboat.runs r \(group.whereClause) ORDER BY created_at_ms DESC LIMIT 1",
                group.values)
            // The outage is in the figures only (no column): the newest run whose figures have one.
            outage = reads.add(
                "SELECT figures FROM lifeboat.runs r \(group.whereClause) AND (r.figures::jsonb -> 'outage') IS NOT NULL ORDER BY created_at_ms DESC LIMIT 1",
                group.values)
            func figure(_ column: String, measuredAt index: Int) -> Figure {
                let n = Int(row[index] ?? "") ?? 0
                func at(_ p: Double) -> Int? {
                    guard n > 0 else { return nil }
                    return reads.add(
                        """
                        SELECT \(column) FROM lifeboat.runs r \(bounds.whereClause) AND \(column) IS NOT NULL
                        ORDER BY \(column) LIMIT 1 OFFSET \(EvidenceStatistics.rank(p, count: n) - 1)
                        """,
                        bounds.values)
                }
                // None measured: nothing to read (the group's newest-first index would be walked whole).
                let recent = n == 0 ? nil : reads.add(
                    "SELECT \(column) FROM lifeboat.runs r \(group.whereClause) AND \(column) IS NOT NULL ORDER BY created_at_ms DESC LIMIT \(last)",
                    group.values)
                return Figure(measured: n, recent: recent, p50: at(50), p95: at(95))
            }
            rto = figure("rto_achieved_ms", measuredAt: 10)
            rpo = figure("rpo_achieved_ms", measuredAt: 11)
        }

        func summary(from results: [PGResult]) throws -> HistorySummaryGroup {
            func count(_ i: Int) -> Int { Int(row[i] ?? "") ?? 0 }
            let newestRow = results[newest].rows.first
            func figures(_ figure: Figure, objective: Int, met: Int, missed: Int) -> HistorySummaryGroup.Figures {
                let recent = figure.recent.map { results[$0].rows.compactMap { Int64($0[0] ?? "") } } ?? []
                let series = Array(recent.reversed())
                func value(_ index: Int?) -> Int64? { index.flatMap { Int64(results[$0].firstValue ?? "") } }
                return .init(
                    objectiveMs: newestRow.flatMap { Int64($0[objective] ?? "") }, measured: figure.measured, lastMs: recent.first,
                    p50Ms: value(figure.p50), p95Ms: value(figure.p95), met: count(met), missed: count(missed),
                    series: series, trend: EvidenceStatistics.trend(series))
            }
            var group = HistorySummaryGroup(
                planID: row[0] ?? "", scenario: row[1] ?? "", mode: RunMode(rawValue: row[2] ?? "") ?? .drill, runs: count(3),
                succeeded: count(4), succeededForced: count(5), lastRunID: newestRow?[0],
                lastEndedAtMs: newestRow.flatMap { Int64($0[1] ?? "") },
                rto: figures(rto, objective: 2, met: 6, missed: 7),
                rpo: figures(rpo, objective: 3, met: 8, missed: 9))
            group.lastOutage = try TeamRows.figures(results[outage].firstValue)?.outage
            return group
        }
    }
}
