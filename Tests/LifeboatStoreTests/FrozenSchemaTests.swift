import Foundation
import GRDB
import LifeboatCore
import Synchronization
import Testing

@testable import LifeboatStore

@Suite struct FrozenSchemaTests {
    /// Every schema object with its text as SQLite keeps it, the file's ids and the migration rows.
    private static func schema(_ db: some DatabaseReader) throws -> [String] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
                .map { row in "\(row[0] as String) \(row[1] as String) on \(row[2] as String): \(row[3] as String? ?? "-")" }
                + ["application_id \(try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0)"]
                + ["user_version \(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)"]
                + (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"))
        }
    }

    @Test func aNewStoreHasTheSchemaTheMigrationsMake() throws {
        let folder = try temporaryFolder()
        let frozen = try DatabaseQueue(path: folder + "/frozen.db")
        try Migrations.migrate(frozen, path: "frozen.db")
        let migrated = try DatabaseQueue(path: folder + "/migrated.db")
        try Migrations.migrate(migrated, path: "migrated.db", frozen: false)

        let expected = try Self.schema(migrated)
        #expect(try Self.schema(frozen) == expected)
        #expect(expected.count > 30 && expected.contains("v9-no-events-by-kind"))
        #expect(try migrated.read { try Migrations.migrator.hasCompletedMigrations($0) })
    }

    @Test func aNewStoreIsMadeWithoutReplayingTheMigrations() throws {
        let statements = Mutex<[String]>([])
        var configuration = Configuration()
        configuration.prepareDatabase { db in db.trace { event in statements.withLock { $0.append("\(event)") } } }
        let queue = try DatabaseQueue(path: try temporaryFolder() + "/state.db", configuration: configuration)
        try Migrations.migrate(queue, path: "state.db")

        let seen = statements.withLock { $0 }
        #expect(seen.contains { $0.hasPrefix("CREATE TABLE runs") })
        #expect(!seen.contains { $0.contains("ALTER TABLE") || $0.contains("DROP INDEX") })
    }

    @Test func aStoreMigratedPartwayGetsTheRestOfTheMigrations() throws {
        let folder = try temporaryFolder()
        let old = try DatabaseQueue(path: folder + "/old.db")
        try Migrations.migrator.migrate(old, upTo: Migrations.names[4])
        try Migrations.migrate(old, path: "old.db")
        let migrated = try DatabaseQueue(path: folder + "/migrated.db")
        try Migrations.migrate(migrated, path: "migrated.db", frozen: false)
        #expect(try Self.schema(old) == Self.schema(migrated))
    }
}
