import Foundation
import LifeboatTestSupport
import Testing

/// libpq is loaded when a command first needs PostgreSQL, not at every start of the binary; a
/// machine without it gets one clear line on the commands that need it, and the rest still work.
/// A team store on port 1 of 127.0.0.1 (nothing listens there) is enough: libpq is loaded before
/// the connection is tried.
@Suite("CLI: libpq is loaded on first use", .serialized)
struct LibPQLoadingCLITests {
    static let unreachableTeamStore = "postgresql://lifeboat@127.0.0.1:1/store"

    /// The libraries the dynamic loader opened, as `LD_DEBUG=files` lists them on stderr.
    static func loadsLibPQ(_ result: CLI.Result) -> Bool {
        result.stderr.split(separator: "\n").contains { $0.contains("file=libpq.so.5") }
    }

    @Test func validatingDoesNotLoadLibPQButOpeningATeamStoreDoes() throws {
        var cli = try CLI()
        cli.environment["LD_DEBUG"] = "files"
        try cli.write("r.yaml", "runbook: fine\nsteps:\n  - id: a\n    action: wait\n    with: {duration: 0ms}\n")
        let validated = try cli.run("validate", "r.yaml")
        #expect(validated.status == 0, "\(validated.output)")
        // The loader's log is there (else the next check would prove nothing), and libpq is not in it.
        #expect(validated.stderr.contains("file="), "LD_DEBUG=files printed nothing: \(validated.stderr.prefix(300))")
        #expect(!Self.loadsLibPQ(validated), "validate loaded libpq")

        cli.environment["LIFEBOAT_DB"] = Self.unreachableTeamStore
        let history = try cli.run("history")
        #expect(history.status == 6, "\(history.output)")
        #expect(Self.loadsLibPQ(history), "opening a team store did not load libpq")
        #expect(history.stderr.contains("cannot connect to 127.0.0.1:1"), "\(history.stderr.suffix(400))")
    }

    /// In a mount namespace of its own, the binary sees /dev/null in place of libpq (so the machine's
    /// copy is untouched): the team store is refused with the loader's reason and what to install,
    /// and a run on the SQLite store still works.
    @Test func withoutLibPQATeamStoreIsRefusedWithWhatToInstallAndTheRestWorks() throws {
        let library = URL(fileURLWithPath: "/lib/x86_64-linux-gnu/libpq.so.5").resolvingSymlinksInPath().path
        try #require(FileManager.default.fileExists(atPath: library), "no \(library) on this machine")
        var cli = try CLI()
        cli.wrapper = ["/usr/bin/unshare", "--mount", "/bin/sh", "-c", "mount --bind /dev/null \"$1\" && shift && exec \"$@\"", "sh", library]
        cli.environment["LIFEBOAT_DB"] = Self.unreachableTeamStore
        let refused = try cli.run("history")
        #expect(refused.status == 6, "\(refused.output)")
        // The loader names the file it opened (libpq.so.5, a link to the mounted-over file).
        #expect(refused.stderr.contains("team store: cannot load libpq, PostgreSQL's client library: "), "\(refused.stderr)")
        #expect(refused.stderr.contains("libpq.so.5: file too short"), "\(refused.stderr)")
        #expect(refused.stderr.contains("apt install libpq5"), "\(refused.stderr)")

        cli.environment["LIFEBOAT_DB"] = cli.path("state.db")
        try cli.write("plans/p.yaml", "plan: p\nobjectives: {rto: 5m}\nscenarios:\n  s:\n    runbook: ../runbooks/r.yaml\n")
        try cli.write("runbooks/r.yaml", "runbook: r\nsteps:\n  - id: a\n    action: command\n    with: {argv: [\"true\"]}\n")
        let run = try cli.run("run", "plans/p.yaml", "-s", "s")
        #expect(run.status == 0, "\(run.output)")

        // A postgres step says the same, naming the step.
        try cli.write("plans/q.yaml", "plan: q\nobjectives: {rto: 5m}\nscenarios:\n  s:\n    runbook: ../runbooks/q.yaml\n")
        try cli.write("runbooks/q.yaml", """
            runbook: q
            steps:
              - id: ask
                action: postgres.query
                with: {conninfo: "host=127.0.0.1 port=1 dbname=x", sql: "SELECT 1"}
            """)
        let query = try cli.run("run", "plans/q.yaml", "-s", "s")
        #expect(query.status != 0, "\(query.output)")
        #expect(query.output.contains("ask") && query.output.contains("cannot load libpq"), "\(query.output)")
    }
}
