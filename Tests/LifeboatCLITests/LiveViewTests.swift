import Foundation
import LifeboatTestSupport
import Testing

/// The live view as a person sees it: the binary on a real terminal (tmux), its screen captured.
@Suite("CLI: live view", .serialized)
struct LiveViewTests {
    /// A running step shows how long it has run and its latest output line (secrets masked); after
    /// a pause and `resume`, elapsed time counts from the run's start and says how long it stood still.
    @Test func statusLineShowsTheRunningStepAndElapsedTimeAcrossAResume() throws {
        let cli = try CLI()
        try cli.write("secret.txt", "hunter2-token")
        try writeScenario(cli, steps: """
              - id: copy
                action: command
                with:
                  argv: [sh, -c, "for i in 1 2 3 4 5 6 7 8; do echo copying base backup $((i*10))% with $1; sleep 0.5; done", sh, "${secrets.token}"]
              - id: gate
                action: approval
                needs: [copy]
            """, secrets: "secrets:\n  token: {file: ../secret.txt}", rto: "2m")
        let first = try TmuxSession(cli, ["run", "plans/p.yaml", "-s", "failover"])
        defer { first.kill() }
        let copying = try first.waitFor { $0.contains("copying base backup") }
        let status = try #require(copying.split(separator: "\n").last { $0.contains("▸") }, "\(copying)")
        #expect(status.contains("running: copy"), "\(status)")
        #expect(status.contains("elapsed") && status.contains("of RTO 2m00s"), "\(status)")
        #expect(status.contains("· copy ") && status.contains(": copying base backup"), "\(status)")
        #expect(status.contains("with ***") && !copying.contains("hunter2"), "\(copying)")

        _ = try first.waitFor { $0.contains("APPROVAL NEEDED") }
        try first.send("C-c")
        let paused = try first.waitFor { $0.contains("PAUSED") }
        #expect(paused.contains("PAUSED"), "\(paused)")
        Thread.sleep(forTimeInterval: 2)

        let id = try #require(try cli.newestRunID())
        let second = try TmuxSession(cli, ["resume", id])
        defer { second.kill() }
        let resumed = try second.waitFor { $0.contains("APPROVAL NEEDED") && $0.contains("(stopped") }
        let line = try #require(resumed.split(separator: "\n").last { $0.contains("▸") }, "\(resumed)")
        #expect(line.contains("(stopped 2") || line.contains("(stopped 3") || line.contains("(stopped 4"), "\(line)")
        // Elapsed counts from the run's start: at least the copy (4 s) and the stop (2 s).
        let elapsed = try #require(line.firstMatch(of: /elapsed (\d+)(?:\.\d)?s/), "\(line)")
        #expect(Int(elapsed.1)! >= 6, "\(line)")
        try second.send("yes", "Enter")
        let done = try second.waitFor { $0.contains("SUCCEEDED") }
        #expect(done.contains("run \(id): SUCCEEDED"), "\(done)")
    }
}
