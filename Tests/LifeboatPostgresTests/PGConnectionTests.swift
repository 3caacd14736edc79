import Glibc
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Synchronization
import Testing

/// The libpq layer on its own, against the shared primary.
@Suite("PGConnection against a real server")
struct PGConnectionTests {
    @Test func resultsHaveColumnNamesTextValuesAndNulls() async throws {
        let cluster = try await PostgresCluster.shared()
        try await PGConnection.withConnection(cluster.primary.uri) { connection in
            #expect(connection.target == "127.0.0.1:\(cluster.primary.port)/app")
            #expect(connection.serverVersion >= 120_000)
            let result = try await connection.query(
                "SELECT $1::int + 1 AS next, $2::text AS missing, true AS yes", ["41", nil], timeout: .seconds(10))
            #expect(result.columns == ["next", "missing", "yes"])
            #expect(result.rows == [["42", nil, "t"]])
            #expect(result.commandTag == "SELECT 1" && result.affectedRows == 1)
            #expect(result.value(row: 0, column: "yes") == "t")
        }
    }

    /// A pipeline sends its statements in one round trip and returns their results in order; a
    /// statement that fails is thrown, the server skips the rest and undoes the implicit
    /// transaction, and the connection goes on working; after BEGIN the transaction stays open.
    @Test func aPipelineReturnsEachResultAndStopsAtTheFirstError() async throws {
        let cluster = try await PostgresCluster.shared()
        let table = uniqueName("pipe")
        try await PGConnection.withConnection(cluster.primary.conninfo) { connection in
            _ = try await connection.query("CREATE TABLE \(table) (n int PRIMARY KEY)")
            let results = try await connection.pipeline([
                PGStatement("INSERT INTO \(table) VALUES ($1) RETURNING n", ["1"]),
                PGStatement("SELECT count(*) FROM \(table)"),
                PGStatement("SELECT $1::text", [nil]),
            ])
            #expect(results.map(\.rows) == [[["1"]], [["1"]], [[nil]]])
            #expect(try await connection.pipeline([]).isEmpty)

            let failed = await thrown(PGError.self) {
                _ = try await connection.pipeline([
                    PGStatement("INSERT INTO \(table) VALUES ($1)", ["2"]),
                    PGStatement("INSERT INTO \(table) VALUES ($1)", ["1"]),
                    PGStatement("INSERT INTO \(table) VALUES ($1)", ["3"]),
                ])
            }
            #expect(failed?.sqlstate == "23505", "\(String(describing: failed))")
            #expect(connection.isOpen)
            #expect(try await connection.query("SELECT array_agg(n ORDER BY n)::text FROM \(table)").firstValue == "{1}")

            let opened = try await connection.pipeline([PGStatement("BEGIN"), PGStatement("INSERT INTO \(table) VALUES (4)")])
            #expect(opened.count == 2)
            #expect(try await connection.query("SELECT count(*) FROM \(table)").firstValue == "2")
            _ = try await connection.query("ROLLBACK")
            #expect(try await connection.query("SELECT count(*) FROM \(table)").firstValue == "1")
            _ = try await connection.query("DROP TABLE \(table)")
        }
    }

    /// LISTEN/NOTIFY: a notification sent after the wait began wakes it with its payload; one sent
    /// between waits waits in the socket for the next; an empty wait ends at its timeout; a cancelled
    /// wait ends at once (well before its timeout).
    @Test func notificationsWakeAWaitAndNoneIsLostBetweenWaits() async throws {
        let cluster = try await PostgresCluster.shared()
        let channel = uniqueName("chan")
        let listener = try await PGConnection.connect(cluster.primary.conninfo)
        defer { listener.close() }
        _ = try await listener.query("LISTEN \(channel)")
        try await PGConnection.withConnection(cluster.primary.conninfo) { sender in
            async let woken = listener.notifications(within: .seconds(20))
            try await Task.sleep(for: .milliseconds(300))
            _ = try await sender.query("SELECT pg_notify($1, 'first')", [channel])
            let started = ContinuousClock.now
            let first = try await woken
            #expect(first.map(\.payload) == ["first"] && first.first?.channel == channel, "\(first)")
            #expect(ContinuousClock.now - started < .seconds(10), "the wait ran to its timeout")

            _ = try await sender.query("SELECT pg_notify($1, 'between')", [channel])
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await listener.notifications(within: .seconds(5)).map(\.payload) == ["between"])
        }
        let quiet = ContinuousClock.now
        #expect(try await listener.notifications(within: .milliseconds(300)).isEmpty)
        #expect(ContinuousClock.now - quiet >= .milliseconds(250))

