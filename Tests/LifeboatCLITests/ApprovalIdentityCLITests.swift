import Foundation
import LifeboatTestSupport
import Testing

/// Approvals an auditor accepts, through the built binary run as real operating system accounts
/// (`TestAccounts`: made with useradd, run with setpriv) on a store shared with `store init --group`:
/// who decided is the account, not the `--by` label; `approvers`, `quorum` and separation of duties
/// are enforced; every decision, refused ones too, is in the log.
@Suite("CLI: approvals by real accounts", .serialized)
struct ApprovalIdentityCLITests {
    typealias Accounts = TestAccounts

    /// A folder and a store the test accounts share, and a scenario whose `gate` approval step has
    /// `rule` in its `with:`.
    func sharedScenario(_ rule: String, timeout: String = "") throws -> LifeboatCLI {
        let cli = try LifeboatCLI()
        try Accounts.share(cli.directory)
        try writeScenario(cli, steps: """
              - id: gate
                action: approval
                with: {prompt: "Fail over?", \(rule)}
                \(timeout)
              - id: after
                action: command
                needs: [gate]
                with: {argv: ["true"]}
            """)
        let initialised = try cli.run("store", "init", "--group", Accounts.storeGroup)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        return cli
    }

    /// The run's events as (kind, payload) pairs, from `show --json --events`.
    func events(_ cli: LifeboatCLI, _ id: String) throws -> [(kind: String, payload: [String: Any])] {
        let events = try #require(try cli.showJSON(id)["events"] as? [[String: Any]])
        return events.compactMap { event in
            guard let kind = event["kind"] as? [String: Any], let name = kind.keys.first else { return nil }
            return (name, (kind[name] as? [String: Any]) ?? [:])
        }
    }

    func identity(_ payload: [String: Any]) -> String? { (payload["decider"] as? [String: Any])?["identity"] as? String }

    @Test func theSharedStoreIsTheGroupsAndNobodyElses() throws {
        let cli = try sharedScenario("approvers: [\"group:\(Accounts.approverGroup)\"]")
        var info = stat()
        #expect(stat(cli.dbPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } == Accounts.storeGroup)
        // Shut out by the folder (mode 2770), then, with the folder open, by the file itself.
        let outsider = try cli.run("history", as: Accounts.eve)
        #expect(outsider.status == 6, "\(outsider.stderr)")
        #expect(outsider.stderr.contains("account \(Accounts.eve) cannot reach store \(cli.dbPath)"), "\(outsider.stderr)")
        #expect(chmod(cli.directory.path, 0o2775) == 0)
        let refused = try cli.run("history", as: Accounts.eve)
        #expect(refused.status == 6, "\(refused.stderr)")
        #expect(refused.stderr.contains("account \(Accounts.eve) cannot read or write store"), "\(refused.stderr)")
        #expect(refused.stderr.contains("usermod -aG \(Accounts.storeGroup) \(Accounts.eve)"))
    }

    @Test func aDecisionByAnAccountNotAmongTheApproversIsRefusedAndRecorded() throws {
        let cli = try sharedScenario("approvers: [\"group:\(Accounts.approverGroup)\"]")
        let started = try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait", "--by", "Carol", as: Accounts.carol)
        #expect(started.status == 3, "\(started.stdout)\n\(started.stderr)")
        let id = try #require(try cli.newestRunID())
        // The label says "ic"; the account is mallory, who is not in lbt-sre.
        let forged = try cli.run("approve", id, "gate", "--by", "ic", as: Accounts.mallory)
        #expect(forged.status == 4, "\(forged.stdout)\n\(forged.stderr)")
        #expect(forged.stderr.contains("\(Accounts.mallory) is not among its approvers (group:\(Accounts.approverGroup))"))
        #expect(forged.stderr.contains("ic (account \(Accounts.mallory))"))
        let allowed = try cli.run("approve", id, "gate", "--by", "Alice (IC)", as: Accounts.alice)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let resumed = try cli.run("resume", id, as: Accounts.carol)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")

        let log = try events(cli, id)
        let refused = try #require(log.first { $0.kind == "approvalRefused" })
        #expect(identity(refused.payload) == Accounts.mallory)
        #expect((refused.payload["decider"] as? [String: Any])?["label"] as? String == "ic")
        let granted = try #require(log.first { $0.kind == "approvalGranted" })
        #expect(identity(granted.payload) == Accounts.alice)
        #expect(granted.payload["by"] as? String == "Alice (IC)")
        let starts = log.filter { $0.kind == "executorStarted" }.map { identity($0.payload) }
        #expect(starts == [Accounts.carol, Accounts.carol])
        let text = try cli.run("show", id, "--events").stdout
        #expect(text.contains("approval by ic (account \(Accounts.mallory))"))
        #expect(text.contains("REFUSED"))
    }

