import ArgumentParser
import LifeboatCore
import LifeboatStore
import LifeboatTeamStore

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The state store: what it holds, and moving a SQLite store's runs into the team store.",
        subcommands: [Init.self, Info.self, Import.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the SQLite store (or share an existing one) for the accounts of a group.",
            discussion: """
                With --group the store file and its -wal and -shm files get that group and mode 0660,
                and its lock folder mode 2770: every account in the group can run, resume and approve;
                no other account can read it. Each account's decisions are recorded under its own
                identity. Without --group the store is private to you (mode 0600), as one made by a
                first run is.

                Examples:
                  lifeboat store init --group sre --db /srv/lifeboat/state.db
                  lifeboat store init
                """)

        @Option(help: ArgumentHelp("The Unix group whose accounts share the store.", valueName: "group")) var group: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONFlag

        func run() async throws {
            guard case .file(let path) = store.location else {
                throw LifeboatError(
                    .invalidInput, "`store init` makes a SQLite store; the team store is made by its first use",
                    hint: "grant the operators' roles as docs/cli.md shows (\"The team store\")")
            }
            let db = try group.map { try StoreAccess.createShared(path: path, group: $0) } ?? SQLiteStore(path: path)
            let info = try await db.info()
            if output.json {
                try JSONOutput.print(info)
                return
            }
            Console.out("store \(info.location) ready" + (group.map { ": shared with group \($0) (mode 0660)" } ?? ": private to you (mode 0600)"))
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "Which store, its schema version (migrations), how many runs and events, the chain head.",
            discussion: """
                Examples:
                  lifeboat store info
                  lifeboat store info --db 'service=lifeboat' --json
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONFlag

        func run() async throws {
            let info = try await Runtime.openExistingStore(store).info()
            if output.json {
                try JSONOutput.print(info)
                return
            }
            Console.out("store      \(info.kind) \(info.location)")
            Console.out("schema     " + (info.migrations.last.map { "\($0) (\(info.migrations.count) migrations)" } ?? "empty"))
            Console.out("runs       \(info.runs)")
            Console.out("events     \(info.events)")
            Console.out("chain head \(info.chainHead)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Copy a SQLite store's runs, pinned documents and events into the team store.",
            discussion: """
                The SQLite file's chain is verified first (a broken chain is refused) and the team
                store's after. Each run is copied in one transaction; a run already in the team store
                is left alone, so running it twice changes nothing. The events join the team store's
                chain (one chain, one order): their content is kept, their chain hashes are the team
                store's.

                Example:
                  lifeboat store import .lifeboat/state.db --db 'postgresql://sre@db1/lifeboat'
                """)

        @Argument(help: "The SQLite store to copy from.") var file: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONFlag

        struct Result: Encodable {
            var imported: Int
            var alreadyThere: Int
            var events: Int
            var sourceChainHead: String
            var teamChainHead: String
        }

        func run() async throws {
            guard case .team = store.location, let team = try await Runtime.openStore(store) as? PostgresStore else {
                throw LifeboatError(
                    .invalidInput, "store import copies into the team store: point --db or LIFEBOAT_DB at it",
                    hint: "e.g. lifeboat store import \(file) --db 'service=lifeboat'")
            }
            var source = StoreOptions()
            source.db = file
            guard case .file = source.location, let local = try await Runtime.openExistingStore(source) as? SQLiteStore else {
                throw LifeboatError(.invalidInput, "'\(file)' is not a SQLite store file")
            }
            let before = try await local.verifyChain()
            guard before.isOK else {
                throw LifeboatError(.storeFailure, "\(file): \(before.description)", hint: "nothing was copied; see `lifeboat audit verify --db \(file)`")
            }
            var result = Result(imported: 0, alreadyThere: 0, events: 0, sourceChainHead: before.head, teamChainHead: "")
            for id in try await local.allRunIDs() {
                let events = try await local.events(of: id)
                if try await team.importRun(events, documents: try await local.documents(of: id)) {
                    result.imported += 1
                    result.events += events.count
                } else {
                    result.alreadyThere += 1
                }
            }
            let after = try await team.verifyChain()
            guard after.isOK else { throw LifeboatError(.storeFailure, "team store \(team.display): \(after.description)") }
            result.teamChainHead = after.head
            if output.json {
                try JSONOutput.print(result)
            } else {
                Console.out("imported \(result.imported) run(s) (\(result.events) events), \(result.alreadyThere) already in the team store")
                Console.out("source chain ok (head \(before.head.prefix(16))…); team store chain ok (head \(after.head.prefix(16))…)")
            }
        }
    }
}
