import ArgumentParser
import Foundation
import LifeboatStore

/// Options every command that touches the state store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "State store: a SQLite file, or the team store on PostgreSQL (postgresql://… or a conninfo such as 'service=lifeboat'). Default: $LIFEBOAT_DB, else .lifeboat/state.db in the current folder.",
        valueName: "store"))
    var db: String?

    var location: StoreLocation { StoreLocation(path) }

    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["LIFEBOAT_DB"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/.lifeboat/state.db"
    }
}

/// Who is acting: recorded with runs, approvals, resolutions and aborts.
struct OperatorOption: ParsableArguments {
    @Option(name: [.customLong("operator"), .customLong("by")], help: ArgumentHelp(
        "Who is acting (recorded in the audit log). Default: $LIFEBOAT_OPERATOR, else $USER.", valueName: "name"))
    var name: String?

    /// An empty name would be recorded as someone else (the account running the command).
    func validate() throws {
        if let name, name.allSatisfy(\.isWhitespace) {
            throw ValidationError("--by / --operator needs a name (it is recorded in the audit log); leave it out to use $LIFEBOAT_OPERATOR or $USER")
        }
    }

    var resolved: String {
        if let name { return name }
        let env = ProcessInfo.processInfo.environment
        if let name = env["LIFEBOAT_OPERATOR"], !name.isEmpty { return name }
        if let name = env["USER"], !name.isEmpty { return name }
        return SystemAccounts.accountName(getuid())
    }
}

struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false
}

/// `-p key=value` parameter overrides.
struct ParamOptions: ParsableArguments {
    @Option(name: [.customShort("p"), .customLong("param")], help: ArgumentHelp(
        "Override a runbook parameter (repeatable), e.g. -p to_region=us-east-1.", valueName: "key=value"))
    var params: [String] = []

    func overrides() throws -> [String: String] {
        var out: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("-p \(p): write parameters as key=value")
            }
            out[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return out
    }
}
