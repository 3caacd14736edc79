import Foundation
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import LifeboatStore
@testable import LifeboatTeamStore
import LifeboatTestSupport
import Synchronization
import Testing

/// The team store on a real PostgreSQL server (the shared test cluster), each test in a database of
/// its own: the SQLite store's contract — one chain, append-only events, projections that match the
/// log, the lease, the control queue — and errors that name the store without its password.
@Suite("Team store on PostgreSQL", .serialized)
struct TeamStoreTests {
    /// A new empty database on the shared cluster, and its conninfo (the `lifeboat` role, by password).
    static func freshDatabase() async throws -> (conninfo: String, cluster: PostgresCluster, name: String) {
        let database = try await TeamStoreDatabase.fresh()
        return (database.conninfo, database.cluster, database.name)
    }

    static func header(_ plan: String = "plan", steps: [StepHeader]? = nil) -> RunHeader {
        var header = TestHeaders.header(steps ?? [TestHeaders.step("a"), TestHeaders.step("b<a"), TestHeaders.step("c<a")])
        header.planID = plan
        header.documentsHash = ""
        return header
    }

    static func created(_ runID: String, _ header: RunHeader) -> RunEvent {
        RunEvent(runID: runID, atMs: 1_000, monoMs: 1, session: "s0", kind: .runCreated(header))
    }

    static let documents = [
        DocumentSource(kind: .plan, path: "plans/p.yaml", text: "plan: p\n"),
        DocumentSource(kind: .runbook, path: "runbooks/r.yaml", text: "runbook: r\nsteps: []\n"),
    ]

    /// Runs `header` through the real engine with scripted actions on `store`.
    static func execute(
        _ runID: String, _ header: RunHeader, on store: any StateStore,
        behaviour: @escaping ScriptedAction.Behaviour = { ActionResult(summary: "ok \($0.stepID)") }
    ) async throws -> RunStateMachine {
        try await store.createRun(id: runID, created: created(runID, header), documents: documents)
        // On the team store the executor is the role it connected as (the server checks it).
        let identity = try await (store as? PostgresStore)?.sessionIdentity().user ?? "olivia"
        let engine = RunEngine(
            store: store, actions: ActionRegistry([ScriptedAction(behaviour: behaviour)]), clock: ScaledClock(scale: 100),
            configuration: EngineConfiguration(
                pid: 7, host: "test", operatorName: "olivia", session: "s-\(runID)",
                caller: Caller(decider: Decider(identity: identity, label: "olivia", host: "test"), groups: [])),
            random: { 0.5 })
        let inputs = RunInputs(
            steps: TestHeaders.runbookSteps(header), render: RenderContext(), masker: SecretMasker(secrets: []),
            baseDirectory: "/tmp")
        return try await engine.start(runID: runID, inputs: inputs)
    }

    /// Walks the chain as stored: each row links to the one before and hashes to what it says.
    static func verifyChain(_ conninfo: String) async throws -> (rows: Int, head: String) {
        try await PGConnection.withConnection(conninfo) { db in
            let rows = try await db.query("SELECT seq, run_id, payload, prev_hash, hash FROM lifeboat.events ORDER BY seq").rows
            var prev = EventChain.genesis
            for (index, row) in rows.enumerated() {
                let seq = Int64(row[0]!)!
                #expect(seq == Int64(index + 1), "seq \(seq) at position \(index + 1)")
                #expect(row[3] == prev, "event \(seq) does not link to its predecessor")
                #expect(EventChain.hash(prev: prev, seq: seq, runID: row[1]!, payload: row[2]!) == row[4], "event \(seq) altered")
                prev = row[4]!
            }
            let head = try await db.query("SELECT seq, hash FROM lifeboat.chain_head").rows.first
            #expect(head?[0] == String(rows.count) && head?[1] == prev, "the chain head is not the last row")
            return (rows.count, prev)
        }
    }

    @Test func aRunRecordedThroughTheEngineHasProjectionsThatMatchItsLog() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let store = try await PostgresStore.open(conninfo)
        let machine = try await Self.execute("r1", Self.header(), on: store)
        #expect(machine.phase == .finished(.succeeded))

