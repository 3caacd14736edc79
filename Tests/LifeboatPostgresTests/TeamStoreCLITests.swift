import Foundation
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import LifeboatStore
import LifeboatTestSupport
import Testing

/// The binary on the team store (`LIFEBOAT_DB` a conninfo): one process executes a run while
/// others watch it, are refused when they try to execute it too, and approve it; a run whose
/// executor was killed is continued by another process.
@Suite("CLI on the team store", .serialized)
struct TeamStoreCLITests {
    static func cli() async throws -> LifeboatCLI {
        var cli = try LifeboatCLI()
        cli.environment["LIFEBOAT_DB"] = try await TeamStoreTests.freshDatabase().conninfo
        try cli.write("plans/p.yaml", """
            plan: team
            objectives: {rto: 5m}
            scenarios:
              failover:
                runbook: ../runbooks/r.yaml

            """)
        return cli
    }

    static func waitForNewestRun(_ cli: LifeboatCLI, showing text: String) throws -> String? {
        for _ in 0..<200 {
            Thread.sleep(forTimeInterval: 0.05)
            if let id = try cli.newestRunID(), try cli.run("show", id).stdout.contains(text) { return id }
        }
        return nil
    }

    @Test func oneProcessExecutesOthersAreRefusedWatchAndApprove() async throws {
        let cli = try await Self.cli()
        try cli.write("runbooks/r.yaml", """
            runbook: r
            steps:
              - {id: prepare, action: command, with: {argv: ["true"]}}
              - {id: gate, action: approval, needs: [prepare], with: {prompt: "go?", separation_of_duties: false}}
              - {id: switch, action: command, needs: [gate], with: {argv: [touch, switched]}}

            """)
        let (executor, out, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if executor.isRunning { kill(executor.processIdentifier, SIGKILL) } }
        let id = try #require(try Self.waitForNewestRun(cli, showing: "awaiting-approval"), "the run never waited for approval")

        let history = try cli.run("history")
        #expect(history.stdout.contains("(executor "), "\(history.output)")
        #expect(history.stdout.contains("pid \(executor.processIdentifier))"), "\(history.output)")
        let second = try cli.run("resume", id)
        #expect(second.status == 4, "\(second.output)")
        #expect(second.stderr.contains("is being executed by") && second.stderr.contains("pid \(executor.processIdentifier)"), "\(second.output)")
        #expect(second.stderr.contains("last wrote"), "\(second.output)")

        // Another process follows the run live (woken by the server) until it ends.
        let watched = try cli.watch(id) {
            let approve = try cli.run("approve", id, "gate")
            #expect(approve.status == 0, "\(approve.output)")
            #expect(approve.stdout.contains("sent to the process executing"), "\(approve.output)")
        }
        #expect(watched.status == 0 && watched.sameAsShow, "\(watched.lines) \(watched.stderr)")
        executor.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(executor.terminationStatus == 0, "\(output)")
        #expect(FileManager.default.fileExists(atPath: cli.path("runbooks/switched")))
        let events = try cli.run("show", id, "--events").stdout
        // The identity is the role the connection authenticated as; "tester" is only the label.
        let role = try #require((cli.environment["LIFEBOAT_DB"] ?? "").firstMatch(of: /user=(\S+)/).map { String($0.1) })
        #expect(events.contains("gate: approved by tester (account \(role)) on "), "\(events)")
        #expect(events.contains("via lifeboat approve"), "\(events)")
        #expect(try cli.run("report", id).stdout.contains("# Run \(id): succeeded"))
    }

