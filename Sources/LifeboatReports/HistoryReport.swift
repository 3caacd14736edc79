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
                Self.ms(g.rpo.objectiveMs), Self.ms(g.rpo.lastMs), Self.ms(g.rpo.p95Ms),
            ]
        }
    }

    static let summaryHeader = [
        "scenario", "mode", "runs", "success", "RTO objective", "RTO last", "RTO p50", "RTO p95", "RTO met",
        "RTO trend", "RPO objective", "RPO last", "RPO p95",
    ]

    var runRows: [[String]] {
        runs.map { m in
            let r = m.run
            let f = m.measurement
            return [
                r.id, r.scenario, r.mode.rawValue, r.status.rawValue, UTCCalendar.iso(r.createdAtMs),
                Self.ms(f?.rto.achievedMs), f?.rto.verdict.rawValue ?? "—", Self.ms(f?.rto.humanWaitMs),
                Self.ms(f?.rpo.achievedMs), f.map { r in r.rpo.verdict.rawValue + (r.rpo.exact == false ? " (bound)" : "") } ?? "—",
            ]
        }
    }

    static let runHeader = [
        "run", "scenario", "mode", "status", "started (UTC)", "RTO", "RTO verdict", "human wait", "RPO", "RPO verdict",
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

    public func html() -> String {
        func esc(_ s: String) -> String { Self.escapeHTML(s) }
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>\n"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>\n" }.joined()
                + "</tbody></table>\n"
        }
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>DR history: \(esc(planID))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:1em 0;font-size:.9em}
            th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
            th{background:#f3f3f3}
            .chart{margin:1em 0}
            .chart text{font-size:11px;fill:#555}
            </style></head><body>

            """
        out += "<h1>DR history: \(esc(planID))</h1>\n"
        out += "<p>Runs created from \(esc(rangeText)). Generated \(esc(UTCCalendar.iso(generatedAtMs))) by lifeboat.</p>\n"
        out += "<h2>Summary per scenario and mode</h2>\n"
        out += groups.isEmpty ? "<p>No ended runs in this range.</p>\n" : table(Self.summaryHeader, summaryRows)
        out += "<h2>RTO per drill</h2>\n"
        let scenarios = runs.reduce(into: [String]()) { if !$0.contains($1.run.scenario) { $0.append($1.run.scenario) } }
        var charts = 0
        for scenario in scenarios.sorted() {
            let points = runs.reversed().filter {
                $0.run.scenario == scenario && $0.run.mode != .tabletop && $0.measurement?.rto.achievedMs != nil
            }
            guard !points.isEmpty else { continue }
            out += "<h3>\(esc(scenario))</h3>\n" + Self.chart(points)
            charts += 1
        }
        if charts == 0 { out += "<p>No drill in this range reached its RTO window's end.</p>\n" }
        out += "<h2>Runs</h2>\n"
        out += runs.isEmpty ? "<p>No runs in this range.</p>\n" : table(Self.runHeader, runRows)
        out += "</body></html>\n"
        return out
    }

    /// An inline SVG line chart of achieved RTO per run (oldest first) with the objective as a
    /// dashed red line.
    static func chart(_ points: [MeasuredRun]) -> String {
        let width = 640.0, height = 220.0, left = 60.0, right = 10.0, top = 10.0, bottom = 30.0
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
        svg += "<text x=\"4\" y=\"\(f(top + 10))\">\(escapeHTML(ms(Int64(maxValue))))</text>\n"
        svg += "<text x=\"4\" y=\"\(f(top + plotH))\">0</text>\n"
        if let objective {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(objective)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(objective)))\" "
                + "stroke=\"#c00\" stroke-dasharray=\"6 4\"/>\n"
            svg += "<text x=\"\(f(width - right - 120))\" y=\"\(f(y(objective) - 4))\" style=\"fill:#c00\">objective "
                + "\(escapeHTML(ms(Int64(objective))))</text>\n"
        }
        let path = values.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#06c\" stroke-width=\"2\" points=\"\(path)\"/>\n"
        for (i, p) in points.enumerated() {
            let missed = p.measurement?.rto.verdict == .missed
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(values[i])))\" r=\"3\" fill=\"\(missed ? "#c00" : "#06c")\">"
                + "<title>\(escapeHTML(p.run.id)): \(escapeHTML(ms(Int64(values[i]))))</title></circle>\n"
        }
        svg += "<text x=\"\(f(left))\" y=\"\(f(height - 8))\">\(escapeHTML(UTCCalendar.date(points.first!.run.createdAtMs)))</text>\n"
        svg += "<text x=\"\(f(width - right - 70))\" y=\"\(f(height - 8))\">\(escapeHTML(UTCCalendar.date(points.last!.run.createdAtMs)))</text>\n"
        return svg + "</svg>\n"
    }

    /// Escapes `& < > " '` for HTML text and attribute values.
    public static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
