import Foundation
import LifeboatTestSupport
import Testing

/// Issue 11, through the built binary: colour (`--color`, `NO_COLOR`, `TERM=dumb`), `--mode real`,
/// the full chain head, shell completions and the man page.
@Suite("CLI: output and shell integration", .serialized)
struct OutputCLITests {
    static let escape = "\u{1B}"

    /// A valid and a warned-about runbook: `validate` prints "ok" and a warning, both coloured when colour is on.
    func documents(_ cli: CLI) throws {
        try cli.write("ok.yaml", "runbook: fine\nsteps:\n  - id: a\n    action: wait\n    with: {duration: 0ms}\n")
        try cli.write("warn.yaml", "runbook: warned\nsteps:\n  - id: a\n    action: wait\n    with: {duration: 0ms}\n    expect: 1m\n    timeout: 1s\n")
    }

    /// A scenario of one `command` step that succeeds.
    func writeOneStepScenario(_ cli: CLI) throws {
        try writeScenario(cli, steps: """
              - id: one
                action: command
                with: {argv: ["true"]}
            """)
    }

    @Test func colorAlwaysColoursAndNeverDoesNot() throws {
        let cli = try CLI()
        try documents(cli)
        let always = try cli.run("validate", "ok.yaml", "warn.yaml", "--color", "always")
        #expect(always.status == 0)
        #expect(always.stdout.contains(Self.escape + "[32mok"), "\(always.stdout)")
        #expect(always.stderr.contains(Self.escape + "[33mwarning"), "\(always.stderr)")
        let never = try cli.run("validate", "ok.yaml", "warn.yaml", "--color", "never")
        #expect(never.status == 0)
        #expect(!(never.stdout + never.stderr).contains(Self.escape))
        #expect(try cli.run("validate", "ok.yaml", "--color", "sometimes").status == 2)
    }

