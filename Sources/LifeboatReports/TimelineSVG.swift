import LifeboatCore
/// Draws a report's timeline as an inline SVG: lanes of attempt bars on a time axis with ticks,
/// retry backoff gaps, hatched approval waits and the RTO target and achieved lines.
enum TimelineSVG {
    static let width = 1100.0
    static let left = 58.0
    static let right = 28.0
    static let top = 34.0
    static let laneHeight = 32.0
    static let barHeight = 20.0
    /// Every bar is at least this wide, so that a step of a long run stays visible and clickable
    /// (its true duration is in its tooltip).
    static let minimumBarWidth = 22.0
    static var plotWidth: Double { width - left - right }

    static func render(_ report: RunReport) -> String {
        let h = ReportText.html
        let t = report.timeline
        let span = Double(max(t.spanMs, 1))
        func x(_ ms: Int64) -> Double { left + Double(ms) / span * plotWidth }
        let position = Dictionary(report.steps.map { ($0.id, $0.position) }, uniquingKeysWith: { a, _ in a })

        // A step's label goes inside its first bar when it fits, else after the step's last bar; lay
        // the lanes out again with room for outside labels, so a label never overlaps the next bar.
        let msPerPx = span / plotWidth
        var firstBar: [String: ReportTimeline.Segment] = [:]
        for s in t.segments where s.kind != .backoff {
            if let seen = firstBar[s.step], seen.startMs <= s.startMs { continue }
            firstBar[s.step] = s
        }
        func labelInside(_ step: String) -> Bool {
            guard let bar = firstBar[step] else { return false }
            return Double(bar.durationMs) / msPerPx >= labelWidth(step) + 10
        }
        let (lane, laneCount) = ReportTimeline.partition(t.spans(position: position)) { s in
            let drawn = max(Double(s.endMs - s.startMs) / msPerPx, minimumBarWidth)
            return Int64((drawn + (labelInside(s.step) ? 0 : labelWidth(s.step) + 14)) * msPerPx)
        }
        let lanes = max(laneCount, 1)
        let plotBottom = top + Double(lanes) * laneHeight
        let height = plotBottom + 34 + (t.availability == nil ? 0 : stripHeight + 26)
        var out = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "role=\"img\" aria-label=\"Timeline of run \(h(report.run.runID))\" font-family=\"Inter, 'Segoe UI', Roboto, "
            + "'Liberation Sans', 'DejaVu Sans', Arial, sans-serif\" font-size=\"11\">\n"
        out += """
            <defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">\
            <rect width="7" height="7" fill="#fbe8b8"/><rect width="2.6" height="7" fill="#e3a72f"/></pattern></defs>

            """
        // Lane backgrounds and labels.
        for i in 0..<lanes {
            let y = top + Double(i) * laneHeight
            if i % 2 == 0 {
                out += "<rect x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(plotWidth))\" height=\"\(f(laneHeight))\" fill=\"#f7f9fc\"/>\n"
            }
            out += "<text x=\"\(f(left - 10))\" y=\"\(f(y + laneHeight / 2 + 4))\" text-anchor=\"end\" fill=\"#8a96a6\">lane \(i + 1)</text>\n"
        }
        // Approval waits shade the whole height: nothing on the critical path moves while people decide.
        for s in t.segments where s.kind == .approval {
            out += "<rect class=\"approval-band\" x=\"\(f(x(s.startMs)))\" y=\"\(f(top))\" width=\"\(f(max(x(s.endMs) - x(s.startMs), 1)))\" "
                + "height=\"\(f(plotBottom - top))\" fill=\"#f4c25a\" fill-opacity=\"0.13\"/>\n"
        }
        // Axis and grid.
        let step = tickStep(t.spanMs)
        var tick: Int64 = 0
        while tick <= t.spanMs {
            let tx = x(tick)
            out += "<line class=\"tick\" x1=\"\(f(tx))\" y1=\"\(f(top))\" x2=\"\(f(tx))\" y2=\"\(f(plotBottom + 4))\" stroke=\"#dde3eb\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(tx))\" y=\"\(f(plotBottom + 18))\" text-anchor=\"middle\" fill=\"#5f6b7a\">"
                + "\(tick == 0 ? "0" : "+" + h(ReportText.duration(tick)))</text>\n"
            tick += step
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(plotBottom))\" x2=\"\(f(width - right))\" y2=\"\(f(plotBottom))\" stroke=\"#9aa6b5\"/>\n"
        out += "<text x=\"\(f(width - right))\" y=\"\(f(plotBottom + 31))\" text-anchor=\"end\" fill=\"#8a96a6\">"
            + "time since start (UTC \(h(ReportText.readableTime(t.originMs))))</text>\n"

        // Segments, then labels on top.
        var spanEnds: [String: Int64] = [:]
        for s in t.segments { spanEnds[s.step] = max(spanEnds[s.step] ?? s.endMs, s.endMs) }
        let titles = Dictionary(report.steps.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        var labelled = Set<String>()
        var labels = ""
        for s in t.segments {
            let l = lane[s.step] ?? s.lane
            let y = top + Double(l) * laneHeight + (laneHeight - barHeight) / 2
            let w = max(x(s.endMs) - x(s.startMs), s.kind == .backoff ? 2 : minimumBarWidth)
            let x0 = min(x(s.startMs), width - right - w)
            let attrs = "data-step=\"\(h(s.step))\" data-kind=\"\(s.kind.rawValue)\" data-outcome=\"\(s.outcome.rawValue)\" "
                + "data-lane=\"\(l)\"" + (s.attempt.map { " data-attempt=\"\($0)\"" } ?? "")
            let tip = "<title>\(h(tooltip(s, title: titles[s.step] ?? s.step)))</title>"
            switch s.kind {
            case .backoff:
                let cy = y + barHeight / 2
                out += "<g class=\"seg\" \(attrs)>\(tip)<line x1=\"\(f(x0))\" y1=\"\(f(cy))\" x2=\"\(f(x0 + w))\" y2=\"\(f(cy))\" "
                    + "stroke=\"#8a96a6\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/></g>\n"
            default:
                out += "<rect class=\"seg\" \(attrs) x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(barHeight))\" "
                    + "rx=\"3\" \(fill(s))>\(tip)</rect>\n"
            }
            if s.kind != .backoff, !labelled.contains(s.step) {
                labelled.insert(s.step)
                let spanEnd = spanEnds[s.step] ?? s.endMs
                let lw = labelWidth(s.step)
                let drawnEnd = max(x(spanEnd), x0 + w)
                if labelInside(s.step) {
                    let color = s.kind == .approval ? "#5a3b00" : "#fff"
                    labels += "<text x=\"\(f(x0 + 6))\" y=\"\(f(y + barHeight / 2 + 4))\" fill=\"\(color)\" font-weight=\"600\">\(h(s.step))</text>\n"
                } else {
                    let ex = drawnEnd + 5
                    let anchorEnd = ex + lw > width - 4
                    labels += "<text x=\"\(f(anchorEnd ? x0 - 5 : ex))\" y=\"\(f(y + barHeight / 2 + 4))\" fill=\"#1b2533\" "
                        + "font-weight=\"600\"\(anchorEnd ? " text-anchor=\"end\"" : "")>\(h(s.step))</text>\n"
                }
            }
        }
        out += labels
        out += rtoLines(t, x: x, plotBottom: plotBottom)
        if let availability = t.availability { out += strip(availability, x: x, y: plotBottom + 56) }
        return out + "</svg>\n"
    }