    @Test func aQuorumOfTwoWaitsForASecondPerson() throws {
        let cli = try sharedScenario("approvers: [\"group:\(Accounts.approverGroup)\"], quorum: 2")
        let (executor, out, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"], as: Accounts.carol)
        defer { if executor.isRunning { executor.terminate() } }
        let id = try #require(try waitForNewestRun(cli, showing: "awaiting-approval"))
        #expect(try cli.run("approve", id, "gate", as: Accounts.alice).status == 0)
        #expect(try waitForNewestRun(cli, showing: "(1 of 2)") == id, "the executor did not count the first approval")
        // Carol's SQLite made the side files with her primary group; the store gave them its own.
        for suffix in ["-wal", "-shm"] {
            var info = stat()
            #expect(stat(cli.dbPath + suffix, &info) == 0 && info.st_mode & 0o777 == 0o660, "\(suffix)")
            #expect(getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } == Accounts.storeGroup, "\(suffix)")
        }
        // The same person again does not make two.
        let again = try cli.run("approve", id, "gate", "--by", "Alice again", as: Accounts.alice)
        #expect(again.status == 4)
        #expect(again.stderr.contains("\(Accounts.alice) already approved it (1 of 2)"))
        #expect(try cli.run("show", id).stdout.contains("awaiting-approval"))
        #expect(try cli.run("approve", id, "gate", as: Accounts.bob).status == 0)
        executor.waitUntilExit()
        #expect(executor.terminationStatus == 0, "\((try? String(contentsOf: out, encoding: .utf8)) ?? "")")

        let report = try cli.run("report", id, "--format", "json")
        let approvals = try #require(
            (try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["approvals"] as? [[String: Any]])
        #expect(approvals.map { $0["outcome"] as? String } == ["approved", "refused", "approved"])
        #expect(approvals.map { $0["identity"] as? String } == [Accounts.alice, Accounts.alice, Accounts.bob])
        #expect(approvals.last?["progress"] as? String == "2 of 2")
        let junit = try cli.run("report", id, "--format", "junit").stdout
        #expect(junit.contains("approval of gate: refused: to approve: \(Accounts.alice) already approved it (1 of 2)"), "\(junit)")
        let markdown = try cli.run("report", id, "--format", "md").stdout
        #expect(markdown.contains("approved (2 of 2)") && markdown.contains("Alice again (account \(Accounts.alice))"), "\(markdown)")
    }

    @Test func whoStartedAFailoverCannotApproveItButMayInADrill() throws {
        let cli = try sharedScenario("approvers: [\(Accounts.carol), \"group:\(Accounts.approverGroup)\"]")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait", as: Accounts.carol).status == 3)
        let failover = try #require(try cli.newestRunID())
        let own = try cli.run("approve", failover, "gate", as: Accounts.carol)
        #expect(own.status == 4)
        #expect(own.stderr.contains("\(Accounts.carol) started or resumed this run, and separation of duties is on"))
        #expect(try cli.run("abort", failover, "--reason", "drill next", "--by", "Carol (IC)", as: Accounts.carol).status == 0)
        // Every operator command records the account beside the label, not only approvals.
        let abort = try #require(try events(cli, failover).first { $0.kind == "abortRequested" })
        #expect(identity(abort.payload) == Accounts.carol && abort.payload["by"] as? String == "Carol (IC)")
        #expect(try cli.run("show", failover, "--events").stdout.contains("abort requested by Carol (IC) (account \(Accounts.carol))"))

        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill", "--no-wait", as: Accounts.carol).status == 3)
        let drill = try #require(try cli.newestRunID())
        #expect(drill != failover)
        #expect(try cli.run("approve", drill, "gate", as: Accounts.carol).status == 0)
        #expect(try cli.run("resume", drill, as: Accounts.carol).status == 0)
        // --yes is refused before anything starts where the operator may not approve.
        let yes = try cli.run("run", "plans/p.yaml", "-s", "failover", "--yes", as: Accounts.carol)
        #expect(yes.status == 4)
        #expect(yes.stderr.contains("--yes cannot approve"))
        #expect(try cli.newestRunID() == drill, "a refused --yes created a run")
    }

    @Test func queuedDecisionsOnAPausedRunTheFirstValidOneAppliesAndEveryOneIsRecorded() throws {
        let cli = try sharedScenario("approvers: [\"group:\(Accounts.approverGroup)\"]")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait", as: Accounts.carol).status == 3)
        let id = try #require(try cli.newestRunID())
        #expect(try cli.run("approve", id, "gate", as: Accounts.alice).status == 0)
        #expect(try cli.run("approve", id, "gate", "--deny", "not me", as: Accounts.mallory).status == 4)
        #expect(try cli.run("approve", id, "gate", as: Accounts.bob).status == 0)
        #expect(try cli.run("approve", id, "gate", "--deny", "changed my mind", as: Accounts.alice).status == 0)
        let resumed = try cli.run("resume", id, as: Accounts.carol)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")

        let decisions = try events(cli, id).filter { $0.kind.hasPrefix("approval") && $0.kind != "approvalRequested" }
        #expect(decisions.map(\.kind) == ["approvalRefused", "approvalGranted", "approvalRefused", "approvalRefused"])
        #expect(decisions.map { identity($0.payload) } == [Accounts.mallory, Accounts.alice, Accounts.bob, Accounts.alice])
        let late = try #require(decisions.last?.payload["why"] as? String)
        #expect(late.contains("already decided: approved by tester (account \(Accounts.alice))"))
        let exported = try cli.run("audit", "export", id, "-o", "audit.jsonl")
        #expect(exported.status == 0, "\(exported.stderr)")
        let lines = try String(contentsOfFile: cli.path("audit.jsonl"), encoding: .utf8).split(separator: "\n")
        let kinds = lines.compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds.filter { $0 == "approvalRefused" }.count == 3, "\(kinds)")
        #expect(lines.contains { $0.contains("approvalRefused") && $0.contains(Accounts.mallory) })
    }