        let events = try await store.events(of: "r1")
        #expect(events.first.map { if case .runCreated = $0.kind { true } else { false } } == true)
        let replayed = try RunStateMachine.replay(events)
        #expect(try await store.run("r1") == replayed.rows.run)
        #expect(try await store.steps(of: "r1") == replayed.rows.steps)
        #expect(try await store.runs(matching: RunFilter(planID: "plan")).map(\.id) == ["r1"])
        let pinned = try await store.documents(of: "r1")
        #expect(pinned.map(\.source) == Self.documents)
        #expect(pinned.first?.sha256 == Digests.sha256("plan: p\n"))
        let chain = try await Self.verifyChain(conninfo)
        #expect(chain.rows == events.count)
        #expect(try await store.appliedMigrations() == [
            "v1-event-log", "v2-executors", "v3-control-senders", "v4-events-recorded-by-the-server",
            "v5-control-notifications", "v6-run-figures", "v7-step-progress", "v8-evidence-indexes",
        ])
        await store.close()
    }

    /// An ended run's figures are kept beside its row and checked by `verifyProjections`; a run
    /// whose figures are missing (ended before the store kept them) is measured when the store opens.
    @Test func anEndedRunsFiguresAreKeptAndMissingOnesAreMeasuredOnOpening() async throws {
        let (conninfo, cluster, database) = try await Self.freshDatabase()
        let store = try await PostgresStore.open(conninfo)
        _ = try await Self.execute("r1", Self.header(), on: store)
        let kept = try #require(try await store.measuredRuns(HistoryQuery()).first?.measurement)
        #expect(kept == RunFigures.expected(for: try #require(try await store.run("r1")), events: try await store.events(of: "r1")))
        #expect(try await store.verifyProjections().isEmpty)
        await store.close()

        try await cluster.admin(cluster.primary, "UPDATE lifeboat.runs SET figures = NULL, rto_verdict = NULL", database: database)
        let reopened = try await PostgresStore.open(conninfo)
        #expect(try await reopened.measuredRuns(HistoryQuery()).first?.measurement == kept)
        #expect(try await reopened.verifyProjections().isEmpty)
        await reopened.close()
    }

    @Test func eventsAreAppendOnlyEvenForTheRoleThatOwnsThem() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let store = try await PostgresStore.open(conninfo)
        _ = try await Self.execute("r1", Self.header(), on: store)
        try await PGConnection.withConnection(conninfo) { db in
            for sql in [
                "UPDATE lifeboat.events SET payload = '{}' WHERE seq = 1", "DELETE FROM lifeboat.events WHERE seq = 2",
                "TRUNCATE lifeboat.events CASCADE",
            ] {
                let error = await thrown(PGError.self) { _ = try await db.query(sql) }
                #expect(error?.sqlstate == "42501", "\(sql): \(String(describing: error))")
                #expect(error?.message.contains("append-only") == true, "\(String(describing: error))")
            }
        }
        _ = try await Self.verifyChain(conninfo)
        await store.close()
    }

    @Test func aSecondActiveRunOfAPlanAndScenarioIsRefusedNamingTheHolder() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let store = try await PostgresStore.open(conninfo)
        try await store.createRun(id: "first", created: Self.created("first", Self.header()), documents: Self.documents)
        let error = await thrown(LifeboatError.self) {
            try await store.createRun(id: "second", created: Self.created("second", Self.header()), documents: Self.documents)
        }
        #expect(error?.code == .leaseHeld)
        #expect(error?.message.contains("already has an active run first") == true, "\(String(describing: error))")
        #expect(try await store.run("second") == nil, "a refused run left a row")
        // Another plan is free; an aborted run releases its lease.
        try await store.createRun(id: "other", created: Self.created("other", Self.header("plan-b")), documents: Self.documents)
        try await store.append(
            [RunEvent(runID: "first", atMs: 2_000, monoMs: 2, session: "s1", kind: .runFinished(outcome: .aborted))],
            consumingControls: [])
        try await store.createRun(id: "third", created: Self.created("third", Self.header()), documents: Self.documents)
        await store.close()
    }

    @Test func twoProcessesAppendingAtOnceExtendOneChainInOneOrder() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let first = try await PostgresStore.open(conninfo)
        let second = try await PostgresStore.open(conninfo)
        let steps = (1...30).map { TestHeaders.step("s\($0)") }
        // In lockstep: neither run gets more than a step ahead of the other, however the two
        // tasks are scheduled, so their appends do come at once.
        let lockstep = Lockstep(["ra", "rb"])
        async let a = Self.execute("ra", Self.header("plan-a", steps: steps), on: first, behaviour: lockstep.behaviour(of: "ra"))
        async let b = Self.execute("rb", Self.header("plan-b", steps: steps), on: second, behaviour: lockstep.behaviour(of: "rb"))
        let (ma, mb) = try await (a, b)
        #expect(ma.phase == .finished(.succeeded) && mb.phase == .finished(.succeeded))
        let chain = try await Self.verifyChain(conninfo)
        let count = try await first.events(of: "ra").count + second.events(of: "rb").count
        #expect(chain.rows == count)
        let interleaved = try await PGConnection.withConnection(conninfo) { db in
            try await db.query("SELECT count(*) FROM (SELECT run_id, lag(run_id) OVER (ORDER BY seq) AS prev FROM lifeboat.events) t WHERE run_id <> prev")
                .firstValue
        }
        #expect((Int(interleaved ?? "0") ?? 0) > 1, "the two runs did not write at the same time: the test proves nothing")
        await first.close()
        await second.close()
    }

    @Test func controlMessagesWaitUntilTheAppendThatConsumesThem() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let store = try await PostgresStore.open(conninfo)
        try await store.createRun(id: "r1", created: Self.created("r1", Self.header()), documents: Self.documents)
        try await store.postControl(ControlMessage(runID: "r1", kind: .approve(step: "a"), by: "ic", atMs: 1_500))
        try await store.postControl(ControlMessage(runID: "r1", kind: .pause(reason: "coffee"), by: "sre", atMs: 1_600))
        let pending = try await store.pendingControls(of: "r1")
        // The server stamps the sender: the role this connection authenticated as (the labels stay).
        guard case .approve("a", let approver?) = pending.first?.kind, case .pause("coffee", let pauser?) = pending.last?.kind else {
            Issue.record("unexpected messages: \(pending.map(\.kind))")
            return
        }
        #expect(approver.decider == Decider(identity: "lifeboat", label: "ic", host: ""))
        #expect(pauser.decider == Decider(identity: "lifeboat", label: "sre", host: ""))
        #expect(pending.map(\.by) == ["ic", "sre"])
        try await store.append([], rows: nil, consumingControls: [pending[0].id], pinning: [])
        #expect(try await store.pendingControls(of: "r1").count == 1)
        let missing = await thrown(LifeboatError.self) {
            try await store.postControl(ControlMessage(runID: "nope", kind: .abort(reason: "x"), by: "ic", atMs: 1))
        }
        #expect(missing?.code == .notFound)
        await store.close()
    }

    @Test func aStoreThatCannotBeReachedIsAStoreFailureThatHidesThePassword() async throws {
        let error = await thrown(LifeboatError.self) {
            _ = try await PostgresStore.open("host=127.0.0.1 port=1 dbname=x user=lifeboat password=s3cr3t-pw connect_timeout=2")
        }
        #expect(error?.code == .storeFailure)
        #expect(error?.description.contains("s3cr3t-pw") == false, "\(String(describing: error))")
        #expect(error?.description.contains("127.0.0.1") == true, "\(String(describing: error))")
        let unparsable = await thrown(LifeboatError.self) { _ = try await PostgresStore.open("postgresql://[broken") }
        #expect(unparsable?.code == .storeFailure)
    }

    // MARK: Who executes

    static func note(_ runID: String, _ text: String, at: Int64) -> RunEvent {
        RunEvent(runID: runID, atMs: at, monoMs: at, session: "s", kind: .stepNoted(step: "a", note: text, by: "olivia"))
    }

    /// The executor's wait for control messages ends when one for its run is queued (the server
    /// notifies), long before the safety-net poll.
    @Test func aQueuedMessageWakesTheExecutorsWait() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let executor = try await PostgresStore.open(conninfo)
        let operator_ = try await PostgresStore.open(conninfo)
        try await executor.createRun(id: "r1", created: Self.created("r1", Self.header()), documents: Self.documents)
        #expect(await executor.waitFor(.controls, of: "r1"), "the first wait starts listening and returns")
        async let woken = executor.waitFor(.controls, of: "r1")
        try await Task.sleep(for: .milliseconds(300))
        let sent = ContinuousClock.now
        try await operator_.postControl(ControlMessage(runID: "r1", kind: .pause(reason: "shift change"), by: "olivia", atMs: 1))
        #expect(await woken)
        #expect(ContinuousClock.now - sent < RunListener.fallback - .seconds(1), "woken by the safety net, not by the message")
        #expect(try await executor.pendingControls(of: "r1").count == 1)
        await executor.close()
        await operator_.close()
    }

    @Test func twoProcessesRacingToTakeARunOneWinsAndTheOtherIsToldWhoHasIt() async throws {
        let (conninfo, _, _) = try await Self.freshDatabase()
        let a = try await PostgresStore.open(conninfo)
        let b = try await PostgresStore.open(conninfo)
        try await a.createRun(id: "r1", created: Self.created("r1", Self.header()), documents: Self.documents)
        func take(_ store: PostgresStore, _ host: String, _ pid: Int32) async -> Result<TeamExecutor, LifeboatError> {
            do { return .success(try await store.takeExecutor(runID: "r1", host: host, pid: pid)) } catch { return .failure(error) }
        }
        async let takeA = take(a, "host-a", 11)
        async let takeB = take(b, "host-b", 22)
        let outcomes = await [takeA, takeB]
        let winners = outcomes.compactMap { try? $0.get() }
        let refusals = outcomes.compactMap { outcome -> LifeboatError? in if case .failure(let e) = outcome { e } else { nil } }
        #expect(winners.count == 1 && refusals.count == 1, "\(outcomes)")
        guard let winner = winners.first, let refusal = refusals.first else { return }
        #expect(winner.epoch == 1)
        #expect(refusal.code == .leaseHeld)
        let holder = winner === (try? outcomes[0].get()) ? "host-a pid 11" : "host-b pid 22"
        #expect(refusal.message.contains("is being executed by \(holder)") && refusal.message.contains("last wrote"), "\(refusal)")

        await winner.release()
        let next = try await b.takeExecutor(runID: "r1", host: "host-b", pid: 22)
        #expect(next.epoch == 2)
        await next.release()
        await a.close()
        await b.close()
    }

    /// A was cut off (its lock's connection ended, as when its machine is lost or it was stopped
    /// long enough); B took over. A wakes up with its data connection still open: its append is
    /// refused, and the log holds only what B wrote after the takeover.
    @Test func aZombieExecutorRecordsNothingAfterAnotherTookOver() async throws {
        let (conninfo, cluster, database) = try await Self.freshDatabase()
        let a = try await PostgresStore.open(conninfo)
        let b = try await PostgresStore.open(conninfo)
        try await a.createRun(id: "r1", created: Self.created("r1", Self.header()), documents: Self.documents)
        _ = try await a.takeExecutor(runID: "r1", host: "host-a", pid: 11)
        try await a.append([RunEvent(runID: "r1", atMs: 2_000, monoMs: 2, session: "sa", kind: .executorStarted(pid: 11, host: "host-a", resumed: false))], consumingControls: [])
        try await a.append([Self.note("r1", "from A before", at: 2_100)], consumingControls: [])

        let refused = await thrown(LifeboatError.self) { _ = try await b.takeExecutor(runID: "r1", host: "host-b", pid: 22) }
        #expect(refused?.message.contains("host-a pid 11") == true, "\(String(describing: refused))")
        try await cluster.admin(
            cluster.primary,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'lifeboat executor'",
            [database], database: "postgres")
        var executorB: TeamExecutor?
        #expect(try await eventually { executorB = try? await b.takeExecutor(runID: "r1", host: "host-b", pid: 22); return executorB != nil })
        #expect(executorB?.epoch == 2)

        let zombie = await thrown(LifeboatError.self) { try await a.append([Self.note("r1", "from A after", at: 2_200)], consumingControls: []) }
        #expect(zombie?.code == .leaseHeld)
        #expect(zombie?.message.contains("was taken over by host-b pid 22 (epoch 2)") == true, "\(String(describing: zombie))")
        try await b.append([Self.note("r1", "from B", at: 2_300)], consumingControls: [])
        let notes = try await b.events(of: "r1").compactMap { event -> String? in
            if case .stepNoted(_, let text, _, _) = event.kind { text } else { nil }
        }
        #expect(notes == ["from A before", "from B"])
        _ = try await Self.verifyChain(conninfo)
        await executorB?.release()
        await a.close()
        await b.close()
    }

    // MARK: Roles

    /// The grants docs/cli.md gives the role operators use (the schema belongs to another role).
    static func grantOperatorRole(_ role: String) -> [String] {
        [
            "GRANT USAGE ON SCHEMA lifeboat TO \(role)",
            "GRANT SELECT ON ALL TABLES IN SCHEMA lifeboat TO \(role)",
            """
            GRANT INSERT ON lifeboat.runs, lifeboat.steps, lifeboat.documents, lifeboat.leases, lifeboat.controls,
                lifeboat.executors, lifeboat.step_progress TO \(role)
            """,
            "GRANT UPDATE ON lifeboat.runs, lifeboat.steps, lifeboat.leases, lifeboat.executors, lifeboat.step_progress TO \(role)",
            "GRANT DELETE ON lifeboat.steps, lifeboat.leases TO \(role)",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA lifeboat TO \(role)",
            "GRANT EXECUTE ON FUNCTION lifeboat.lock_chain(), lifeboat.record_events(text, text[], bigint[], bigint, bigint) TO \(role)",
        ]
    }

    /// A role with only the documented grants runs scenarios, and cannot change or remove an event,
    /// nor lift the append-only trigger: the refusal is a missing privilege, before any trigger.
    @Test func theOperatorsRoleRunsScenariosButCannotChangeTheLog() async throws {
        let (ownerConninfo, cluster, database) = try await Self.freshDatabase()
        let owner = try await PostgresStore.open(ownerConninfo)
        await owner.close()
        let role = uniqueName("sre")
        try await cluster.admin(cluster.primary, "CREATE ROLE \(role) LOGIN PASSWORD 'op-pw-42'", database: "postgres")
        for grant in Self.grantOperatorRole(role) { try await cluster.admin(cluster.primary, grant, database: database) }

        let conninfo = "host=127.0.0.1 port=\(cluster.primary.port) dbname=\(database) user=\(role) password=op-pw-42"
        let store = try await PostgresStore.open(conninfo)
        let machine = try await Self.execute("r1", Self.header(), on: store)
        #expect(machine.phase == .finished(.succeeded))
        let executor = try await store.takeExecutor(runID: "r1", host: "h", pid: 1)
        await executor.release()
        await store.close()

        try await PGConnection.withConnection(conninfo) { db in
            for sql in [
                "UPDATE lifeboat.events SET payload = '{}' WHERE seq = 1", "DELETE FROM lifeboat.events WHERE seq = 2",
                "ALTER TABLE lifeboat.events DISABLE TRIGGER events_append_only", "TRUNCATE lifeboat.events",
            ] {
                let error = await thrown(PGError.self) { _ = try await db.query(sql) }
                #expect(error?.sqlstate == "42501", "\(sql): \(String(describing: error))")
                #expect(error?.message.contains("append-only") == false, "\(sql): refused by the trigger, not by the grants")
            }
        }
        _ = try await Self.verifyChain(ownerConninfo)
    }

    /// A modified client with the operators' grants cannot write an event in another role's name:
    /// no INSERT on the log, no way round the server's function, which accepts a decider only when
    /// it is the connected role or the authenticated sender of a message the append answers (of the
    /// matching kind and step), and refuses payloads a reader could take two ways.
    @Test func aModifiedClientCannotRecordAnEventInAnotherRolesName() async throws {
        let (ownerConninfo, cluster, database) = try await Self.freshDatabase()
        let owner = try await PostgresStore.open(ownerConninfo)
        await owner.close()
        let (sre, alice) = (uniqueName("sre"), uniqueName("alice"))
        for role in [sre, alice] {
            try await cluster.admin(cluster.primary, "CREATE ROLE \(role) LOGIN PASSWORD 'op-pw-42'", database: "postgres")
            for grant in Self.grantOperatorRole(role) { try await cluster.admin(cluster.primary, grant, database: database) }
        }
        func conninfo(_ role: String) -> String {
            "host=127.0.0.1 port=\(cluster.primary.port) dbname=\(database) user=\(role) password=op-pw-42"
        }
        let store = try await PostgresStore.open(conninfo(sre))
        try await store.createRun(id: "r1", created: Self.created("r1", Self.header()), documents: Self.documents)
        let before = try await Self.verifyChain(ownerConninfo).rows

        func granted(_ step: String, by identity: String, sudoUser: String? = nil) -> RunEvent {
            RunEvent(runID: "r1", atMs: 2_000, monoMs: 2, session: "s", kind: .approvalGranted(
                step: step, by: identity, via: "lifeboat approve", waitMs: 0,
                decider: Decider(identity: identity, sudoUser: sudoUser, label: identity, host: "h")))
        }
        func record(_ payloads: [String], consuming controls: [Int64] = [], on db: PGConnection) async throws {
            _ = try await db.query(
                """
                SELECT lifeboat.record_events('r1', ARRAY(SELECT jsonb_array_elements_text($1::jsonb)),
                    ARRAY(SELECT jsonb_array_elements_text($2::jsonb)::bigint), 0, NULL)
                """, [try CanonicalJSON.encode(payloads), try CanonicalJSON.encode(controls)])
        }
        func send(_ kind: ControlMessage.Kind, as role: String) async throws -> Int64 {
            try await PGConnection.withConnection(conninfo(role)) { db in
                Int64(try await db.query(
                    "INSERT INTO lifeboat.controls (run_id, kind, by, at_ms) VALUES ('r1', $1, $2, 1) RETURNING id",
                    [try CanonicalJSON.encode(kind), role]).firstValue ?? "") ?? 0
            }
        }
        let aliceApproves = try await send(.approve(step: "b"), as: alice)
        let aliceDenies = try await send(.deny(step: "c", reason: "no"), as: alice)

        try await PGConnection.withConnection(conninfo(sre)) { db in
            let forged = try CanonicalJSON.encode(granted("b", by: alice))
            for sql in [
                "INSERT INTO lifeboat.events (seq, run_id, at_ms, mono_ms, session, kind, payload, prev_hash, hash) SELECT 99, 'r1', 0, 0, 's', 'approvalGranted', '{}', '', ''",
                "UPDATE lifeboat.chain_head SET seq = 0", "UPDATE lifeboat.controls SET kind = '{}'",
                "SELECT lifeboat.chain_events('r1', ARRAY['{}'])",
            ] {
                let error = await thrown(PGError.self) { _ = try await db.query(sql) }
                #expect(error?.sqlstate == "42501" && error?.message.contains("permission denied") == true, "\(sql): \(String(describing: error))")
            }
            // In alice's name with no message of hers, or answering her denial with a grant.
            for (payload, controls) in [(forged, [Int64]()), (forged.replacing("\"b\"", with: "\"c\""), [aliceDenies])] {
                let error = await thrown(PGError.self) { try await record([payload], consuming: controls, on: db) }
                #expect(error?.sqlstate == "42501", "\(String(describing: error))")
                #expect(error?.message.contains("cannot record approvalGranted in the name of \(alice)") == true, "\(String(describing: error))")
            }
            // No decider (only a label), or the connected role claiming alice stood behind it.
            let unnamed = try CanonicalJSON.encode(RunEvent(runID: "r1", atMs: 2_000, monoMs: 2, session: "s", kind: .approvalGranted(
                step: "b", by: alice, via: "lifeboat approve", waitMs: 0)))
            for payload in [unnamed, try CanonicalJSON.encode(granted("b", by: sre, sudoUser: alice))] {
                let error = await thrown(PGError.self) { try await record([payload], on: db) }
                #expect(error?.message.contains("without a decider the server authenticated") == true, "\(String(describing: error))")
            }
            // A decider named twice: the server reads the last (its own role), a reader might take alice.
            let mine = try CanonicalJSON.encode(granted("b", by: sre))
            let twice = mine.replacing("\"decider\":{", with: "\"decider\":{\"identity\":\"\(alice)\"},\"decider\":{")
            #expect(twice != mine)
            let repeated = await thrown(PGError.self) { try await record([twice], on: db) }
            #expect(repeated?.message.contains("repeats a key") == true, "\(String(describing: repeated))")
            // Answering alice's own approval of step b, in her name: accepted.
            try await record([forged], consuming: [aliceApproves], on: db)
        }
        // The store's own append, past the state machine (which would not decide this): refused by the server.
        let rows = RunRows(run: try #require(try await store.run("r1")), steps: [])
        let refused = await thrown(LifeboatError.self) {
            try await store.append([granted("c", by: alice)], rows: rows, consumingControls: [], pinning: [])
        }
        #expect(refused?.code == .storeFailure && refused?.message.contains("in the name of \(alice)") == true, "\(String(describing: refused))")
        await store.close()

        let chain = try await Self.verifyChain(ownerConninfo)
        #expect(chain.rows == before + 1, "only the answered approval was recorded")
        let owned = try await PostgresStore.open(ownerConninfo)
        let last = try await owned.events(of: "r1").last
        if case .approvalGranted(_, _, _, _, let decider) = last?.kind { #expect(decider?.identity == alice) } else {
            Issue.record("the last event is \(String(describing: last))")
        }
        await owned.close()
    }

    /// A store made before events were recorded by the server: the migration takes INSERT on the
    /// log (and UPDATE on the chain head and the messages) from the roles that had it and gives them
    /// the functions instead, so they keep running scenarios and can no longer write the log.
    @Test func upgradingMovesTheOldOperatorGrantsToTheServersFunctions() async throws {
        let (ownerConninfo, cluster, database) = try await Self.freshDatabase()
        try await PGConnection.withConnection(ownerConninfo) { db in
            _ = try await TeamStoreMigrations.migrate(db, first: 3)
        }
        let role = uniqueName("sre")
        try await cluster.admin(cluster.primary, "CREATE ROLE \(role) LOGIN PASSWORD 'op-pw-42'", database: "postgres")
        for grant in [
            "GRANT USAGE ON SCHEMA lifeboat TO \(role)", "GRANT SELECT ON ALL TABLES IN SCHEMA lifeboat TO \(role)",
            """
            GRANT INSERT ON lifeboat.events, lifeboat.runs, lifeboat.steps, lifeboat.documents, lifeboat.leases,
                lifeboat.controls, lifeboat.executors TO \(role)
            """,
            """
            GRANT UPDATE ON lifeboat.runs, lifeboat.steps, lifeboat.chain_head, lifeboat.leases, lifeboat.controls,
                lifeboat.executors TO \(role)
            """,
            "GRANT DELETE ON lifeboat.steps, lifeboat.leases TO \(role)", "GRANT USAGE ON ALL SEQUENCES IN SCHEMA lifeboat TO \(role)",
        ] { try await cluster.admin(cluster.primary, grant, database: database) }

        let owner = try await PostgresStore.open(ownerConninfo)
        #expect(try await owner.appliedMigrations().contains("v4-events-recorded-by-the-server"))
        await owner.close()
        let conninfo = "host=127.0.0.1 port=\(cluster.primary.port) dbname=\(database) user=\(role) password=op-pw-42"
        let store = try await PostgresStore.open(conninfo)
        #expect(try await Self.execute("r1", Self.header(), on: store).phase == .finished(.succeeded))
        await store.close()
        try await PGConnection.withConnection(conninfo) { db in
            for sql in [
                "INSERT INTO lifeboat.events (seq, run_id, at_ms, mono_ms, session, kind, payload, prev_hash, hash) SELECT 99, 'r1', 0, 0, 's', 'x', '{}', '', ''",
                "UPDATE lifeboat.chain_head SET seq = 0", "UPDATE lifeboat.controls SET kind = '{}'",
            ] {
                let error = await thrown(PGError.self) { _ = try await db.query(sql) }
                #expect(error?.sqlstate == "42501", "\(sql): \(String(describing: error))")
            }
        }
        _ = try await Self.verifyChain(ownerConninfo)
    }
}

/// Runs that wait for each other: a run reaching step N (`sN`) waits until every other run has
/// reached step N too (10 s at most, so a stuck run fails its test instead of hanging it).
private final class Lockstep: Sendable {
    private let reached: Mutex<[String: Int]>

    init(_ runs: [String]) {
        reached = Mutex(Dictionary(uniqueKeysWithValues: runs.map { ($0, 0) }))
    }

    /// The scripted action of `run`'s steps.
    func behaviour(of run: String) -> ScriptedAction.Behaviour {
        { [self] context in
            let step = Int(context.stepID.dropFirst()) ?? 0
            reached.withLock { $0[run] = step }
            _ = try await eventually { self.reached.withLock { $0.values.allSatisfy { $0 >= step } } }
            return ActionResult(summary: "ok")
        }
    }
}
