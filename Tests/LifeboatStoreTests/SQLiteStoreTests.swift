import Foundation
import GRDB
import LifeboatCore
import Testing

@testable import LifeboatStore

@Suite struct SQLiteStoreTests {
    @Test func createsRunAndReadsEverythingBack() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/nested/dir/state.db")
        let created = Fixtures.created("r1")
        try await store.createRun(id: "r1", created: created, documents: Fixtures.documents)
        let life = Fixtures.successfulRun("r1")
        try await store.append(Array(life.prefix(3)), consumingControls: [])
        try await store.append(Array(life.dropFirst(3)), consumingControls: [])

        let events = try await store.events(of: "r1")
        #expect(events.count == life.count + 1)
        #expect(Array(events.dropFirst()) == life)
        // The store fills the documents hash into the recorded runCreated event.
        guard case .runCreated(let header) = events[0].kind else {
            Issue.record("first event is \(events[0].kind)")
            return
        }
        #expect(header.documentsHash == SQLiteStore.documentsHash(Fixtures.documents))
        #expect(header.documentsHash.count == 64)

        let run = try #require(try await store.run("r1"))
        #expect(run.status == .succeeded)
        #expect(run.documentsHash == header.documentsHash)
        #expect(run.objectives == Objectives(rtoMs: 2_700_000, rpoMs: 300_000))
        #expect(try await store.steps(of: "r1").map(\.stepID) == Fixtures.stepIDs)

