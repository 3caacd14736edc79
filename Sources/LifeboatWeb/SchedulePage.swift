import LifeboatCore
import LifeboatReports

/// `GET /status`: schedule compliance as `lifeboat status` computes it, from the plans the server
/// was given (`--plans`), overdue and never-run tests first.
enum SchedulePage {
    static func render(
        plans: [ScheduleCompliance.PlanInfo]?, latest: [ScheduleCompliance.LatestRun], storeName: String, nowMs: Int64
    ) -> String {
        let h = ReportText.html
        var body: String
        if let plans {
            let statuses = ScheduleCompliance.evaluate(plans: plans, latest: latest, now: nowMs)
            let rows = statuses.flatMap { plan in plan.cadences.map { (plan, $0) } }
                .sorted { ($0.1.overdue ? 0 : 1, $0.0.planID) < ($1.1.overdue ? 0 : 1, $1.0.planID) }
            body = "<table><thead><tr><th>plan</th><th>test</th><th>every</th><th>state</th><th>last (UTC)</th><th>due (UTC)</th><th>basis</th></tr></thead><tbody>\n"
            for (plan, c) in rows {
                let state = c.state == .ok ? "ok" : c.state == .never ? "NEVER RUN" : "OVERDUE"
                let last = c.lastRunID.map { "<a href=\"/runs/\(h($0))\">\(h(c.lastAtMs.map(UTCCalendar.date) ?? $0))</a>" } ?? "—"
                body += "<tr\(c.overdue ? " class=\"overdue\"" : "")><td>\(h(plan.planID))</td><td>\(h(c.cadence.rawValue))</td>"
                    + "<td>\(h(c.frequency.rawValue))</td><td>\(state)</td><td>\(last)</td>"
                    + "<td>\(h(c.dueAtMs.map(UTCCalendar.date) ?? "now"))</td><td>\(h(c.basis))</td></tr>\n"
            }
            body += "</tbody></table>\n"
            let unscheduled = statuses.filter { $0.cadences.isEmpty }.map { h($0.planID) }
            if !unscheduled.isEmpty { body += "<p class=\"muted\">No schedule in: \(unscheduled.joined(separator: ", "))</p>\n" }
            if statuses.isEmpty { body = "<p>No plans found where the server looks (<code>--plans</code>).</p>\n" }
        } else {
            body = "<p>Start the server with <code>--plans DIR</code> (the plans folder) to see when each scheduled DR test is due.</p>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>DR test schedule</title>
            <style>\(HTMLStyle.css)</style><style>\(WarRoomPage.css)</style></head><body>
            <header>
              <div class="eyebrow">Lifeboat · schedule compliance</div>
              <h1>DR test schedule</h1>
              <div class="sub">As of \(h(UTCCalendar.iso(nowMs))) · overdue and never-run tests first</div>
            </header>
            \(WarRoomPage.navigation(store: storeName))<main>
            \(HTMLReport.section("Scheduled tests", "Which runs count: the same rules as lifeboat status.", body))</main>
            </body></html>

            """
    }
}
