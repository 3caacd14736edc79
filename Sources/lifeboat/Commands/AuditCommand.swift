import ArgumentParser
import LifeboatCore
import LifeboatStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the store's tamper-evident event log.",
        subcommands: [Verify.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify the hash chain of every event, the projections against the events, and (SQLite) the file's integrity.",
            discussion: """
                Names the first bad event with its run (edited, deleted, inserted or reordered rows break the
                chain there) and every run or step row, or measurement, that no longer matches its events.
                Exit 0 when all is well, 6 when not.

                Example:
                  lifeboat audit verify --db .lifeboat/state.db
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONFlag

        struct Report: Encodable {
            var ok: Bool
            var eventsChecked: Int
            /// The full hash of the last verified event: compare it with a head kept elsewhere.
            var head: String
            var chain: String
            var projectionMismatches: [String]
            var integrity: String
        }

        func run() async throws {
            let db = try await Runtime.openExistingStore(store)
            let chain = try await db.verifyChain()
            let mismatches = try await db.verifyProjections().map { m in
                "run \(m.runID)" + (m.stepID.map { " step \($0)" } ?? "") + ": \(m.detail)"
            }
            let storage = try await db.storageCheck()
            let report = Report(
                ok: chain.isOK && mismatches.isEmpty && storage.ok, eventsChecked: chain.eventsChecked,
                head: chain.head, chain: chain.description, projectionMismatches: mismatches, integrity: storage.finding)
            if output.json {
                try JSONOutput.print(report)
            } else {
                Console.out("event chain: \(chain.description)")
                Console.out("projections: " + (mismatches.isEmpty ? "match the events" : "\(mismatches.count) mismatch(es)"))
                for m in mismatches { Console.out("  " + m) }
                Console.out("\(storage.name): \(storage.finding)")
            }
            if !report.ok { throw ExitStatus.storeFailure.exitCode }
        }
    }
}
