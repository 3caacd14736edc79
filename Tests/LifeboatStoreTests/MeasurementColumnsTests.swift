import Foundation
import GRDB
import LifeboatCore
import Testing

@testable import LifeboatStore

/// The measurement projection (migration v4) and the evidence queries over it.
@Suite struct MeasurementColumnsTests {
    static let day: Int64 = 86_400_000

    /// Creates and finishes run `id` at `start` (its events 1 s apart; RTO window declare → smoke).
    func finishedRun(_ store: SQLiteStore, _ id: String, start: Int64, scenario: String = "region-failure") async throws {
        try await store.createRun(id: id, created: Fixtures.created(id, at: start, scenario: scenario), documents: Fixtures.documents)
        try await store.append(Fixtures.successfulRun(id, start: start), consumingControls: [])
    }

    @Test func figuresAreStoredWhenARunEndsAndMatchItsEvents() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        let events = Fixtures.successfulRun("r1")
        try await store.append(Array(events.prefix(5)), consumingControls: [])
        #expect(try await store.measuredRuns(HistoryQuery()).first?.measurement == nil)
        try await store.append(Array(events.dropFirst(5)), consumingControls: [])
        let stored = try #require(try await store.measuredRuns(HistoryQuery()).first?.measurement)
        let computed = try #require(RunMeasurement.compute(try await store.events(of: "r1")))
        #expect(stored == RunFigures(computed))
        #expect(stored.rto.achievedMs == 10_000)  // approvalRequested (declare) → smoke succeeded
        #expect(stored.rto.verdict == .met)
        #expect(stored.rto.humanWaitMs == 12_000)
        #expect(try await store.verifyProjections().isEmpty)
    }

    @Test func aResumedRunClearsItsFiguresUntilItEndsAgain() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        let at: Int64 = 1_700_000_000_000
        try await store.append([
            Fixtures.event("r1", at + 1_000, .executorStarted(pid: 1, host: "h", resumed: false)),
            Fixtures.event("r1", at + 2_000, .runFinished(outcome: .failed)),
        ], consumingControls: [])
        #expect(try await store.measuredRuns(HistoryQuery()).first?.measurement?.rto.verdict == .notMeasured)
        try await store.append([Fixtures.event("r1", at + 3_000, .executorStarted(pid: 2, host: "h", resumed: true))], consumingControls: [])
        #expect(try await store.measuredRuns(HistoryQuery()).first?.measurement == nil)
        #expect(try await store.verifyProjections().isEmpty)
    }

    /// A store migrated up to `migration` holding `events` (after `runCreated`) and their
    /// projection rows, written as that version wrote them (its steps table has no `forced`).
    func oldStore(upTo migration: String, _ events: [RunEvent]) async throws -> String {
        let path = try temporaryFolder() + "/state.db"
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: migration)
        try await old.write { db in
            // Rows.save writes today's columns: lend the table the newer columns while saving.
            try db.execute(sql: "ALTER TABLE steps ADD COLUMN forced TEXT; ALTER TABLE steps ADD COLUMN error_detail TEXT")
            let created = Fixtures.created("r1")
            let rows = try RunStateMachine.replay([created] + events).rows
            try Rows.save(rows.run, in: db)
            for step in rows.steps { try Rows.save(step, in: db) }
            for event in [created] + events {
                try EventChain.append(event, payload: try CanonicalJSON.encode(event), in: db)
            }
            try db.execute(sql: "ALTER TABLE steps DROP COLUMN forced; ALTER TABLE steps DROP COLUMN error_detail")
            // A v4 store wrote the figures of an ended run with its last event.
            if Migrations.names.firstIndex(of: migration)! >= 3 { try MeasurementColumns.backfill(in: db) }
        }
        try old.close()
        return path
    }

    @Test func theMigrationBackfillsAnExistingStore() async throws {
        let path = try await oldStore(upTo: Migrations.names[2], Fixtures.successfulRun("r1"))
        let store = try SQLiteStore(path: path)
        #expect(try await store.appliedMigrations().last == Migrations.names.last)
        #expect(try await store.measuredRuns(HistoryQuery()).first?.measurement?.rto.achievedMs == 10_000)
        #expect(try await store.verifyProjections().isEmpty)
    }

    /// v5 finds the steps an operator resolved before resolutions were counted as forced.
    @Test func theForcedOutcomesMigrationBackfillsResolutions() async throws {
        let at: Int64 = 1_700_000_000_000
        let events = [
            Fixtures.event("r1", at + 1_000, .executorStarted(pid: 1, host: "h", resumed: false)),
            Fixtures.event("r1", at + 2_000, .approvalRequested(step: "declare", prompt: "go?")),
            Fixtures.event("r1", at + 3_000, .approvalGranted(step: "declare", by: "bob", via: "t", waitMs: 1)),
            Fixtures.event("r1", at + 4_000, .stepStarted(step: "promote", attempt: 1)),
            Fixtures.event("r1", at + 5_000, .stepFailed(step: "promote", attempt: 1, durationMs: 1,
                                                          error: StepError(code: .actionFailed, message: "x", retryable: false))),
            Fixtures.event("r1", at + 6_000, .runFinished(outcome: .failed)),
            Fixtures.event("r1", at + 7_000, .stepResolved(step: "promote", resolution: .succeeded, by: "alice")),
        ]
        let path = try await oldStore(upTo: Migrations.names[3], events)
        let store = try SQLiteStore(path: path)
        #expect(try await store.steps(of: "r1").first { $0.stepID == "promote" }?.forced == "succeeded")
        #expect(try await store.measuredRuns(HistoryQuery()).first?.forcedSteps == 1)
        let mismatches = try await store.verifyProjections().map(\.description)
        #expect(mismatches == [])
    }

    @Test func editedFiguresAreFoundByVerify() async throws {
        let path = try temporaryFolder() + "/state.db"
        let store = try SQLiteStore(path: path)
        try await finishedRun(store, "r1", start: 1_700_000_000_000)
        try await store.database.write { db in try db.execute(sql: "UPDATE runs SET rto_achieved_ms = 1 WHERE id = 'r1'") }
        #expect(try await store.verifyProjections().map(\.description) == ["run r1: measurement columns differ from its events"])
    }

    @Test func summaryLatestAndLastDrillsReadTheColumns() async throws {
        let store = try SQLiteStore(path: try temporaryFolder() + "/state.db")
        let base: Int64 = 1_700_000_000_000
        for i in 0..<5 { try await finishedRun(store, "r\(i)", start: base + Int64(i) * Self.day) }
        try await finishedRun(store, "d0", start: base + 10 * Self.day, scenario: "db-corruption")
        let groups = try await store.historySummary(HistoryQuery(), last: 3)
        #expect(groups.map(\.scenario) == ["db-corruption", "region-failure"])
        let region = groups[1]
        #expect(region.runs == 5)
        #expect(region.successRate == 1)
        #expect(region.rto.series == [10_000, 10_000, 10_000])
        #expect(region.rto.p95Ms == 10_000)
        #expect(region.rto.met == 5)
        #expect(region.rto.trend == .steady)
        #expect(region.lastRunID == "r4")
        let since = try await store.historySummary(HistoryQuery(sinceMs: base + 3 * Self.day), last: 10)
        #expect(since.first { $0.scenario == "region-failure" }?.runs == 2)
        let latest = try await store.latestSucceededRuns()
        #expect(Set(latest.map(\.runID)) == ["r4", "d0"])
        #expect(try await store.lastDrills().map(\.run.id).sorted() == ["d0", "r4"])
        let failed = try await store.measuredRuns(HistoryQuery(status: .failed))
        #expect(failed.isEmpty)
        let window = try await store.measuredRuns(HistoryQuery(sinceMs: base + Self.day, untilMs: base + 3 * Self.day))
        #expect(window.map(\.run.id) == ["r2", "r1"])
    }
}
