import Foundation
import LifeboatTestSupport
import Testing

/// kill -9 of the real CLI in the middle of a run whose steps each append a unique line to a
/// ledger, then resume until the run ends: no line may be written twice and none may be missing.
@Suite("Crash: kill -9 and resume", .serialized)
struct CrashTests {
    /// 12 non-idempotent steps in three parallel branches, each appending its own line.
    func writeLedgerScenario(_ cli: CLI, withVerify: Bool) throws {
        try cli.write("append.sh", """
            #!/bin/sh
            # append.sh LINE LEDGER: a non-idempotent step with a window where a kill can land.
            sleep 0.05
            echo "$1" >> "$2"
            sleep 0.1

            """)
        chmod(cli.path("append.sh"), 0o755)
        var steps = ""
        for branch in 0..<3 {
            for index in 0..<4 {
                let id = "b\(branch)-s\(index)"
                let needs = index == 0 ? "" : "\n    needs: [b\(branch)-s\(index - 1)]"
                let verify = withVerify ? ", verify: {argv: [grep, -qx, \(id), \(cli.path("ledger"))]}" : ""
                steps += """
                  - id: \(id)
                    action: command\(needs)
                    with: {argv: [\(cli.path("append.sh")), \(id), \(cli.path("ledger"))]\(verify)}

                """
            }
        }
        try writeScenario(cli, steps: steps)
    }

    func ledger(_ cli: CLI) -> [String] {
        ((try? String(contentsOfFile: cli.path("ledger"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// Starts the run (or a resume), kills it with SIGKILL once the ledger has grown by `after`
    /// lines, and returns the exit status if the process ended on its own first (nil when killed).
    func runAndKill(_ cli: CLI, _ arguments: [String], after lines: Int) throws -> Int32? {
        let before = ledger(cli).count
        let (process, _, _) = try cli.start(arguments)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, ledger(cli).count < before + lines, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard process.isRunning else {
            process.waitUntilExit()
            return process.terminationStatus
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    @Test(arguments: [true, false], TestStore.allCases)
    func killNineThenResumeLosesAndDoublesNothing(withVerify: Bool, store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeLedgerScenario(cli, withVerify: withVerify)
        let first = try runAndKill(cli, ["run", "plans/p.yaml", "-s", "failover"], after: 2)
        var finished = first == 0
        let id = try #require(try cli.newestRunID())
        var unknownResolved = 0
        var kills = first == nil ? 1 : 0
        for round in 0..<20 where !finished {
            // Resolve steps left unknown by checking the ledger by hand, as an operator would.
            let show = try cli.run("show", id, "--json")
            let data = Data(show.stdout.utf8)
            let detail = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let steps = try #require(detail["steps"] as? [[String: Any]])
            for step in steps where step["status"] as? String == "unknown" {
                let stepID = step["stepID"] as! String
                let done = ledger(cli).contains(stepID)
                let result = try cli.run("resolve", id, stepID, "--as", done ? "succeeded" : "retry", "--reason", "checked the ledger")
                #expect(result.status == 0, "\(result.stderr)")
                unknownResolved += 1
            }
            if round < 3 {
                let status = try runAndKill(cli, ["resume", id], after: 3)
                finished = status == 0
                if status == nil { kills += 1 }
            } else {
                let result = try cli.run("resume", id)
                finished = result.status == 0
                #expect(result.status == 0 || result.status == 3, "\(result.stdout)\n\(result.stderr)")
            }
        }
        #expect(finished)
        #expect(kills >= 1)
        let lines = ledger(cli)
        let expected = (0..<3).flatMap { b in (0..<4).map { "b\(b)-s\($0)" } }
        #expect(lines.count == Set(lines).count, "a step ran twice: \(lines)")
        #expect(Set(lines) == Set(expected), "missing: \(Set(expected).subtracting(lines))")
        // With a verify nothing is left to a person; without one, the step a kill interrupts must wait for one.
        if withVerify { #expect(unknownResolved == 0) } else { #expect(unknownResolved >= 1) }
        #expect(try cli.integrityCheck() == "ok")
        #expect(try cli.run("audit", "verify").status == 0)
        #expect(try cli.run("show", id).stdout.contains("status succeeded"))
    }
}
