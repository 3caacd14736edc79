import Foundation
import GRDB
import LifeboatCore
import Testing

@testable import LifeboatStore

@Suite struct EventChainTests {
    /// A store with two runs' worth of events (15 rows), and its path.
    func populatedStore() async throws -> (SQLiteStore, String) {
        let path = try temporaryFolder() + "/state.db"
        let store = try SQLiteStore(path: path)
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        try await store.append(Array(Fixtures.successfulRun("r1").prefix(6)), consumingControls: [])
        try await store.createRun(
            id: "r2", created: Fixtures.created("r2", scenario: "db-corruption"), documents: Fixtures.documents)
        try await store.append(Array(Fixtures.successfulRun("r2").prefix(7)), consumingControls: [])
        return (store, path)
    }

    /// Tampers with the file through a separate connection, as an attacker with file access would.
    func tamper(_ path: String, _ sql: String, _ arguments: StatementArguments = []) async throws {
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete")
            try db.execute(sql: sql, arguments: arguments)
        }
        try raw.close()
    }

    @Test func anUntouchedChainVerifies() async throws {
        let (store, _) = try await populatedStore()
        let result = try await store.verifyChain()
        #expect(result.isOK)
        #expect(result.eventsChecked == 15)
        #expect(result.head.count == 64)
        let first = try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT prev_hash, hash, payload FROM events ORDER BY seq LIMIT 1")
                .map { row in [row["prev_hash"], row["hash"], row["payload"]] as [String] }
        }
        let row = try #require(first)
        #expect(row[0] == EventChain.genesis)
        #expect(row[1] == EventChain.hash(prev: EventChain.genesis, seq: 1, runID: "r1", payload: row[2]))
    }

    /// The row hash is the documented formula, so an auditor can recompute it without Lifeboat:
    /// hex SHA-256 of `prev_hash \n seq \n run_id \n payload` (the value below is Python's
    /// `hashlib.sha256(("0"*64 + "\n1\nr1\n" + '{"k":1}').encode()).hexdigest()`).
    @Test func theRowHashIsTheDocumentedFormula() {
        #expect(EventChain.hash(prev: EventChain.genesis, seq: 1, runID: "r1", payload: #"{"k":1}"#)
            == "211a995677564338ac5c401475a01644972e600c7a7a91202a53ffb46f024bed")
    }

    @Test func theTriggersRefuseUpdatesAndDeletes() async throws {
        let (store, _) = try await populatedStore()
        await #expect(throws: (any Error).self) {
            try await store.database.write { db in try db.execute(sql: "DELETE FROM events WHERE seq = 3") }
        }
        await #expect(throws: (any Error).self) {
            try await store.database.write { db in try db.execute(sql: "UPDATE events SET at_ms = 0 WHERE seq = 3") }
        }
        #expect(try await store.verifyChain().isOK)
    }

    @Test func anEditedPayloadIsNamed() async throws {
        let (store, path) = try await populatedStore()
        try await tamper(path, "UPDATE events SET payload = replace(payload, 'bob', 'mallory') WHERE seq = 4")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 4)
        #expect(result.firstBreak?.runID == "r1")
        #expect(result.firstBreak?.reason == .hashMismatch)
        #expect(result.eventsChecked == 3)
        #expect(result.description.contains("event 4 (run r1)"))
    }

    @Test func aRewrittenRowWithARecomputedHashBreaksTheNextLink() async throws {
        let (store, path) = try await populatedStore()
        let stored = try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT prev_hash, run_id, payload FROM events WHERE seq = 5")
                .map { row in [row["prev_hash"], row["run_id"], row["payload"]] as [String] }
        }
        let row = try #require(stored)
        let forged = row[2].replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":9")
        #expect(forged != row[2])
        let forgedHash = EventChain.hash(prev: row[0], seq: 5, runID: row[1], payload: forged)
        try await tamper(path, "UPDATE events SET payload = ?, hash = ? WHERE seq = 5", [forged, forgedHash])
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 5)
        #expect(result.firstBreak?.runID == "r1")
        #expect(result.firstBreak?.reason == .brokenLink)
        #expect(result.eventsChecked == 4)
    }

    @Test func aDeletedRowIsAGap() async throws {
        let (store, path) = try await populatedStore()
        try await tamper(path, "DELETE FROM events WHERE seq = 9")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 9)
        #expect(result.firstBreak?.reason == .gap)
        #expect(result.description.contains("from event 8 (run r2) to event 10 (run r2)"))
    }

    /// Deleting the newest events (the last one alone too: the one that shows how the run ended)
    /// is a gap, found from the sequence SQLite recorded.
    @Test(arguments: [Int64(14), 15])
    func aTruncatedLogIsAGap(from seq: Int64) async throws {
        let (store, path) = try await populatedStore()
        try await tamper(path, "DELETE FROM events WHERE seq >= \(seq)")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == seq)
        #expect(result.firstBreak?.reason == .gap)
    }

    /// Each queryable column that `history`, `report` and the projections read is compared with the
    /// hashed payload: a faked time, kind or step is named, not trusted.
    @Test(arguments: [
        "at_ms = at_ms + 60000",
        "kind = 'stepFailed'",
        "step_id = 'smoke'",
    ])
    func anEditedColumnIsNamed(assignment: String) async throws {
        let (store, path) = try await populatedStore()
        try await tamper(path, "UPDATE events SET \(assignment) WHERE seq = 11")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 11)
        #expect(result.firstBreak?.runID == "r2")
        #expect(result.firstBreak?.reason == .columnMismatch)
    }

    /// The stored hash of event `seq`, to forge rows from.
    func storedHash(_ store: SQLiteStore, _ seq: Int64) async throws -> String {
        try #require(try await store.read { db in try String.fetchOne(db, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [seq]) })
    }

    @Test func anInsertedRowWithAValidHashIsNamed() async throws {
        let (store, path) = try await populatedStore()
        // The attacker shifts events 10… up by one and inserts a well-formed event 10 of run r1
        // whose prev_hash and hash are computed correctly.
        let forged = Fixtures.event("r1", 1_700_000_099_000, .stepNoted(step: "smoke", note: "all fine", by: "mallory"))
        let payload = try CanonicalJSON.encode(forged)
        let prevHash = try await storedHash(store, 9)
        let hash = EventChain.hash(prev: prevHash, seq: 10, runID: "r1", payload: payload)
        try await tamper(path, "UPDATE events SET seq = seq + 1000 WHERE seq >= 10")
        try await tamper(path, "UPDATE events SET seq = seq - 999 WHERE seq >= 1000")
        try await tamper(
            path,
            "INSERT INTO events (seq, run_id, at_ms, mono_ms, session, kind, step_id, payload, prev_hash, hash) VALUES (10, 'r1', ?, 0, 's', 'stepNoted', 'smoke', ?, ?, ?)",
            [forged.atMs, payload, prevHash, hash])
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 10)
        #expect(result.firstBreak?.runID == "r1")
        #expect(result.firstBreak?.reason == .inserted)
    }

    @Test func aRowAppendedWithABadHashIsNamed() async throws {
        let (store, path) = try await populatedStore()
        let forged = Fixtures.event("r2", 1_700_000_099_000, .stepNoted(step: "smoke", note: "x", by: "mallory"))
        try await tamper(
            path,
            "INSERT INTO events (seq, run_id, at_ms, mono_ms, session, kind, step_id, payload, prev_hash, hash) VALUES (16, 'r2', ?, 0, 's', 'stepNoted', 'smoke', ?, ?, ?)",
            [forged.atMs, try CanonicalJSON.encode(forged), String(repeating: "1", count: 64), String(repeating: "2", count: 64)])
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 16)
        #expect(result.firstBreak?.runID == "r2")
        #expect(result.firstBreak?.reason == .hashMismatch)
    }

    @Test func reorderedRowsAreNamed() async throws {
        let (store, path) = try await populatedStore()
        // Events 11 and 12 (both of run r2) exchange places.
        try await tamper(path, "UPDATE events SET seq = 1000 WHERE seq = 11")
        try await tamper(path, "UPDATE events SET seq = 11 WHERE seq = 12")
        try await tamper(path, "UPDATE events SET seq = 12 WHERE seq = 1000")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 11)
        #expect(result.firstBreak?.runID == "r2")
        #expect(result.firstBreak?.reason == .reordered)
        #expect(result.eventsChecked == 10)
    }

    @Test func rowsMovedAcrossRunsAreNamed() async throws {
        let (store, path) = try await populatedStore()
        // Event 8 (the first of r2, runCreated) and event 7 (the last of r1) exchange places.
        try await tamper(path, "UPDATE events SET seq = 1000 WHERE seq = 7")
        try await tamper(path, "UPDATE events SET seq = 7 WHERE seq = 8")
        try await tamper(path, "UPDATE events SET seq = 8 WHERE seq = 1000")
        let result = try await store.verifyChain()
        #expect(result.firstBreak?.seq == 7)
        #expect(result.firstBreak?.runID == "r2")
        #expect(result.firstBreak?.reason == .reordered)
    }

    @Test func exportedEventsReverifyFromTheirColumnsAlone() async throws {
        let (store, _) = try await populatedStore()
        let collected = Collected()
        let counts = try await store.exportAudit(runID: nil, sinceMs: nil, untilMs: nil) { record in
            if case .event(let e) = record { collected.add(e) }
        }
        #expect(counts.runs == 2)
        #expect(counts.events == 15)
        let events = collected.all
        #expect(events.allSatisfy { $0.hashIsValid })
        #expect(zip(events, events.dropFirst()).allSatisfy { $1.prevHash == $0.hash })
        #expect(events.last?.hash == (try await store.chainHead()))
        let one = Collected()
        try await store.exportAudit(runID: "r2", sinceMs: nil, untilMs: nil) { if case .event(let e) = $0 { one.add(e) } }
        #expect(one.all.map(\.seq) == Array(8...15))
        await #expect(throws: LifeboatError.self) {
            try await store.exportAudit(runID: "nope", sinceMs: nil, untilMs: nil) { _ in }
        }
    }

    @Test func anEditedProjectionIsFound() async throws {
        let (store, path) = try await populatedStore()
        #expect(try await store.verifyProjections().isEmpty)
        try await tamper(path, "UPDATE steps SET status = 'succeeded' WHERE run_id = 'r2' AND step_id = 'smoke'")
        let mismatches = try await store.verifyProjections()
        #expect(mismatches.map(\.description) == ["run r2 step smoke: steps row differs from its events"])
    }

    @Test func concurrentWritersFromTwoConnectionsKeepOneValidChain() async throws {
        let path = try temporaryFolder() + "/state.db"
        let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
        let perWriter = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    let id = "run-\(index)"
                    try await store.createRun(
                        id: id, created: Fixtures.created(id, plan: "plan-\(index)"), documents: Fixtures.documents)
                    for n in 0..<perWriter {
                        try await store.append(
                            [Fixtures.event(id, 1_700_000_000_000 + Int64(n), .stepNoted(step: "smoke", note: "n\(n)", by: "t"))],
                            consumingControls: [])
                    }
                }
            }
            try await group.waitForAll()
        }
        let result = try await stores[0].verifyChain()
        #expect(result.isOK, "\(result)")
        #expect(result.eventsChecked == 2 * (perWriter + 1))
        #expect(try await stores[1].events(of: "run-0").count == perWriter + 1)
        #expect(try await stores[1].integrityCheck() == "ok")
        #expect(try await stores[1].verifyProjections().isEmpty)
    }

    /// `kindName` (a switch) agrees with the case label `Mirror` reports, for every kind.
    @Test func kindNamesAreTheCaseNames() {
        let kinds = Fixtures.everyKind(result: ActionResult(summary: "ok"), error: StepError(code: .actionFailed, message: "no", retryable: false))
        #expect(Set(kinds.map(EventChain.kindName)).count == 27)
        for kind in kinds {
            #expect(EventChain.kindName(kind) == Mirror(reflecting: kind).children.first?.label)
        }
    }
}

/// Events gathered from an export callback.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ChainedEvent] = []
    func add(_ e: ChainedEvent) { lock.withLock { events.append(e) } }
    var all: [ChainedEvent] { lock.withLock { events } }
}
