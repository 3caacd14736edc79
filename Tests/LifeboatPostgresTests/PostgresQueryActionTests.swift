import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Testing

/// `postgres.query` against the shared primary + replica.
@Suite("postgres.query against a real server")
struct PostgresQueryActionTests {
    let action = PostgresQueryAction()

    @Test func paramsAreBoundNotSplicedAndStoredVerbatim() async throws {
        let cluster = try await PostgresCluster.shared()
        let table = uniqueName("notes")
        try await cluster.admin(cluster.primary, "CREATE TABLE \(table) (id serial PRIMARY KEY, body text, n int)")
        let nasty = [
            "O'Brien", "semi; colon", "dollar $1 and $2", "'); DROP TABLE \(table); --", #"back\slash "quoted""#, "",
        ]
        for (index, text) in nasty.enumerated() {
            let result = try await action.run(in:
                request([
                    "conninfo": .string(cluster.primary.conninfo),
                    "sql": .string("INSERT INTO \(table) (body, n) VALUES ($1, $2) RETURNING body"),
                    "params": [.string(text), .int(index)], "expect_rows": 1, "expect_value": .string(text),
                ]))
            #expect(result.outputs["rows"] == 1)
        }
        let stored = try await cluster.admin(cluster.primary, "SELECT body FROM \(table) ORDER BY n")
        #expect(stored.rows.map { $0[0] } == nasty.map { Optional($0) })
        let exists = try await cluster.admin(cluster.primary, "SELECT to_regclass($1) IS NOT NULL", [table])
        #expect(exists.firstValue == "t", "the table must still be there")
    }

    @Test func reportsRowsFirstValueAndLatency() async throws {
        let cluster = try await PostgresCluster.shared()
        let result = try await action.run(in:
            request([
                "conninfo": .string(cluster.primary.conninfo),
                "sql": "SELECT g::text FROM generate_series(1, $1::int) AS g", "params": [3],
                "expect_rows": 3, "expect_value": "1", "max_latency": "10s",
            ]))
        #expect(result.outputs["rows"] == 3)
        #expect(result.outputs["first_value"] == "1")
        #expect(result.outputs["latency_ms"]?.intValue.map { $0 >= 0 } == true)
        #expect(result.summary.contains("127.0.0.1:\(cluster.primary.port)/app: SELECT 3, 3 rows, first value \"1\""))
        let none = try await action.run(in:
            request(["conninfo": .string(cluster.primary.conninfo), "sql": "SELECT 1 WHERE false", "expect_rows": 0]))
        #expect(none.outputs["first_value"] == .null)
    }

