import Foundation
import LifeboatTestSupport
import Testing

/// Issue 11, through the built binary: cross-field checks, YAML errors that point where the
/// problem starts, and relative paths resolved from the runbook that holds them.
@Suite("CLI: document checks", .serialized)
struct DocumentChecksCLITests {
    @Test func expectOverTimeoutWarnsAndStrictMakesItAnError() throws {
        let cli = try CLI()
        try cli.write("slow.yaml", """
            runbook: slow
            steps:
              - id: restore
                action: wait
                with: {duration: 1s}
                expect: 10m
                timeout: 1s
            """)
        let loose = try cli.run("validate", "slow.yaml")
        #expect(loose.status == 0, "\(loose.stderr)")
        #expect(loose.stderr.contains("slow.yaml:6:5: warning: step 'restore' expects 10m00s but times out after 1s"), "\(loose.stderr)")
        #expect(loose.stderr.contains("(raise timeout: to at least 10m00s"))
        #expect(loose.stdout.contains("1 document(s) valid, 1 warning(s)"))

        let strict = try cli.run("validate", "slow.yaml", "--strict")
        #expect(strict.status == 2)
        #expect(strict.stderr.contains("slow.yaml:6:5: error: step 'restore' expects 10m"), "\(strict.stderr)")
        #expect(!strict.stdout.contains("ok "))
        let json = try cli.run("validate", "slow.yaml", "--strict", "--json")
        #expect(json.status == 2)
        #expect(json.stdout.contains("\"severity\" : \"error\""))
    }

    @Test func anRTOWindowOutOfOrderIsAnErrorAtItsEnd() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: declare
                action: wait
                with: {duration: 0ms}
              - id: smoke
                action: wait
                needs: [declare]
                with: {duration: 0ms}
            """, params: "rto_window: {start: smoke, end: declare}")
        let result = try cli.run("validate", "plans/p.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains(
            "runbooks/r.yaml:2:33: error: rto_window ends at 'declare', which runs before its start 'smoke'"), "\(result.stderr)")
        #expect(result.stderr.contains("(swap them: rto_window: {start: declare, end: smoke})"))
        let run = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(run.status == 2, "a run refuses it too")
        #expect(try cli.newestRunID() == nil)
    }

    @Test func anUnterminatedQuoteIsReportedAtTheOpeningQuote() throws {
        let cli = try CLI()
        try cli.write("quote.yaml", """
            runbook: quotes
            steps:
              - id: a
                title: "Promote the replica
                action: wait
                with: {duration: 1s}
              - id: b
                action: wait

            """)
        let result = try cli.run("validate", "quote.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains(
            "quote.yaml:4:12: error: invalid YAML: this quoted string is never closed (the file ends at 9:1) (add the closing quote"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("quote.yaml:9:"))
    }

    @Test func aTabIsNamedWithItsPlace() throws {
        let cli = try CLI()
        try cli.write("tabs.yaml", "runbook: tabs\nsteps:\n  - id: a\n    action: wait\n\twith: {duration: 1s}\n")
        let result = try cli.run("validate", "tabs.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains(
            "tabs.yaml:5:1: error: invalid YAML: a tab character at 5:1; YAML indents with spaces (replace the tab with spaces)"),
            "\(result.stderr)")
    }

    /// The runbook is two folders deeper than the plan: `./tool.sh` exists only beside the runbook,
    /// and the step's default working directory is the runbook's folder.
    @Test func argvPathsResolveFromTheRunbooksFolder() throws {
        let cli = try CLI()
        try cli.write("plans/p.yaml", """
            plan: paths
            owner: sre
            tier: 3
            scenarios:
              failover: {runbook: ../ops/dr/runbooks/r.yaml}

            """)
        try cli.write("ops/dr/runbooks/r.yaml", """
            runbook: paths
            steps:
              - id: tool
                action: command
                with: {argv: [./tool.sh]}
            """)
        try cli.write("ops/dr/runbooks/tool.sh", "#!/bin/sh\necho \"lifeboat-output: cwd=$(pwd -P)\"\n")
        chmod(cli.path("ops/dr/runbooks/tool.sh"), 0o755)
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let id = try #require(try cli.newestRunID())
        let show = try cli.run("show", id, "--json")
        let runbookFolder = URL(fileURLWithPath: cli.path("ops/dr/runbooks")).resolvingSymlinksInPath().path
        #expect(show.stdout.contains(runbookFolder), "\(show.stdout)")
    }
}
