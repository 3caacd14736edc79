import ArgumentParser
import Foundation
import LifeboatCore
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
        let db = try Runtime.openExistingStore(store)
        guard let run = try await db.run(runID) else {
            throw LifeboatError(.notFound, "no run '\(runID)' in \(store.path)", hint: "list runs with `lifeboat history`")
        }
        let report = try RunReport.build(
            run: run, steps: try await db.steps(of: runID), events: try await db.events(of: runID),
            documents: try await db.documents(of: runID))
        let text = try chosen.render(report)
        if let outputPath {
            try ReportFile.writeAtomically(text, to: outputPath)
            Console.err("wrote \(chosen.rawValue) report of run \(runID) to \(outputPath)")
        } else {
            Console.out(text, terminator: "")
        }
    }
}

/// Writes a file so that readers see the old content or the new, never half of it.
enum ReportFile {
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw LifeboatError(.notFound, "cannot write report to \(path): folder \(dir.path) does not exist",
                                hint: "create the folder or choose another -o path")
        }
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LifeboatError(.invalidInput, "cannot write report to \(path): \(String(cString: strerror(errno)))",
                                hint: "choose a writable -o path")
        }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += n
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(temp.path, url.path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp.path)
            throw LifeboatError(.invalidInput, "cannot write report to \(path): \(String(cString: strerror(failure)))",
                                hint: "choose a writable -o path")
        }
    }
}
