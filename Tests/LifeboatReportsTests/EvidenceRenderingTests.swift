import LifeboatCore
import LifeboatReports
import Testing

/// The Prometheus text and the history report's escaping, on hand-built evidence.
@Suite struct EvidenceRenderingTests {
    @Test func prometheusLabelsAndHelpAreEscaped() {
        var family = PrometheusText.Family(name: "x_seconds", help: "a \\ b\nc")
        family.add([("plan", "a\"b\\c\nd")], 1.5)
        family.add([], 2)
        let text = PrometheusText(families: [family, PrometheusText.Family(name: "empty", help: "none")]).render()
        #expect(text == """
            # HELP x_seconds a \\\\ b\\nc
            # TYPE x_seconds gauge
            x_seconds{plan="a\\"b\\\\c\\nd"} 1.5
            x_seconds 2

            """)
    }

    @Test func theHTMLReportEscapesAndChartsTheObjective() {
        let run = RunRecord(
            id: "r<1>", planID: "p&q", scenario: "s", runbookID: "rb", mode: .drill, status: .succeeded, pauseReason: nil,
            startedBy: "a", documentsHash: "", createdAtMs: 0, updatedAtMs: 1, endedAtMs: 1, objectives: Objectives(rtoMs: 60_000))
        let figures = RunFigures(
            rto: .init(objectiveMs: 60_000, achievedMs: 90_000, verdict: .missed, method: "monotonic", humanWaitMs: 0),
            rpo: .init(objectiveMs: nil, achievedMs: nil, verdict: .notMeasured, exact: nil))
        let report = HistoryReport(
            planID: "p&q", sinceMs: nil, untilMs: nil, generatedAtMs: 0, groups: [],
            runs: [MeasuredRun(run: run, measurement: figures)])
        let html = report.html()
        #expect(html.contains("DR history: p&amp;q"))
        #expect(html.contains("r&lt;1&gt;"))
        #expect(!html.contains("r<1>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("stroke-dasharray"))  // the objective line
        #expect(report.markdown().contains("| r<1> | s | drill | succeeded |"))
    }
}
