import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatReports
import LifeboatStore

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List runs, newest first, with their outcome and RTO against the objective; or summarize trends.",
        discussion: """
            RTO and RPO figures are those measured when the run ended (a run that has not ended shows —).
            --summary shows, per plan + scenario + mode, the ended runs, success rate, RTO and RPO
            achieved (last, p50, p95) against the objective and the trend over the last N runs
            (improving / worsening / steady: newer half vs older half, ±10 %).
            --report html|md writes the history report of one plan (--plan) over the time range.

            Examples:
              lifeboat history
              lifeboat history --plan payment-platform --scenario region-failure --mode drill --json
              lifeboat history --outcome failed --since 90d
              lifeboat history --summary --last 10
              lifeboat history --report html --plan payment-platform --since 2026-01-01 -o dr-2026.html
            """)

    @Option(help: "Only runs of this plan id.") var plan: String?
    @Option(help: "Only runs of this scenario.") var scenario: String?
    @Option(help: "Only runs in this mode: execute (or real), drill, tabletop.") var mode: RunMode?
    @Option(name: [.customLong("status"), .customLong("outcome")], help: "Only runs with this status / outcome (succeeded, failed, paused, aborted, …).")
    var status: RunStatus?
    @OptionGroup var range: TimeRangeOptions
    @Option(help: "At most this many runs (default 50; 500 in a report).") var limit: Int?
    @Flag(help: "Per plan + scenario + mode: runs, success rate, RTO/RPO last, p50, p95 and trend.") var summary = false
    @Option(help: "How many of the newest measured runs make the trend series (with --summary or --report).") var last = 10
    @Option(help: ArgumentHelp("Write the history report of --plan instead: html or md.", valueName: "format"))
    var report: HistoryReportFormat?
    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("With --report: write it to this file (default: stdout).", valueName: "file"))
    var outputFile: String?
    @OptionGroup var clock: NowOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let now = try clock.resolve()
        let (since, until) = try range.resolve(now: now)
        var query = HistoryQuery(planID: plan, scenario: scenario, sinceMs: since, untilMs: until, limit: limit ?? 50)
        query.mode = mode
        query.status = status
        guard last >= 1 else { throw LifeboatError(.invalidInput, "--last \(last) must be at least 1") }
        if outputFile != nil, report == nil {
            throw LifeboatError(.invalidInput, "-o is for --report", hint: "add --report html or --report md")
        }
        let db = try await Runtime.openExistingStore(store)
        if let report {
            try await writeReport(report, query: query, db: db, now: now)
        } else if summary {
            try printSummary(try await db.historySummary(query, last: last))
        } else {
            try await printRuns(try await db.measuredRuns(query), filtered: query != HistoryQuery(limit: query.limit), store: db)
        }
    }

    private func printRuns(_ entries: [MeasuredRun], filtered: Bool, store: any CommandStore) async throws {
        if output.json {
            try JSONOutput.print(entries)
            return
        }
        if entries.isEmpty {
            Console.out("no runs" + (filtered ? " match these filters" : ""))
            return
        }
        let pad = PredictionText.pad
        let ms = DurationText.format(milliseconds:)
        Console.out(pad("RUN", 22) + pad("PLAN / SCENARIO", 38) + pad("MODE", 9) + pad("STATUS", 26) + pad("STARTED (UTC)", 21) + "RTO")
        for e in entries {
            let r = e.run
            var rto = "—"
            if let m = e.measurement, let achieved = m.rto.achievedMs {
                rto = ms(achieved) + (m.rto.objectiveMs.map { " / \(ms($0)) " + m.rto.verdict.rawValue } ?? "")
            }
            if let outage = e.measurement?.outage { rto += " · outage seen " + outage.text }
            let started = String(EventText.timestamp(r.createdAtMs).prefix(19)).replacingOccurrences(of: "T", with: " ")
            let status = e.outcomeText + (await ExecutorText.suffix(r, store: store))
            Console.out(pad(r.id, 22) + pad("\(r.planID) / \(r.scenario)", 38) + pad(r.mode.rawValue, 9) + pad(status, 26) + pad(started, 21) + rto)
        }
    }

    private func printSummary(_ groups: [HistorySummaryGroup]) throws {
        if output.json {
            try JSONOutput.print(groups)
            return
        }
        if groups.isEmpty {
            Console.out("no ended runs match these filters")
            return
        }
        let pad = PredictionText.pad
        let ms: (Int64?) -> String = { $0.map { DurationText.format(milliseconds: $0) } ?? "—" }
        Console.out(
            pad("PLAN / SCENARIO", 38) + pad("MODE", 9) + pad("RUNS", 7) + pad("OK", 16)
                + pad("RTO OBJ", 9) + pad("LAST", 9) + pad("P50", 9) + pad("P95", 9) + pad("TREND", 17)
                + pad("RPO OBJ", 9) + pad("LAST", 9) + "P95")
        for g in groups {
            Console.out(
                pad("\(g.planID) / \(g.scenario)", 38) + pad(g.mode.rawValue, 9) + pad(String(g.runs), 7)
                    + pad(String(Int((g.successRate * 100).rounded())) + "%"
                          + (g.succeededForced > 0 ? " (\(g.succeededForced) forced)" : ""), 16)
                    + pad(ms(g.rto.objectiveMs), 9) + pad(ms(g.rto.lastMs), 9) + pad(ms(g.rto.p50Ms), 9)
                    + pad(ms(g.rto.p95Ms), 9) + pad(g.rto.trend.rawValue, 17)
                    + pad(ms(g.rpo.objectiveMs), 9) + pad(ms(g.rpo.lastMs), 9) + ms(g.rpo.p95Ms))
            if !g.rto.series.isEmpty {
                Console.out("    RTO last \(g.rto.series.count): " + g.rto.series.map { ms($0) }.joined(separator: " → "))
            }
            if let outage = g.lastOutage { Console.out("    outage seen in the last run that measured it: " + outage.text) }
        }
    }

    private func writeReport(_ format: HistoryReportFormat, query: HistoryQuery, db: any CommandStore, now: Int64) async throws {
        guard let planID = query.planID else {
            throw LifeboatError(.invalidInput, "--report needs --plan", hint: "add --plan PLAN_ID (see `lifeboat history`)")
        }
        var runsQuery = query
        runsQuery.limit = limit ?? 500
        let report = HistoryReport(
            planID: planID, sinceMs: query.sinceMs, untilMs: query.untilMs, generatedAtMs: now,
            groups: try await db.historySummary(query, last: last), runs: try await db.measuredRuns(runsQuery))
        let text = format == .html ? report.html() : report.markdown()
        if let outputFile {
            try AtomicFile.write(text, to: outputFile)
            Console.err("wrote \(outputFile)")
        } else {
            Console.out(text, terminator: "")
        }
    }
}
