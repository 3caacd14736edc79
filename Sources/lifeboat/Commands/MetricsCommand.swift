import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatReports
import LifeboatStore

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Prometheus metrics: RTO/RPO of the last drill per plan and scenario, objectives, schedule status.",
        discussion: """
            Prints the Prometheus text exposition format, or writes it atomically (temp file + rename)
            for node_exporter's textfile collector with --textfile.

            Examples:
              lifeboat metrics
              lifeboat metrics plans/ --textfile /var/lib/node_exporter/textfile/lifeboat.prom
            """)

    @Argument(help: "Plan files or folders, for the schedule metrics (default: plans).") var paths: [String] = []
    @Option(help: ArgumentHelp("Write to this file atomically instead of stdout (name it *.prom).", valueName: "path"))
    var textfile: String?
    @OptionGroup var clock: NowOption
    @OptionGroup var store: StoreOptions
    @Flag(name: .long, help: "Print the figures behind the metrics as JSON (last drills, schedule) instead of Prometheus text.")
    var json = false

    func run() async throws {
        let now = try clock.resolve()
        let folders = paths.isEmpty ? ["plans"] : paths
        // Without a plans folder (e.g. on a metrics host) the run metrics still come out.
        var plans: [ScheduleCompliance.PlanInfo] = []
        if !paths.isEmpty || FileManager.default.fileExists(atPath: "plans") {
            plans = try PlanFinder.plans(in: folders)
        }
        var latest: [ScheduleCompliance.LatestRun] = []
        var drills: [EvidenceMetrics.LastDrill] = []
        if let db = try await Runtime.storeIfAny(store) {
            latest = try await db.latestSucceededRuns()
            drills = try await db.lastDrills()
        }
        let schedule = ScheduleCompliance.evaluate(plans: plans, latest: latest, now: now)
        if json {
            if textfile != nil { throw LifeboatError(.invalidInput, "--textfile writes Prometheus text", hint: "drop --json or --textfile") }
            try JSONOutput.print(MetricsFigures(lastDrills: drills, schedule: schedule, atMs: now))
            return
        }
        let text = EvidenceMetrics.render(lastDrills: drills, schedule: schedule, now: now)
        if let textfile {
            try AtomicFile.write(text, to: textfile)
        } else {
            Console.out(text, terminator: "")
        }
    }
}

/// `metrics --json`: the figures the Prometheus text is rendered from.
struct MetricsFigures: Encodable {
    var lastDrills: [EvidenceMetrics.LastDrill]
    var schedule: [ScheduleCompliance.PlanStatus]
    var atMs: Int64
}
