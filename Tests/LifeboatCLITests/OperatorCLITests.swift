import Foundation
import LifeboatTestSupport
import Testing

/// The operator's ways out, through the built binary: no state a run can stop in leaves the plan
/// locked, and forced outcomes show as forced.
@Suite("CLI: operator commands (abort, resolve, skip, pause, redrive)", .serialized)
struct OperatorCLITests {
    /// One `history --json` entry for run `id`.
    func historyEntry(_ cli: CLI, _ id: String) throws -> [String: Any] {
        let out = try cli.run("history", "--json").stdout
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        return try #require(entries.first { ($0["run"] as? [String: Any])?["id"] as? String == id })
    }

    @Test(arguments: TestStore.allCases)
    func aRunWhoseCompensationFailsIsEndedByAbortAndTheScenarioRunsAgain(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: change
                action: command
                with: {argv: ["true"]}
                rollback: {action: command, with: {argv: [sh, -c, "echo undo broke >&2; exit 3"]}}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let id = try #require(try cli.newestRunID())
        let rollback = try cli.run("rollback", id, "--yes")
        #expect(rollback.status == 1)
        #expect(rollback.stdout.contains("rollback failed"))
        #expect(rollback.stdout.contains("next: `lifeboat rollback \(id)`"))
        #expect(rollback.stdout.contains("`lifeboat abort \(id) --reason …`"))
        // Retrying fails the same way; the run still holds the plan+scenario.
        #expect(try cli.run("rollback", id, "--yes").status == 1)
        let blocked = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(blocked.status == 4)
        #expect(blocked.stderr.contains("(rollback-failed)"))
        #expect(blocked.stderr.contains("retry its rollback with `lifeboat rollback \(id)` or end it with `lifeboat abort \(id)`"))
        // A failed compensation is resolved as compensated or failed, not as an execution outcome.
        let wrong = try cli.run("resolve", id, "change", "--as", "succeeded", "--reason", "x")
        #expect(wrong.status == 4)
        #expect(wrong.stderr.contains("can be resolved as compensated, failed"))
        let abort = try cli.run("abort", id, "--reason", "undo script is broken; fixed by hand")
        #expect(abort.status == 0, "\(abort.stderr)")
        #expect(abort.stdout.contains("aborted; its plan+scenario lease is released"))
        let again = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(try cli.run("audit", "verify").status == 0)
    }

    @Test(arguments: TestStore.allCases)
    func aFailedCompensationResolvedAsCompensatedLetsTheRollbackFinish(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: first
                action: command
                with: {argv: ["true"]}
                rollback: {action: command, with: {argv: ["true"]}}
              - id: second
                action: command
                needs: [first]
                with: {argv: ["true"]}
                rollback: {action: command, with: {argv: ["false"]}}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let id = try #require(try cli.newestRunID())
        #expect(try cli.run("rollback", id, "--yes").status == 1)
        let noReason = try cli.run("resolve", id, "second", "--as", "compensated")
        #expect(noReason.status == 2)
        #expect(noReason.stderr.contains("--reason"))
        let resolved = try cli.run("resolve", id, "second", "--as", "compensated", "--reason", "undone by hand")
        #expect(resolved.status == 0, "\(resolved.stderr)")
        let finish = try cli.run("rollback", id, "--yes")
        #expect(finish.status == 0, "\(finish.stdout)\n\(finish.stderr)")
        #expect(finish.stdout.contains("will run compensations of: first"))
        #expect(try cli.run("show", id).stdout.contains("status rolled-back"))
    }

    @Test(arguments: TestStore.allCases)
    func aStepResolvedAsFailedIsNotRedrivenByAPlainResume(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        let counter = cli.path("attempts.log")
        try writeScenario(cli, steps: """
              - id: flaky
                action: command
                with: {argv: [sh, -c, "echo x >> \(counter); exit 1"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        #expect(try cli.run("resolve", id, "flaky", "--as", "failed", "--reason", "target retired").status == 0)
        let plain = try cli.run("resume", id)
        #expect(plain.status == 1)
        #expect(!plain.stdout.contains("redriven"))
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "x\n")  // ran once, not again
        let redriven = try cli.run("resume", id, "--redrive", "flaky")
        #expect(redriven.stdout.contains("flaky: failed step redriven"))
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "x\nx\n")
    }

    @Test(arguments: TestStore.allCases)
    func aSkippedStepShowsAsForcedInHistory(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: broken
                action: command
                with: {argv: ["false"]}
              - id: after
                action: command
                needs: [broken]
                with: {argv: ["true"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        let skip = try cli.run("skip", id, "broken", "--reason", "done by hand in the console")
        #expect(skip.status == 0, "\(skip.stderr)")
        let resumed = try cli.run("resume", id)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("SUCCEEDED, 1 FORCED"))
        let entry = try historyEntry(cli, id)
        #expect(entry["forcedSteps"] as? Int == 1)
        #expect((entry["run"] as? [String: Any])?["status"] as? String == "succeeded")
        #expect(try cli.run("history").stdout.contains("succeeded, 1 forced"))
        let show = try cli.run("show", id).stdout
        #expect(show.contains("skipped by tester: done by hand in the console"))
        #expect(show.contains("status succeeded, 1 forced"))
        let summary = try cli.run("history", "--summary", "--json").stdout
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [[String: Any]])
        #expect(groups.first?["succeededForced"] as? Int == 1)
        #expect(try cli.run("history", "--summary").stdout.contains("100% (1 forced)"))
        #expect(try cli.run("report", id, "--format", "md").stdout.contains("succeeded, 1 forced"))
    }

    @Test(arguments: TestStore.allCases)
    func pauseOfARunNobodyExecutesNamesTheWaysOut(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - id: broken
                action: command
                with: {argv: ["false"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        let pause = try cli.run("pause", id)
        #expect(pause.status == 4)
        #expect(pause.stderr.contains("nothing to pause"))
        #expect(pause.stderr.contains("`lifeboat resume \(id)`"))
    }

    /// An empty `--by` would be recorded as the account running the command: refused, nothing run.
    @Test func anEmptyOperatorNameIsRefusedBeforeAnythingHappens() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: a
                action: command
                with: {argv: [touch, ran]}
            """)
        for arguments in [["run", "plans/p.yaml", "-s", "failover", "--by", ""], ["tabletop", "plans/p.yaml", "-s", "failover", "--operator", " "]] {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.stderr.contains("--by / --operator needs a name"), "\(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/ran")))
        #expect(try cli.newestRunID() == nil, "a refused command created a run")
    }
}