        let documents = try await store.documents(of: "r1")
        #expect(documents.map(\.source) == Fixtures.documents)
        #expect(documents[0].sha256 == "\(Digests.sha256(Fixtures.documents[0].text))")
        #expect(try await store.run("nope") == nil)
        #expect(try await store.events(of: "nope").isEmpty)
    }

    @Test func projectionsMatchTheFoldOfTheEvents() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let hash = SQLiteStore.documentsHash(Fixtures.documents)
        let created = Fixtures.event("r1", 1_700_000_000_000, .runCreated(Fixtures.header(documentsHash: hash)))
        try await store.createRun(id: "r1", created: created, documents: Fixtures.documents)
        let life = Fixtures.successfulRun("r1")
        for event in life { try await store.append([event], consumingControls: []) }

        let (run, steps) = try Fixtures.fold([created] + life)
        #expect(try await store.run("r1") == run)
        #expect(try await store.steps(of: "r1") == steps)
        #expect(try await store.verifyProjections().isEmpty)
        let promote = try #require(steps.first { $0.stepID == "promote" })
        #expect(promote.attempts == 2 && promote.status == .succeeded && promote.outputs["timeline"] == 2)
    }

    @Test func refusesADocumentsHashThatDoesNotMatch() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let created = Fixtures.event("r1", 1, .runCreated(Fixtures.header(documentsHash: "bogus")))
        await #expect(throws: LifeboatError.self) {
            try await store.createRun(id: "r1", created: created, documents: Fixtures.documents)
        }
        #expect(try await store.run("r1") == nil)
    }

    @Test func leaseRefusesASecondActiveRunUntilTheFirstEnds() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)

        let error = await #expect(throws: LifeboatError.self) {
            try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_100_000), documents: [])
        }
        #expect(error?.code == .leaseHeld)
        #expect(error?.message == "plan payment-platform scenario region-failure already has an active run r1 (created)")
        #expect(error?.hint == "resume it with `lifeboat resume r1` or end it with `lifeboat abort r1`")
        #expect(try await store.run("r2") == nil)

        // Another scenario of the same plan is free.
        try await store.createRun(
            id: "other", created: Fixtures.created("other", scenario: "db-corruption"), documents: [])

        // A failed run keeps the lease; aborting it releases it.
        try await store.append(
            [Fixtures.event("r1", 1_700_000_001_000, .executorStarted(pid: 1, host: "h", resumed: false)),
             Fixtures.event("r1", 1_700_000_002_000, .runFinished(outcome: .failed))],
            consumingControls: [])
        let stillHeld = await #expect(throws: LifeboatError.self) {
            try await store.createRun(id: "r2", created: Fixtures.created("r2"), documents: [])
        }
        #expect(stillHeld?.message.contains("r1 (failed)") == true)
        try await store.append([Fixtures.event("r1", 1_700_000_003_000, .runFinished(outcome: .aborted))], consumingControls: [])
        try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_004_000), documents: [])

        // A succeeded run releases it too.
        try await store.append(Fixtures.successfulRun("r2", start: 1_700_000_004_000), consumingControls: [])
        try await store.createRun(id: "r3", created: Fixtures.created("r3", at: 1_700_000_100_000), documents: [])

        // A finished run that starts rolling back needs the lease again, and cannot take it from r3.
        let rollback = await #expect(throws: LifeboatError.self) {
            try await store.append(
                [Fixtures.event("r2", 1_700_000_200_000, .rollbackStarted(by: "alice", strategy: .stopOnFailure))],
                consumingControls: [])
        }
        #expect(rollback?.code == .leaseHeld)
        #expect(try await store.run("r2")?.status == .succeeded)
    }

    /// A paused run (interrupted, awaiting approval, an unknown step) is resumable, so it keeps its
    /// plan+scenario lease: a second run must not start beside it.
    @Test(arguments: [RunEvent.PauseReason.interrupted, .awaitingApproval, .unknownStep])
    func aPausedRunKeepsTheLease(reason: RunEvent.PauseReason) async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        try await store.append(
            [Fixtures.event("r1", 1_700_000_001_000, .executorStarted(pid: 1, host: "h", resumed: false)),
             Fixtures.event("r1", 1_700_000_002_000, .runPaused(reason: reason))],
            consumingControls: [])
        #expect(try await store.run("r1")?.status == .paused)
        let refused = await #expect(throws: LifeboatError.self) {
            try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_003_000), documents: [])
        }
        #expect(refused?.code == .leaseHeld)
        #expect(refused?.message.contains("active run r1 (paused)") == true)
        #expect(try await store.run("r2") == nil)
    }

    /// The `leases` row exists exactly while its run's status holds the lease: a run that ended
    /// (succeeded, aborted, rolled back) leaves no row claiming it is active, for anyone reading
    /// the store.
    @Test func theLeaseRowExistsExactlyWhileTheRunHoldsTheLease() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        func holders() async throws -> [String] {
            try await store.read { db in try String.fetchAll(db, sql: "SELECT run_id FROM leases ORDER BY run_id") }
        }
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        #expect(try await holders() == ["r1"])
        try await store.append(
            [Fixtures.event("r1", 1_700_000_001_000, .executorStarted(pid: 1, host: "h", resumed: false)),
             Fixtures.event("r1", 1_700_000_002_000, .runFinished(outcome: .failed))],
            consumingControls: [])
        #expect(try await holders() == ["r1"])
        try await store.append([Fixtures.event("r1", 1_700_000_003_000, .runFinished(outcome: .aborted))], consumingControls: [])
        #expect(try await holders() == [])
        try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_004_000), documents: [])
        try await store.append(Fixtures.successfulRun("r2", start: 1_700_000_004_000), consumingControls: [])
        #expect(try await holders() == [])
        try await store.append(
            [Fixtures.event("r2", 1_700_000_100_000, .rollbackStarted(by: "alice", strategy: .stopOnFailure))],
            consumingControls: [])
        #expect(try await holders() == ["r2"])
        try await store.append([Fixtures.event("r2", 1_700_000_101_000, .rollbackFinished(outcome: .succeeded))], consumingControls: [])
        #expect(try await holders() == [])
    }

    @Test func runsAreListedNewestFirstWithFilters() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        for (i, plan) in ["a", "b", "a", "a"].enumerated() {
            let id = "run-\(i)"
            try await store.createRun(
                id: id, created: Fixtures.created(id, at: 1_000 + Int64(i), plan: plan, scenario: "s\(i)"), documents: [])
        }
        try await store.append([Fixtures.event("run-2", 5_000, .runFinished(outcome: .aborted))], consumingControls: [])

        #expect(try await store.runs(matching: RunFilter()).map(\.id) == ["run-3", "run-2", "run-1", "run-0"])
        #expect(try await store.runs(matching: RunFilter(planID: "a")).map(\.id) == ["run-3", "run-2", "run-0"])
        #expect(try await store.runs(matching: RunFilter(planID: "a", scenario: "s0")).map(\.id) == ["run-0"])
        #expect(try await store.runs(matching: RunFilter(status: .aborted)).map(\.id) == ["run-2"])
        #expect(try await store.runs(matching: RunFilter(mode: .execute)).isEmpty)
        #expect(try await store.runs(matching: RunFilter(limit: 2)).map(\.id) == ["run-3", "run-2"])
    }

    @Test func controlsAreQueuedAndConsumedWithTheEvents() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        let approve = try await store.post(ControlMessage(runID: "r1", kind: .approve(step: "declare"), by: "bob", atMs: 10))
        try await store.postControl(ControlMessage(runID: "r1", kind: .abort(reason: "wrong region"), by: "carol", atMs: 11))
        let pending = try await store.pendingControls(of: "r1")
        #expect(pending.map(\.kind) == [.approve(step: "declare"), .abort(reason: "wrong region")])
        #expect(pending[0].id == approve && pending[0].by == "bob")

        try await store.append(
            [Fixtures.event("r1", 12, .executorStarted(pid: 1, host: "h", resumed: false)),
             Fixtures.event("r1", 12, .approvalRequested(step: "declare", prompt: "Fail over?"))],
            consumingControls: [])
        try await store.append(
            [Fixtures.event("r1", 20, .approvalGranted(step: "declare", by: "bob", via: "lifeboat approve", waitMs: 5))],
            consumingControls: [approve])
        #expect(try await store.pendingControls(of: "r1").map(\.by) == ["carol"])

        let missing = await #expect(throws: LifeboatError.self) {
            try await store.postControl(ControlMessage(runID: "nope", kind: .abort(reason: "x"), by: "x", atMs: 1))
        }
        #expect(missing?.code == .notFound)
    }

    @Test func aFailedAppendLeavesNothingBehind() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        let before = try await store.run("r1")
        // The second event names a step the run does not have: the whole append is refused.
        await #expect(throws: LifeboatError.self) {
            try await store.append(
                [Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false)),
                 Fixtures.event("r1", 3, .stepStarted(step: "ghost", attempt: 1))],
                consumingControls: [])
        }
        #expect(try await store.events(of: "r1").count == 1)
        #expect(try await store.run("r1") == before)
        #expect(try await store.verifyChain().isOK)
    }

    /// The decoded log a store holds is only ever what was committed: an append that rolls back
    /// late (here a statement after the events fails, as on a full disk) leaves no event in it.
    @Test func aRolledBackAppendLeavesNoEventInTheHeldLog() async throws {
        let path = try temporaryFolder() + "/state.db"
        let store = try SQLiteStore(path: path)
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        #expect(try await store.events(of: "r1").count == 1)  // now held
        let other = try DatabaseQueue(path: path)
        try await other.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let started = Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false))
        await #expect(throws: (any Error).self) { try await store.append([started], consumingControls: []) }
        #expect(try await store.events(of: "r1").count == 1)
        try await other.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        try await store.append([started], consumingControls: [])
        #expect(try await store.events(of: "r1").map(\.kind).last == started.kind)
    }

    /// Two processes sharing the file take turns: each append links to the other's last row.
    @Test func twoConnectionsTakingTurnsKeepOneWholeChain() async throws {
        let path = try temporaryFolder() + "/state.db"
        let first = try SQLiteStore(path: path)
        let second = try SQLiteStore(path: path)
        try await first.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        try await second.createRun(id: "r2", created: Fixtures.created("r2", scenario: "other"), documents: [])
        let (one, two) = (Fixtures.successfulRun("r1"), Fixtures.successfulRun("r2"))
        for (a, b) in zip(one, two) {
            try await first.append([a], consumingControls: [])
            try await second.append([b], consumingControls: [])
        }
        let verification = try await first.verifyChain()
        #expect(verification.isOK, "\(verification.description)")
        #expect(verification.eventsChecked == 2 + one.count + two.count)
    }

    /// An append that rolls back after extending the chain (here the lease refuses it) leaves the
    /// chain as it was: the next append links to the last committed row.
    @Test func aRolledBackAppendLeavesTheChainWhole() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        try await store.append(Fixtures.successfulRun("r1"), consumingControls: [])
        try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_100_000), documents: [])
        let rollback = Fixtures.event("r1", 1_700_000_200_000, .rollbackStarted(by: "alice", strategy: .stopOnFailure))
        await #expect(throws: LifeboatError.self) { try await store.append([rollback], consumingControls: []) }
        try await store.append(
            [Fixtures.event("r2", 1_700_000_300_000, .executorStarted(pid: 1, host: "h", resumed: false))], consumingControls: [])
        let verification = try await store.verifyChain()
        #expect(verification.isOK, "\(verification.description)")
        #expect(try await store.events(of: "r2").count == 2)
    }

    /// A write whose lock another connection holds does not fail at once: it waits for the lock
    /// (on the store's queue) and commits when it is released, with the busy timeout as it was.
    @Test func aWriteWaitsForAnotherConnectionsLockThenCommits() async throws {
        let path = try temporaryFolder() + "/state.db"
        let store = try SQLiteStore(path: path)
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        // Another connection takes the write lock and keeps it until told.
        let other = try DatabaseQueue(path: path)
        let (holding, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        DispatchQueue.global().async {
            try? other.write { _ in
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        let started = Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false))
        let append = Task { try await store.append([started], consumingControls: []) }
        try await Task.sleep(for: .milliseconds(300))
        // Nothing committed yet (a third connection looks: the store's own waits for its write).
        let observer = try DatabaseQueue(path: path)
        #expect(try await observer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") } == 1)
        release.signal()
        try await append.value
        #expect(try await store.events(of: "r1").map(\.kind).last == started.kind)
        #expect(try await store.read { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") } == 5_000)
        #expect(try await store.verifyChain().isOK)
    }

    /// Writes of one store issued together (one may run at once, the others queue) all commit, in
    /// one whole chain, and leave the busy timeout as it was.
    @Test func concurrentWritesOfOneStoreAllCommit() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let id = "r\(index)"
                    try await store.createRun(id: id, created: Fixtures.created(id, scenario: "s\(index)"), documents: [])
                    try await store.append(Fixtures.successfulRun(id), consumingControls: [])
                }
            }
            try await group.waitForAll()
        }
        let verification = try await store.verifyChain()
        #expect(verification.isOK, "\(verification.description)")
        #expect(verification.eventsChecked == 8 * (1 + Fixtures.successfulRun("r0").count))
        #expect(try await store.read { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") } == 5_000)
    }

    /// A held log takes in what another process recorded since (it decodes only those rows).
    @Test func aHeldLogTakesInTheEventsAnotherProcessRecorded() async throws {
        let path = try temporaryFolder() + "/state.db"
        let first = try SQLiteStore(path: path)
        let second = try SQLiteStore(path: path)
        try await first.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        let life = Fixtures.successfulRun("r1")
        try await first.append(Array(life.prefix(3)), consumingControls: [])
        #expect(try await first.events(of: "r1").count == 4)
        try await second.append(Array(life.dropFirst(3)), consumingControls: [])
        #expect(Array(try await first.events(of: "r1").dropFirst()) == life)
        #expect(try await first.events(of: "r1") == (try await SQLiteStore(path: path).events(of: "r1")))
    }

    /// An append compares its rows with those this process last wrote (instead of reading them)
    /// only while nobody else recorded an event of the run since: here another process changed
    /// `promote` (failed, retry scheduled) between this one's appends.
    @Test func heldRowsGiveWayToAnotherProcessesAppend() async throws {
        let path = try temporaryFolder() + "/state.db"
        let (first, second, machineSide) = (try SQLiteStore(path: path), try SQLiteStore(path: path), try SQLiteStore(path: path))
        let hash = SQLiteStore.documentsHash(Fixtures.documents)
        let created = Fixtures.event("r1", 1_700_000_000_000, .runCreated(Fixtures.header(documentsHash: hash)))
        try await first.createRun(id: "r1", created: created, documents: Fixtures.documents)
        let life = Fixtures.successfulRun("r1")
        for (store, range) in [(first, 0..<4), (second, 4..<6), (first, 6..<life.count)] {
            for event in life[range] {
                // As the engine appends: with the rows its machine derives, not read by this store.
                let rows = try await Fixtures.rows(after: [event], in: machineSide)
                try await store.append([event], rows: rows, consumingControls: [], pinning: [])
            }
        }
        let (run, steps) = try Fixtures.fold([created] + life)
        #expect(try await SQLiteStore(path: path).run("r1") == run)
        #expect(try await SQLiteStore(path: path).steps(of: "r1") == steps)
        #expect(try await first.verifyProjections().isEmpty)
    }

    @Test func appendFromACancelledTaskStillCommits() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let created = Fixtures.created("r1")
        try await store.createRun(id: "r1", created: created, documents: [])
        try await store.append([Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false))], consumingControls: [])
        // As the engine appends: with the rows its machine derives (no read before the write).
        let paused = Fixtures.event("r1", 3, .runPaused(reason: .interrupted))
        let rows = try await Fixtures.rows(after: [paused], in: store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                withUnsafeCurrentTask { $0?.cancel() }
                #expect(Task.isCancelled)
                try await store.append([paused], rows: rows, consumingControls: [], pinning: [])
            }
            try await group.waitForAll()
        }
        #expect(try await store.run("r1")?.status == .paused)
        #expect(try await store.run("r1")?.pauseReason == .interrupted)
    }

    /// Appends update only the changed columns; the rows must still be byte for byte what a full
    /// upsert of the folded records writes.
    @Test func projectionRowsAreByteIdenticalToAFullUpsert() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let hash = SQLiteStore.documentsHash(Fixtures.documents)
        let created = Fixtures.event("r1", 1_700_000_000_000, .runCreated(Fixtures.header(documentsHash: hash)))
        try await store.createRun(id: "r1", created: created, documents: Fixtures.documents)
        let life = Fixtures.successfulRun("r1")
        for event in life { try await store.append([event], consumingControls: []) }

        let dump: @Sendable (Database) throws -> [[String]] = { db in
            // The projection columns (the measurement columns of an ended run come from its events:
            // MeasurementColumnsTests covers them).
            try Row.fetchAll(db, sql: """
                SELECT id, plan_id, scenario, runbook_id, mode, status, pause_reason, started_by, documents_hash,
                       created_at_ms, updated_at_ms, ended_at_ms, objectives FROM runs
                """).map { $0.databaseValues.map { "\($0)" } }
                + Row.fetchAll(db, sql: "SELECT * FROM steps ORDER BY run_id, step_id").map { $0.databaseValues.map { "\($0)" } }
        }
        let stored = try await store.read(dump)

        let (run, steps) = try Fixtures.fold([created] + life)
        let reference = try DatabaseQueue()
        try Migrations.migrate(reference, path: ":memory:")
        let expected = try await reference.write { db in
            try Rows.save(run, in: db)
            for step in steps { try Rows.save(step, in: db) }
            return try dump(db)
        }
        #expect(stored.count == 1 + Fixtures.stepIDs.count)
        #expect(stored.map { $0.map { Array($0.utf8) } } == expected.map { $0.map { Array($0.utf8) } })
    }

    @Test func eventKindsAreStoredByCaseName() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        try await store.append(Fixtures.successfulRun("r1"), consumingControls: [])
        let kinds = try await store.read { db in
            try String.fetchAll(db, sql: "SELECT kind || ':' || ifnull(step_id, '') FROM events ORDER BY seq")
        }
        #expect(kinds.prefix(4) == ["runCreated:", "executorStarted:", "approvalRequested:declare", "approvalGranted:declare"])
        #expect(kinds.last == "runFinished:")
    }
}
