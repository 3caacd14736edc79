import LifeboatCore
/// The history report of one plan over a time range (`lifeboat history --report html|md`):
/// the per scenario and mode summary, an RTO chart per scenario with the objective line (HTML),
/// and every run in the range. Pure: the caller gathers the data and writes the text.
public struct HistoryReport: Sendable {
    public var planID: String
    public var sinceMs: Int64?
    public var untilMs: Int64?
    public var generatedAtMs: Int64
    public var groups: [HistorySummaryGroup]
    /// Newest first, as `history` lists them.
    public var runs: [MeasuredRun]

    public init(
        planID: String, sinceMs: Int64?, untilMs: Int64?, generatedAtMs: Int64, groups: [HistorySummaryGroup],
        runs: [MeasuredRun]
    ) {
        self.planID = planID
        self.sinceMs = sinceMs
        self.untilMs = untilMs
        self.generatedAtMs = generatedAtMs
        self.groups = groups
        self.runs = runs
    }

    var rangeText: String {
        let from = sinceMs.map(UTCCalendar.iso) ?? "the first run"
        let to = untilMs.map(UTCCalendar.iso) ?? "now"
        return "\(from) to \(to)"
    }

    static func ms(_ value: Int64?) -> String { value.map { DurationText.format(milliseconds: $0) } ?? "—" }

    static func percent(_ rate: Double) -> String { String(Int((rate * 100).rounded())) + " %" }

    /// The summary table's rows as cells (shared by Markdown and HTML).
    var summaryRows: [[String]] {
        groups.map { g in
            [
                g.scenario, g.mode.rawValue, String(g.runs), Self.percent(g.successRate),
                Self.ms(g.rto.objectiveMs), Self.ms(g.rto.lastMs), Self.ms(g.rto.p50Ms), Self.ms(g.rto.p95Ms),
                "\(g.rto.met)/\(g.rto.met + g.rto.missed)", g.rto.trend.rawValue,
                Self.ms(g.rpo.objectiveMs), Self.ms(g.rpo.lastMs), Self.ms(g.rpo.p95Ms), g.lastOutage?.text ?? "—",
            ]
        }
    }

    static let summaryHeader = [
        "scenario", "mode", "runs", "success", "RTO objective", "RTO last", "RTO p50", "RTO p95", "RTO met",
        "RTO trend", "RPO objective", "RPO last", "RPO p95", "outage seen last",
    ]

    var runRows: [[String]] {
        runs.map { m in
            let r = m.run
            let f = m.measurement
            return [
                r.id, r.scenario, r.mode.rawValue, r.status.rawValue, UTCCalendar.iso(r.createdAtMs),
                Self.ms(f?.rto.achievedMs), f?.rto.verdict.rawValue ?? "—", Self.ms(f?.rto.humanWaitMs), f?.outage?.text ?? "—",
                f?.rpo.notBounded == true ? "not bounded" : Self.ms(f?.rpo.achievedMs), f.map { r in r.rpo.verdict.rawValue + (r.rpo.exact == false ? " (bound)" : "") } ?? "—",
            ]
        }
    }

    static let runHeader = [
        "run", "scenario", "mode", "status", "started (UTC)", "RTO", "RTO verdict", "human wait", "outage seen", "RPO",
        "RPO verdict",
    ]

    // MARK: Markdown

    public func markdown() -> String {
        func table(_ header: [String], _ rows: [[String]]) -> String {
            func line(_ cells: [String]) -> String {
                "| " + cells.map { $0.replacing("|", with: "\\|") }.joined(separator: " | ") + " |\n"
            }
            return line(header) + line(header.map { _ in "---" }) + rows.map(line).joined()
        }
        var out = "# DR history: \(planID)\n\n"
        out += "Runs created from \(rangeText). Generated \(UTCCalendar.iso(generatedAtMs)) by lifeboat.\n\n"
        out += "## Summary per scenario and mode\n\n"
        out += groups.isEmpty ? "No ended runs in this range.\n\n" : table(Self.summaryHeader, summaryRows) + "\n"
        for g in groups where !g.rto.series.isEmpty {
            out += "- \(g.scenario) (\(g.mode.rawValue)) RTO of the last \(g.rto.series.count): "
                + g.rto.series.map { Self.ms($0) }.joined(separator: ", ") + " — \(g.rto.trend.rawValue)\n"
        }
        out += "\n## Runs\n\n"
        out += runs.isEmpty ? "No runs in this range.\n" : table(Self.runHeader, runRows)
        return out
    }

    // MARK: HTML