        let waiting = Task { try await listener.notifications(within: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(200))
        let cancelled = ContinuousClock.now
        waiting.cancel()
        #expect(try await waiting.value.isEmpty)
        #expect(ContinuousClock.now - cancelled < .seconds(10), "cancelling did not end the wait")
        #expect(listener.isOpen, "a cancelled wait leaves the connection usable")
    }

    /// A statement with a prepared name is parsed once per connection and then only executed: its
    /// results are the same each time (the preparing is not one of them), a failed pipeline leaves
    /// it prepared, a prepared statement alone goes through the pipeline too, and a new connection
    /// prepares it again.
    @Test func aNamedStatementIsPreparedOncePerConnection() async throws {
        let cluster = try await PostgresCluster.shared()
        let table = uniqueName("prep")
        let insert = { (n: String) in PGStatement("INSERT INTO \(table) VALUES ($1::int) RETURNING n * 10", [n], preparedAs: "test_insert") }
        let preparedCount = "SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_insert'"
        try await PGConnection.withConnection(cluster.primary.conninfo) { connection in
            _ = try await connection.query("CREATE TABLE \(table) (n int PRIMARY KEY)")
            #expect(try await connection.pipeline([insert("1"), PGStatement("SELECT 'after'")]).map(\.rows) == [[["10"]], [["after"]]])
            #expect(try await connection.pipeline([insert("2")]).map(\.rows) == [[["20"]]])
            let failed = await thrown(PGError.self) { _ = try await connection.pipeline([insert("1"), insert("3")]) }
            #expect(failed?.sqlstate == "23505", "\(String(describing: failed))")
            #expect(try await connection.pipeline([insert("4"), PGStatement(preparedCount)]).map(\.rows) == [[["40"]], [["1"]]])
            #expect(try await connection.query("SELECT array_agg(n ORDER BY n)::text FROM \(table)").firstValue == "{1,2,4}")
        }
        try await PGConnection.withConnection(cluster.primary.conninfo) { connection in
            #expect(try await connection.query(preparedCount).firstValue == "0")
            #expect(try await connection.pipeline([insert("5")]).map(\.rows) == [[["50"]]])
            _ = try await connection.query("DROP TABLE \(table)")
        }
    }

    @Test func severalStatementsInOneCallAreRefusedByTheServer() async throws {
        let cluster = try await PostgresCluster.shared()
        let error = await thrown(PGError.self) {
            try await PGConnection.withConnection(cluster.primary.conninfo) { connection in
                _ = try await connection.query("SELECT 1; SELECT 2")
            }
        }
        #expect(error?.kind == .server && error?.sqlstate == "42601")
        #expect(error?.message.contains("cannot insert multiple commands into a prepared statement") == true)
    }

    @Test func serverErrorsCarrySQLStateAndPrimaryMessage() async throws {
        let cluster = try await PostgresCluster.shared()
        let error = await thrown(PGError.self) {
            try await PGConnection.withConnection(cluster.primary.conninfo) { connection in
                _ = try await connection.query("SELECT * FROM no_such_table_here")
            }
        }
        #expect(error?.sqlstate == "42P01")
        #expect(error?.serverMessage == "relation \"no_such_table_here\" does not exist")
        #expect(error?.message == "127.0.0.1:\(cluster.primary.port)/app: relation \"no_such_table_here\" does not exist (SQLSTATE 42P01 undefined_table)")
        #expect(error?.lifeboatError().retryable == false)
    }

