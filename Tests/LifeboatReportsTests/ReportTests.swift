import Foundation
@testable import LifeboatCore
@testable import LifeboatReports
import LifeboatTestSupport
import Testing

/// Run reports built from real event logs (the real engine, scripted actions): the model, the
/// timeline and each renderer.
@Suite("Run reports")
struct ReportTests {
    @Test func modelHasTheFactsApprovalsAndVerdicts() async throws {
        let recorded = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches()
        let report = try recorded.report()
        #expect(report.run.status == .failed)
        #expect(report.run.outcome == "failed at cache")
        #expect(report.run.startedBy == "tester")
        #expect(report.run.startedAtMs != nil && report.run.endedAtMs != nil)
        #expect(report.documents.map(\.path) == ["plans/<p>.yaml", "runbooks/r.yaml"])
        #expect(report.documents.first?.sha256 == "sha-of-8")
        let approval = try #require(report.approvals.first)
        #expect(approval.step == "approve" && approval.by == "alice" && approval.via == "terminal" && !approval.byFlag)
        #expect((approval.waitMs ?? 0) >= 2_000)  // 30 ms of real time at 100×
        #expect(approval.requestedAtMs.map { $0 <= approval.decidedAtMs } == true)
        let rto = report.measurement.rto
        #expect(rto.verdict == .missed)
        #expect((rto.achievedMs ?? 0) > 5_000)
        #expect(rto.humanWaitMs == approval.waitMs)
        #expect(report.measurement.rpo.verdict == .notMeasured)
        let flaky = try #require(report.steps.first { $0.id == "flaky" })
        #expect(flaky.attempts == 3 && flaky.status == .succeeded)
        #expect(flaky.totalAttemptMs >= flaky.durationMs ?? 0)
        let cache = try #require(report.steps.first { $0.id == "cache" })
        #expect(cache.status == .failed && cache.error?.contains("503") == true)
    }

    @Test func timelineHasLanesRetrySegmentsApprovalWaitAndRTOMarks() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let t = report.timeline
        func lane(_ step: String) -> Int? { t.segments.first { $0.step == step }?.lane }
        // db, dns and cache run at the same time: three different lanes.
        let parallel = Set(["db", "dns", "cache"].compactMap(lane))
        #expect(parallel.count == 3)
        #expect(t.lanes >= 3)
        // prepare then approve are sequential: both in the first lane.
        #expect(lane("prepare") == 0 && lane("approve") == 0)
        // No two steps in one lane overlap.
        for a in t.spans() {
            for b in t.spans() where a.step < b.step && lane(a.step) == lane(b.step) {
                #expect(a.endMs <= b.startMs || b.endMs <= a.startMs, "\(a.step) and \(b.step) overlap in one lane")
            }
        }
        // flaky: failed, backoff, failed, backoff, succeeded, in time order.
        let flaky = t.segments.filter { $0.step == "flaky" }.sorted { $0.startMs < $1.startMs }
        #expect(flaky.map(\.kind) == [.attempt, .backoff, .attempt, .backoff, .attempt])
        #expect(flaky.map(\.outcome) == [.failed, .waited, .failed, .waited, .succeeded])
        #expect(flaky.compactMap(\.attempt) == [1, 2, 2, 3, 3])
        #expect(flaky[1].durationMs >= 400 && flaky[3].durationMs >= 900)  // 500 ms and 1 s delays (jitter 0.5)
        for (a, b) in zip(flaky, flaky.dropFirst()) { #expect(a.endMs <= b.startMs + 1) }
        // The approval wait is a segment of its own.
        let wait = try #require(t.segments.first { $0.step == "approve" })
        #expect(wait.kind == .approval && wait.outcome == .approved && wait.durationMs >= 2_000)
        // The RTO clock starts when prepare starts; the target is 5 s later; achieved is past it.
        let prepare = try #require(t.segments.first { $0.step == "prepare" })
        #expect(t.rtoStartMs == prepare.startMs)
        #expect(t.rtoTargetMs == prepare.startMs + 5_000)
        #expect(t.rtoAchievedMs == prepare.startMs + (report.measurement.rto.achievedMs ?? -1))
        #expect(t.rtoAchievedMs! > t.rtoTargetMs!)
        #expect(t.spanMs >= t.segments.map(\.endMs).max()!)
    }