    static let stripHeight = 12.0

    /// The availability strip: the probe's spans (green up, red down, grey not runnable) on the
    /// same axis, its name and what it measures above it.
    private static func strip(_ a: ReportAvailability, x: (Int64) -> Double, y: Double) -> String {
        let h = ReportText.html
        let what = a.measuresOutage ? "what users saw" : "steady-state probe"
        var out = "<text x=\"\(f(left))\" y=\"\(f(y - 5))\" fill=\"#5f6b7a\">availability: probe \(h(a.probe)) every "
            + "\(h(ReportText.duration(a.intervalMs))) (\(what))</text>\n"
        for span in a.spans {
            let color: String
            switch span.outcome {
            case .passed: color = "#2f9e6e"
            case .failed: color = "#d9473c"
            case .notRunnable: color = "#b8c0cc"
            }
            let x0 = x(max(span.startMs, 0))
            let w = max(x(span.endMs) - x0, 1)
            out += "<rect class=\"availability\" data-outcome=\"\(span.outcome)\" x=\"\(f(x0))\" y=\"\(f(y))\" "
                + "width=\"\(f(min(w, width - right - x0)))\" height=\"\(f(stripHeight))\" fill=\"\(color)\"><title>"
                + h("\(span.outcome == .passed ? "up" : span.outcome == .failed ? "down" : "not runnable") "
                    + "\(ReportText.duration(span.startMs))–\(ReportText.duration(span.endMs)) (\(span.samples) samples)")
                + "</title></rect>\n"
        }
        return out
    }

