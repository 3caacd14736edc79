import Foundation
import GRDB
import LifeboatCore
import Testing

@testable import LifeboatStore

@Suite struct StoreFileTests {
    @Test func storeAndSideFilesAreMode0600() async throws {
        let folder = try temporaryFolder() + "/fresh/.lifeboat"
        let path = folder + "/state.db"
        let store = try SQLiteStore(path: path)
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        #expect(fileMode(path) == 0o600)
        #expect(fileMode(path + "-wal") == 0o600)
        #expect(fileMode(path + "-shm") == 0o600)
        #expect(fileMode(folder) == 0o700)
    }

    @Test func anExistingLooseStoreIsTightened() async throws {
        let path = try temporaryFolder() + "/state.db"
        do { _ = try SQLiteStore(path: path) }
        chmod(path, 0o644)
        _ = try SQLiteStore(path: path)
        #expect(fileMode(path) == 0o600)
    }

    @Test func walAndSynchronousFullAreInEffect() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let (journal, synchronous, foreignKeys, timeout) = try await store.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(foreignKeys == 1)
        #expect(timeout == 5_000)
    }

    @Test func migrationsAreRecordedByNameAndAppliedOnce() async throws {
        let path = try temporaryFolder() + "/state.db"
        do {
            let store = try SQLiteStore(path: path)
            #expect(try await store.appliedMigrations() == [
                "v1-runs-events-steps", "v2-documents", "v3-leases-controls", "v4-run-measurements", "v5-forced-outcomes-error-details",
                "v6-observed-outage", "v7-step-progress", "v8-evidence-indexes", "v9-no-events-by-kind",
            ])
        }
        let store = try SQLiteStore(path: path)
        #expect(try await store.appliedMigrations() == Migrations.names)
        let raw = try DatabaseQueue(path: path)
        let names = try await raw.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(names == Migrations.names)
    }

    @Test func refusesAFileThatIsNotALifeboatStore() async throws {
        let folder = try temporaryFolder()
        let garbage = folder + "/garbage.db"
        try Data(repeating: 0x42, count: 8_192).write(to: URL(fileURLWithPath: garbage))
        let error = #expect(throws: LifeboatError.self) { try SQLiteStore(path: garbage) }
        #expect(error?.code == .storeFailure)
        #expect(error?.message == "\(garbage) is not a Lifeboat store or is damaged")

        let foreign = folder + "/other-app.db"
        let raw = try DatabaseQueue(path: foreign)
        try await raw.write { db in try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY)") }
        try raw.close()
        let refused = #expect(throws: LifeboatError.self) { try SQLiteStore(path: foreign) }
        #expect(refused?.message == "\(foreign) is not a Lifeboat store or is damaged")
    }

    /// Found by the crash torture: a kill between GRDB's creation of grdb_migrations (its own
    /// transaction) and the first migration left a file every later command refused as damaged.
    @Test func opensAStoreWhoseCreationWasKilledBeforeTheFirstMigration() async throws {
        let path = try temporaryFolder() + "/state.db"
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        }
        try raw.close()
        let store = try SQLiteStore(path: path)
        #expect(try await store.appliedMigrations() == Migrations.names)
    }

    @Test func refusesAStoreFromANewerLifeboat() async throws {
        let path = try temporaryFolder() + "/state.db"
        do { _ = try SQLiteStore(path: path) }
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        try raw.close()
        let error = #expect(throws: LifeboatError.self) { try SQLiteStore(path: path) }
        #expect(error?.message == "store \(path) was written by a newer lifeboat")
    }

    @Test func integrityCheckIsOK() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        try await store.append(Fixtures.successfulRun("r1"), consumingControls: [])
        #expect(try await store.integrityCheck() == "ok")
    }
}