    @Test func aRunIsColouredOnlyWhenAsked() throws {
        let cli = try CLI()
        try writeOneStepScenario(cli)
        let plain = try cli.run("run", "plans/p.yaml", "-s", "failover", "--color", "never")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains(Self.escape))
        let coloured = try cli.run("run", "plans/p.yaml", "-s", "failover", "--color", "always")
        #expect(coloured.status == 0, "\(coloured.stderr)")
        #expect(coloured.stdout.contains(Self.escape + "[32m"), "\(coloured.stdout)")
    }

    /// On a terminal (`script` gives the binary a pseudo-terminal) `auto` colours, unless
    /// `NO_COLOR` is set or `TERM=dumb`.
    @Test(arguments: [
        (["TERM=xterm"], true), (["TERM=xterm", "NO_COLOR=1"], false), (["TERM=dumb"], false),
        (["TERM=xterm", "NO_COLOR="], true),
    ])
    func onATerminalAutoFollowsNOCOLORAndTERM(environment: [String], coloured: Bool) throws {
        let cli = try CLI()
        try documents(cli)
        let command = [CLI.binary, "validate", "ok.yaml", "warn.yaml"].map { "'" + $0 + "'" }.joined(separator: " ")
        let result = try cli.runTool(["-u", "NO_COLOR", "-u", "TERM"] + environment + ["script", "-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("document(s) valid"), "\(result.stdout)")
        #expect(result.stdout.contains(Self.escape) == coloured, "\(environment): \(result.stdout)")
    }

    @Test func modeRealIsExecute() throws {
        let cli = try CLI()
        try writeOneStepScenario(cli)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 0)
        let real = try cli.run("history", "--mode", "real", "--json")
        #expect(real.status == 0, "\(real.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(real.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 1)
        #expect((entries.first?["run"] as? [String: Any])?["mode"] as? String == "execute")
        let wrong = try cli.run("history", "--mode", "rehearsal")
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("'execute', 'drill', 'tabletop', 'dry-run' or 'real'"), "\(wrong.stderr)")
    }

    @Test func auditVerifyJSONGivesTheFullHeadOfTheExport() throws {
        let cli = try CLI()
        try writeOneStepScenario(cli)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let verify = try cli.run("audit", "verify", "--json")
        #expect(verify.status == 0, "\(verify.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let head = try #require(report["head"] as? String)
        #expect(head.wholeMatch(of: /[0-9a-f]{64}/) != nil, "\(head)")
        #expect(head != String(repeating: "0", count: 64))
        let export = try cli.run("audit", "export")
        let header = try #require(export.stdout.split(separator: "\n").first)
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        #expect(exported["chainHead"] as? String == head)
    }

    @Test func completionsPrintAScriptPerShell() throws {
        let cli = try CLI()
        let bash = try cli.run("completions", "bash")
        #expect(bash.status == 0, "\(bash.stderr)")
        #expect(bash.stdout.contains("complete -o filenames -F _lifeboat lifeboat") || bash.stdout.contains("-F _lifeboat lifeboat"),
            "\(bash.stdout.prefix(400))")
        #expect(bash.stdout.contains("validate"))
        let check = try cli.runTool(["bash", "-n", "-c", bash.stdout])
        #expect(check.status == 0, "bash -n: \(check.stdout)")
        #expect(try cli.run("completions", "zsh").stdout.hasPrefix("#compdef lifeboat"))
        #expect(try cli.run("completions", "fish").stdout.contains("complete -c 'lifeboat'"))
        let unknown = try cli.run("completions", "tcsh")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("bash"))
    }

    /// The man page is generated from the commands' help; `docs/lifeboat.1` is that output, kept in
    /// the repository (regenerate it with `lifeboat manual > docs/lifeboat.1`).
    @Test func theManPageIsGeneratedFromTheHelpAndTheShippedCopyMatches() throws {
        let cli = try CLI()
        let manual = try cli.run("manual")
        #expect(manual.status == 0, "\(manual.stderr)")
        #expect(manual.stdout.hasPrefix(".TH LIFEBOAT 1"))
        for command in ["validate", "run", "resume", "history", "audit verify", "audit export", "completions", "manual"] {
            #expect(manual.stdout.contains(".SS \"lifeboat \(command)\""), "\(command)")
        }
        #expect(manual.stdout.contains("\\fB\\-\\-strict\\fR"))
        #expect(manual.stdout.contains("\\fB\\-\\-color\\fR \\fIwhen\\fR"))
        let shipped = try String(contentsOf: CLI.repoRoot.appendingPathComponent("docs/lifeboat.1"), encoding: .utf8)
        #expect(shipped == manual.stdout, "docs/lifeboat.1 is out of date: run `lifeboat manual > docs/lifeboat.1`")
        try cli.write("lifeboat.1", manual.stdout)
        let rendered = try cli.runTool(["groff", "-man", "-Tutf8", "-ww", "-z", cli.path("lifeboat.1")])
        #expect(rendered.status == 0 && rendered.stdout.isEmpty, "groff warnings: \(rendered.stdout)")
    }
}

/// `run --incident-at`: the RTO is also measured from the incident.
@Suite("CLI: the RTO from the incident", .serialized)
struct IncidentTimeCLITests {
    @Test func anIncidentTimeGivesTheRTOFromItBesideTheWindow() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - id: a
                action: command
                with: {argv: ["true"]}
            """)
        let incident = UTCCalendarText.iso(Int64(Date().timeIntervalSince1970 * 1000) - 300_000)
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover", "--incident-at", incident)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("from the incident ("), "\(result.stdout)")
        let id = try #require(try cli.newestRunID())
        let shown = try cli.showJSON(id)
        let rto = try #require((shown["measurement"] as? [String: Any])?["rto"] as? [String: Any])
        let fromIncident = try #require(rto["fromIncidentMs"] as? Int)
        #expect(fromIncident >= 300_000 && fromIncident < 360_000, "\(rto)")

        let future = try cli.run("run", "plans/p.yaml", "-s", "failover", "--incident-at", "2999-01-01T00:00:00Z")
        #expect(future.status == 2)
        #expect(future.output.contains("is in the future"))
        let garbage = try cli.run("run", "plans/p.yaml", "-s", "failover", "--incident-at", "yesterday")
        #expect(garbage.status == 2)
        #expect(garbage.output.contains("is not a time"))
    }
}

/// ISO-8601 UTC text of epoch ms, for arguments.
enum UTCCalendarText {
    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
