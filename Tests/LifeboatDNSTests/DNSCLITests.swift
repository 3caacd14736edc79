import Foundation
import LifeboatTestSupport
import Testing

/// The built binary on documents with dns steps: problems found by `validate` (file:line:col),
/// before any step runs, and a preflight refusal's exit code.
@Suite("DNS steps through the CLI")
struct DNSCLITests {
    /// A name outside the zone, a malformed TXT and a missing key: each is reported by `validate`
    /// at the value, and `run` refuses (exit 2) before the first step has run.
    @Test func validateLocatesDNSProblemsAndRunRefusesBeforeAnyStep() throws {
        let cli = try LifeboatCLI()
        defer { try? FileManager.default.removeItem(at: cli.directory) }
        try cli.writeDNSDocuments(server: "127.0.0.1:1", steps: """
              - id: marker
                action: command
                with: {argv: [touch, ran-marker]}
              - id: dns
                action: dns.update
                needs: [marker]
                with:
                  server: "${vars.dns_server}"
                  zone: example.test.
                  name: db.other.test.
                  type: A
                  records: [10.0.0.7]
                  insecure: true
              - id: txt
                action: dns.update
                needs: [marker]
                with:
                  server: "${vars.dns_server}"
                  zone: example.test.
                  name: txt
                  type: TXT
                  records: ["ok", '"open']
                  insecure: true
              - id: nokey
                action: dns.update
                needs: [marker]
                with:
                  server: "${vars.dns_server}"
                  zone: example.test.
                  name: db
                  type: A
                  records: [10.0.0.7]
              - id: check
                action: dns.check
                needs: [marker]
                with: {server: "${vars.dns_server}", name: www}
            """)
        let validate = try cli.run("validate", "plans", "runbooks")
        #expect(validate.status == 2, "\(validate.output)")
        #expect(validate.output.contains("runbooks/r.yaml:12:13: error: parameter 'name' of step 'dns' 'db.other.test.' is not in zone example.test."), "\(validate.output)")
        #expect(validate.output.contains("runbooks/r.yaml:24:23: error: parameter 'records.1' of step 'txt' has '\"open', not a valid TXT record"), "\(validate.output)")
        #expect(validate.output.contains("runbooks/r.yaml:29:5: error: parameter 'key_name' of step 'nokey' and key_secret are missing"), "\(validate.output)")
        #expect(validate.output.contains("runbooks/r.yaml:38:48: error: parameter 'name' of step 'check' 'www' is relative: give zone:"), "\(validate.output)")
        #expect(validate.output.contains("error: 4 problem(s) in 1 file(s)"), "\(validate.output)")

        let run = try cli.run("run", "plans/p.yaml", "-s", "failover", "--yes")
        #expect(run.status == 2, "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("plans/ran-marker").path))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("ran-marker").path))
    }

    /// The server is up but not authoritative for the zone: the preflight refuses and the run
    /// exits 4 ("refused"), as `--dry-run` does.
    @Test func preflightRefusalExits4() async throws {
        try await DNSTestServer.with(.bind) { server in
            let cli = try LifeboatCLI()
            defer { try? FileManager.default.removeItem(at: cli.directory) }
            try cli.writeDNSDocuments(server: server.server, steps: """
                  - id: dns
                    action: dns.update
                    with:
                      server: "${vars.dns_server}"
                      zone: other.test.
                      name: db
                      type: A
                      records: [10.0.0.7]
                      insecure: true
                """)
            let dryRun = try cli.run("run", "plans/p.yaml", "-s", "failover", "--dry-run")
            #expect(dryRun.status == 4, "\(dryRun.output)")
            let run = try cli.run("run", "plans/p.yaml", "-s", "failover", "--yes")
            #expect(run.status == 4, "\(run.output)")
            #expect(run.output.contains("preflight refused"), "\(run.output)")
            #expect(run.output.contains("refused the query (REFUSED)"), "\(run.output)")
        }
    }

    /// Nothing answers the preflight's SOA query: refused too (exit 4), and no UPDATE is sent.
    @Test func silentServerIsAPreflightRefusal() throws {
        let cli = try LifeboatCLI()
        defer { try? FileManager.default.removeItem(at: cli.directory) }
        try cli.writeDNSDocuments(server: "127.0.0.1:\(try freePort())", steps: """
              - id: dns
                action: dns.update
                with: {server: "${vars.dns_server}", zone: example.test., name: db, type: A, records: [10.0.0.7], insecure: true, timeout: 300ms}
            """)
        let run = try cli.run("run", "plans/p.yaml", "-s", "failover", "--yes")
        #expect(run.status == 4, "\(run.output)")
        #expect(run.output.contains("preflight refused") && run.output.contains("no answer from"), "\(run.output)")
    }
}
