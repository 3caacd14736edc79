import Foundation
import LifeboatTestSupport
import Testing

/// A run pins its documents, so a credential written in a runbook would be stored with every run:
/// `validate` refuses each secret-bearing parameter that does not come from `${secrets.…}`.
@Suite("CLI: literal credentials are refused", .serialized)
struct LiteralCredentialsCLITests {
    /// Each case: a step's `with:` holding a literal credential, the key path the error names.
    static let literals: [(with: String, names: String)] = [
        (#"{conninfo: "host=db1 user=sre password=hunter2 dbname=app", sql: "SELECT 1"}"#, "conninfo"),
        (#"{conninfo: "postgresql://sre:hunter2@db1/app", sql: "SELECT 1"}"#, "conninfo"),
        (#"{url: "https://sre:hunter2@api.example.test/health"}"#, "url"),
        (#"{url: "https://api.example.test/health", headers: {Authorization: "Bearer hunter2"}}"#, "headers.Authorization"),
        (#"{server: 127.0.0.1, zone: example.test, key_name: k, key_secret: "aHVudGVyMg==", changes: [{op: delete, name: a.example.test, type: A}]}"#, "key_secret"),
        (#"{server: "https://10.0.0.1:6443", token: hunter2, namespace: pay, name: api, replicas: 3}"#, "token"),
    ]
    static let actions = ["postgres.query", "postgres.query", "http.check", "http.check", "dns.update", "kubernetes.scale"]

    @Test func everyLiteralCredentialIsRejectedWithItsPlaceAndTheSameFromASecretValidates() throws {
        for (index, literal) in Self.literals.enumerated() {
            let cli = try LifeboatCLI()
            try writeScenario(cli, steps: """
                  - id: step
                    action: \(Self.actions[index])
                    with: \(literal.with)
                """, secrets: "secrets:\n  pw: {env: LIFEBOAT_TEST_PW}")
            let refused = try cli.run("validate", "plans/p.yaml")
            #expect(refused.status == 2, "case \(index): \(refused.output)")
            #expect(refused.output.contains("r.yaml:6:"), "case \(index): \(refused.output)")
            #expect(refused.output.contains("parameter '\(literal.names)' of step 'step'"), "case \(index): \(refused.output)")
            #expect(refused.output.contains("every run stores"), "case \(index): \(refused.output)")

            let fromSecret = literal.with.replacing("hunter2", with: "${secrets.pw}").replacing("aHVudGVyMg==", with: "${secrets.pw}")
            try writeScenario(cli, steps: """
                  - id: step
                    action: \(Self.actions[index])
                    with: \(fromSecret)
                """, secrets: "secrets:\n  pw: {env: LIFEBOAT_TEST_PW}")
            let accepted = try cli.run("validate", "plans/p.yaml")
            #expect(!accepted.output.contains("every run stores"), "case \(index): \(accepted.output)")
        }
    }

    @Test func aPlanVarHoldingAConninfoWithAPasswordIsRejected() throws {
        let cli = try LifeboatCLI()
        try writeScenario(cli, steps: """
              - id: step
                action: postgres.query
                with: {conninfo: "${vars.db}", sql: "SELECT 1"}
            """, secrets: "vars:\n  db: \"host=db1 user=sre password=hunter2 dbname=app\"")
        let refused = try cli.run("validate", "plans/p.yaml")
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("p.yaml:6:") && refused.output.contains("var 'db' holds a password written in the plan"),
                "\(refused.output)")
    }

    @Test func aCredentialFromASecretValidatesRunsAndIsStoredNowhere() throws {
        let cli = try LifeboatCLI()
        let secret = "tok-\(UUID().uuidString.prefix(12))"
        try cli.write("secret.txt", secret + "\n")
        // A real server on a port the kernel chose, listening before the run starts (a random
        // port could be taken, and the check then failed its 20 attempts).
        let server = try WebhookReceiver()
        defer { server.stop() }
        try writeScenario(cli, steps: """
              - id: health
                action: http.check
                with: {url: "\(server.url)/health", headers: {Authorization: "Bearer ${secrets.token}"}}
                retry: {attempts: 20, delay: 100ms}
            """, secrets: "secrets:\n  token: {file: ../secret.txt}")
        #expect(try cli.run("validate", "plans/p.yaml").status == 0)
        let run = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(run.status == 0, "\(run.output)")
        let id = try #require(try cli.newestRunID())
        let report = try cli.run("report", id, "--format", "json")
        #expect(report.status == 0)
        for text in [run.output, report.stdout, try cli.run("show", id, "--json", "--events").stdout] {
            #expect(!text.contains(secret))
        }
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: cli.dbPath + suffix) {
                #expect(data.range(of: Data(secret.utf8)) == nil, "secret found in store\(suffix)")
            }
        }
    }
}
