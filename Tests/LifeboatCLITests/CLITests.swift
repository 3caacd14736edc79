import Foundation
import Synchronization
import LifeboatTestSupport
import Testing

/// Writes a plan and runbook into the CLI's temp folder.
func writeScenario(_ cli: CLI, steps: String, params: String = "", secrets: String = "", rto: String = "10m") throws {
    try cli.write("plans/p.yaml", """
        plan: test-plan
        owner: sre
        tier: 2
        objectives: {rto: \(rto), rpo: 1m}
        \(secrets)
        scenarios:
          failover:
            runbook: ../runbooks/r.yaml

        """)
    try cli.write("runbooks/r.yaml", """
        runbook: test-runbook
        \(params)
        steps:
        \(steps)
        """)
}

/// `validate` of a scenario whose plan carries `planLines` (after its objectives, line 5 on) must
/// exit 2 with `message` at `plans/p.yaml:LINE:`.
func expectPlanRefused(_ planLines: String, atLine line: Int, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let cli = try CLI()
    try writeScenario(cli, steps: """
          - id: a
            action: command
            with: {argv: ["true"]}
        """, secrets: planLines)
    let refused = try cli.run("validate", "plans/p.yaml")
    #expect(refused.status == 2, "\(refused.output)", sourceLocation: sourceLocation)
    #expect(refused.output.contains("plans/p.yaml:\(line):") && refused.output.contains(message), "\(refused.output)",
            sourceLocation: sourceLocation)
}

/// Polls `lifeboat show` of the newest run (every 50 ms, for up to 10 s) until its text contains
/// `text`, and returns that run's id; nil if it never did. Waits on the store, not a guessed delay.
func waitForNewestRun(_ cli: CLI, showing text: String) throws -> String? {
    for _ in 0..<200 {
        Thread.sleep(forTimeInterval: 0.05)
        if let id = try cli.newestRunID(), try cli.run("show", id).stdout.contains(text) { return id }
    }
    return nil
}

