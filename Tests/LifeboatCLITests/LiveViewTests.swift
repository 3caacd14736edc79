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
                with: {separation_of_duties: false}
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

    /// Keys typed while steps run are not echoed onto the status line, and a line typed before a
    /// question is asked does not answer it: only what is typed at the prompt does (and is echoed).
    @Test func typingDuringARunNeitherShowsNorAnswersTheNextQuestion() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: copy
                action: command
                with: {argv: [sh, -c, "echo copying; sleep 2"]}
              - id: gate
                action: approval
                with: {separation_of_duties: false}
                needs: [copy]
            """, rto: "2m")
        let session = try TmuxSession(cli, ["run", "plans/p.yaml", "-s", "failover"])
        defer { session.kill() }
        _ = try session.waitFor { $0.contains("running: copy") }
        try session.send("yes", "Enter")  // a whole line, typed before any question
        try session.send("maybe")  // and a partial one
        let typed = try session.screen()
        #expect(!typed.contains("maybe") && !typed.contains("yes"), "typed keys on the screen:\n\(typed)")
        let asked = try session.waitFor { $0.contains("approve? [yes/no]") }
        Thread.sleep(forTimeInterval: 1)
        let waiting = try session.screen()
        #expect(!waiting.contains("approved by"), "a line typed before the question answered it:\n\(waiting)")
        #expect(!waiting.contains("maybe"), "\(asked)")
        try session.send("yes", "Enter")
        let done = try session.waitFor { $0.contains("SUCCEEDED") }
        #expect(done.contains("approve? [yes/no] yes"), "the answer is echoed at the prompt:\n\(done)")
        #expect(done.contains("gate: approved by tester"), "\(done)")
    }

    /// `run --step`: go, skip and pause answered at the prompt, then `resume --step`; every answer
    /// is in `show --events` and the report.
    @Test func stepByStepAsksBeforeEachStepAndRecordsTheAnswers() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: fence
                title: Fence the old primary
                action: command
                with: {argv: [echo, fenced]}
              - id: promote
                action: command
                needs: [fence]
                with: {argv: [touch, promoted]}
              - id: dns
                action: command
                needs: [promote]
                with: {argv: [touch, dns-switched]}
            """, rto: "2m")
        let first = try TmuxSession(cli, ["run", "plans/p.yaml", "-s", "failover", "--step"])
        defer { first.kill() }
        let asked = try first.waitFor { $0.contains("step? [g/s/p]") }
        #expect(asked.contains("NEXT [1/3] fence: Fence the old primary"), "\(asked)")
        #expect(asked.contains("    argv:\n      - echo\n      - fenced"), "\(asked)")
        #expect(asked.contains("RTO budget: ") && asked.contains("left of 2m00s"), "\(asked)")
        try first.send("g", "Enter")
        _ = try first.waitFor { $0.contains("NEXT [2/3]") }
        try first.send("s replica already primary", "Enter")
        _ = try first.waitFor { $0.contains("NEXT [3/3]") }
        try first.send("p", "Enter")
        let paused = try first.waitFor { $0.contains("PAUSED") }
        #expect(paused.contains("PAUSED (REQUESTED)"), "\(paused)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/promoted")), "a skipped step ran")
        #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/dns-switched")), "a step ran before its go")

        let id = try #require(try cli.newestRunID())
        let second = try TmuxSession(cli, ["resume", id, "--step"])
        defer { second.kill() }
        _ = try second.waitFor { $0.contains("NEXT [3/3] dns") }
        try second.send("g", "Enter")
        let done = try second.waitFor { $0.contains("SUCCEEDED") }
        #expect(done.contains("SUCCEEDED, 1 FORCED"), "\(done)")
        #expect(FileManager.default.fileExists(atPath: cli.path("runbooks/dns-switched")))

        let events = try cli.run("show", id, "--events").stdout
        #expect(events.contains("fence: \(CLI.tester) answered go at --step"), "\(events)")
        #expect(events.contains("promote: \(CLI.tester) answered skip at --step (replica already primary)"))
        #expect(events.contains("dns: \(CLI.tester) answered pause at --step"))
        #expect(events.contains("dns: \(CLI.tester) answered go at --step"))
        let report = try cli.run("report", id).stdout
        #expect(report.contains("## Step-by-step answers"), "\(report)")
        #expect(report.contains("| promote | skip: replica already primary | tester |"))
        let html = try cli.run("report", id, "--format", "html").stdout
        #expect(html.contains("data-step=\"fence\" data-answer=\"go\""))
    }

    /// Two Ctrl-C on a terminal: the first says it finishes the running step, the second stops at
    /// once and the screen says what now; `resume` then finishes the run on the same terminal.
    @Test func twoInterruptsOnATerminalThenResume() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: slow
                action: command
                idempotent: true
                with: {argv: [sh, -c, "echo working; sleep 3"]}
              - id: after
                action: command
                needs: [slow]
                with: {argv: [touch, after-ran]}
            """, rto: "2m")
        let first = try TmuxSession(cli, ["run", "plans/p.yaml", "-s", "failover"])
        defer { first.kill() }
        _ = try first.waitFor { $0.contains("running: slow") }
        try first.send("C-c")
        let once = try first.waitFor { $0.contains("interrupt received") }
        #expect(once.contains("interrupt received: finishing running steps, then pausing"), "\(once)")
        try first.send("C-c")
        let stopped = try first.waitFor { $0.contains("STOPPED AT ONCE") }
        #expect(stopped.contains("second interrupt: stopping now"), "\(stopped)")
        #expect(stopped.contains("STOPPED AT ONCE (second interrupt)"), "\(stopped)")
        #expect(!stopped.contains("EXECUTING"), "\(stopped)")
        let id = try #require(try cli.newestRunID())
        #expect(stopped.contains("next: `lifeboat resume \(id)`"), "\(stopped)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/after-ran")))

        let second = try TmuxSession(cli, ["resume", id])
        defer { second.kill() }
        let done = try second.waitFor { $0.contains("SUCCEEDED") }
        #expect(done.contains("run \(id): SUCCEEDED"), "\(done)")
        #expect(done.contains("slow: was interrupted during attempt 1"), "\(done)")
        #expect(FileManager.default.fileExists(atPath: cli.path("runbooks/after-ran")))
    }
}