    /// A probe that measures the outage: an "Outage" row beside the RTO (carrying the RTO's verdict
    /// only when judged on it), and the availability strip under the timeline in every renderer.
    @Test(arguments: [false, true]) func theObservedOutageAndTheAvailabilityStrip(judgedOnOutage: Bool) async throws {
        let report = try await ReportFixtures.runWithAnOutageProbe(judgedOnOutage: judgedOnOutage).report()
        let row = try #require(report.objectives.first { $0.name == "Outage" })
        #expect(report.objectives.map(\.name) == ["RTO", "Outage", "RPO"])
        #expect(row.carriesVerdict == judgedOnOutage)
        #expect(row.verdict == (judgedOnOutage ? .met : .notMeasured))
        let outage = try #require(report.measurement.outage)
        // Down from 0.5 s to 1.2 s after the first sample, sampled every 100 ms (±100 ms each end).
        #expect(abs((outage.durationMs ?? 0) - 700) <= 200, "\(outage)")
        let strip = try #require(report.timeline.availability)
        #expect(strip.spans.map(\.outcome) == [.passed, .failed, .passed], "\(strip.spans)")
        #expect(strip.spans[1].endMs - strip.spans[1].startMs == outage.durationMs)
        let html = HTMLReport.render(report)
        #expect(html.contains("class=\"availability\" data-outcome=\"failed\""))
        #expect(html.contains("availability: probe users every 100ms (what users saw)"))
        #expect(MarkdownReport.render(report).contains("## Availability"))
        #expect(JUnitReport.render(report).contains("Outage objective") == judgedOnOutage)
    }

    @Test func partitionPutsOverlapsInLanesStably() {
        let spans = [
            ReportTimeline.Span(step: "c", startMs: 10, endMs: 30, order: 2),
            ReportTimeline.Span(step: "a", startMs: 0, endMs: 10, order: 0),
            ReportTimeline.Span(step: "b", startMs: 10, endMs: 20, order: 1),
            ReportTimeline.Span(step: "d", startMs: 20, endMs: 40, order: 3),
            ReportTimeline.Span(step: "e", startMs: 25, endMs: 26, order: 4),
        ]
        let (lane, count) = ReportTimeline.partition(spans)
        #expect(lane == ["a": 0, "b": 0, "c": 1, "d": 0, "e": 2])
        #expect(count == 3)
        // Reserving room for a label after a short bar pushes the next bar in that lane to another lane.
        let (reserved, _) = ReportTimeline.partition(spans) { $0.step == "a" ? 15 : 0 }
        #expect(reserved["b"] == 1)
    }

    @Test func htmlIsSelfContainedEscapedAndDrawsTheTimeline() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let html = HTMLReport.render(report)
        // Escaping: the hostile step title and error never become markup.
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>503"))
        #expect(html.contains("Flip &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quote&quot;"))
        #expect(html.contains("plans/&lt;p&gt;.yaml"))
        // Self-contained: no external fetches, no scripts.
        for external in ["<link", "src=", "@import", "url(http", "<script"] { #expect(!html.contains(external)) }
        // Verdict badges and the run's facts.
        #expect(html.contains("<span class=\"badge bad\">RTO missed"))
        #expect(html.contains("<span class=\"badge none\">RPO not measured</span>"))
        #expect(html.contains("<span class=\"badge bad\">failed at cache</span>"))
        #expect(html.contains("sha-of-8"))
        // Timeline: three retry attempts of flaky (two failed), two backoff gaps, the approval shading.
        #expect(count(html, "data-step=\"flaky\" data-kind=\"attempt\" data-outcome=\"failed\"") == 2)
        #expect(count(html, "data-step=\"flaky\" data-kind=\"attempt\" data-outcome=\"succeeded\"") == 1)
        #expect(count(html, "data-step=\"flaky\" data-kind=\"backoff\"") == 2)
        #expect(html.contains("data-step=\"approve\" data-kind=\"approval\" data-outcome=\"approved\""))
        #expect(html.contains("class=\"approval-band\""))
        #expect(html.contains("fill=\"url(#hatch)\""))
        #expect(html.contains("fill=\"#d9473c\""))  // failed attempts in red
        // Parallel steps are drawn in distinct lanes.
        let lanes = Set(["db", "dns", "cache"].compactMap { step in attribute(html, "data-step=\"\(step)\"", "data-lane") })
        #expect(lanes.count == 3)
        // The RTO target line sits at window start + objective on the axis; achieved to its right.
        let t = report.timeline
        let target = try #require(lineX(html, "rto-target"))
        let achieved = try #require(lineX(html, "rto-achieved"))
        let expected = TimelineSVG.left + Double(t.rtoTargetMs!) / Double(t.spanMs) * TimelineSVG.plotWidth
        #expect(abs(target - expected) < 0.11)
        #expect(achieved > target)
        #expect(html.contains(">RTO target 5s</text>"))
        // The step table lists every step with its status.
        for step in report.steps { #expect(html.contains("<tr data-step=\"\(step.id)\">")) }
        #expect(html.contains("<span class=\"pill st-failed\">failed</span>"))
    }

    @Test func markdownHasVerdictsFactsAndEscapedSteps() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let md = MarkdownReport.render(report)
        #expect(md.hasPrefix("# Run run-report-1: failed at cache"))
        #expect(md.contains("| RTO | 5s |"))
        #expect(md.contains("| **MISSED** |"))
        #expect(md.contains("| RPO | 1m00s | — | not measured |"))
        #expect(md.contains("Flip \\<script\\>alert('x')\\</script\\> & \"quote\" \\| pipe"))
        // No raw HTML: every < is backslash-escaped (CommonMark then shows it as text).
        #expect(!md.replacingOccurrences(of: "\\<", with: "").contains("<"))
        #expect(md.contains("| approve | approved | alice | terminal |"))
        #expect(md.contains("| 6 | flaky: Step flaky | succeeded | 3 |"))
        #expect(md.contains("| **failed** |"))
        // Every table row has the same number of cells as its header (no pipe from a value breaks one).
        for line in md.split(separator: "\n") where line.hasPrefix("| ") && line.contains("Step flaky") {
            #expect(unescapedPipes(String(line)) == 8)
        }
    }