/// A failing step keeps its evidence: the masked tail of its output, in `show`, `show --json`,
/// `show --verbose` and the reports.
@Suite("CLI: a failing step keeps its evidence", .serialized)
struct FailureEvidenceCLITests {
    @Test(arguments: TestStore.allCases)
    func aFailingCommandsOutputLinesAreInShowAndItsReports(store: TestStore) async throws {
        var cli = try await CLI.on(store)
        cli.environment["DB_PASSWORD"] = "hunter2-secret"
        try writeScenario(cli, steps: """
              - id: disk
                action: command
                with:
                  env: {PW: "${secrets.db}"}
                  shell: |
                    for i in 1 2 3 4 5; do echo "out-line-$i"; done
                    echo "err-line-1" >&2; echo "FATAL: disk full on /var/lib/pg (password $PW)" >&2; echo "err-line-3" >&2
                    exit 3
            """, secrets: "secrets: {db: {env: DB_PASSWORD}}")
        let run = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(run.status == 1)
        let id = try #require(try cli.newestRunID())
        let json = try cli.run("show", id, "--json").stdout
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let step = try #require((detail["steps"] as? [[String: Any]])?.first)
        let tail = try #require(step["errorDetail"] as? String)
        for line in ["out-line-1", "out-line-5", "err-line-1", "FATAL: disk full on /var/lib/pg (password ***)", "err-line-3"] {
            #expect(tail.contains(line), "\(line) missing from \(tail)")
        }
        let show = try cli.run("show", id).stdout
        #expect(show.contains("│ FATAL: disk full on /var/lib/pg (password ***)"))
        let verbose = try cli.run("show", id, "--verbose").stdout
        #expect(verbose.contains("disk attempt 1: failed — step 'disk': command"))
        #expect(verbose.contains("│ out-line-3"))
        #expect(try cli.run("report", id, "--format", "md").stdout.contains("`FATAL: disk full on /var/lib/pg (password \\*\\*\\*)`"))
        #expect(try cli.run("report", id, "--format", "junit").stdout.contains("<system-err>"))
        let export = try cli.run("audit", "export").stdout
        #expect(export.contains("FATAL: disk full on /var/lib/pg (password ***)"))
        for output in [json, show, verbose, export] { #expect(!output.contains("hunter2-secret")) }
    }
}

/// `resume --reload` continues a run that failed on a document mistake with the corrected files.
@Suite("CLI: resume --reload", .serialized)
struct ReloadCLITests {
    func steps(prepare: String, deploy: String) -> String {
        """
              - id: prepare
                action: command
                with: {argv: [\(prepare)]}
              - id: deploy
                action: command
                needs: [prepare]
                with: {argv: [\(deploy)]}
            """
    }

    @Test(arguments: TestStore.allCases)
    func aCorrectedDocumentIsPickedUpAndAChangedCompletedStepIsRefused(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: steps(prepare: "\"true\"", deploy: "tru"))  // a typo: preflight refuses it
        let failed = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(failed.status == 4)
        #expect(failed.stdout.contains("--reload"))
        let id = try #require(try cli.newestRunID())
        // Resuming without --reload uses the pinned copy and fails the same way.
        #expect(try cli.run("resume", id).status == 4)
        // Fixing the failed step and also changing the completed one: refused, nothing recorded.
        try writeScenario(cli, steps: steps(prepare: "\"echo\", \"changed\"", deploy: "\"true\""))
        let refused = try cli.run("resume", id, "--reload")
        #expect(refused.status == 4, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stdout.contains("~ prepare: parameters"))
        #expect(refused.stderr.contains("step 'prepare' (succeeded) changed its parameters"))
        #expect(refused.stderr.contains("--reload --force"))
        #expect(!(try cli.run("show", id, "--events").stdout.contains("documents reloaded")))
        // Fixing only the failed step: the run continues with the corrected runbook.
        try writeScenario(cli, steps: steps(prepare: "\"true\"", deploy: "\"true\""))
        let resumed = try cli.run("resume", id, "--reload")
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("~ deploy: parameters"))
        #expect(resumed.stdout.contains("reload recorded: documents"))
        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("documents reloaded by tester"))
        #expect(try cli.run("audit", "verify").status == 0)
    }

    @Test(arguments: TestStore.allCases)
    func forceAcceptsAChangedCompletedStepAndANewStepRuns(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: steps(prepare: "\"true\"", deploy: "\"false\""))
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        try writeScenario(cli, steps: steps(prepare: "\"echo\", \"v2\"", deploy: "\"true\"") + """

              - id: notify
                action: command
                needs: [deploy]
                with: {argv: ["true"]}
            """)
        let resumed = try cli.run("resume", id, "--reload", "--force")
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("+ notify: added"))
        let show = try cli.run("show", id).stdout
        #expect(show.contains("notify"))
        #expect(try cli.run("audit", "verify").status == 0)
    }
}
