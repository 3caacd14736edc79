import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatReports
import LifeboatStore

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: facts, each step with its timing, RTO/RPO verdicts, and (with --events) the log.",
        discussion: """
            A failed step is followed by the detail of its failure (a command's last output lines, a
            server's words), secrets masked; --verbose shows every attempt's.

            Examples:
              lifeboat show 20261129-031502-7f3a
              lifeboat show 20261129-031502-7f3a --verbose
              lifeboat show 20261129-031502-7f3a --events
              lifeboat show 20261129-031502-7f3a --json
            """)

    @Argument(help: "The run id.") var runID: String
    @Flag(help: "Also print every recorded event.") var events = false
    @Flag(help: "Also print every attempt's output tail and error detail.") var verbose = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONFlag

    struct Detail: Encodable {
        var run: RunRecord
        var header: RunHeader
        var steps: [StepRecord]
        var measurement: RunMeasurement?
        var probes: [ProbeTally]
        var notes: [RunNote]
        var documents: [Document]
        var events: [RunEvent]?

        struct Document: Encodable {
            var kind: String
            var path: String
            var sha256: String
        }
    }

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        guard let run = try await db.run(runID) else {
            throw LifeboatError(.notFound, "no run '\(runID)' in \(db.name)", hint: "list runs with `lifeboat history`")
        }
        let log = try await db.events(of: runID)
        guard case .runCreated(let header)? = log.first?.kind else {
            throw LifeboatError(.storeFailure, "run \(runID) has no runCreated event", hint: "check the store with `lifeboat audit verify`")
        }
        let detail = Detail(
            run: run, header: header, steps: try await db.steps(of: runID), measurement: RunMeasurement.compute(log),
            probes: ProbeTally.all(in: log), notes: RunNote.all(in: log),
            documents: try await db.documents(of: runID).map { .init(kind: $0.source.kind.rawValue, path: $0.source.path, sha256: $0.sha256) },
            events: events ? log : nil)
        if output.json {
            try JSONOutput.print(detail)
            return
        }
        print(detail, log: log, executor: await ExecutorText.suffix(run, store: db))
    }

    private func print(_ d: Detail, log: [RunEvent], executor: String) {
        let ms = DurationText.format(milliseconds:)
        let pad = PredictionText.pad
        let r = d.run
        Console.out("run \(r.id)")
        Console.out("  plan \(r.planID) · scenario \(r.scenario) · runbook \(r.runbookID) · mode \(r.mode.rawValue)")
        let forced = d.steps.filter { $0.forced != nil }.count
        Console.out("  status \(r.status.rawValue)" + (r.pauseReason.map { " (\($0.rawValue))" } ?? "")
                    + executor
                    + (forced > 0 ? ", \(forced) forced" : "") + " · started by \(r.startedBy) at \(EventText.timestamp(r.createdAtMs))"
                    + (r.endedAtMs.map { " · ended \(EventText.timestamp($0))" } ?? ""))
        Console.out("  documents sha256 \(r.documentsHash)")
        for doc in d.documents { Console.out("    \(doc.kind) \(doc.path) (\(doc.sha256.prefix(12)))") }
        if !d.header.params.isEmpty {
            Console.out("  params " + d.header.params.keys.sorted().map { "\($0)=\(d.header.params[$0]!.renderedText)" }.joined(separator: " "))
        }
        let approvals = log.compactMap { e -> String? in
            if case .approvalGranted(let s, let by, let via, let wait, let decider) = e.kind {
                return "\(s) by \(decider?.description ?? by) via \(via) after \(ms(wait))"
            }
            if case .approvalRefused(let s, let approve, _, let why, let decider) = e.kind {
                return "\(s) \(approve ? "approval" : "denial") by \(decider.description) refused (\(why))"
            }
            return nil
        }
        if !approvals.isEmpty { Console.out("  approvals: " + approvals.joined(separator: "; ")) }
        Console.out("")
        Console.out("  " + pad("STEP", 22) + pad("STATUS", 19) + pad("TRIES", 6) + pad("STARTED (UTC)", 14) + pad("TOOK", 9) + "RESULT")
        for s in d.steps {
            let started = s.startedAtMs.map(ReportText.timeOfDay) ?? "—"
            let result = (s.forced.map { "[forced \($0)] " } ?? "") + (s.error ?? s.summary ?? "")
            Console.out("  " + pad(s.stepID, 22) + pad(s.status.rawValue, 19) + pad(String(s.attempts), 6) + pad(started, 14)
                        + pad(s.durationMs.map(ms) ?? "—", 9) + result)
            if !verbose, let detail = s.errorDetail, [.failed, .unknown, .compensationFailed].contains(s.status) {
                printIndented(detail)
            }
        }
        NoteText.print(d.notes)
        if !d.probes.isEmpty {
            Console.out("")
            Console.out("  probes:")
            for tally in d.probes { Console.out("    " + tally.text) }
        }
        if verbose {
            Console.out("")
            Console.out("  attempts:")
            for e in log { printAttempt(e.kind) }
        }
        if let m = d.measurement {
            Console.out("")
            Console.out("  " + MeasurementText.rto(m.rto))
            if let outage = m.outage { Console.out("  " + MeasurementText.outage(outage, judged: m.rto.judgedBy == .outage)) }
            Console.out("  " + MeasurementText.rpo(m.rpo))
        }
        if let events = d.events {
            Console.out("")
            Console.out("  events:")
            Console.out("")
            for e in events { Console.out("  " + EventText.timestamp(e.atMs) + "  " + EventText.describe(e.kind)) }
        }
    }

    /// One attempt's (or compensation's) outcome with its output tail or error detail.
    private func printAttempt(_ kind: RunEvent.Kind) {
        switch kind {
        case .stepSucceeded(let step, let attempt, _, let result):
            Console.out("  \(step) attempt \(attempt): succeeded — \(result.summary)")
            if let output = result.outputs["output"]?.stringValue, !output.isEmpty { printIndented(output) }
        case .stepFailed(let step, let attempt, _, let error):
            Console.out("  \(step) attempt \(attempt): failed — \(error.message)")
            if let detail = error.detail { printIndented(detail) }
        case .compensationSucceeded(let step, _, let result):
            Console.out("  \(step) compensation: succeeded — \(result.summary)")
            if let output = result.outputs["output"]?.stringValue, !output.isEmpty { printIndented(output) }
        case .compensationFailed(let step, _, let error):
            Console.out("  \(step) compensation: failed — \(error.message)")
            if let detail = error.detail { printIndented(detail) }
        default:
            break
        }
    }

    private func printIndented(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { Console.out("      │ " + line) }
    }
}