    /// On the team store the identity is the role PostgreSQL authenticated (passwords from a
    /// .pgpass file, none in the conninfo), and `group:NAME` is a role it is a member of.
    @Test func theDecidingIdentityIsTheAuthenticatedRoleAndGroupsAreRoles() async throws {
        let cli = try await Self.cli()
        let (_, cluster, database) = try await Self.databaseOf(cli)
        let (sre, alice, mallory) = (uniqueName("sre"), uniqueName("alice"), uniqueName("mallory"))
        try await cluster.admin(cluster.primary, "CREATE ROLE \(sre) NOLOGIN", database: "postgres")
        try await cluster.admin(cluster.primary, "CREATE ROLE \(alice) LOGIN PASSWORD 'alice-pw-1' IN ROLE \(sre)", database: "postgres")
        try await cluster.admin(cluster.primary, "CREATE ROLE \(mallory) LOGIN PASSWORD 'mallory-pw-1'", database: "postgres")
        try cli.write("runbooks/r.yaml", """
            runbook: roles
            steps:
              - {id: gate, action: approval, with: {approvers: ["group:\(sre)"]}}
              - {id: after, action: command, needs: [gate], with: {argv: ["true"]}}

            """)
        // The store exists (and is migrated) once the owner's first command ran.
        let first = try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait")
        #expect(first.status == 3, "\(first.output)")
        let id = try #require(try cli.newestRunID())
        for role in [alice, mallory] {
            for grant in TeamStoreTests.grantOperatorRole(role) { try await cluster.admin(cluster.primary, grant, database: database) }
        }
        let port = cluster.primary.port
        try cli.write(".pgpass", "127.0.0.1:\(port):\(database):\(alice):alice-pw-1\n127.0.0.1:\(port):\(database):\(mallory):mallory-pw-1\n")
        #expect(chmod(cli.path(".pgpass"), 0o600) == 0)
        func asRole(_ role: String) -> LifeboatCLI {
            var other = cli
            other.environment["LIFEBOAT_DB"] = "host=127.0.0.1 port=\(port) dbname=\(database) user=\(role)"
            other.environment["PGPASSFILE"] = cli.path(".pgpass")
            return other
        }
        // A forged message: mallory's connection writes a body that claims to be alice in sre. The
        // server stamps the real sender, so the executor refuses it as mallory's.
        let forged = ControlMessage(
            runID: id, kind: .approve(step: "gate", caller: Caller(decider: Decider(identity: alice, label: alice, host: "x"), groups: [sre])),
            by: alice, atMs: 1)
        try await PGConnection.withConnection(
            "host=127.0.0.1 port=\(port) dbname=\(database) user=\(mallory) password=mallory-pw-1"
        ) { db in
            _ = try await db.query(
                "INSERT INTO lifeboat.controls (run_id, kind, by, at_ms, sent_by) VALUES ($1, $2, $3, $4, $5)",
                [id, try CanonicalJSON.encode(forged.kind), alice, "1", alice])
        }
        let refused = try asRole(mallory).run("approve", id, "gate", "--by", alice)
        #expect(refused.status == 4, "\(refused.output)")
        #expect(refused.stderr.contains("\(mallory) is not among its approvers (group:\(sre))"), "\(refused.output)")
        let approved = try asRole(alice).run("approve", id, "gate", "--by", "Alice")
        #expect(approved.status == 0, "\(approved.output)")
        #expect(try cli.run("resume", id).status == 0)
        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("approval by \(alice) (account \(mallory))"), "\(events)")
        let refusals = events.split(separator: "\n").filter { $0.contains("(account \(mallory))") && $0.contains("REFUSED") }
        #expect(refusals.count == 2, "the forged message was not refused as mallory's: \(events)")
        #expect(events.contains("gate: approved by Alice (account \(alice))"), "\(events)")
    }

    @Test func anotherProcessFinishesARunWhoseExecutorWasKilled() async throws {
        let cli = try await Self.cli()
        try cli.write("runbooks/r.yaml", """
            runbook: r
            steps:
              - {id: copy, action: command, idempotent: true, with: {argv: [sleep, "3"]}}
              - {id: after, action: command, needs: [copy], with: {argv: [touch, after-ran]}}

            """)
        let (executor, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        let id = try #require(try Self.waitForNewestRun(cli, showing: "copy                  running"))
        kill(executor.processIdentifier, SIGKILL)
        executor.waitUntilExit()
        #expect(try Self.eventuallyShows(cli, id, "(executor gone)"), "the dead executor still holds the run")
        let resumed = try cli.run("resume", id)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(FileManager.default.fileExists(atPath: cli.path("runbooks/after-ran")))
        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("copy: was interrupted during attempt 1"), "\(events)")
    }

    /// The store's server goes away mid-run: the executor stops (exit 6, saying which store and
    /// that `resume` continues), nothing after the running step starts; once the server is back,
    /// `resume` finishes the run and the chain verifies.
    @Test func theStoreGoingAwayMidRunStopsTheExecutorAndResumeFinishesTheRun() async throws {
        try await PostgresCluster.withCluster(replica: false) { cluster in
            try await cluster.admin(cluster.primary, "CREATE DATABASE store OWNER lifeboat", database: "postgres")
            var cli = try LifeboatCLI()
            cli.environment["LIFEBOAT_DB"] = cluster.primary.conninfo(password: cluster.primary.password, database: "store")
            try cli.write("plans/p.yaml", "plan: team\nobjectives: {rto: 5m}\nscenarios:\n  failover:\n    runbook: ../runbooks/r.yaml\n")
            try cli.write("runbooks/r.yaml", """
                runbook: r
                steps:
                  - {id: copy, action: command, idempotent: true, with: {argv: [sleep, "2"]}}
                  - {id: after, action: command, needs: [copy], with: {argv: [touch, after-ran]}}

                """)
            let (executor, out, err) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
            defer { if executor.isRunning { kill(executor.processIdentifier, SIGKILL) } }
            let id = try #require(try Self.waitForNewestRun(cli, showing: "copy                  running"))
            try await cluster.pgCtl(cluster.primary, ["stop", "-m", "fast", "-w", "-t", "60"])
            for _ in 0..<300 where executor.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            #expect(!executor.isRunning && executor.terminationStatus == 6, "\(stdout)\n\(stderr)")
            #expect(stderr.contains("team store") && stderr.contains("`lifeboat resume \(id)` continues the run"), "\(stderr)")
            #expect(!stderr.contains(cluster.primary.password), "the password reached the message")
            #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/after-ran")), "a step started with the store gone")

            try await cluster.pgCtl(cluster.primary, ["start", "-w", "-t", "60"])
            let resumed = try cli.run("resume", id)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(FileManager.default.fileExists(atPath: cli.path("runbooks/after-ran")))
            #expect(try cli.run("audit", "verify").status == 0)
        }
    }

    /// The store's primary fails over to its synchronous standby mid-run; the conninfo lists both
    /// servers with `target_session_attrs=read-write`: the executor, finding no primary, stops
    /// (exit 6); `resume` reaches the promoted server and finishes the run; every event recorded
    /// before the failover is there once, in order, no step ran twice, and the chain verifies.
    /// Promoted at once, the standby may be found by the executor's next read: it then finds its
    /// lock's session gone (the lock with it) and stops all the same.
    @Test(arguments: [false, true])
    func theStoreFailsOverToItsSynchronousStandbyAndResumeContinuesThere(promoteAtOnce: Bool) async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let standby = try #require(cluster.replica)
            try await cluster.admin(cluster.primary, "ALTER SYSTEM SET synchronous_standby_names = '*'", database: "postgres")
            try await cluster.admin(cluster.primary, "SELECT pg_reload_conf()", database: "postgres")
            try await cluster.admin(cluster.primary, "CREATE DATABASE store OWNER lifeboat", database: "postgres")
            for _ in 0..<100 {
                let state = try await cluster.admin(cluster.primary, "SELECT sync_state FROM pg_stat_replication", database: "postgres").firstValue
                if state == "sync" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await cluster.admin(cluster.primary, "SELECT sync_state FROM pg_stat_replication", database: "postgres").firstValue == "sync")
            var cli = try LifeboatCLI()
            cli.environment["LIFEBOAT_DB"] =
                "host=127.0.0.1,127.0.0.1 port=\(cluster.primary.port),\(standby.port) dbname=store user=lifeboat "
                + "password=\(cluster.primary.password) connect_timeout=5 target_session_attrs=read-write"
            try cli.write("plans/p.yaml", "plan: team\nobjectives: {rto: 5m}\nscenarios:\n  failover:\n    runbook: ../runbooks/r.yaml\n")
            try cli.write("runbooks/r.yaml", """
                runbook: r
                steps:
                  - {id: first, action: command, with: {argv: [sh, -c, "echo first >> ledger"]}}
                  - {id: copy, action: command, needs: [first], idempotent: true, with: {argv: [sleep, "2"]}}
                  - {id: after, action: command, needs: [copy], with: {argv: [sh, -c, "echo after >> ledger"]}}

                """)
            let (executor, _, err) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
            defer { if executor.isRunning { kill(executor.processIdentifier, SIGKILL) } }
            let id = try #require(try Self.waitForNewestRun(cli, showing: "copy                  running"))
            let before = try #require(cli.showJSON(id)["events"] as? [[String: Any]])

            // With no primary (the standby is read-only until promoted) the executor stops, and the
            // standby is promoted after; or it is promoted at once.
            try await cluster.pgCtl(cluster.primary, ["stop", "-m", "immediate", "-w", "-t", "60"])
            if promoteAtOnce { try await cluster.pgCtl(standby, ["promote", "-w", "-t", "60"]) }
            for _ in 0..<300 where executor.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!executor.isRunning && executor.terminationStatus == 6, "\((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
            if !promoteAtOnce { try await cluster.pgCtl(standby, ["promote", "-w", "-t", "60"]) }

            let resumed = try cli.run("resume", id)
            #expect(resumed.status == 0, "\(resumed.output)")
            let after = try #require(cli.showJSON(id)["events"] as? [[String: Any]])
            let seen = before.map { NSDictionary(dictionary: $0) }
            #expect(Array(after.prefix(seen.count).map { NSDictionary(dictionary: $0) }) == seen, "an event from before the failover is missing or moved")
            let ledger = try String(contentsOf: URL(fileURLWithPath: cli.path("runbooks/ledger")), encoding: .utf8)
            #expect(ledger == "first\nafter\n", "\(ledger)")
            let verify = try cli.run("audit", "verify")
            #expect(verify.status == 0, "\(verify.output)")
        }
    }

    /// The ledger across machines: executor A runs on another "machine" (its own network namespace
    /// and host name) and its cable is pulled in the middle of a run of non-idempotent steps that
    /// append to a ledger. The server notices the dead peer (keepalives on A's lock session) and
    /// frees the run; B, on this machine, resumes it: the step A was running is `unknown`, resolved
    /// from the ledger, and the rest run once. No line doubled or missing.
    @Test func aRunWhoseMachineIsCutOffIsTakenOverElsewhereWithNoLedgerLineDoubled() async throws {
        try await PostgresCluster.withCluster(replica: false) { cluster in
            let machine = try await SecondMachine.make()
            do {
                let primary = cluster.primary
                try await cluster.admin(primary, "ALTER SYSTEM SET listen_addresses = '127.0.0.1,\(machine.hostAddress)'", database: "postgres")
                let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: primary.dataDir + "/pg_hba.conf"))
                try hba.seekToEnd()
                try hba.write(contentsOf: Data("host all all \(machine.peerAddress)/32 scram-sha-256\n".utf8))
                try hba.close()
                try await cluster.pgCtl(primary, ["restart", "-w", "-t", "60"])
                try await cluster.admin(primary, "CREATE DATABASE store OWNER lifeboat", database: "postgres")

                var b = try LifeboatCLI()
                b.environment["LIFEBOAT_DB"] = primary.conninfo(password: primary.password, database: "store")
                try b.write("plans/p.yaml", "plan: team\nobjectives: {rto: 5m}\nscenarios:\n  failover:\n    runbook: ../runbooks/r.yaml\n")
                let steps = (1...6).map { n in
                    "  - {id: s\(n), action: command\(n > 1 ? ", needs: [s\(n - 1)]" : ""), with: {argv: [sh, -c, \"echo s\(n) >> ledger; sleep 1\"]}}"
                }
                try b.write("runbooks/r.yaml", "runbook: r\nsteps:\n" + steps.joined(separator: "\n") + "\n")
                var a = b
                a.environment["LIFEBOAT_DB"] = "host=\(machine.hostAddress) port=\(primary.port) dbname=store user=lifeboat password=\(primary.password) connect_timeout=5"
                a.environment["HOME"] = b.path("home-a")
                try FileManager.default.createDirectory(atPath: b.path("home-a"), withIntermediateDirectories: true)
                let executor = Process()
                let argv = machine.command([LifeboatCLI.binary, "run", "plans/p.yaml", "-s", "failover"])
                executor.executableURL = URL(fileURLWithPath: argv[0])
                executor.arguments = Array(argv.dropFirst())
                executor.environment = a.environment
                executor.currentDirectoryURL = b.directory
                executor.standardInput = FileHandle.nullDevice
                executor.standardOutput = FileHandle.nullDevice
                executor.standardError = FileHandle.nullDevice
                try executor.run()
                defer { if executor.isRunning { kill(executor.processIdentifier, SIGKILL) } }

                let id = try #require(try Self.waitForNewestRun(b, showing: "s3                    running"), "A never reached s3")
                #expect(try b.run("history").stdout.contains("(executor host-b pid"), "A does not run as another host")
                try await machine.pullCable()
                let cut = ContinuousClock.now
                var resumed = try b.run("resume", id)
                while resumed.status == 4, ContinuousClock.now - cut < .seconds(90) {
                    try await Task.sleep(for: .seconds(1))
                    resumed = try b.run("resume", id)
                }
                let freedAfter = ContinuousClock.now - cut
                #expect(freedAfter < .seconds(45), "the server held the cut-off executor's run for \(freedAfter)")
                #expect(resumed.status == 3 && resumed.stdout.contains("s3"), "status \(resumed.status): \(resumed.output)")
                let ledger = { (try? String(contentsOf: URL(fileURLWithPath: b.path("runbooks/ledger")), encoding: .utf8)) ?? "" }
                #expect(ledger().hasPrefix("s1\ns2\ns3\n"), "\(ledger())")
                #expect(try b.run("resolve", id, "s3", "--as", "succeeded", "--reason", "the ledger has s3").status == 0)
                let finished = try b.run("resume", id)
                #expect(finished.status == 0, "\(finished.output)")
                #expect(ledger() == "s1\ns2\ns3\ns4\ns5\ns6\n", "\(ledger())")
                #expect(try b.run("audit", "verify").status == 0)
            } catch {
                await machine.remove()
                throw error
            }
            await machine.remove()
        }
    }

    /// A zombie executor: A is stopped (SIGSTOP) while it waits at an approval, its connections
    /// are ended on the server, B takes the run over and finishes it; A, continued (SIGCONT), learns
    /// at its next look at the store that it lost the run, says so, exits, and writes nothing more;
    /// no step ran twice.
    @Test func aStoppedExecutorThatWakesAfterATakeOverWritesNothingMore() async throws {
        let cli = try await Self.cli()
        try cli.write("runbooks/r.yaml", """
            runbook: r
            steps:
              - {id: first, action: command, with: {argv: [sh, -c, "echo first >> ledger"]}}
              - {id: gate, action: approval, needs: [first], with: {prompt: "go?", separation_of_duties: false}}
              - {id: second, action: command, needs: [gate], with: {argv: [sh, -c, "echo second >> ledger"]}}

            """)
        let (a, out, err) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if a.isRunning { kill(a.processIdentifier, SIGKILL) } }
        let id = try #require(try Self.waitForNewestRun(cli, showing: "awaiting-approval"))
        kill(a.processIdentifier, SIGSTOP)
        let (_, cluster, database) = try await Self.databaseOf(cli)
        try await cluster.admin(
            cluster.primary, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [database], database: "postgres")
        let b = try cli.run("resume", id, "--yes")
        #expect(b.status == 0, "\(b.output)")
        let recorded = try cli.showJSON(id)["events"] as? [Any]

        kill(a.processIdentifier, SIGCONT)
        for _ in 0..<300 where a.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let said = ((try? String(contentsOf: out, encoding: .utf8)) ?? "") + ((try? String(contentsOf: err, encoding: .utf8)) ?? "")
        #expect(!a.isRunning && a.terminationStatus == 4, "\(said)")
        #expect(said.contains("run \(id) was taken over by") && said.contains("records nothing more and stops"), "\(said)")
        #expect((try cli.showJSON(id)["events"] as? [Any])?.count == recorded?.count, "A wrote after B took over")
        let ledger = try String(contentsOf: URL(fileURLWithPath: cli.path("runbooks/ledger")), encoding: .utf8)
        #expect(ledger == "first\nsecond\n", "\(ledger)")
        #expect(try cli.run("audit", "verify").status == 0)
    }

    /// `audit verify` on the team store: ok after real runs; an event edited by a superuser (who
    /// can lift the append-only trigger) is named with its run; an edited step row is found.
    @Test func auditVerifyFindsAnEditedEventAndAnEditedProjection() async throws {
        let cli = try await Self.cli()
        try cli.write("runbooks/r.yaml", """
            runbook: r
            steps:
              - {id: a, action: command, with: {argv: ["true"]}}
              - {id: b, action: command, needs: [a], with: {argv: ["true"]}}

            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 0)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 0)
        let clean = try cli.run("audit", "verify", "--json")
        #expect(clean.status == 0, "\(clean.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(clean.stdout.utf8)) as? [String: Any])
        #expect((report["eventsChecked"] as? Int ?? 0) > 10 && (report["head"] as? String)?.count == 64, "\(report)")

        let (_, cluster, database) = try await Self.databaseOf(cli)
        let id = try #require(try cli.newestRunID())
        try await cluster.admin(cluster.primary, "ALTER TABLE lifeboat.steps DISABLE TRIGGER ALL", database: database)
        try await cluster.admin(
            cluster.primary, "UPDATE lifeboat.steps SET record = replace(record, '\"succeeded\"', '\"failed\"') WHERE run_id = $1 AND step_id = 'b'",
            [id], database: database)
        let projection = try cli.run("audit", "verify")
        #expect(projection.status == 6, "\(projection.output)")
        #expect(projection.stdout.contains("run \(id) step b: steps row differs from its events"), "\(projection.output)")

        try await cluster.admin(cluster.primary, "ALTER TABLE lifeboat.events DISABLE TRIGGER events_append_only", database: database)
        try await cluster.admin(
            cluster.primary, "UPDATE lifeboat.events SET payload = payload || ' ' WHERE seq = 3",
            database: database)
        let tampered = try cli.run("audit", "verify")
        #expect(tampered.status == 6, "\(tampered.output)")
        #expect(tampered.stdout.contains("event 3 (run "), "\(tampered.output)")
        #expect(tampered.stdout.contains("was altered"), "\(tampered.output)")
    }

    /// A SQLite store of 1,000 runs (five plans, each run four events) moves into the team store:
    /// both chains verify, the team store holds every run with its documents, and a second import
    /// changes nothing.
    @Test func storeImportMovesAThousandRunsOnceAndBothChainsVerify() async throws {
        let cli = try await Self.cli()
        let file = cli.path("local.db")
        let local = try SQLiteStore(path: file)
        for i in 0..<1_000 {
            let id = String(format: "run-%04d", i)
            var header = TeamStoreTests.header("plan-\(i % 5)", steps: [TestHeaders.step("a")])
            header.scenario = "s\(i)"
            let at = Int64(1_790_000_000_000 + i * 60_000)
            try await local.createRun(
                id: id, created: RunEvent(runID: id, atMs: at, monoMs: 0, session: "s", kind: .runCreated(header)),
                documents: TeamStoreTests.documents)
            try await local.append([
                RunEvent(runID: id, atMs: at + 1, monoMs: 1, session: "s", kind: .executorStarted(pid: 1, host: "h", resumed: false)),
                RunEvent(runID: id, atMs: at + 2, monoMs: 2, session: "s", kind: .stepStarted(step: "a", attempt: 1)),
                RunEvent(runID: id, atMs: at + 3, monoMs: 3, session: "s", kind: .stepSucceeded(
                    step: "a", attempt: 1, durationMs: 1, result: ActionResult(summary: "ok"))),
                RunEvent(runID: id, atMs: at + 4, monoMs: 4, session: "s", kind: .runFinished(outcome: .succeeded)),
            ], consumingControls: [])
        }
        try local.close()

        let first = try cli.run("store", "import", file, "--json")
        #expect(first.status == 0, "\(first.output)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any], "\(first.output)")
        #expect(result["imported"] as? Int == 1_000 && result["events"] as? Int == 5_000, "\(result)")
        let info = try cli.run("store", "info", "--json")
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any], "\(info.output)")
        #expect(facts["runs"] as? Int == 1_000 && facts["events"] as? Int == 5_000 && facts["kind"] as? String == "postgresql", "\(facts)")
        #expect(try cli.run("audit", "verify").status == 0)
        #expect(try cli.run("audit", "verify", "--db", file).status == 0)
        #expect(try cli.run("show", "run-0042").stdout.contains("status succeeded"))
        #expect(try cli.run("report", "run-0042").stdout.contains("Pinned plan"))

        let again = try cli.run("store", "import", file, "--json")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any], "\(again.output)")
        #expect(second["imported"] as? Int == 0 && second["alreadyThere"] as? Int == 1_000, "\(second)")
        #expect(second["teamChainHead"] as? String == result["teamChainHead"] as? String, "a second import changed the chain")
        let refused = try cli.run("store", "import", file, "--db", cli.path("other.db"))
        #expect(refused.status == 2 && refused.stderr.contains("copies into the team store"), "\(refused.output)")
    }

    /// The cluster and database name behind a CLI's team store.
    static func databaseOf(_ cli: LifeboatCLI) async throws -> (String, PostgresCluster, String) {
        let conninfo = cli.environment["LIFEBOAT_DB"] ?? ""
        let name = conninfo.firstMatch(of: /dbname=(\S+)/).map { String($0.1) } ?? ""
        return (conninfo, try await PostgresCluster.shared(), name)
    }

    /// The password in the CLI's store conninfo.
    static func password(_ cli: LifeboatCLI) -> String {
        let conninfo = cli.environment["LIFEBOAT_DB"] ?? ""
        return conninfo.firstMatch(of: /password=(\S+)/).map { String($0.1) } ?? "no password in \(conninfo)"
    }

    static func eventuallyShows(_ cli: LifeboatCLI, _ id: String, _ text: String) throws -> Bool {
        for _ in 0..<100 {
            if try cli.run("show", id).stdout.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// `history --summary`, `history --report`, `status`, `metrics` and `audit export` give the
    /// same answers on the team store as on a SQLite store that saw the same runs (ids and times
    /// aside); the export's events chain; a store that cannot be reached is exit 6 without the password.
    @Test func theEvidenceCommandsGiveTheSameAnswersOnBothStores() async throws {
        let team = try await Self.cli()
        let local = try LifeboatCLI()
        for cli in [team, local] {
            try cli.write("plans/p.yaml", """
                plan: team
                objectives: {rto: 5m, rpo: 1m}
                schedule: {tabletop: quarterly, failover: semiannual}
                scenarios:
                  failover:
                    runbook: ../runbooks/r.yaml

                """)
            // The first two runs have a probe that measures the outage (a service that never fails).
            try cli.write("runbooks/r.yaml", """
                runbook: r
                probes:
                  - {id: up, action: command, with: {argv: ["true"]}, interval: 100ms, measures: outage}
                steps:
                  - {id: a, action: command, with: {argv: [sleep, "0.3"]}}

                """)
            #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 0)
            #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 0)
            try cli.write("runbooks/r.yaml", "runbook: r\nsteps:\n  - {id: a, action: command, with: {argv: [\"false\"]}}\n")
            let failed = try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill")
            #expect(failed.status == 1, "\(failed.output)")
            #expect(try cli.run("abort", try #require(try cli.newestRunID()), "--reason", "end it").status == 0)
        }
        func json(_ cli: LifeboatCLI, _ arguments: String...) throws -> Any {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            #expect(result.stderr.isEmpty || !result.stderr.contains(Self.password(team)), "\(arguments): \(result.output)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        }
        // The summary's counts and verdicts (achieved times differ from store to store).
        func summary(_ cli: LifeboatCLI) throws -> [String] {
            try (json(cli, "history", "--summary", "--json") as? [[String: Any]] ?? []).map { g in
                let rto = g["rto"] as? [String: Any] ?? [:]
                let outage = g["lastOutage"] as? [String: Any]
                return "\(g["planID"] ?? "") \(g["mode"] ?? "") runs \(g["runs"] ?? "") ok \(g["succeeded"] ?? "") "
                    + "rto \(rto["measured"] ?? "")/\(rto["met"] ?? "")/\(rto["missed"] ?? "") trend \(rto["trend"] ?? "") "
                    + "outage \(outage?["durationMs"] ?? "none") \(outage?["lowerBound"] ?? "")"
            }
        }
        let (teamSummary, localSummary) = (try summary(team), try summary(local))
        #expect(teamSummary == localSummary && !teamSummary.isEmpty, "\(teamSummary) vs \(localSummary)")
        #expect(teamSummary.first?.hasSuffix("outage 0 0") == true, "the newest outage, kept by both stores: \(teamSummary)")
        func status(_ cli: LifeboatCLI) throws -> [String] {
            let document = try json(cli, "status", "plans", "--json") as? [String: Any] ?? [:]
            return (document["plans"] as? [[String: Any]] ?? []).flatMap { plan in
                (plan["cadences"] as? [[String: Any]] ?? []).map { "\($0["cadence"] ?? "") \($0["state"] ?? "") \($0["overdue"] ?? "")" }
            }
        }
        let (teamStatus, localStatus) = (try status(team), try status(local))
        #expect(teamStatus == localStatus && !teamStatus.isEmpty, "\(teamStatus) vs \(localStatus)")
        // Metric names and labels (values are times).
        func metrics(_ cli: LifeboatCLI) throws -> [String] {
            let result = try cli.run("metrics", "plans")
            #expect(result.status == 0, "\(result.output)")
            return result.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first.map(String.init) }
        }
        let (teamMetrics, localMetrics) = (try metrics(team), try metrics(local))
        #expect(teamMetrics == localMetrics && !teamMetrics.isEmpty, "\(teamMetrics) vs \(localMetrics)")
        let report = try team.run("history", "--report", "md", "--plan", "team")
        #expect(report.status == 0 && report.stdout.contains("team"), "\(report.output)")

        // The export holds the three runs, their documents and every event, chained.
        let export = try team.run("audit", "export")
        #expect(export.status == 0, "\(export.output)")
        #expect(!export.stdout.contains(Self.password(team)), "the export names the store with its password")
        let lines = export.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let events = lines.filter { $0["hash"] != nil && $0["payload"] != nil }
        #expect(lines.filter { $0["run"] != nil && $0["runId"] == nil }.count >= 3, "\(lines.prefix(5))")
        let info = try json(team, "store", "info", "--json") as? [String: Any] ?? [:]
        #expect(events.count == info["events"] as? Int, "\(events.count) events exported, store has \(info)")
        for (previous, event) in zip(events, events.dropFirst()) {
            #expect(event["prevHash"] as? String == previous["hash"] as? String, "event \(event["seq"] ?? "?") does not follow \(previous["seq"] ?? "?")")
        }

        var unreachable = team
        unreachable.environment["LIFEBOAT_DB"] = "host=127.0.0.1 port=1 dbname=x user=lifeboat password=hunter2 connect_timeout=2"
        let refused = try unreachable.run("history")
        #expect(refused.status == 6, "\(refused.output)")
        #expect(!refused.output.contains("hunter2"), "\(refused.output)")
    }
}