    @Test func expectRowsMismatchFailsClearly() async throws {
        let cluster = try await PostgresCluster.shared()
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in:
                request(
                    ["conninfo": .string(cluster.primary.conninfo), "sql": "SELECT 1 WHERE false", "expect_rows": 1],
                    step: "smoke"))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.message == "step 'smoke': 127.0.0.1:\(cluster.primary.port)/app: the query returned 0 rows (expected 1)")
        #expect(error?.retryable == true)
    }

    @Test func expectValueMismatchFailsClearly() async throws {
        let cluster = try await PostgresCluster.shared()
        let conninfo = Value.string(cluster.primary.conninfo)
        let wrong = await thrown(LifeboatError.self) {
            _ = try await action.run(in: request(["conninfo": conninfo, "sql": "SELECT 'degraded'", "expect_value": "ok"]))
        }
        #expect(wrong?.message.hasSuffix("the first value is \"degraded\" (expected \"ok\")") == true)
        let null = await thrown(LifeboatError.self) {
            _ = try await action.run(in: request(["conninfo": conninfo, "sql": "SELECT NULL", "expect_value": "ok"]))
        }
        #expect(null?.message.hasSuffix("the first value is NULL (expected \"ok\")") == true)
        let empty = await thrown(LifeboatError.self) {
            _ = try await action.run(in: request(["conninfo": conninfo, "sql": "SELECT 1 WHERE false", "expect_value": "1"]))
        }
        #expect(empty?.message.hasSuffix("the query returned no rows (expected first value \"1\")") == true)
    }

    @Test func maxLatencyExceededFails() async throws {
        let cluster = try await PostgresCluster.shared()
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in:
                request(["conninfo": .string(cluster.primary.conninfo), "sql": "SELECT pg_sleep(0.3)", "max_latency": "50ms"]))
        }
        #expect(error?.message.contains("over max_latency 50ms") == true)
        #expect(error?.retryable == true)
    }

    @Test func writeOnTheReplicaFailsWithSQLState25006() async throws {
        let cluster = try await PostgresCluster.shared()
        let replica = try #require(cluster.replica)
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in:
                request(["conninfo": .string(replica.conninfo), "sql": "CREATE TABLE should_fail (id int)"], step: "write"))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.message.contains("step 'write': 127.0.0.1:\(replica.port)/app: the server is read-only") == true)
        #expect(error?.message.contains("SQLSTATE 25006 read_only_sql_transaction") == true)
        #expect(error?.hint?.contains("primary") == true)
        #expect(error?.retryable == false)
    }

    @Test func timeoutCancelsTheQueryOnTheServer() async throws {
        let cluster = try await PostgresCluster.shared()
        let marker = uniqueName("lb_timeout")
        let started = ContinuousClock.now
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in:
                request([
                    "conninfo": .string(cluster.primary.conninfo + " application_name=\(marker)"), "sql": "SELECT pg_sleep(10)",
                    "timeout": "500ms",
                ]))
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(4), "took \(elapsed); the 500ms timeout must stop it at once")
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("did not finish within 500ms; it was cancelled on the server") == true)
        #expect(error?.retryable == true)
        // pg_sleep(10) would stay active for 10 s had it only been abandoned client-side.
        let gone = try await eventually(seconds: 3) {
            try await cluster.admin(
                cluster.primary, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'", [marker]
            ).firstValue == "0"
        }
        #expect(gone, "the backend still runs pg_sleep: the query was not cancelled on the server")
    }

    @Test func taskCancellationCancelsTheQueryOnTheServer() async throws {
        let cluster = try await PostgresCluster.shared()
        let marker = uniqueName("lb_cancel")
        let action = action
        let conninfo = cluster.primary.conninfo + " application_name=\(marker)"
        let activeQuery = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'"
        let outcome = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    _ = try await action.run(in: request(["conninfo": .string(conninfo), "sql": "SELECT pg_sleep(10)", "timeout": "60s"]))
                    return nil
                } catch {
                    return error
                }
            }
            let running = try await eventually(seconds: 10) {
                try await cluster.admin(cluster.primary, activeQuery, [marker]).firstValue == "1"
            }
            #expect(running, "the query never showed up in pg_stat_activity")
            let cancelledAt = ContinuousClock.now
            group.cancelAll()
            let error = try await group.next() ?? nil
            #expect(ContinuousClock.now - cancelledAt < .seconds(3), "cancellation must stop the query at once")
            return error
        }
        let error = outcome as? LifeboatError
        #expect(error?.code == .cancelled, "got \(String(describing: outcome))")
        #expect(error?.message.contains("cancelled on the server") == true)
        let gone = try await eventually(seconds: 3) {
            try await cluster.admin(cluster.primary, activeQuery, [marker]).firstValue == "0"
        }
        #expect(gone, "the backend still runs pg_sleep after the task was cancelled")
    }

    @Test func unreachablePortIsARetryableConnectionError() async throws {
        let port = PostgresCommands.freePort()
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in:
                request(["conninfo": .string("host=127.0.0.1 port=\(port) dbname=app user=lifeboat password=pw1234"), "sql": "SELECT 1"]))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.retryable == true)
        #expect(error?.message == "step 's1': cannot connect to 127.0.0.1:\(port): connection refused")
        for text in error.map(allTexts) ?? [] { #expect(!text.contains("pw1234")) }
    }

    @Test(arguments: [false, true])
    func badPasswordIsAnAuthenticationErrorThatNeverShowsThePassword(uri: Bool) async throws {
        let cluster = try await PostgresCluster.shared()
        let wrong = "Wr0ng-" + uniqueName("pw")
        let conninfo =
            uri
            ? "postgresql://lifeboat:\(wrong)@127.0.0.1:\(cluster.primary.port)/app"
            : cluster.primary.conninfo(password: wrong)
        let error = await thrown(LifeboatError.self) {
            _ = try await action.run(in: request(["conninfo": .string(conninfo), "sql": "SELECT 1"]))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.retryable == false)
        #expect(
            error?.message == "step 's1': authentication failed for user \"lifeboat\" at 127.0.0.1:\(cluster.primary.port)/app")
        #expect(error?.hint?.hasPrefix("check the user and the password source") == true)
        #expect(error?.detail?.contains("password authentication failed") == true)
        for text in error.map(allTexts) ?? [] {
            #expect(!text.contains(wrong), "the password leaked into: \(text)")
            #expect(!text.contains(cluster.primary.password))
        }
        let refused = try await action.preflight(in: request(["conninfo": .string(conninfo), "sql": "SELECT 1"]))
        guard case .refused(let reason) = refused else {
            Issue.record("preflight should refuse a bad password, got \(refused)")
            return
        }
        #expect(reason.contains("authentication failed") && !reason.contains(wrong))
    }

    @Test func preflightOkOnAReachableServerAndRefusedOtherwise() async throws {
        let cluster = try await PostgresCluster.shared()
        let ok = try await action.preflight(in: request(["conninfo": .string(cluster.primary.uri), "sql": "INSERT INTO x VALUES (1)"]))
        guard case .ok(let text) = ok else {
            Issue.record("expected ok, got \(ok)")
            return
        }
        #expect(text.contains("127.0.0.1:\(cluster.primary.port)/app answers (PostgreSQL 1"))
        #expect(!text.contains(cluster.primary.password))

        let port = PostgresCommands.freePort()
        let refused = try await action.preflight(in:
            request(["conninfo": .string("host=127.0.0.1 port=\(port) user=lifeboat"), "sql": "SELECT 1"]))
        #expect(refused == .refused("cannot connect to 127.0.0.1:\(port): connection refused (is PostgreSQL running and listening on that host and port?)"))
    }
}
