import Foundation
import GRDB
import LifeboatTestSupport

/// The CLI tests' name for the shared launcher of the built binary.
typealias CLI = LifeboatCLI

extension LifeboatCLI {
    /// `PRAGMA integrity_check` on the store, read through a separate SQLite connection.
    func integrityCheck() throws -> String {
        let queue = try DatabaseQueue(path: dbPath)
        return try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