    /// The page; `runLink` (a run id → its address) makes each run's id a link (`lifeboat serve`).
    public func html(runLink: ((String) -> String)? = nil, adding additions: HTMLReport.Additions = HTMLReport.Additions()) -> String {
        let h = ReportText.html
        func table(_ header: [String], _ rows: [[String]], linkFirst: Bool = false) -> String {
            "<table><thead><tr>" + header.map { "<th>\(h($0))</th>" }.joined() + "</tr></thead><tbody>\n"
                + rows.map { row in
                    "<tr>" + row.enumerated().map { column, text in
                        if column == 0, linkFirst, let runLink { return "<td><a href=\"\(h(runLink(text)))\">\(h(text))</a></td>" }
                        return "<td>\(h(text))</td>"
                    }.joined() + "</tr>\n"
                }.joined()
                + "</tbody></table>\n"
        }
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="lifeboat history --report">
            <title>DR history: \(h(planID))</title>
            <style>\(HTMLStyle.css)</style>\(additions.head)</head><body>
            <header>
              <div class="eyebrow">Lifeboat · disaster-recovery history</div>
              <h1>\(h(planID))</h1>
              <div class="sub">Runs created from \(h(rangeText)) · generated \(h(UTCCalendar.iso(generatedAtMs)))</div>
            </header>
            \(additions.beforeMain)<main>

            """
        out += HTMLReport.section(
            "Summary per scenario and mode", nil,
            groups.isEmpty ? "<p>No ended runs in this range.</p>\n" : table(Self.summaryHeader, summaryRows))
        let scenarios = runs.reduce(into: [String]()) { if !$0.contains($1.run.scenario) { $0.append($1.run.scenario) } }
        var charts = ""
        for scenario in scenarios.sorted() {
            let points = runs.reversed().filter {
                $0.run.scenario == scenario && $0.run.mode != .tabletop && $0.measurement?.rto.achievedMs != nil
            }
            guard !points.isEmpty else { continue }
            charts += "<h3>\(h(scenario))</h3>\n" + Self.chart(points)
        }
        out += HTMLReport.section(
            "RTO per drill", "Each point is one run (oldest left), labelled with the end of its id; the dashed line is the objective.",
            charts.isEmpty ? "<p>No drill in this range reached its RTO window's end.</p>\n" : charts)
        out += HTMLReport.section("Runs", nil, runs.isEmpty ? "<p>No runs in this range.</p>\n" : table(Self.runHeader, runRows, linkFirst: true))
        out += "</main>\n<footer>Generated by <b>lifeboat history --report</b> from the store's runs</footer>\n</body></html>\n"
        return out
    }

    /// An inline SVG line chart of achieved RTO per run (oldest first) with the objective as a
    /// dashed red line.
    static func chart(_ points: [MeasuredRun]) -> String {
        let width = 1000.0, height = 260.0, left = 60.0, right = 20.0, top = 14.0, bottom = 56.0
        let values = points.map { Double($0.measurement?.rto.achievedMs ?? 0) }
        let objective = points.last?.measurement?.rto.objectiveMs.map(Double.init)
        let maxValue = max((values + [objective ?? 0]).max() ?? 1, 1) * 1.1
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ i: Int) -> Double { left + (points.count == 1 ? plotW / 2 : plotW * Double(i) / Double(points.count - 1)) }
        func y(_ v: Double) -> Double { top + plotH - plotH * v / maxValue }
        func f(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
        var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"RTO achieved per drill\">\n"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\" stroke=\"#999\"/>\n"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#999\"/>\n"
        svg += "<text x=\"4\" y=\"\(f(top + 10))\">\(ReportText.html(ms(Int64(maxValue))))</text>\n"
        svg += "<text x=\"4\" y=\"\(f(top + plotH))\">0</text>\n"
        if let objective {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(objective)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(objective)))\" "
                + "stroke=\"#c00\" stroke-dasharray=\"6 4\"/>\n"
            svg += "<text x=\"\(f(width - right - 120))\" y=\"\(f(y(objective) - 4))\" fill=\"#c00\">objective "
                + "\(ReportText.html(ms(Int64(objective))))</text>\n"
        }
        let path = values.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#06c\" stroke-width=\"2\" points=\"\(path)\"/>\n"
        // Each point names its run; with many points only every k-th carries a visible label.
        let every = max(1, Int((Double(points.count) / 10).rounded(.up)))
        for (i, p) in points.enumerated() {
            let missed = p.measurement?.rto.verdict == .missed
            let when = ReportText.readableTime(p.run.createdAtMs)
            svg += "<circle class=\"point\" data-run=\"\(ReportText.html(p.run.id))\" cx=\"\(f(x(i)))\" cy=\"\(f(y(values[i])))\" r=\"4\" "
                + "fill=\"\(missed ? "#c00" : "#06c")\"><title>\(ReportText.html("\(p.run.id) · \(when) · RTO \(ms(Int64(values[i])))"))</title></circle>\n"
            if i % every == 0 || i == points.count - 1 {
                svg += "<text class=\"point-label\" x=\"\(f(x(i)))\" y=\"\(f(y(values[i]) - 8))\" text-anchor=\"middle\">"
                    + "\(ReportText.html(String(p.run.id.suffix(4))))</text>\n"
            }
        }
        // The axis: the first and the last run's date and time (UTC).
        let first = ReportText.readableTime(points.first!.run.createdAtMs)
        let last = ReportText.readableTime(points.last!.run.createdAtMs)
        svg += "<text x=\"\(f(left))\" y=\"\(f(height - 30))\">\(ReportText.html(first))</text>\n"
        svg += "<text x=\"\(f(width - right))\" y=\"\(f(height - 30))\" text-anchor=\"end\">\(ReportText.html(last))</text>\n"
        return svg + "</svg>\n"
    }
}
