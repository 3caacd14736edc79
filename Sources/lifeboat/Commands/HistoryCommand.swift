import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List runs, newest first, with their outcome and RTO against the objective.",
        discussion: """
            Examples:
              lifeboat history
              lifeboat history --plan payment-platform --scenario region-failure --mode drill --json
            """)

    @Option(help: "Only runs of this plan id.") var plan: String?
    @Option(help: "Only runs of this scenario.") var scenario: String?
    @Option(help: "Only runs in this mode: execute, drill, tabletop.") var mode: String?
    @Option(help: "Only runs with this status (succeeded, failed, paused, aborted, …).") var status: String?
    @Option(help: "At most this many runs.") var limit = 50
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONFlag

    struct Entry: Encodable {
        var run: RunRecord
        var measurement: RunMeasurement?
    }

    func run() async throws {
        var filter = RunFilter(planID: plan, scenario: scenario, limit: limit)
        if let mode {
            guard let m = RunMode(rawValue: mode) else {
                throw LifeboatError(.invalidInput, "--mode \(mode): use one of " + RunMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            filter.mode = m
        }
        if let status {
            guard let s = RunStatus(rawValue: status) else {
                throw LifeboatError(.invalidInput, "--status \(status): use one of " + RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            filter.status = s
        }
        let db = try Runtime.openExistingStore(store)
        var entries: [Entry] = []
        for run in try await db.runs(matching: filter) {
            entries.append(Entry(run: run, measurement: RunMeasurement.compute(try await db.events(of: run.id))))
        }
        if output.json {
            try JSONOutput.print(entries)
            return
        }
        if entries.isEmpty {
            Console.out("no runs" + (filter == RunFilter(limit: limit) ? "" : " match these filters"))
            return
        }
        let pad = PredictionText.pad
        let ms = DurationText.format(milliseconds:)
        Console.out(pad("RUN", 22) + pad("PLAN / SCENARIO", 38) + pad("MODE", 9) + pad("STATUS", 16) + pad("STARTED (UTC)", 21) + "RTO")
        for e in entries {
            let r = e.run
            var rto = "—"
            if let m = e.measurement, let achieved = m.rto.achievedMs {
                rto = ms(achieved) + (m.rto.objectiveMs.map { " / \(ms($0)) " + m.rto.verdict.rawValue } ?? "")
            }
            let started = String(EventText.timestamp(r.createdAtMs).prefix(19)).replacingOccurrences(of: "T", with: " ")
            let status = r.status.rawValue + (r.pauseReason.map { " (\($0.rawValue))" } ?? "")
            Console.out(pad(r.id, 22) + pad("\(r.planID) / \(r.scenario)", 38) + pad(r.mode.rawValue, 9) + pad(status, 16) + pad(started, 21) + rto)
        }
    }
}
