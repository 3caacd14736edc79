import LifeboatCore
/// Renders a run report as Markdown for a postmortem or a ticket: facts, verdicts, approvals and the
/// step table, readable as plain text too. Every value from a document or a person is escaped.
public enum MarkdownReport {
    public static func render(_ report: RunReport) -> String {
        let e = ReportText.markdown
        let ms = ReportText.duration
        let r = report.run
        var out: [String] = []
        out.append("# Run \(e(r.runID)): \(e(r.outcome))")
        out.append("")
        out.append("Plan **\(e(r.planID))**, scenario **\(e(r.scenario))**, mode **\(r.mode.rawValue)**, started by \(e(r.startedBy)).")
        out.append("")
        out.append("## Objectives")
        out.append("")
        out.append("| Objective | Target | Achieved | Verdict | Notes |")
        out.append("|---|---|---|---|---|")
        for o in report.objectives {
            let verdict = o.verdict == .missed ? "**MISSED**" : o.verdictText
            out.append("| \(o.name) | \(o.objective) | \(o.achieved) | \(verdict) | \(e(o.note)) |")
        }
        out.append("")
        out.append("## Facts")
        out.append("")
        out.append("| | |")
        out.append("|---|---|")
        for (key, value) in facts(report) { out.append("| \(key) | \(value) |") }
        if !report.approvals.isEmpty {
            out.append("")
            out.append("## Approvals")
            out.append("")
            out.append("| Step | Decision | By | Via | Requested (UTC) | Decided (UTC) | Waited |")
            out.append("|---|---|---|---|---|---|---|")
            for a in report.approvals {
                let decision = e(a.decisionText)
                let via = a.byFlag ? "--yes (no one was asked)" : a.via
                out.append("| \(e(a.step)) | \(decision) | \(e(a.who)) | \(e(via)) | "
                    + "\(a.requestedAtMs.map(ReportText.readableTime) ?? "—") | \(ReportText.readableTime(a.decidedAtMs)) | "
                    + "\(a.waitMs.map(ms) ?? "—") |")
            }
        }
        if !report.stepAnswers.isEmpty {
            out.append("")
            out.append("## Step-by-step answers")
            out.append("")
            out.append("| Step | Answer | By | At (UTC) | Waited |")
            out.append("|---|---|---|---|---|")
            for a in report.stepAnswers {
                out.append("| \(e(a.step)) | \(a.answer.rawValue)\(a.reason.map { ": " + e($0) } ?? "") | \(e(a.by)) | "
                    + "\(ReportText.timeOfDay(a.atMs)) | \(ms(a.waitMs)) |")
            }
        }
        if !report.notes.isEmpty {
            out.append("")
            out.append("## Notes")
            out.append("")
            out.append("| Step | Note | By | At (UTC) |")
            out.append("|---|---|---|---|")
            for n in report.notes {
                out.append("| \(e(n.step)) | \(e(n.text)) | \(e(n.by)) | \(ReportText.timeOfDay(n.atMs)) |")
            }
        }
        if let a = report.timeline.availability {
            out.append("")
            out.append("## Availability")
            out.append("")
            out.append("Probe **\(e(a.probe))** every \(ms(a.intervalMs))\(a.measuresOutage ? " (what users saw)" : ""), "
                + "from the executor's start: \(e(a.text))")
        }
        out.append("")
        out.append("## Steps")
        out.append("")
        out.append("| # | Step | Status | Attempts | Started (UTC) | Took | Result |")
        out.append("|---|---|---|---|---|---|---|")
        for s in report.steps {
            let status = s.status == .failed || s.status == .unknown ? "**\(s.status.rawValue)**" : s.status.rawValue
            let forced = s.forced.map { "**forced \($0)**: " } ?? ""
            let detail = s.errorDetail.map { "<br>" + $0.split(separator: "\n").map { "`\(e(String($0)))`" }.joined(separator: "<br>") } ?? ""
            let result = forced + (s.error.map { "error: " + e($0) + detail } ?? s.summary.map(e) ?? "")
            out.append("| \(s.position + 1) | \(e(s.id)): \(e(s.title)) | \(status) | \(s.attempts) | "
                + "\(s.startedAtMs.map(ReportText.timeOfDay) ?? "—") | \(s.durationMs.map(ms) ?? "—") | \(result) |")
        }
        out.append("")
        out.append("Elapsed \(ms(report.measurement.elapsedMs)); critical path \(ms(report.measurement.criticalPathMs)).")
        out.append("")
        return out.joined(separator: "\n")
    }

    private static func facts(_ report: RunReport) -> [(String, String)] {
        let e = ReportText.markdown
        let r = report.run
        var rows: [(String, String)] = [
            ("Run", e(r.runID)),
            ("Plan", e(r.planID)),
            ("Plan version", "sha256 " + r.documentsHash),
        ]
        for d in report.documents { rows.append(("Pinned " + e(d.kind), "\(e(d.path)) (sha256 \(d.sha256))")) }
        rows += [
            ("Scenario", e(r.scenario)),
            ("Runbook", e(r.runbookID)),
            ("Mode", r.mode.rawValue),
            ("Started by", e(r.startedBy) + (r.approvedByFlag ? " (with --yes: approvals given by the flag)" : "")),
            ("Created", ReportText.readableTime(r.createdAtMs)),
            ("Started", r.startedAtMs.map(ReportText.readableTime) ?? "never"),
            ("Ended", r.endedAtMs.map(ReportText.readableTime) ?? "not ended"),
            ("Outcome", e(r.outcome)),
        ]
        if let by = r.abortedBy { rows.append(("Aborted by", e(by) + (r.abortReason.map { ": " + e($0) } ?? ""))) }
        if !r.params.isEmpty {
            rows.append(("Parameters", r.params.keys.sorted().map { e("\($0)=\(r.params[$0]!)") }.joined(separator: ", ")))
        }
        return rows
    }
}
