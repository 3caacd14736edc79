import LifeboatCore
import LifeboatDNS
import Testing

@testable import LifeboatActions

/// What `validate` reports for dns steps (the action's `check`), and how `changes:` is read.
@Suite("DNS step parameters")
struct DNSParameterTests {
    static let base: [String: Value] = [
        "server": "127.0.0.1:5353", "zone": "example.test.", "name": "db", "type": "A", "records": .list(["10.0.0.7"]),
        "key_name": "k", "key_secret": "${secrets.tsig}",
    ]

    func problems(_ change: [String: Value?], action: any ActionHandler = DNSUpdateAction()) -> [ParameterProblem] {
        var with = Self.base
        for (k, v) in change { with[k] = v }
        return action.spec.check?(with) ?? []
    }

    @Test func validateFindsWhatWouldFailAtRunTime() {
        #expect(problems([:]) == [])
        #expect(problems(["name": "db.other.test."]) == [ParameterProblem(path: ["name"], problem: "'db.other.test.' is not in zone example.test.")])
        #expect(problems(["key_name": nil, "key_secret": nil]).map(\.path) == [["key_name"]])
        #expect(problems(["key_name": nil, "key_secret": nil, "insecure": true]) == [])
        #expect(problems(["type": "TXT", "records": .list(["ok", #""open"#])]).first?.path == ["records", "1"])
        #expect(problems(["type": "TXT", "records": .list(["ok", #""open"#])]).first?.problem.contains("unterminated quote") == true)
        #expect(problems(["type": "SRV", "records": .list(["10 5 db.example.test."])]).first?.path == ["records", "0"])
        #expect(problems(["prerequisites": .list(["yxdomain db", "nxrrset x.other.test. A"])]).first?.path == ["prerequisites", "1"])
        #expect(problems(["key_secret": "not base64!"]).first?.path == ["key_secret"])
    }

    /// `${…}` values are rendered only when the step runs: what depends on them waits.
    @Test func templatesAreCheckedWhenTheStepRuns() {
        #expect(problems(["zone": "${vars.zone}", "name": "db.other.test."]) == [])
        #expect(problems(["key_secret": "${secrets.tsig}"]) == [])
        #expect(problems(["records": .list(["${vars.ip}", "10.0.0.8"])]) == [])
        #expect(problems(["records": .list(["${vars.ip}", "10.0.0.300"])]).first?.path == ["records", "1"])
        #expect(problems(["server": "${vars.dns}", "name": "x.other.test."]).first?.path == ["name"])
        #expect(problems(["insecure": "${params.insecure}", "key_name": nil, "key_secret": nil]) == [])
    }

    @Test func changesAreCheckedEntryByEntry() {
        let flatless: [String: Value?] = ["name": nil, "type": nil, "records": nil]
        func with(_ changes: Value) -> [String: Value?] { flatless.merging(["changes": changes]) { $1 } }
        let good = Value.list([.map(["name": "db", "type": "A", "operation": "delete"]), .map(["name": "db", "type": "CNAME", "records": .list(["x.test."])])])
        #expect(problems(with(good)) == [])
        #expect(problems(["changes": good]).first == ParameterProblem(path: ["name"], problem: "cannot be used with changes: (write it in each change)"))
        #expect(problems(with(.list([.map(["name": "db", "type": "A", "records": .list(["1.2.3.4"]), "value": "x"])]))).first?.path == ["changes", "0", "value"])
        #expect(problems(with(.list([.map(["name": "db", "type": "A", "operation": "delete"]), .map(["name": "x.other.test.", "type": "A", "operation": "delete"])]))).first
            == ParameterProblem(path: ["changes", "1", "name"], problem: "'x.other.test.' is not in zone example.test."))
        #expect(problems(with(.list([.map(["name": "db", "type": "A", "operation": "delete"]), .map(["name": "db", "type": "A", "records": .list(["1.2.3.4"])])]))).first?.path
            == ["changes", "1"])
        #expect(problems(with(.list([]))).first?.path == ["changes"])
        #expect(problems(with(.list(["db A"]))).first?.path == ["changes", "0"])
    }

    @Test func changesGoIntoOneUpdateInOrder() throws {
        var with = Self.base
        with["key_secret"] = "c2VjcmV0LXNlY3JldA=="  // as the step runs: rendered from its secret
        with["name"] = nil
        with["type"] = nil
        with["records"] = nil
        with["ttl"] = 120
        with["changes"] = .list([.map(["name": "db", "type": "A", "operation": "delete"]), .map(["name": "db", "type": "CNAME", "records": .list(["db-dr.test."])])])
        let p = try DNSUpdateParameters(request(with))
        #expect(p.usesChangeList)
        #expect(p.subject == "2 RRsets (db.example.test. A, db.example.test. CNAME)")
        let db = try DNSName("db.example.test.")
        #expect(p.update(id: 1).operations == [.deleteRRset(name: db, type: .a), .deleteRRset(name: db, type: .cname), .add(name: db, type: .cname, ttl: 120, rdata: .cname(try DNSName("db-dr.test.")))])
        with["changes"] = .list([.map(["name": "x.other.test.", "type": "A", "operation": "delete"])])
        do {
            _ = try DNSUpdateParameters(request(with))
            Issue.record("a change outside the zone was accepted")
        } catch {
            #expect(error.message == "parameter 'changes.0.name' 'x.other.test.' is not in zone example.test.")
        }
    }

    @Test func checkNeedsAZoneForARelativeName() throws {
        let check = DNSCheckAction()
        let with: [String: Value] = ["server": "127.0.0.1:5353", "name": "www"]
        #expect(check.spec.check?(with).first?.path == ["name"])
        #expect(check.spec.check?(with).first?.problem.contains("relative: give zone:") == true)
        #expect(check.spec.check?(with.merging(["zone": "example.test."]) { $1 }) == [])
        #expect(check.spec.check?(["server": "127.0.0.1:5353", "name": "db.example.test"]) == [])
        #expect(check.spec.check?(["server": "127.0.0.1:5353", "name": "www.other.test.", "zone": "example.test."]).first?.path == ["name"])
        let p = try DNSCheckAction.Parameters(request(with.merging(["zone": "example.test."]) { $1 }))
        #expect(p.name == (try DNSName("www.example.test.")))
        #expect(throws: LifeboatError.self) { try DNSCheckAction.Parameters(request(with)) }
    }
}
