import Foundation
import LifeboatTestSupport
import Testing

/// `lifeboat watch` on the SQLite store: another process follows a run to its end, printing every
/// event in the order it was recorded; the text form is the executor's; bad requests say so.
@Suite("CLI: watch", .serialized)
struct WatchCLITests {
    func approvalScenario(_ cli: CLI) throws {
        try writeScenario(cli, steps: """
              - {id: prepare, action: command, with: {argv: ["true"]}}
              - {id: gate, action: approval, needs: [prepare], with: {prompt: "go?", separation_of_duties: false}}
              - {id: switch, action: command, needs: [gate], with: {argv: [touch, switched]}}
            """)
    }

    func waitingRun(_ cli: CLI) throws -> String? {
        for _ in 0..<200 {
            Thread.sleep(forTimeInterval: 0.05)
            if let id = try cli.newestRunID(), try cli.run("show", id).stdout.contains("awaiting-approval") { return id }
        }
        return nil
    }

    @Test(arguments: TestStore.allCases)
    func watchFollowsARunToItsEndWithEveryEventInOrder(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try approvalScenario(cli)
        let (executor, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if executor.isRunning { executor.terminate() } }
        let id = try #require(try waitingRun(cli), "the run never waited for approval")
        let watched = try cli.watch(id) {
            let approved = try cli.run("approve", id, "gate", "--by", "ic")
            #expect(approved.status == 0, "\(approved.output)")
        }
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(watched.sameAsShow, "\(watched.lines)")
        #expect(watched.lines.count >= 8, "\(watched.lines)")
        executor.waitUntilExit()
        #expect(executor.terminationStatus == 0)
    }

    @Test(arguments: TestStore.allCases)
    func theTextFormIsTheExecutorsAndEndsWithTheSummary(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try approvalScenario(cli)
        let (executor, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if executor.isRunning { executor.terminate() } }
        let id = try #require(try waitingRun(cli))
        let (watcher, out, _) = try cli.start(["watch", "--plan", "test-plan", "-s", "failover"])
        defer { if watcher.isRunning { watcher.terminate() } }
        func printed() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        for _ in 0..<200 where !printed().contains("awaiting approval") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(printed().contains("watching run \(id): test-plan / failover (execute)"), "\(printed())")
        #expect(printed().contains("decide from any terminal: lifeboat approve \(id) gate"), "\(printed())")
        #expect(try cli.run("approve", id, "gate", "--by", "ic").status == 0)
        for _ in 0..<200 where watcher.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(watcher.terminationStatus == 0)
        let text = printed()
        for line in ["gate: approved by ic", "switch: succeeded", "run succeeded", "run \(id): SUCCEEDED"] {
            #expect(text.contains(line), "missing '\(line)': \(text)")
        }
        #expect(text.range(of: "gate: approved by ic")!.lowerBound < text.range(of: "switch: succeeded")!.lowerBound)
    }

    /// The executor dies (kill -9): the watcher says nobody executes the run and how to continue
    /// it, then follows the resume to the end.
    @Test(arguments: TestStore.allCases)
    func aWatcherSaysWhenTheExecutorIsGoneAndFollowsTheResume(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - {id: copy, action: command, idempotent: true, with: {argv: [sleep, "2"]}}
            """)
        let (executor, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if executor.isRunning { executor.terminate() } }
        var id: String?
        for _ in 0..<200 where id == nil {
            try await Task.sleep(for: .milliseconds(50))
            if let newest = try cli.newestRunID(), try cli.run("show", newest).stdout.contains("running") { id = newest }
        }
        let run = try #require(id)
        let (watcher, out, _) = try cli.start(["watch", run])
        defer { if watcher.isRunning { watcher.terminate() } }
        func printed() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        for _ in 0..<200 where !printed().contains("copy: started") { try await Task.sleep(for: .milliseconds(50)) }
        kill(executor.processIdentifier, SIGKILL)
        executor.waitUntilExit()
        for _ in 0..<200 where !printed().contains("executor is gone") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(printed().contains("nobody executes run \(run) now (its executor is gone): `lifeboat resume \(run)` continues it"), "\(printed())")
        #expect(watcher.isRunning, "the watcher stopped when the executor died")
        #expect(try cli.run("resume", run).status == 0)
        for _ in 0..<200 where watcher.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(watcher.terminationStatus == 0 && printed().contains("run \(run): SUCCEEDED"), "\(printed())")
    }

    @Test(arguments: TestStore.allCases)
    func aRunThatHasEndedIsPrintedWholeAndItsStatusIsTheExitStatus(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: """
              - {id: broken, action: command, with: {argv: ["false"]}}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 1)
        let id = try #require(try cli.newestRunID())
        let watched = try cli.run("watch", id)
        #expect(watched.status == 1, "\(watched.output)")
        #expect(watched.stdout.contains("broken: FAILED attempt 1") && watched.stdout.contains("run \(id): FAILED"), "\(watched.output)")
    }

    @Test(arguments: TestStore.allCases)
    func badRequestsSaySo(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeScenario(cli, steps: "  - {id: a, action: command, with: {argv: [\"true\"]}}")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let both = try cli.run("watch", "x", "--plan", "test-plan")
        #expect(both.status == 2 && both.stderr.contains("name a run id or --plan (not both)"), "\(both.output)")
        let missing = try cli.run("watch", "no-such-run")
        #expect(missing.status == 5 && missing.stderr.contains("no run 'no-such-run'"), "\(missing.output)")
        let noPlan = try cli.run("watch", "--plan", "other")
        #expect(noPlan.status == 5 && noPlan.stderr.contains("no run of plan 'other'"), "\(noPlan.output)")
    }
}
