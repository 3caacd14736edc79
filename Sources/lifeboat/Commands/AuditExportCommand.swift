import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

extension AuditCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export runs, their pinned documents and their hash-chained events as JSON Lines, for an archive.",
            discussion: """
                One JSON object per line, in this order:
                  {"type":"export", "version":1, "exportedAt", "store", "run"/"since"/"until", "chainHead"}
                  {"type":"run", "run":{…}}                        each selected run (by creation time)
                  {"type":"document", "runId", "position", "kind", "path", "sha256", "text"}
                  {"type":"event", "seq", "runId", "atMs", "kind", "stepId", "payload", "prevHash", "hash"}
                  {"type":"end", "runs", "events"}
                "payload" is the stored canonical JSON: an event's hash is the hex SHA-256 of
                prevHash + "\\n" + seq + "\\n" + runId + "\\n" + payload, and each event's prevHash is the hash
                of the event before it in the store (seq - 1), so the archive can be re-verified without
                Lifeboat. chainHead is the hash of the newest event in the store at export time.

                Examples:
                  lifeboat audit export 20261129-031502-7f3a -o run.jsonl
                  lifeboat audit export --since 2026-01-01 --until 2026-04-01 -o 2026-q1.jsonl
                """)

        @Argument(help: "Only this run (default: every run in the time range).") var runID: String?
        @OptionGroup var range: TimeRangeOptions
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var outputFile: String?
        @OptionGroup var clock: NowOption
        @OptionGroup var store: StoreOptions

        struct Header: Encodable {
            var type = "export"
            var version = 1
            var exportedAt: String
            var store: String
            var run: String?
            var since: String?
            var until: String?
            var chainHead: String
        }

        struct RunLine: Encodable {
            var type = "run"
            var run: RunRecord
        }

        struct DocumentLine: Encodable {
            var type = "document"
            var runId: String
            var position: Int
            var kind: String
            var path: String
            var sha256: String
            var text: String
        }

        struct EventLine: Encodable {
            var type = "event"
            var seq: Int64
            var runId: String
            var atMs: Int64
            var kind: String
            var stepId: String?
            var payload: String
            var prevHash: String
            var hash: String
        }

        struct End: Encodable {
            var type = "end"
            var runs: Int
            var events: Int
        }

        /// Collects the lines in memory (the store streams them from one read transaction).
        final class Lines: @unchecked Sendable {
            private let lock = NSLock()
            private var text = ""

            func add<T: Encodable>(_ value: T) throws {
                let line = try CanonicalJSON.encode(value)
                lock.withLock { text += line + "\n" }
            }

            var all: String { lock.withLock { text } }
        }

        func run() async throws {
            let now = try clock.resolve()
            let (since, until) = try range.resolve(now: now)
            let db = try await Runtime.openExistingStore(store)
            let head = try await db.chainHead()
            let lines = Lines()
            try lines.add(
                Header(
                    exportedAt: UTCCalendar.iso(now), store: db.name, run: runID, since: since.map(UTCCalendar.iso),
                    until: until.map(UTCCalendar.iso), chainHead: head))
            let counts = try await db.exportAudit(runID: runID, sinceMs: since, untilMs: until) { record in
                switch record {
                case .run(let run):
                    try lines.add(RunLine(run: run))
                case .document(let runID, let position, let doc):
                    try lines.add(
                        DocumentLine(
                            runId: runID, position: position, kind: doc.source.kind.rawValue, path: doc.source.path,
                            sha256: doc.sha256, text: doc.source.text))
                case .event(let e):
                    try lines.add(
                        EventLine(
                            seq: e.seq, runId: e.runID, atMs: e.atMs, kind: e.kind, stepId: e.stepID, payload: e.payload,
                            prevHash: e.prevHash, hash: e.hash))
                }
            }
            try lines.add(End(runs: counts.runs, events: counts.events))
            if let outputFile {
                try AtomicFile.write(lines.all, to: outputFile)
                Console.err("exported \(counts.runs) run(s), \(counts.events) event(s) to \(outputFile)")
            } else {
                Console.out(lines.all, terminator: "")
            }
        }
    }
}