@Suite("CLI: the built binary", .serialized)
struct CLITests {
    @Test func validateAcceptsTheExamples() throws {
        let cli = try CLI()
        let root = CLI.repoRoot.path
        let result = try cli.run("validate", root + "/plans", root + "/runbooks", "--strict")  // no warnings either
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("payment-platform"))
        #expect(result.stdout.contains("document(s) valid"))
    }

    @Test func validateRejectsABadRunbookWithFileLineColumn() throws {
        let cli = try CLI()
        try cli.write("bad.yaml", """
            runbook: bad
            steps:
              - id: a
                action: comand
                with: {argv: [true]}
            """)
        let result = try cli.run("validate", cli.path("bad.yaml"))
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:4:"))
        #expect(result.stderr.contains("comand"))
        #expect(result.stderr.contains("command"))  // did-you-mean
    }

    @Test func unknownFlagIsInvalidInput() throws {
        let cli = try CLI()
        let result = try cli.run("history", "--frobnicate")
        #expect(result.status == 2)
        #expect(result.stderr.contains("frobnicate"))
    }

    @Test(arguments: TestStore.allCases)
    func runSucceedsAndIsInTheHistory(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: one
                action: command
                with: {argv: [sh, -c, "echo hello; echo 'lifeboat-output: word=world'"]}
              - id: two
                action: command
                needs: [one]
                with: {argv: [echo, "${steps.one.outputs.word}"]}
            """)
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("SUCCEEDED"))
        #expect(result.stdout.contains("RTO:"))
        let id = try #require(try cli.newestRunID())
        let show = try cli.run("show", id, "--json")
        #expect(show.status == 0)
        #expect(show.stdout.contains("\"stepID\" : \"two\""))
        #expect(show.stdout.contains("world"))
        let text = try cli.run("show", id, "--events")
        #expect(text.stdout.contains("two: succeeded"))
        if store == .sqlite {
            let mode = try FileManager.default.attributesOfItem(atPath: cli.dbPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        #expect(try cli.integrityCheck() == "ok")
    }

    @Test(arguments: TestStore.allCases)
    func failedRunExitsOneNamesTheNextActionAndHoldsTheLease(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: needs-file
                action: command
                with: {argv: [test, -f, marker]}
            """)
        let failed = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("next: fix the cause"))
        let second = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(second.status == 4)
        #expect(second.stderr.contains("already has an active run"))
        // Fix the cause (in the runbook's folder, where a step's relative paths start), then redrive.
        FileManager.default.createFile(atPath: cli.directory.appendingPathComponent("runbooks/marker").path, contents: nil)
        let id = try #require(try cli.newestRunID())
        let resumed = try cli.run("resume", id)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)  // lease released
        #expect(try cli.integrityCheck() == "ok")
    }

    /// `--json` on the commands that act on a run: one document with the run, what was done, how
    /// it was delivered, the run's state and what to do next.
    @Test(arguments: TestStore.allCases)
    func controlCommandsPrintOneJSONDocument(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: declare
                action: approval
                with: {separation_of_duties: false}
              - id: warm
                action: command
                needs: [declare]
                with: {argv: ["false"]}
              - id: after
                action: command
                needs: [warm]
                with: {argv: ["true"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait").status == 3)
        let id = try #require(try cli.newestRunID())
        func document(_ arguments: String...) throws -> [String: Any] {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
        let approve = try document("approve", id, "declare", "--by", "alice", "--json")
        #expect(approve["runID"] as? String == id && approve["command"] as? String == "approve")
        #expect(approve["delivery"] as? String == "recorded" && approve["by"] as? String == "alice")
        #expect(approve["next"] as? String == "`lifeboat resume \(id)`" && approve["exitCode"] as? Int == 0)
        #expect(try cli.run("resume", id, "--no-wait").status == 1)  // warm fails
        let skip = try document("skip", id, "warm", "--reason", "cache is gone", "--json")
        #expect(skip["step"] as? String == "warm" && skip["status"] as? String == "failed")
        #expect((skip["next"] as? String)?.contains("lifeboat resume \(id)") == true)
        let abort = try document("abort", id, "--reason", "drill over", "--json")
        #expect(abort["command"] as? String == "abort" && abort["status"] as? String == "aborted")
        #expect(abort["delivery"] as? String == "recorded")
    }

    /// `run --json` and `resume --json`: standard output is one document; the progress and the
    /// summary go to standard error.
    @Test(arguments: TestStore.allCases)
    func runAndResumePrintOneJSONDocument(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: ok
                action: command
                with: {argv: ["true"]}
              - id: broken
                action: command
                needs: [ok]
                with: {argv: ["false"]}
            """)
        let run = try cli.run("run", "plans/p.yaml", "-s", "failover", "--json")
        #expect(run.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        let id = try #require(try cli.newestRunID())
        #expect(document["runID"] as? String == id && document["status"] as? String == "failed")
        #expect(document["exitCode"] as? Int == 1 && document["forcedSteps"] as? Int == 0)
        #expect((document["next"] as? String)?.contains("lifeboat resume \(id)") == true)
        #expect(document["measurement"] is [String: Any])
        #expect(run.stderr.contains("broken: FAILED") || run.stderr.contains("broken"), "\(run.stderr)")
        #expect(run.stderr.contains("run \(id): FAILED"))

        let resumed = try cli.run("resume", id, "--json")
        #expect(resumed.status == 1)
        let again = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any], "\(resumed.stdout)")
        #expect(again["runID"] as? String == id && again["status"] as? String == "failed")
    }

    @Test(arguments: TestStore.allCases)
    func approvalPausesWithNoWaitAndIsGivenFromAnotherProcess(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: declare
                action: approval
                with: {prompt: "Fail over?", separation_of_duties: false}
              - id: after
                action: command
                needs: [declare]
                with: {argv: ["true"]}
            """)
        let paused = try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait")
        #expect(paused.status == 3)
        #expect(paused.stdout.contains("lifeboat approve"))
        let id = try #require(try cli.newestRunID())
        let approve = try cli.run("approve", id, "declare", "--by", "alice")
        #expect(approve.status == 0)
        #expect(approve.stdout.contains("lifeboat resume"))
        let resumed = try cli.run("resume", id, "--no-wait")  // the approval waiting in the store is taken
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let shown = try cli.run("show", id).stdout
        #expect(shown.contains("declare by alice (account \(cli.recordedAccount))") && shown.contains("via lifeboat approve"))
    }

    @Test(arguments: TestStore.allCases)
    func aRunningExecutorPicksUpAnApprovalFromAnotherTerminal(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: declare
                action: approval
                with: {separation_of_duties: false}
              - id: after
                action: command
                needs: [declare]
                with: {argv: ["true"]}
            """)
        let (process, out, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        let runID = try #require(try waitForNewestRun(cli, showing: "awaiting-approval"))
        #expect(try cli.run("show", runID).stdout.contains("status running (\(cli.executor(pid: process.processIdentifier)))"))
        #expect(try cli.run("approve", runID, "declare", "--by", "bob").stdout.contains("sent to the process"))
        process.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(output)")
        // Nobody is asked here (standard input is not a terminal): the command to copy is printed.
        #expect(output.contains("decide from any terminal: lifeboat approve \(runID) declare --by NAME [--deny REASON]"), "\(output)")
    }

    @Test func dryRunChangesNothingAndReportsRefusedPreflights() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: touch
                action: command
                with: {argv: [touch, "created-by-run"]}
                expect: 5s
            """)
        let ok = try cli.run("run", "plans/p.yaml", "-s", "failover", "--dry-run")
        #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
        #expect(ok.stdout.contains("preflight ok"))
        #expect(ok.stdout.contains("predicted RTO"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("plans/created-by-run").path))
        #expect(!FileManager.default.fileExists(atPath: cli.dbPath))

        try writeScenario(cli, steps: """
              - id: missing
                action: command
                with: {argv: [/nonexistent/tool]}
            """)
        let refused = try cli.run("run", "plans/p.yaml", "-s", "failover", "--dry-run")
        #expect(refused.status == 4)
        #expect(refused.stdout.contains("PREFLIGHT REFUSED"))

        let json = try cli.run("run", "plans/p.yaml", "-s", "failover", "--dry-run", "--json")
        #expect(json.status == 4)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        #expect(document["exitCode"] as? Int == 4 && document["refused"] as? Int == 1)
        let step = try #require((document["steps"] as? [[String: Any]])?.first)
        #expect(step["id"] as? String == "missing" && step["preflight"] as? String == "refused")
        #expect((step["detail"] as? String)?.contains("/nonexistent/tool") == true, "\(step)")
        #expect((step["params"] as? [String: Any])?["argv"] as? [String] == ["/nonexistent/tool"])
        #expect(document["prediction"] is [String: Any])
        #expect(json.stderr.contains("1 preflight check(s) refused"))
        #expect(!FileManager.default.fileExists(atPath: cli.dbPath))
    }

    @Test(arguments: TestStore.allCases)
    func tabletopIsScriptableQuitsAndResumes(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: declare
                title: Declare disaster
                action: approval
                with: {separation_of_duties: false}
                expect: 5m
              - id: promote
                action: command
                needs: [declare]
                with: {argv: [touch, "must-not-exist"]}
                expect: 1m
              - id: dns
                action: command
                needs: [promote]
                with: {argv: ["true"]}
            """)
        let first = try cli.run("tabletop", "plans/p.yaml", "-s", "failover", stdin: "n IC joined late\nd\ns\nq\n")
        #expect(first.status == 3, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("[1/3] Declare disaster"))
        #expect(first.stdout.contains("expected: 5m"))
        let id = try #require(try cli.newestRunID())
        let second = try cli.run("resume", id, stdin: "d\n")
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(second.stdout.contains("walk-through implies"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("plans/must-not-exist").path))
        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("note by \(cli.recordedTester): IC joined late"))
        #expect(events.contains("promote: skipped"))
    }

    @Test(arguments: TestStore.allCases)
    func interruptPausesAndResumeFinishes(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: slow
                action: command
                with: {argv: [sleep, "3"]}
              - id: after
                action: command
                needs: [slow]
                with: {argv: ["true"]}
            """)
        let (process, out, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        // Interrupt once the slow step is running (polling the store, not guessing a delay).
        #expect(try waitForNewestRun(cli, showing: "slow                  running") != nil)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 3, "\(output)")
        #expect(output.contains("continue with `lifeboat resume"))
        let id = try #require(try cli.newestRunID())
        #expect(try cli.run("resume", id).status == 0)
        #expect(try cli.integrityCheck() == "ok")
    }

    @Test func aSecondInterruptStopsAtOnceAndSaysWhatNow() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: slow
                action: command
                idempotent: true
                with: {argv: [sleep, "30"]}
            """)
        let (process, out, err) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        #expect(try waitForNewestRun(cli, showing: "slow                  running") != nil)
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 3, "\(output)")
        #expect(errors.contains("interrupt received: finishing running steps"), "\(errors)")
        #expect(errors.contains("second interrupt: stopping now"), "\(errors)")
        #expect(output.contains("STOPPED AT ONCE (second interrupt)"), "\(output)")
        #expect(!output.contains("EXECUTING"), "\(output)")
        let id = try #require(try cli.newestRunID())
        #expect(output.contains("next: `lifeboat resume \(id)`"), "\(output)")
        // The store still says running; the executor lock says nobody runs it.
        #expect(try cli.run("history").stdout.contains("running (executor gone)"))
        #expect(try cli.run("show", id).stdout.contains("status running (executor gone)"))
        #expect(try cli.run("abort", id, "--reason", "drill over").status == 0)
    }

    @Test(arguments: TestStore.allCases)
    func abortReleasesTheLease(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: fails
                action: command
                with: {argv: ["false"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        let abort = try cli.run("abort", id, "--reason", "drill over")
        #expect(abort.status == 0)
        #expect(abort.stdout.contains("aborted"))
        #expect(try cli.run("show", id, "--events").stdout.contains("abort requested by \(cli.recordedTester): drill over"))
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)  // not refused: lease free
        #expect(try cli.run("resume", id).status == 4)  // aborted runs cannot resume
    }

    @Test func secretsNeverReachTheStoreOrOutput() throws {
        let cli = try CLI()
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        try cli.write("secret.txt", secret + "\n")
        try writeScenario(cli, steps: """
              - id: leak
                action: command
                with: {argv: [sh, -c, "echo token=$1; exit 1", sh, "${secrets.token}"]}
            """, secrets: "secrets:\n  token: {file: ../secret.txt}")
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 1)
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        let id = try #require(try cli.newestRunID())
        let show = try cli.run("show", id, "--json", "--events")
        #expect(show.stdout.contains("token=***"))
        #expect(!show.stdout.contains(secret))
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: cli.dbPath + suffix) {
                #expect(data.range(of: Data(secret.utf8)) == nil, "secret found in store\(suffix)")
            }
        }
    }

    @Test(arguments: [
        (["run", "plans/p.yaml", "-s", "nope"], Int32(2), "nope"),
        (["run", "plans/missing.yaml", "-s", "failover"], Int32(2), "missing.yaml"),
        (["run", "plans/p.yaml", "-s", "failover", "-p", "undeclared=1"], Int32(2), "undeclared"),
        (["show", "no-such-run"], Int32(5), "no-such-run"),
        (["resume", "no-such-run"], Int32(5), "no-such-run"),
        (["run", "plans/p.yaml", "-s", "failover", "--concurrency", "0"], Int32(2), "concurrency"),
    ])
    func badInputGetsAOneLineErrorAndADistinctExitCode(arguments: [String], status: Int32, mention: String) throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: one
                action: command
                with: {argv: ["true"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)  // a store with a run in it
        let result = try cli.run(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(mention))
        #expect(try cli.integrityCheck() == "ok")
        #expect(try cli.run("audit", "verify").status == 0)
    }

    @Test func planPrintsTheCriticalPathAndVerdict() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: a
                action: command
                with: {argv: ["true"]}
                expect: 4m
                timeout: 5m
              - id: b
                action: command
                needs: [a]
                with: {argv: ["true"]}
                expect: 3m
                timeout: 20m
            """)
        let text = try cli.run("plan", "plans/p.yaml", "-s", "failover")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("critical path (*): a → b"))
        #expect(text.stdout.contains("AT-RISK"))
        let json = try cli.run("plan", "plans/p.yaml", "-s", "failover", "--json")
        #expect(json.stdout.contains("\"verdict\" : \"at-risk\""))
    }

    @Test(arguments: TestStore.allCases)
    func rollbackRunsCompensationsInReverseOrder(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        let log = cli.path("undo.log")
        try writeScenario(cli, steps: """
              - id: first
                action: command
                with: {argv: ["true"]}
                rollback: {action: command, with: {argv: [sh, -c, "echo undo-first >> \(log)"]}}
              - id: second
                action: command
                needs: [first]
                with: {argv: ["true"]}
                rollback: {action: command, with: {argv: [sh, -c, "echo undo-second >> \(log)"]}}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let id = try #require(try cli.newestRunID())
        let refused = try cli.run("rollback", id)  // no terminal and no --yes: refuse, change nothing
        #expect(refused.status == 2)
        #expect(!FileManager.default.fileExists(atPath: log))
        let result = try cli.run("rollback", id, "--yes", "--json")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("second → first"))  // with --json, text goes to standard error
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["command"] as? String == "rollback" && document["status"] as? String == "rolled back")
        #expect(document["exitCode"] as? Int == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "undo-second\nundo-first\n")
        #expect(try cli.run("show", id).stdout.contains("status rolled-back"))
        #expect(try cli.run("audit", "verify").status == 0)
    }

    /// Readers (`history`, `show`) opening the store while `run` creates it: once, SQLite died with
    /// SIGBUS here (the store dropped its own POSIX locks by closing a descriptor of `-shm`) and two
    /// processes both created the tables.
    @Test func readersOpeningTheStoreWhileARunCreatesItBreakNothing() throws {
        for trial in 0..<6 {
            let cli = try CLI()
            try writeScenario(cli, steps: """
                  - id: one
                    action: command
                    with: {argv: [sleep, "0.2"]}
                """)
            let stop = Mutex(false)
            let readers = (0..<2).map { index -> Thread in
                let thread = Thread {
                    while !stop.withLock({ $0 }) {
                        _ = try? cli.run(index == 0 ? ["history", "--json"] : ["show", "none"])
                    }
                }
                thread.start()
                return thread
            }
            Thread.sleep(forTimeInterval: 0.01 * Double(trial))
            let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
            stop.withLock { $0 = true }
            while readers.contains(where: { $0.isExecuting }) { Thread.sleep(forTimeInterval: 0.01) }
            #expect(result.status == 0, "trial \(trial): \(result.stdout)\n\(result.stderr)")
            #expect(try cli.integrityCheck() == "ok")
            #expect(try cli.run("audit", "verify").status == 0)
        }
    }

    @Test func schemaIsJSON() throws {
        let result = try CLI().run("schema")
        #expect(result.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) != nil)
        #expect(result.stdout.contains("http.check"))
    }
}
