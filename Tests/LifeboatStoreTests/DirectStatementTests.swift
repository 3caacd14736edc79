import Foundation
import GRDB
import Testing

@testable import LifeboatStore

/// `DirectStatement` writes and reads what GRDB's own statements write and read, and fails as they
/// fail.
@Suite struct DirectStatementTests {
    private func queue() throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: try temporaryFolder() + "/direct.db")
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, n INTEGER)") }
        return queue
    }

    @Test func boundValuesAreStoredAsGRDBStoresThem() throws {
        let labels: [String?] = ["", "plain", "é 日本 🚀", "quote ' and \"", "line\nbreak", nil]
        let numbers: [Int64?] = [0, -1, .max, .min, 42, nil]
        let queue = try queue()
        try queue.write { db in
            let insert = try DirectStatement("INSERT INTO t (id, label, n) VALUES (?, ?, ?)", in: db)
            for (i, (label, number)) in zip(labels, numbers).enumerated() {
                try insert.execute([.integer(Int64(i)), .text(label), .integer(number)])
                try db.execute(sql: "INSERT INTO t (id, label, n) VALUES (?, ?, ?)", arguments: [100 + i, label, number])
            }
        }
        try queue.read { db in
            for i in labels.indices {
                let direct = try #require(try Row.fetchOne(db, sql: "SELECT label, n, typeof(label), typeof(n) FROM t WHERE id = ?", arguments: [i]))
                let grdb = try #require(try Row.fetchOne(db, sql: "SELECT label, n, typeof(label), typeof(n) FROM t WHERE id = ?", arguments: [100 + i]))
                #expect(direct == grdb)
                #expect(direct[0] as String? == labels[i])
                #expect(direct[1] as Int64? == numbers[i])
            }
        }
    }

    @Test func firstReadsTheFirstRowOrNothing() throws {
        let queue = try queue()
        try queue.write { db in
            try db.execute(sql: "INSERT INTO t (id, label, n) VALUES (1, 'one', NULL), (2, NULL, 2)")
            let select = try DirectStatement("SELECT label, n FROM t WHERE id >= ? ORDER BY id", in: db)
            let first = try select.first([.integer(1)]) { [$0.text(0), $0.integer(1).map(String.init)] }
            #expect(first == ["one", nil])
            let second = try select.first([.integer(2)]) { [$0.text(0), $0.integer(1).map(String.init)] }
            #expect(second == [nil, "2"])
            #expect(try select.first([.integer(3)]) { $0.text(0) } == nil)
        }
    }

    @Test func aFailureThrowsGRDBsErrorAndTheStatementRunsAgain() throws {
        let queue = try queue()
        try queue.write { db in
            let insert = try DirectStatement("INSERT INTO t (id, label) VALUES (?, ?)", in: db)
            try insert.execute([.integer(1), .text("a")])
            var failure: DatabaseError?
            do { try insert.execute([.integer(1), .text("again")]) } catch let error as DatabaseError { failure = error }
            let error = try #require(failure)
            #expect(error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY)
            #expect(error.sql == "INSERT INTO t (id, label) VALUES (?, ?)")
            #expect(error.message?.contains("UNIQUE constraint failed: t.id") == true, "\(error)")
            try insert.execute([.integer(2), .text("b")])
            #expect(try String.fetchAll(db, sql: "SELECT label FROM t ORDER BY id") == ["a", "b"])
        }
    }
}
