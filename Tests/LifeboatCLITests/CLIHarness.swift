import Foundation
import GRDB
import LifeboatTestSupport

/// The CLI tests' name for the shared launcher of the built binary.
typealias CLI = LifeboatCLI

extension LifeboatCLI {
    /// "ok" when the store is whole: `lifeboat audit verify` passes (hash chain and projections)
    /// and, for a SQLite file, `PRAGMA integrity_check` read through a separate connection says so;
    /// otherwise what was found.
    func integrityCheck() throws -> String {
        let verify = try run("audit", "verify")
        guard verify.status == 0 else { return "audit verify exited \(verify.status): \(verify.output)" }
        if isTeamStore { return "ok" }
        let queue = try DatabaseQueue(path: dbPath)
        return try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
