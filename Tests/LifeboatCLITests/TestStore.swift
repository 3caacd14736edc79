import Foundation
import LifeboatPostgresHarness
import LifeboatTestSupport
import Testing

/// The two stores a CLI test that reads the store runs against: a SQLite file of its own, or a team
/// store (a PostgreSQL database of its own on the shared cluster the harness starts on 127.0.0.1).
enum TestStore: CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case team

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite store"
        case .team: "team store"
        }
    }
}

extension LifeboatCLI {
    /// A fresh temp folder whose store is `store`.
    static func on(_ store: TestStore) async throws -> LifeboatCLI {
        var cli = try LifeboatCLI()
        if store == .team {
            cli.environment["LIFEBOAT_DB"] = try await TeamStoreDatabase.fresh().conninfo
        }
        return cli
    }

    /// Whether `LIFEBOAT_DB` is a team store's conninfo rather than a SQLite file's path.
    var isTeamStore: Bool { !dbPath.hasPrefix("/") }

    /// The account the binary records beside a name: the operating system account that runs the
    /// tests, or on the team store the role it authenticated as (the harness's `lifeboat`).
    var recordedAccount: String { isTeamStore ? "lifeboat" : CLI.osAccount }

    /// How the binary names the tests' operator: `tester (account …)`.
    var recordedTester: String { "tester (account \(recordedAccount))" }

    /// How `show` names the process executing a run: its pid, and on the team store its host first.
    func executor(pid: Int32) -> String {
        isTeamStore ? "executor \(ProcessInfo.processInfo.hostName) pid \(pid)" : "executor pid \(pid)"
    }
}