    private static func rtoLines(_ t: ReportTimeline, x: (Int64) -> Double, plotBottom: Double) -> String {
        var out = ""
        if let start = t.rtoStartMs, start > 0 {
            out += "<line class=\"rto-start\" x1=\"\(f(x(start)))\" y1=\"\(f(top - 4))\" x2=\"\(f(x(start)))\" y2=\"\(f(plotBottom))\" "
                + "stroke=\"#5f6b7a\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>\n"
        }
        let target = t.rtoTargetMs, achieved = t.rtoAchievedMs
        // Put each label on the side away from the other line.
        let targetLeft = achieved.map { $0 > (target ?? 0) } ?? false
        if let target {
            // A target beyond the run is drawn at the right edge, its label on a row of its own.
            let beyond = target > t.spanMs
            let tx = beyond ? width - right : x(target)
            out += "<line class=\"rto-target\(beyond ? " beyond" : "")\" data-ms=\"\(target)\" x1=\"\(f(tx))\" y1=\"\(f(top - 10))\" "
                + "x2=\"\(f(tx))\" y2=\"\(f(plotBottom))\" stroke=\"#c8382e\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
            let text = "RTO target " + ReportText.duration(target - (t.rtoStartMs ?? 0))
            out += beyond
                ? label(text + " (beyond the run) →", at: tx, leftOf: true, color: "#c8382e", y: top - 24)
                : label(text, at: tx, leftOf: targetLeft, color: "#c8382e")
        }
        if let achieved {
            let ax = x(achieved)
            out += "<line class=\"rto-achieved\" data-ms=\"\(achieved)\" x1=\"\(f(ax))\" y1=\"\(f(top - 10))\" x2=\"\(f(ax))\" "
                + "y2=\"\(f(plotBottom))\" stroke=\"#13294b\" stroke-width=\"2\"/>\n"
            out += label("achieved " + ReportText.duration(achieved - (t.rtoStartMs ?? 0)), at: ax, leftOf: !targetLeft && target != nil,
                         color: "#13294b")
        }
        return out
    }

    private static func label(_ text: String, at lineX: Double, leftOf: Bool, color: String, y: Double = top - 12) -> String {
        let w = Double(text.count) * 6.4
        var left = leftOf
        if !left && lineX + 5 + w > width - 2 { left = true }
        if left && lineX - 5 - w < 2 { left = false }
        return "<text x=\"\(f(left ? lineX - 5 : lineX + 5))\" y=\"\(f(y))\" fill=\"\(color)\" font-weight=\"600\""
            + (left ? " text-anchor=\"end\"" : "") + ">\(ReportText.html(text))</text>\n"
    }

    private static func fill(_ s: ReportTimeline.Segment) -> String {
        switch (s.kind, s.outcome) {
        case (.approval, .denied): return "fill=\"url(#hatch)\" stroke=\"#c8382e\" stroke-width=\"1.5\""
        case (.approval, _): return "fill=\"url(#hatch)\" stroke=\"#d19a2a\" stroke-width=\"1\""
        case (.compensation, .failed): return "fill=\"#d9473c\" stroke=\"#2b7a9e\" stroke-width=\"2\""
        case (.compensation, _): return "fill=\"#2b7a9e\""
        case (_, .succeeded): return "fill=\"#2f9e6e\""
        case (_, .failed): return "fill=\"#d9473c\""
        case (_, .unknown): return "fill=\"#8a63c7\""
        default: return "fill=\"#8795a8\""
        }
    }

    private static func tooltip(_ s: ReportTimeline.Segment, title: String) -> String {
        let d = ReportText.duration(s.durationMs)
        switch s.kind {
        case .attempt: return "\(s.step) — \(title): attempt \(s.attempt ?? 1) \(s.outcome.rawValue) in \(d)"
        case .backoff: return "\(s.step): backoff \(d) before attempt \(s.attempt ?? 2)"
        case .approval: return "\(s.step) — \(title): waited \(d) for approval (\(s.outcome.rawValue))"
        case .compensation: return "\(s.step): compensation \(s.outcome.rawValue) in \(d)"
        }
    }

    /// Approximate width of a step id at the label font size.
    static func labelWidth(_ text: String) -> Double { Double(text.count) * 6.6 + 4 }

    /// A round tick interval giving at most about ten ticks.
    static func tickStep(_ spanMs: Int64) -> Int64 {
        let steps: [Int64] = [
            10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
            600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
        ]
        return steps.first { spanMs / $0 <= 10 } ?? max(spanMs / 10, 1)
    }

    private static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
