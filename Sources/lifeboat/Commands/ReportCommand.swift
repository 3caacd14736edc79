import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatReports
import LifeboatStore

extension ReportFormat: ExpressibleByArgument {}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a report of one run: facts, RTO/RPO verdicts, a timeline and the step table.",
        discussion: """
            Formats:
              html   one self-contained page (inline CSS and SVG timeline, no scripts): for people
              md     Markdown for a postmortem or a ticket
              json   everything, machine-readable (stable, sorted keys)
              junit  JUnit XML for CI: a testcase per step and per objective (missed → failure)

            Without --format the format follows -o's extension (.html, .md, .json, .xml), else md.
            Without -o the report goes to stdout; with -o it is written atomically (temp file + rename).

            Examples:
              lifeboat report 20261129-031502-7f3a
              lifeboat report 20261129-031502-7f3a -o drill.html
              lifeboat report 20261129-031502-7f3a --format junit -o lifeboat-junit.xml
              lifeboat report 20261129-031502-7f3a --format json | jq .measurement.rto
              scripts/render-report drill.html drill.png     # HTML → PNG with headless chromium
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(name: .long, help: ArgumentHelp("html, md, json or junit.", valueName: "format")) var format: ReportFormat?
    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write to this file (atomically) instead of stdout.", valueName: "file"))
    var outputPath: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let chosen = format ?? outputPath.flatMap(ReportFormat.init(fileName:)) ?? .md
        let db = try await Runtime.openExistingStore(store)
        guard let run = try await db.run(runID) else {
            throw LifeboatError(.notFound, "no run '\(runID)' in \(db.name)", hint: "list runs with `lifeboat history`")
        }
        let report = try RunReport.build(
            run: run, steps: try await db.steps(of: runID), events: try await db.events(of: runID),
            documents: try await db.documents(of: runID))
        let text = try chosen.render(report)
        if let outputPath {
            try AtomicFile.write(text, to: outputPath)
            Console.err("wrote \(chosen.rawValue) report of run \(runID) to \(outputPath)")
        } else {
            Console.out(text, terminator: "")
        }
    }
}
