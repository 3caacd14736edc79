import ArgumentParser
import LifeboatCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the store's tamper-evident event chain.",
        subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify the hash chain of every event and SQLite's integrity; names the first bad event.",
            discussion: "Example:\n  lifeboat audit verify --db .lifeboat/state.db")

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONFlag

        func run() async throws {
            let db = try Runtime.openExistingStore(store)
            let chain = try await db.verifyChain()
            let integrity = try await db.integrityCheck()
            if output.json {
                struct Result: Encodable { var chain: String; var ok: Bool; var integrity: String }
                try JSONOutput.print(Result(chain: String(describing: chain), ok: chain.isOK && integrity == "ok", integrity: integrity))
            } else {
                Console.out("event chain: \(chain)")
                Console.out("sqlite integrity: \(integrity)")
            }
            if !chain.isOK || integrity != "ok" { throw ExitStatus.storeFailure.exitCode }
        }
    }
}
