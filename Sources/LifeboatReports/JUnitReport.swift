import LifeboatCore
/// Renders a run report as JUnit XML for CI systems: one testsuite for the run, one testcase per
/// step (failed and unknown steps fail, skipped and never-run steps are skipped) and one per
/// objective (fails when missed, skipped when not measured).
public enum JUnitReport {
    public static func render(_ report: RunReport) -> String {
        let x = ReportText.xml
        let r = report.run
        let className = "lifeboat.\(r.planID).\(r.scenario)"
        var cases: [String] = []
        var failures = 0
        var skipped = 0

        for s in report.steps {
            let name = "\(s.id): \(s.title)"
            var body = ""
            switch s.status {
            case .failed, .unknown, .compensationFailed:
                failures += 1
                let message = s.error ?? "step \(s.id) \(s.status.rawValue)"
                body = "<failure message=\"\(x(message))\" type=\"\(s.status.rawValue)\">"
                    + x("step \(s.id) (\(s.action)) \(s.status.rawValue) after \(s.attempts) attempt(s): \(message)")
                    + "</failure>"
                if let detail = s.errorDetail { body += "<system-err>\(x(detail))</system-err>" }
            case .skipped:
                skipped += 1
                body = "<skipped message=\"\(x(s.summary ?? "skipped"))\"/>"
            case .succeeded, .compensated:
                if let summary = s.summary { body = "<system-out>\(x(summary))</system-out>" }
            case .pending, .running, .retryWait, .awaitingApproval, .verifying, .compensating:
                skipped += 1
                body = "<skipped message=\"\(x("not finished: \(s.status.rawValue)"))\"/>"
            }
            cases.append(testcase(className, name, seconds: s.totalAttemptMs, body: body))
        }
        for o in report.objectives where o.carriesVerdict {
            var body = ""
            switch o.verdict {
            case .missed:
                failures += 1
                let message = "\(o.name) missed: achieved \(o.achieved), objective \(o.objective)"
                body = "<failure message=\"\(x(message))\" type=\"objective-missed\">\(x(message + "; " + o.note))</failure>"
            case .notMeasured:
                skipped += 1
                body = "<skipped message=\"\(x("\(o.name) not measured: \(o.note)"))\"/>"
            case .met:
                body = "<system-out>\(x("\(o.name) met: achieved \(o.achieved), objective \(o.objective); \(o.note)"))</system-out>"
            }
            cases.append(testcase(className + ".objectives", "\(o.name) objective \(o.objective)", seconds: 0, body: body))
        }

        let total = ReportText.seconds(report.measurement.elapsedMs)
        let stamp = String(ReportText.timestamp(r.startedAtMs ?? r.createdAtMs).prefix(19))
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"lifeboat\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(total)\">\n"
        out += "  <testsuite name=\"\(x("run \(r.runID) · \(r.planID) / \(r.scenario) (\(r.mode.rawValue))"))\""
            + " tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
            + " time=\"\(total)\" timestamp=\"\(stamp)\" hostname=\"lifeboat\" id=\"0\" package=\"\(x(className))\">\n"
        out += "    <properties>\n"
        let properties: [(String, String)] = [
            ("run", r.runID), ("plan", r.planID), ("scenario", r.scenario), ("mode", r.mode.rawValue),
            ("status", r.status.rawValue), ("outcome", r.outcome), ("started_by", r.startedBy),
            ("documents_sha256", r.documentsHash),
        ]
        for (name, value) in properties {
            out += "      <property name=\"\(x(name))\" value=\"\(x(value))\"/>\n"
        }
        out += "    </properties>\n"
        for c in cases { out += "    " + c + "\n" }
        // Every approval decision (refused ones too), then the notes.
        let decisions = report.approvals.map {
            "approval of \($0.step): \($0.decisionText) — \($0.who) via \($0.via) at \(ReportText.readableTime($0.decidedAtMs))\n"
        }.joined()
        let notes = report.notes.map { "note on \($0.step) by \($0.by): \($0.text)\n" }.joined()
        out += "    <system-out>\(x(decisions + notes))</system-out>\n    <system-err></system-err>\n"
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    private static func testcase(_ className: String, _ name: String, seconds ms: Int64, body: String) -> String {
        let x = ReportText.xml
        let open = "<testcase name=\"\(x(name))\" classname=\"\(x(className))\" time=\"\(ReportText.seconds(ms))\""
        return body.isEmpty ? open + "/>" : open + ">" + body + "</testcase>"
    }
}
