import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

struct StatusCommand: AsyncParsableCommand {
    /// Exit status of `status --check` when a scheduled test is overdue or was never run.
    static let overdueExit: Int32 = 7

    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Schedule compliance: for each plan's tabletop / failover / full cadence, the last qualifying run and when the next is due.",
        discussion: """
            Which succeeded runs count (dated by when they ended):
              tabletop  a completed tabletop, or a drill or real execution, of any scenario
              failover  a drill or real execution of any scenario
              full      a drill or real execution of every scenario; dated by the oldest of them
            The next is due one period later (calendar months, UTC; weekly = 7 days). Never run = overdue.
            With --check the exit status is 7 when anything is overdue (for CI), else 0.

            Examples:
              lifeboat status
              lifeboat status plans/ --check
              lifeboat status plans/payment-platform.yaml --json
            """)

    @Argument(help: "Plan files or folders to search for plans (default: plans).") var paths: [String] = []
    @Flag(help: "Exit 7 when any scheduled test is overdue or was never run.") var check = false
    @OptionGroup var clock: NowOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let now = try clock.resolve()
        let plans = try PlanFinder.plans(in: paths.isEmpty ? ["plans"] : paths)
        var latest: [ScheduleCompliance.LatestRun] = []  // no store yet: nothing has run
        if let db = try await Runtime.storeIfAny(store) { latest = try await db.latestSucceededRuns() }
        let statuses = ScheduleCompliance.evaluate(plans: plans, latest: latest, now: now)
        let overdue = statuses.contains { $0.overdue }
        if output.json {
            struct Report: Encodable {
                var now: String
                var overdue: Bool
                var plans: [ScheduleCompliance.PlanStatus]
            }
            try JSONOutput.print(Report(now: UTCCalendar.iso(now), overdue: overdue, plans: statuses))
        } else {
            print(statuses, now: now)
        }
        if check && overdue { throw ExitCode(Self.overdueExit) }
    }

    private func print(_ statuses: [ScheduleCompliance.PlanStatus], now: Int64) {
        if statuses.isEmpty {
            Console.out("no plans found under " + (paths.isEmpty ? ["plans"] : paths).joined(separator: ", "))
            return
        }
        let pad = PredictionText.pad
        Console.out(pad("PLAN", 24) + pad("CADENCE", 10) + pad("EVERY", 12) + pad("STATE", 10) + pad("LAST (UTC)", 12) + pad("DUE (UTC)", 12) + "BASIS")
        for plan in statuses {
            if plan.cadences.isEmpty {
                Console.out(pad(plan.planID, 24) + "no schedule in \(plan.path)")
            }
            for c in plan.cadences {
                let state = c.state == .ok ? "ok" : c.state == .never ? "NEVER" : "OVERDUE"
                Console.out(
                    pad(plan.planID, 24) + pad(c.cadence.rawValue, 10) + pad(c.frequency.rawValue, 12) + pad(state, 10)
                        + pad(c.lastAtMs.map(UTCCalendar.date) ?? "—", 12) + pad(c.dueAtMs.map(UTCCalendar.date) ?? "now", 12)
                        + c.basis + (c.lastRunID.map { " (run \($0))" } ?? ""))
            }
        }
    }
}
