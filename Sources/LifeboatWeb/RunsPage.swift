import Foundation
import LifeboatCore
import LifeboatReports
import LifeboatStore

/// `GET /`: the runs, filtered as `history` filters them (plan, scenario, mode, status, since,
/// until: the same words in the query string), with the per scenario and mode summary and the RTO
/// chart of the history report; each run's id links to its page.
enum RunsPage {
    struct Filters {
        var query: HistoryQuery
        var text: [String: String]
        var problem: String?

        init(_ parameters: [String: String], nowMs: Int64) {
            text = parameters
            query = HistoryQuery(limit: 200)
            query.planID = parameters["plan"].nonEmpty
            query.scenario = parameters["scenario"].nonEmpty
            if let mode = parameters["mode"].nonEmpty {
                query.mode = RunMode(rawValue: mode == "real" ? "execute" : mode)
                if query.mode == nil { problem = "mode '\(mode)' is not execute, drill or tabletop" }
            }
            if let status = parameters["status"].nonEmpty {
                query.status = RunStatus(rawValue: status)
                if query.status == nil { problem = "status '\(status)' is not one of " + RunStatus.allCases.map(\.rawValue).joined(separator: ", ") }
            }
            for (name, bound) in [("since", \HistoryQuery.sinceMs), ("until", \HistoryQuery.untilMs)] {
                guard let value = parameters[name].nonEmpty else { continue }
                guard let ms = TimeBound.parse(value, now: nowMs) else {
                    problem = "\(name) '\(value)' is not a date (2026-11-30), a time (2026-11-30T14:00:00Z) or an age (7d, 12h)"
                    continue
                }
                query[keyPath: bound] = ms
            }
        }
    }

    static func render(store: any EvidenceStore, storeName: String, parameters: [String: String], nowMs: Int64) async throws -> String {
        let filters = Filters(parameters, nowMs: nowMs)
        let runs = try await store.measuredRuns(filters.query)
        let groups = try await store.historySummary(filters.query, last: 10)
        let report = HistoryReport(
            planID: filters.query.planID ?? "all plans", sinceMs: filters.query.sinceMs, untilMs: filters.query.untilMs,
            generatedAtMs: nowMs, groups: groups, runs: runs)
        let form = HTMLReport.section("Filters", filters.problem.map { "Not applied: " + $0 }, form(filters))
        return report.html(
            runLink: { "/runs/" + $0 },
            adding: HTMLReport.Additions(
                head: "<style>\(WarRoomPage.css)</style>\n",
                beforeMain: WarRoomPage.navigation(store: storeName) + "<div class=\"live\">" + form + "</div>\n"))
    }

    private static func form(_ filters: Filters) -> String {
        let h = ReportText.html
        func field(_ name: String, _ placeholder: String) -> String {
            "<label>\(name) <input name=\"\(name)\" value=\"\(h(filters.text[name] ?? ""))\" placeholder=\"\(h(placeholder))\"></label>"
        }
        return "<form class=\"filters\" method=\"get\" action=\"/\">"
            + field("plan", "plan id") + field("scenario", "scenario") + field("mode", "drill, execute, tabletop")
            + field("status", "succeeded, failed, …") + field("since", "7d or 2026-11-01") + field("until", "2026-12-01")
            + "<button type=\"submit\">Show</button></form>\n"
    }
}

extension Optional where Wrapped == String {
    /// The text, or nil when it is missing or blank.
    var nonEmpty: String? {
        guard let text = self?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }
}
