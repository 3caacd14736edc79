import ArgumentParser
import Foundation
import LifeboatCore

/// "Now" for history, status and metrics: the hidden `--now` option, else `$LIFEBOAT_NOW`, else
/// the system clock. Tests pin it to place runs at chosen dates.
struct NowOption: ParsableArguments {
    @Option(help: .hidden) var now: String?

    func resolve() throws -> Int64 {
        let text = now ?? ProcessInfo.processInfo.environment["LIFEBOAT_NOW"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
        guard let ms = UTCCalendar.parseISO(text) else {
            throw LifeboatError(
                .invalidInput, "now '\(text)' (from --now or LIFEBOAT_NOW) is not a date",
                hint: "write an ISO date or time in UTC, e.g. 2026-11-29 or 2026-11-29T03:15:00Z")
        }
        return ms
    }
}

/// `--since` / `--until`: ISO dates or times (UTC), or durations back from now.
struct TimeRangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only runs created at or after this time: 2026-01-01, 2026-01-01T09:00:00Z, or a duration back from now like 90d, 12h, 2w.", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Only runs created before this time (same forms as --since).", valueName: "time"))
    var until: String?

    func resolve(now: Int64) throws -> (since: Int64?, until: Int64?) {
        func parse(_ text: String?, _ flag: String) throws -> Int64? {
            guard let text else { return nil }
            guard let ms = TimeBound.parse(text, now: now) else {
                throw LifeboatError(
                    .invalidInput, "\(flag) \(text) is neither a date nor a duration",
                    hint: "write e.g. \(flag) 2026-01-01, \(flag) 2026-01-01T09:00:00Z or \(flag) 90d")
            }
            return ms
        }
        let range = (try parse(since, "--since"), try parse(until, "--until"))
        if let s = range.0, let u = range.1, s >= u {
            throw LifeboatError(.invalidInput, "--since \(since!) is not before --until \(until!)", hint: "swap them")
        }
        return range
    }
}

/// Finds the plans under files and folders for `status` and `metrics`.
enum PlanFinder {
    static func plans(in paths: [String]) throws -> [ScheduleCompliance.PlanInfo] {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw LifeboatError(.notFound, "no plan file or folder at \(path)", hint: "pass the folder holding your plans, e.g. plans/")
            }
            if isDir.boolValue {
                let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                files += found.map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        var plans: [ScheduleCompliance.PlanInfo] = []
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                text.split(separator: "\n").contains(where: { $0.hasPrefix("plan:") })
            else { continue }
            let plan = try Runtime.loader.loadPlan(at: file)
            plans.append(.init(
                planID: plan.id, path: file, scenarios: plan.scenarios.map(\.name), schedule: plan.schedule,
                cadenceScenarios: plan.cadenceScenarios))
        }
        return plans
    }
}