    @Test func throughSudoTheInvokingAccountIsRecordedBesideRootAndSudoUserCountsOnlyFromRoot() throws {
        var cli = try sharedScenario("approvers: [\(Accounts.alice)]")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--no-wait", as: Accounts.carol).status == 3)
        let id = try #require(try cli.newestRunID())
        cli.environment["SUDO_USER"] = Accounts.alice
        let claimed = try cli.run("approve", id, "gate", as: Accounts.mallory)  // not root: SUDO_USER is not believed
        #expect(claimed.status == 4)
        #expect(claimed.stderr.contains("\(Accounts.mallory) is not among its approvers"))
        let sudo = try cli.run("approve", id, "gate")  // root, as `sudo lifeboat approve` by alice runs it
        #expect(sudo.status == 0, "\(sudo.stderr)")
        #expect(try cli.run("resume", id, as: Accounts.carol).status == 0)
        let granted = try #require(try events(cli, id).first { $0.kind == "approvalGranted" })
        let decider = try #require(granted.payload["decider"] as? [String: Any])
        #expect(decider["identity"] as? String == "root")
        #expect(decider["sudoUser"] as? String == Accounts.alice)
    }

    @Test func anApprovalNobodyDecidesPausesAtItsTimeoutOrFailsWithOnTimeoutDeny() throws {
        let cli = try LifeboatCLI()
        try writeScenario(cli, steps: """
              - id: gate
                action: approval
                timeout: 2s
              - id: after
                action: command
                needs: [gate]
                with: {argv: ["true"]}
            """)
        let started = Date()
        let paused = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(paused.status == 3, "\(paused.stdout)\n\(paused.stderr)")
        #expect(paused.stdout.contains("no decision within 2"))
        #expect(Date().timeIntervalSince(started) < 30, "the approval waited past its timeout")
        let id = try #require(try cli.newestRunID())
        #expect(try cli.run("show", id).stdout.contains("paused (awaiting-approval)"))

        try writeScenario(cli, steps: """
              - id: gate
                action: approval
                timeout: 2s
                with: {on_timeout: deny}
              - id: after
                action: command
                needs: [gate]
                with: {argv: ["true"]}
            """)
        #expect(try cli.run("abort", id, "--reason", "next case").status == 0)
        let denied = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(denied.status == 1, "\(denied.stdout)\n\(denied.stderr)")
        #expect(denied.stdout.contains("denied by its timeout"))
    }

    @Test func validateRejectsAQuorumNobodyCanMeetAndAnUnknownOnTimeout() throws {
        let cli = try LifeboatCLI()
        try writeScenario(cli, steps: """
              - id: gate
                action: approval
                with: {approvers: [alice, bob], quorum: 3, on_timeout: wait}
            """)
        let result = try cli.run("validate", "plans/p.yaml")
        #expect(result.status == 2)
        #expect(result.output.contains("r.yaml:6:"))
        #expect(result.output.contains("parameter 'quorum' of step 'gate' is 3 but only 2 accounts may approve"))
        #expect(result.output.contains("parameter 'on_timeout' of step 'gate' must be pause or deny"))
    }
}
