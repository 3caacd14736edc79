import Foundation
import LifeboatTestSupport
import Testing

/// A tabletop as a facilitator runs it: scripted through standard input over a runbook whose steps
/// reference each other's outputs, then read back in `show` and every report format.
@Suite("CLI: tabletop", .serialized)
struct TabletopCLITests {
    func writeOutputReferenceScenario(_ cli: CLI) throws {
        try cli.write("plans/p.yaml", """
            plan: shop
            tier: 2
            objectives: {rto: 2m, rpo: 1m}
            scenarios:
              failover:
                runbook: ../runbooks/r.yaml
                with: {to_az: eu-west-1b}

            """)
        try cli.write("runbooks/r.yaml", """
            runbook: az-failover
            params:
              to_az: {type: string, required: true}
            steps:
              - id: switch
                title: Switch traffic to ${params.to_az}
                description: Flip the weighted record, then watch the error rate.
                action: command
                with:
                  argv: [touch, must-not-exist, "${params.to_az}"]
                  env: {MODE: "fast: really"}
                tabletop_outputs: {active_az: eu-west-1b}
                expect: 2m
              - id: verify
                title: Check ${steps.switch.outputs.active_az} serves
                action: command
                needs: [switch]
                with:
                  argv: [check, "${steps.switch.outputs.active_az}", "${steps.switch.outputs.previous_az}"]
                expect: 30s

            """)
    }

    @Test(arguments: TestStore.allCases)
    func aScriptedWalkThroughOverOutputReferencesFinishesWithItsNotesInEveryReport(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeOutputReferenceScenario(cli)
        #expect(try cli.run("validate", "plans/p.yaml").status == 0)
        let walk = try cli.run("tabletop", "plans/p.yaml", "-s", "failover", stdin: "n DNS TTL too long\nd\nd\n")
        #expect(walk.status == 0, "\(walk.stdout)\n\(walk.stderr)")
        let screen = walk.stdout
        #expect(screen.contains("[1/2] Switch traffic to eu-west-1b"), "\(screen)")
        #expect(screen.contains("  Flip the weighted record, then watch the error rate."))
        #expect(screen.contains("    argv:\n      - touch\n      - must-not-exist\n      - eu-west-1b\n"), "\(screen)")
        #expect(screen.contains("      MODE: \"fast: really\""))
        #expect(screen.contains("[2/2] Check eu-west-1b serves"))
        #expect(screen.contains("      - (output previous_az of switch)"))
        #expect(screen.contains("tabletop> n DNS TTL too long"))
        #expect(screen.contains("✓ switch done in"))
        #expect(!screen.contains("started"), "engine lines on the facilitator's screen:\n\(screen)")
        #expect(!screen.contains("FAILED"))
        #expect(screen.contains("  notes:\n    switch (tester, "), "\(screen)")
        #expect(screen.contains("): DNS TTL too long"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("runbooks/must-not-exist")))

        let id = try #require(try cli.newestRunID())
        let show = try cli.run("show", id)
        #expect(show.stdout.contains("  notes:\n    switch (tester, "), "\(show.stdout)")
        let showJSON = try cli.run("show", id, "--json")
        #expect(showJSON.stdout.contains("\"text\" : \"DNS TTL too long\"") || showJSON.stdout.contains("\"text\":\"DNS TTL too long\""))

        let markdown = try cli.run("report", id).stdout
        #expect(markdown.contains("## Notes"), "\(markdown)")
        #expect(markdown.contains("| switch | DNS TTL too long | tester |"))
        #expect(markdown.contains("| RTO | 2m00s | implied "), "\(markdown)")
        #expect(!markdown.contains("| met |"))

        let html = try cli.run("report", id, "--format", "html").stdout
        #expect(html.contains("<tr class=\"note\"><td><div class=\"sid\">switch</div></td><td>DNS TTL too long</td>"))
        #expect(html.contains("<span class=\"badge none\">RTO implied "), "the header shows the implied RTO, no verdict")
        #expect(!html.contains("RTO met") && !html.contains("card ok"), "a tabletop earns no met badge for talk time")

        let json = try cli.run("report", id, "--format", "json").stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let notes = try #require(object["notes"] as? [[String: Any]])
        #expect(notes.first?["text"] as? String == "DNS TTL too long" && notes.first?["step"] as? String == "switch")
        let rto = (object["measurement"] as? [String: Any])?["rto"] as? [String: Any]
        #expect(rto?["verdict"] as? String == "not measured")

        let junit = try cli.run("report", id, "--format", "junit").stdout
        #expect(junit.contains("note on switch by tester: DNS TTL too long"))
    }

    @Test(arguments: TestStore.allCases)
    func jsonPutsTheResultOnStandardOutputAndTheWalkThroughOnStandardError(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try writeOutputReferenceScenario(cli)
        let walk = try cli.run("tabletop", "plans/p.yaml", "-s", "failover", "--json", stdin: "d\nn rehearse the rollback\nq\n")
        #expect(walk.status == 3, "\(walk.stdout)\n\(walk.stderr)")
        #expect(walk.stderr.contains("[2/2] Check eu-west-1b serves"))
        let result = try #require(try JSONSerialization.jsonObject(with: Data(walk.stdout.utf8)) as? [String: Any], "\(walk.stdout)")
        #expect(result["mode"] as? String == "tabletop")
        #expect(result["exitCode"] as? Int == 3)
        #expect((result["next"] as? String)?.contains("lifeboat resume") == true)
        #expect((result["notes"] as? [[String: Any]])?.first?["text"] as? String == "rehearse the rollback")
    }
}