    @Test func aTimedOutConnectionIsClosedAndSaysSo() async throws {
        let cluster = try await PostgresCluster.shared()
        let connection = try await PGConnection.connect(cluster.primary.conninfo)
        let error = await thrown(PGError.self) { _ = try await connection.query("SELECT pg_sleep(10)", timeout: .milliseconds(200)) }
        #expect(error?.kind == .timeout && error?.sqlstate == "57014")
        #expect(!connection.isOpen)
        let closed = await thrown(PGError.self) { _ = try await connection.query("SELECT 1") }
        #expect(closed?.message.hasSuffix("the connection is closed") == true)
    }

    @Test func statementTimeoutOnTheServerIsATimeout() async throws {
        let cluster = try await PostgresCluster.shared()
        let error = await thrown(LifeboatError.self) {
            _ = try await PostgresQueryAction().run(in:
                request([
                    "conninfo": .string(cluster.primary.conninfo + " options='-c statement_timeout=100'"), "sql": "SELECT pg_sleep(5)",
                ]))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("SQLSTATE 57014 query_canceled") == true)
    }

    /// Four queries sleeping on the server at once (more than this machine's cores, hence more than
    /// the cooperative pool's threads) must leave the pool free: a ticking task keeps ticking.
    @Test func blockingCallsStayOffTheCooperativePool() async throws {
        let cluster = try await PostgresCluster.shared()
        let connections = try await withThrowingTaskGroup(of: PGConnection.self) { group in
            for _ in 0..<4 { group.addTask { try await PGConnection.connect(cluster.primary.conninfo) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { connections.forEach { $0.close() } }
        let queriesDone = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask {
                    _ = try await connection.query("SELECT pg_sleep(10)", timeout: .seconds(30))
                    queriesDone.increment()
                }
            }
            let started = ContinuousClock.now
            for _ in 0..<10 { try await Task.sleep(for: .milliseconds(10)) }
            let ticking = ContinuousClock.now - started
            #expect(ticking < .seconds(6), "10 ticks of 10ms took \(ticking): the pool was blocked")
            #expect(queriesDone.value == 0, "the ticker must not have waited for the queries")
            try await group.waitForAll()
        }
        #expect(queriesDone.value == 4)
    }

    @Test func connectWhileCancelledThrowsCancelled() async throws {
        let cluster = try await PostgresCluster.shared()
        let conninfo = cluster.primary.conninfo
        let error = await withTaskGroup(of: PGError?.self) { group in
            group.cancelAll()
            group.addTask {
                do {
                    _ = try await PGConnection.connect(conninfo)
                    return nil
                } catch {
                    return error as? PGError
                }
            }
            return await group.next() ?? nil
        }
        #expect(error?.kind == .cancelled)
    }

    /// A connection attempt whose task stopped waiting (here: cancelled while the server never
    /// answers) is still inside libpq; `LibPQCalls` counts it until it returns, so the CLI waits for
    /// it before exit runs OpenSSL's clean-up under it (the crash seen after a team-store run).
    @Test func anAbandonedConnectionAttemptIsCountedUntilItReturns() async throws {
        let (fd, port) = PostgresCommands.boundSocket(listening: true)
        defer { close(fd) }
        // Calls left behind by earlier tests end first, so that the count is this test's.
        try #require(await LibPQCalls.finish(within: .seconds(30)), "earlier calls still running: \(LibPQCalls.count)")
        let attempt = Task {
            try await PGConnection.connect("host=127.0.0.1 port=\(port) dbname=none connect_timeout=2", timeout: .seconds(30))
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while LibPQCalls.count == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try #require(LibPQCalls.count > 0, "the attempt is not counted while it runs")
        attempt.cancel()
        let error = await thrown(PGError.self) { _ = try await attempt.value }
        #expect(error?.kind == .cancelled)
        #expect(LibPQCalls.count > 0, "the abandoned attempt is still blocked in libpq (connect_timeout 2 s)")
        #expect(await LibPQCalls.finish(within: .seconds(20)))
        #expect(LibPQCalls.count == 0)
    }
}

/// A count shared between tasks.
private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