    @Test func jsonHasEverythingWithStableKeys() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let json = try ReportFormat.json.render(report)
        let decoded = try JSONDecoder().decode(RunReport.self, from: Data(json.utf8))
        #expect(decoded == report)
        #expect(try ReportFormat.json.render(decoded) == json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["approvals", "documents", "measurement", "notes", "run", "stepAnswers", "steps", "timeline"])
        let first = try #require(json.range(of: "\"approvals\""))
        let last = try #require(json.range(of: "\"timeline\""))
        #expect(first.lowerBound < last.lowerBound)  // sorted keys
    }

    @Test func junitFailsFailedStepsAndMissedObjectives() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let xml = JUnitReport.render(report)
        #expect(xml.contains("tests=\"8\" failures=\"2\" errors=\"0\" skipped=\"1\""))
        #expect(xml.contains("<testcase name=\"cache: Step cache\" classname=\"lifeboat.plan.scenario\""))
        #expect(xml.contains("<failure message=\"step &apos;cache&apos;: cache warm-up failed: &lt;b&gt;503&lt;/b&gt; from redis\" type=\"failed\">"))
        #expect(xml.contains("<failure message=\"RTO missed: achieved"))
        #expect(xml.contains("<skipped message=\"RPO not measured"))
        #expect(xml.contains("dns: Flip &lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;quote&quot; | pipe"))
        #expect(!xml.contains("<script"))
    }

    @Test func junitPassesTheSchemaAndARealParser() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let file = try ReportScratch.write(JUnitReport.render(report), name: "junit.xml")
        let schema = Bundle.module.url(forResource: "Fixtures/junit", withExtension: "xsd")!.path
        let lint = try ReportScratch.run(["xmllint", "--noout", "--schema", schema, file])
        #expect(lint.status == 0, "xmllint: \(lint.output)")
        #expect(lint.output.contains("validates"))
        // junitparser (PyPI), the parser many CI tools build on, reads the same counts.
        let parse = try ReportScratch.run(["python3", "-c", """
            import sys
            from junitparser import JUnitXml, Failure, Skipped
            xml = JUnitXml.fromfile(sys.argv[1])
            suite = next(iter(xml))
            cases = list(suite)
            failed = [c.name for c in cases if any(isinstance(r, Failure) for r in c.result)]
            skipped = [c.name for c in cases if any(isinstance(r, Skipped) for r in c.result)]
            print(suite.tests, suite.failures, suite.skipped, len(cases))
            print("|".join(failed))
            print("|".join(skipped))
            print(sum(c.time for c in cases) > 0)
            """, file])
        #expect(parse.status == 0, "junitparser: \(parse.output)")
        let lines = parse.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "8 2 1 8")
        #expect(lines.dropFirst().first == "cache: Step cache|RTO objective 5s")
        #expect(lines.dropFirst(2).first == "RPO objective 1m00s")
        #expect(lines.dropFirst(3).first == "True")
    }

    @Test func yesApprovalsAreRecordedAsSuchAndRTOIsMet() async throws {
        let report = try await ReportFixtures.succeededRunApprovedByFlag().report()
        #expect(report.run.approvedByFlag)
        let approval = try #require(report.approvals.first)
        #expect(approval.via == "--yes" && approval.byFlag && approval.by == "olivia")
        #expect(report.measurement.rto.verdict == .met)
        let md = MarkdownReport.render(report)
        #expect(md.contains("| declare | approved | olivia on "))
        #expect(md.contains(" | --yes (no one was asked) |"))
        #expect(md.contains("with --yes: approvals given by the flag"))
        #expect(md.contains("| 5 | later: Step later | skipped |"))
        let xml = JUnitReport.render(report)
        #expect(xml.contains("failures=\"0\""))
        #expect(xml.contains("<testcase name=\"later: Step later\" classname=\"lifeboat.plan.scenario\" time=\"0.000\"><skipped"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<span class=\"badge ok\">RTO met"))
        #expect(html.contains("<span class=\"pill mode\">--yes</span> <span class=\"muted\">no one was asked</span>"))
        let lanes = Set(["a", "b"].compactMap { attribute(html, "data-step=\"\($0)\"", "data-lane") })
        #expect(lanes.count == 2)
    }

    @Test func pausedRunShowsTheOpenApprovalWaitAndUnfinishedSteps() async throws {
        let report = try await ReportFixtures.runPausedAtAnApproval().report()
        #expect(report.run.status == .paused)
        #expect(report.run.outcome == "paused (awaiting-approval)")
        #expect(report.run.endedAtMs == nil)
        #expect(report.approvals.isEmpty)
        let wait = try #require(report.timeline.segments.first { $0.step == "declare" })
        #expect(wait.kind == .approval && wait.outcome == .open)
        #expect(report.measurement.rto.verdict == .notMeasured)
        let xml = JUnitReport.render(report)
        #expect(xml.contains("<skipped message=\"not finished: awaiting-approval\"/>"))
        #expect(xml.contains("<skipped message=\"not finished: pending\"/>"))
        #expect(xml.contains("failures=\"0\""))
        let html = HTMLReport.render(report)
        #expect(html.contains("<span class=\"badge warn\">paused (awaiting-approval)</span>"))
        #expect(html.contains("data-step=\"declare\" data-kind=\"approval\" data-outcome=\"open\""))
        #expect(!html.contains("class=\"rto-achieved\""))
        #expect(MarkdownReport.render(report).contains("| Ended | not ended |"))
    }

    @Test func renderedInHeadlessChromiumTheReportIsARealNonBlankImage() async throws {
        let report = try await ReportFixtures.failedRunWithRetriesApprovalAndParallelBranches().report()
        let html = try ReportScratch.write(HTMLReport.render(report), name: "report.html")
        let png = ReportScratch.directory + "/report.png"
        let script = ReportScratch.repository + "/scripts/render-report"
        let render = try ReportScratch.run([script, html, png, "1280", "1500"])
        #expect(render.status == 0, "render-report: \(render.output)")
        let check = try ReportScratch.run(["python3", "-c", PNGCheck.script, png])
        #expect(check.status == 0, "png check: \(check.output)")
        let fields = check.output.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 4)
        guard fields.count == 4 else { return }
        #expect(fields[0] == "1280" && fields[1] == "1500")
        #expect((Int(fields[2]) ?? 0) > 50, "distinct colours: \(fields[2])")  // text, badges, bars
        #expect((Double(fields[3]) ?? 0) > 0.05, "non-background share: \(fields[3])")
    }

    /// A one-second drill against a two-minute objective, laid out by chromium at 1280 px: the
    /// timeline spans the run, every step's bar is at least 20 px wide, and the objective is marked
    /// at the edge with its value.
    @Test func inChromiumEveryBarOfAShortRunAgainstALongObjectiveIsReadable() async throws {
        let report = try await ReportFixtures.shortRunAgainstALongObjective().report()
        #expect(report.timeline.spanMs < 10_000, "span \(report.timeline.spanMs) ms")
        let html = HTMLReport.render(report)
        #expect(html.contains("class=\"rto-target beyond\""))
        #expect(html.contains("RTO target 2m00s (beyond the run) →"))
        let measured = try ReportScratch.measure(html, script: """
            return Array.from(document.querySelectorAll('svg.timeline rect.seg')).map(function (r) {
              return r.getAttribute('data-step') + '=' + r.getBoundingClientRect().width.toFixed(1); }).join(' ');
            """)
        let widths = measured.split(separator: " ").map { $0.split(separator: "=") }.compactMap { pair -> (String, Double)? in
            guard pair.count == 2, let width = Double(pair[1]) else { return nil }
            return (String(pair[0]), width)
        }
        #expect(Set(widths.map(\.0)) == ["fence", "promote", "dns", "scale", "smoke", "notify"], "\(measured)")
        for (step, width) in widths { #expect(width >= 20, "\(step) is \(width) px wide") }
    }

    /// The history report, laid out by chromium: the run report's styles (the header band), chart
    /// labels with date and time, and every point naming its run.
    @Test func inChromiumTheHistoryReportIsStyledAndNamesEveryRun() async throws {
        let base: Int64 = 1_796_256_000_000  // 2026-12-03 00:00:00 UTC
        let runs = (0..<3).map { i in
            let run = RunRecord(
                id: "20261203-0\(i)0000-ab\(i)\(i)", planID: "shop", scenario: "region", runbookID: "rb", mode: .drill, status: .succeeded,
                pauseReason: nil, startedBy: "a", documentsHash: "", createdAtMs: base + Int64(i) * 3_600_000,
                updatedAtMs: base + Int64(i) * 3_600_000 + 60_000, endedAtMs: base + Int64(i) * 3_600_000 + 60_000,
                objectives: Objectives(rtoMs: 120_000))
            let figures = RunFigures(
                rto: .init(objectiveMs: 120_000, achievedMs: 50_000 + Int64(i) * 10_000, verdict: .met, method: "monotonic", humanWaitMs: 0),
                rpo: .init(objectiveMs: nil, achievedMs: nil, verdict: .notMeasured, exact: nil))
            return MeasuredRun(run: run, measurement: figures)
        }
        let html = HistoryReport(planID: "shop", sinceMs: nil, untilMs: nil, generatedAtMs: base, groups: [], runs: runs.reversed()).html()
        let measured = try ReportScratch.measure(html, script: """
            var header = getComputedStyle(document.querySelector('header')).backgroundImage;
            var labels = Array.from(document.querySelectorAll('svg.chart text')).map(function (t) { return t.textContent; });
            var points = Array.from(document.querySelectorAll('svg.chart circle.point')).map(function (c) {
              return c.getAttribute('data-run') + '|' + c.querySelector('title').textContent; });
            return JSON.stringify({header: header, labels: labels, points: points});
            """)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(measured.replacingOccurrences(of: "&quot;", with: "\"").utf8)) as? [String: Any], "\(measured)")
        #expect((object["header"] as? String)?.contains("linear-gradient") == true, "unstyled header: \(measured)")
        let labels = object["labels"] as? [String] ?? []
        #expect(labels.contains("2026-12-03 00:00:00 UTC") && labels.contains("2026-12-03 02:00:00 UTC"), "\(labels)")
        let points = object["points"] as? [String] ?? []
        #expect(points.count == 3, "\(points)")
        for run in runs { #expect(points.contains { $0.hasPrefix(run.run.id + "|" + run.run.id) }, "\(run.run.id) not named: \(points)") }
    }

    // MARK: - Helpers

    private func count(_ text: String, _ needle: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The value of `name` in the first element containing `marker`.
    private func attribute(_ html: String, _ marker: String, _ name: String) -> String? {
        guard let at = html.range(of: marker) else { return nil }
        let rest = html[at.upperBound...]
        guard let end = rest.firstIndex(of: ">"), let attr = rest[..<end].range(of: name + "=\"") else { return nil }
        return String(rest[attr.upperBound...].prefix { $0 != "\"" })
    }

    private func lineX(_ html: String, _ cls: String) -> Double? {
        attribute(html, "class=\"\(cls)\"", "x1").flatMap(Double.init)
    }

    private func unescapedPipes(_ line: String) -> Int {
        var n = 0
        var escaped = false
        for c in line {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true } else if c == "|" { n += 1 }
        }
        return n
    }
}
