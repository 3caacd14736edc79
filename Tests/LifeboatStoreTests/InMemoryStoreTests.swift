import LifeboatCore
import LifeboatStore
import LifeboatTestSupport
import Testing

@Suite struct InMemoryStoreTests {
    @Test func leaseIsHeldUntilTheRunSucceedsOrIsAborted() async throws {
        let store = InMemoryStore()
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
        #expect(await store.leaseHolder(planID: "payment-platform", scenario: "region-failure") == "r1")

        let error = await #expect(throws: LifeboatError.self) {
            try await store.createRun(id: "r2", created: Fixtures.created("r2"), documents: [])
        }
        #expect(error?.code == .leaseHeld)
        #expect(error?.message == "plan payment-platform scenario region-failure already has an active run r1 (created)")

        try await store.append(
            [Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false)),
             Fixtures.event("r1", 2, .runFinished(outcome: .failed))],
            consumingControls: [])
        #expect(await store.leaseHolder(planID: "payment-platform", scenario: "region-failure") == "r1")
        try await store.append([Fixtures.event("r1", 3, .runFinished(outcome: .aborted))], consumingControls: [])
        #expect(await store.leaseHolder(planID: "payment-platform", scenario: "region-failure") == nil)

        try await store.createRun(id: "r2", created: Fixtures.created("r2", at: 1_700_000_100_000), documents: [])
        try await store.append(Fixtures.successfulRun("r2", start: 1_700_000_100_000), consumingControls: [])
        #expect(await store.leaseHolder(planID: "payment-platform", scenario: "region-failure") == nil)
        #expect(try await store.runs(matching: RunFilter()).map(\.id) == ["r2", "r1"])
    }

    @Test func projectionsAndControlsMatchTheSQLiteStore() async throws {
        let memory = InMemoryStore()
        let sqlite = try SQLiteStoreForComparison.make()
        let hash = SQLiteStore.documentsHash(Fixtures.documents)
        let created = Fixtures.event("r1", 1_700_000_000_000, .runCreated(Fixtures.header(documentsHash: hash)))
        for store in [memory, sqlite] as [any StateStore] {
            try await store.createRun(id: "r1", created: created, documents: Fixtures.documents)
            try await store.postControl(ControlMessage(runID: "r1", kind: .approve(step: "declare"), by: "bob", atMs: 5))
            let control = try await store.pendingControls(of: "r1")[0].id
            try await store.append(Fixtures.successfulRun("r1"), consumingControls: [control])
        }
        #expect(try await memory.run("r1") == sqlite.run("r1"))
        #expect(try await memory.steps(of: "r1") == sqlite.steps(of: "r1"))
        #expect(try await memory.pendingControls(of: "r1").isEmpty)
        #expect(try await memory.events(of: "r1") == sqlite.events(of: "r1"))
    }

    @Test func anInjectedFailureRefusesOneAppendAndChangesNothing() async throws {
        let store = InMemoryStore()
        try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: [])
        await store.failNextAppend()
        let error = await #expect(throws: LifeboatError.self) {
            try await store.append([Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false))],
                                   consumingControls: [])
        }
        #expect(error?.code == .storeFailure)
        #expect(try await store.run("r1")?.status == .created)
        #expect(try await store.events(of: "r1").count == 1)
        try await store.append([Fixtures.event("r1", 2, .executorStarted(pid: 1, host: "h", resumed: false))],
                               consumingControls: [])
        #expect(try await store.run("r1")?.status == .running)
    }
}
