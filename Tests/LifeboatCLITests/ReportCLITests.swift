import Foundation
import LifeboatTestSupport
import Testing

/// `lifeboat report` on runs made by the built binary with real `command` steps.
@Suite("CLI: lifeboat report", .serialized)
struct ReportCLITests {
    /// declare (approval, --yes) → a and b in parallel; flaky (after a) fails once then succeeds;
    /// broken (after b) fails late, so the run fails. RTO 1s over declare → flaky (~1.5s): missed.
    func failedRun(_ cli: CLI) throws -> String {
        try writeScenario(cli, steps: """
              - id: declare
                title: "Declare <script>alert(1)</script>"
                action: approval
                with: {prompt: "go?", separation_of_duties: false}
              - id: a
                action: command
                needs: [declare]
                with: {argv: [sh, -c, "sleep 0.3"]}
              - id: b
                action: command
                needs: [declare]
                with: {argv: [sh, -c, "sleep 0.2"]}
              - id: flaky
                action: command
                needs: [a]
                retry: {attempts: 3, delay: 200ms}
                with: {argv: [sh, -c, "if [ -f tried ]; then sleep 1.2; else touch tried; exit 7; fi"]}
              - id: broken
                action: command
                needs: [b]
                with: {argv: [sh, -c, "sleep 2.5; echo 'disk <full>' >&2; exit 3"]}
            """, params: "rto_window: {start: declare, end: flaky}", rto: "1s")
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover", "--yes")
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        return try #require(try cli.newestRunID())
    }

    @Test(arguments: TestStore.allCases)
    func writesEveryFormatForARealRun(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        let id = try failedRun(cli)

        let md = try cli.run("report", id)
        #expect(md.status == 0, "\(md.stderr)")
        #expect(md.stdout.hasPrefix("# Run \(id): failed at broken"))
        #expect(md.stdout.contains("| **MISSED** |"))
        #expect(md.stdout.contains("--yes (no one was asked)"))
        #expect(md.stdout.contains("flaky | succeeded | 2 |"))

        let html = try cli.run("report", id, "--format", "html", "-o", "out/run.html")
        #expect(html.status == 5)  // the folder does not exist
        #expect(html.stderr.contains("out"))
        try FileManager.default.createDirectory(atPath: cli.path("out"), withIntermediateDirectories: true)
        let written = try cli.run("report", id, "-o", "out/run.html")
        #expect(written.status == 0, "\(written.stderr)")
        let page = try String(contentsOfFile: cli.path("out/run.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))  // format from the extension
        #expect(!page.contains("<script"))
        #expect(page.contains("Declare &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("data-step=\"flaky\" data-kind=\"backoff\""))
        #expect(page.contains("class=\"rto-target\""))
        #expect(page.contains("disk &lt;full&gt;") || page.contains("exit"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.path("out")).filter { $0 != "run.html" }
        #expect(leftovers.isEmpty, "temp files left: \(leftovers)")

        let json = try cli.run("report", id, "--format", "json")
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["runID"] as? String == id)
        #expect(run["status"] as? String == "failed")
        #expect(run["approvedByFlag"] as? Bool == true)

        let junit = try cli.run("report", id, "--format", "junit", "-o", "out/junit.xml")
        #expect(junit.status == 0)
        let xml = try String(contentsOfFile: cli.path("out/junit.xml"), encoding: .utf8)
        #expect(xml.contains("tests=\"7\" failures=\"2\""))  // broken + RTO missed
        let schema = CLI.repoRoot.path + "/Tests/LifeboatReportsTests/Fixtures/junit.xsd"
        let lint = try cli.runTool(["xmllint", "--noout", "--schema", schema, cli.path("out/junit.xml")])
        #expect(lint.status == 0, "\(lint.stderr)")
    }

    @Test(arguments: TestStore.allCases)
    func unknownRunIsNotFoundAndBadFormatIsInvalidInput(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        let id = try failedRun(cli)
        let missing = try cli.run("report", "no-such-run")
        #expect(missing.status == 5)
        #expect(missing.stderr.contains("no run 'no-such-run'"))
        let bad = try cli.run("report", id, "--format", "pdf")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("pdf"))
        let help = try cli.run("report", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("lifeboat report") && help.stdout.contains("--format junit"))
        let noStore = try CLI()
        let empty = try noStore.run("report", "x")
        #expect(empty.status == 5)
    }
}

extension CLI {
    /// Runs another program (a validator) in the CLI's folder.
    func runTool(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let err = directory.appendingPathComponent("tool-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let handle = try FileHandle(forWritingTo: err)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, stdout: text, stderr: text)
    }
}
