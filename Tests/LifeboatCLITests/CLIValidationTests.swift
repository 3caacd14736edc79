import Foundation
import LifeboatTestSupport
import Testing

/// Every invalid fixture document, through the real binary: exit 2, every problem as
/// `file:line:col: error: …`, and a store that was there before is left intact.
@Suite("CLI: bad documents", .serialized)
struct CLIValidationTests {
    static let fixtures: [String] = {
        let root = CLI.repoRoot.appendingPathComponent("Tests/LifeboatCoreTests/Fixtures/invalid").path
        return ["runbooks", "plans"].flatMap { folder -> [String] in
            let dir = root + "/" + folder
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir + "/" + $0 }
        }
    }()

    @Test func thereAreFixturesToCheck() {
        #expect(Self.fixtures.count >= 40)
    }

    @Test(arguments: fixtures)
    func validateRejectsWithLocationAndExitCode(path: String) throws {
        let cli = try CLI()
        let result = try cli.run("validate", path)
        #expect(result.status == 2, "\(path): \(result.stdout)\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let diagnostics = lines.filter { $0.contains(": error: ") }
        #expect(!diagnostics.isEmpty, "\(result.stderr)")
        for line in diagnostics {
            #expect(line.firstMatch(of: /^[^:]+\.ya?ml:\d+:\d+: error: .+/) != nil, "not file:line:col: \(line)")
        }
    }

    @Test func runningAnInvalidPlanChangesNothingInTheStore() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: one
                action: command
                with: {argv: ["true"]}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let before = try cli.run("history", "--json").stdout
        try cli.write("runbooks/r.yaml", "runbook: test-runbook\nsteps:\n  - id: one\n    action: command\n    with: {argv: true}\n")
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 2)
        #expect(result.stderr.contains("r.yaml:5:"))
        #expect(try cli.run("history", "--json").stdout == before)
        #expect(try cli.integrityCheck() == "ok")
    }
}
