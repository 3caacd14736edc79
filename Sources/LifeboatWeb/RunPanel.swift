import LifeboatCore
import LifeboatReports
import LifeboatStore

/// The live panel of a run that has not ended, above its report: where it stands, its RTO budget
/// (elapsed against the objective, the time it stood still apart), the steps running, since when and
/// their latest output line (as the executor shares it, once a second), and each approval it waits for with who may decide and the command that does.
/// `data-seen` is how many events the page shows: the live script asks the stream for the rest.
enum RunPanel {
    static func render(
        run: RunRecord, steps: [StepRecord], events: [RunEvent], progress: [StepProgress], machine: RunStateMachine, nowMs: Int64
    ) -> String {
        let h = ReportText.html
        let ms = ReportText.duration
        let elapsed = RunElapsed(events)
        let done = steps.filter { $0.status.isTerminal }.count
        var rows: [(String, String)] = []
        var state = h(run.status.rawValue) + (run.pauseReason.map { " (" + h($0.rawValue) + ")" } ?? "")
        state += " · \(done) of \(steps.count) steps done"
        rows.append(("Now", state))
        // Durations that grow while the page is open carry their value in `data-ms`: the live script
        // advances them each second between redraws.
        func ticking(_ valueMs: Int64) -> String { "<span class=\"ticking\" data-ms=\"\(valueMs)\">\(ms(valueMs))</span>" }
        let elapsedMs = elapsed.elapsedMs(at: nowMs)
        var budget = "elapsed " + ticking(elapsedMs)
        if let rto = run.objectives.rtoMs, rto > 0 {
            budget += " of RTO \(ms(rto)) (<span class=\"share\" data-ms=\"\(elapsedMs)\" data-of=\"\(rto)\">\(elapsedMs * 100 / rto)</span> %)"
        }
        if elapsed.stoppedMs > 0 { budget += " · stood still \(ms(elapsed.stoppedMs)) between executors" }
        rows.append(("RTO budget", budget))
        let running = steps.filter { $0.status == .running || $0.status == .verifying }
        if !running.isEmpty {
            rows.append(("Running", running.map { step in
                // The latest output line the executor shared since this attempt started.
                let latest = progress.first { $0.stepID == step.stepID && $0.atMs >= (step.startedAtMs ?? .max) }
                return "<code>\(h(step.stepID))</code>" + (step.startedAtMs.map { " for " + ticking(max(0, nowMs - $0)) } ?? "")
                    + "<span class=\"latest\" data-step=\"\(h(step.stepID))\" data-since=\"\(step.startedAtMs ?? 0)\">"
                    + (latest.map { " · latest output: <code>\(h($0.line))</code>" } ?? "") + "</span>"
            }.joined(separator: "<br>")))
        }
        let waiting = steps.filter { $0.status == .awaitingApproval }
        for step in waiting {
            let header = machine.header.steps.first { $0.id == step.stepID }
            let rule = header?.approvalRule ?? ApprovalRule()
            let progress = machine.approvalProgress(step.stepID)
            let command = ApproveCommandText.of(run: run.id, step: step.stepID, naming: true)
            rows.append((
                "Awaiting approval",
                "<code>\(h(step.stepID))</code> · who may decide: \(h(rule.approversText))"
                    + (rule.separationOfDuties ? " (not who started or resumed the run)" : "")
                    + " · \(progress.given) of \(progress.needed) given<br>decide from any terminal: <code>\(h(command))</code>"
                    + " (or <code>--deny REASON</code>)"
            ))
        }
        if let last = events.last {
            rows.append(("Last event", "\(h(EventChain.kindName(last.kind))) at \(h(ReportText.readableTime(last.atMs)))"))
        }
        let list = rows.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }.joined()
        return """
            <section class="live" id="live" data-run="\(h(run.id))" data-seen="\(events.count)">
            <div class="panel\(waiting.isEmpty ? "" : " waiting")"><h2>Live</h2><dl>\(list)</dl>
            <p class="stream" id="stream">This page follows the run as events are recorded.</p></div>
            </section>

            """
    }
}
