import Foundation
import LifeboatCore
import LifeboatDNS
import Testing

@testable import LifeboatActions

/// One RRset change, made by Lifeboat in `example.test.` and by `nsupdate` in `twin.test.`.
struct TwinChange: CustomStringConvertible {
    var name: String
    var type: String
    var operation: String
    var records: [String]
    var ttl = 300

    var description: String { "\(operation) \(name) \(type) \(records)" }

    /// The `dns.update` parameters (flat form).
    var params: [String: Value] {
        ["name": .string(name), "type": .string(type), "operation": .string(operation), "records": .list(records.map { .string($0) }), "ttl": .int(ttl)]
    }

    /// The same change as nsupdate commands in `zone`.
    func commands(_ zone: String) -> [String] {
        let owner = "\(name).\(zone)"
        let adds = records.map { "update add \(owner) \(ttl) \(type) \($0)" }
        switch operation {
        case "replace": return ["update delete \(owner) \(type)"] + adds
        case "add": return adds
        default: return records.isEmpty ? ["update delete \(owner) \(type)"] : records.map { "update delete \(owner) \(type) \($0)" }
        }
    }
}

extension DNSTestServer {
    /// `dns.update` parameters for zone example.test., signed with `key`, without an RRset.
    func signedParams(_ extra: [String: Value], key: Key = DNSTestServer.keys[0]) -> [String: Value] {
        var p: [String: Value] = [
            "server": .string(server), "zone": "example.test", "key_name": .string(key.name), "key_secret": .string(secrets[key.name]!),
            "algorithm": .string(key.algorithm), "timeout": "2s",
        ]
        for (k, v) in extra { p[k] = v }
        return p
    }

    /// What dig sees for `name` (relative) and `type` in `zone`, answer and authority sections
    /// (a delegation's NS set is in the authority section): "TTL TYPE RDATA" lines, sorted.
    func state(_ name: String, _ type: String, in zone: String) throws -> [String] {
        let owner = "\(name).\(zone)".lowercased()
        let out = try dig([owner, type, "+norec", "+noall", "+answer", "+authority", "+tries=2", "+time=2"])
        return out.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard f.count >= 5, f[0].lowercased() == owner, f[3] == type else { return nil }
            return ([f[1], f[3]] + f[4...]).joined(separator: " ")
        }.sorted()
    }

    /// The same RRset in both zones, as dig sees it.
    func twinsAgree(_ name: String, _ type: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
        let mine = try state(name, type, in: Self.zone)
        let reference = try state(name, type, in: Self.twinZone)
        #expect(mine == reference, "\(kind): \(name) \(type): Lifeboat made \(mine), nsupdate made \(reference)", sourceLocation: sourceLocation)
        return mine
    }
}

/// What a server said to an UPDATE, as nsupdate prints it: `NOERROR`, `REFUSED`, `NOTAUTH(BADSIG)`.
func rcodeText(_ answer: DNSServerClient.UpdateAnswer) -> String {
    if case .serverError(let tsig)? = answer.tsig { return "\(answer.rcode)(\(tsig))" }
    return answer.rcode.description
}

/// The same failover steps against BIND, Knot and PowerDNS, each started by the harness; every
/// change is also made by `nsupdate` in a twin zone on the same server and the results compared.
@Suite("DNS against BIND, Knot and PowerDNS, compared with nsupdate")
struct DNSInteropTests {
    static let servers = DNSTestServer.Kind.allCases

    @Test(arguments: servers)
    func recordTypesAddReplaceDeleteAsNsupdateDoes(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            let changes = [
                TwinChange(name: "db", type: "A", operation: "replace", records: ["10.0.0.7", "10.0.0.8"], ttl: 60),
                TwinChange(name: "v6", type: "AAAA", operation: "add", records: ["2001:db8::7", "2001:db8::8"]),
                TwinChange(name: "www", type: "CNAME", operation: "replace", records: ["db-dr.elsewhere.test."]),
                TwinChange(name: "txt", type: "TXT", operation: "replace", records: ["plain words unquoted", #""quoted string" with\ escape \065"#]),
                TwinChange(name: "_pg._tcp", type: "SRV", operation: "add", records: ["10 5 5432 db.elsewhere.test."]),
                TwinChange(name: "db", type: "A", operation: "delete", records: ["10.0.0.8"]),
                TwinChange(name: "v6", type: "AAAA", operation: "delete", records: []),
            ]
            for change in changes {
                let serial = try server.serial()
                let result = try await DNSUpdateAction().run(in: request(server.signedParams(change.params)))
                #expect(try server.nsupdate(change.commands(DNSTestServer.twinZone)) == "NOERROR", "\(kind) \(change)")
                let seen = try server.twinsAgree(change.name, change.type)
                #expect(try server.serial() == serial + 1, "\(kind) \(change): the serial rises once per UPDATE")
                #expect(strings(result.outputs["after"]).count == seen.count, "\(kind) \(change): after \(strings(result.outputs["after"])), dig \(seen)")
            }
            #expect(try server.state("db", "A", in: DNSTestServer.zone) == ["60 A 10.0.0.7"])
            #expect(try server.state("v6", "AAAA", in: DNSTestServer.zone) == [])
            // Unquoted words are strings of their own, as in a zone file; escapes as in a zone file.
            #expect(try server.state("txt", "TXT", in: DNSTestServer.zone).sorted() == [
                #"300 TXT "plain" "words" "unquoted""#, #"300 TXT "quoted string" "with escape" "A""#,
            ])
        }
    }

    @Test(arguments: servers)
    func delegationIsReadFromTheReferral(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            let change = TwinChange(name: "child", type: "NS", operation: "replace", records: ["ns.elsewhere.invalid."])
            let params = server.signedParams(change.params)
            #expect(try await DNSUpdateAction().verify(in: request(params)) == .notDone(
                "child.example.test. NS shows (none), not yet what the step asks for (replace [ns.elsewhere.invalid.])"))
            let result = try await DNSUpdateAction().run(in: request(params))
            #expect(strings(result.outputs["before"]) == [])
            #expect(strings(result.outputs["after"]) == ["ns.elsewhere.invalid."])
            #expect(try server.nsupdate(change.commands(DNSTestServer.twinZone)) == "NOERROR")
            #expect(try server.twinsAgree("child", "NS") == ["300 NS ns.elsewhere.invalid."])
            // The server answers with a referral: nothing in the answer section, AA off.
            let referral = try server.dig(["child.example.test.", "NS", "+norec"])
            #expect(try server.digShort("child.example.test.", "NS") == [] && !referral.contains(" aa"), "\(referral)")
            guard case .done(let verified) = try await DNSUpdateAction().verify(in: request(params)) else {
                Issue.record("\(kind): verify did not see the delegation")
                return
            }
            #expect(strings(verified.outputs["after"]) == ["ns.elsewhere.invalid."])
            // dns.check reads the same referral; a relative name with zone:.
            let check = try await DNSCheckAction().run(in: request([
                "server": .string(server.server), "zone": "example.test.", "name": "child", "type": "NS", "expect": .list(["ns.elsewhere.invalid."]),
            ]))
            #expect(strings(check.outputs["answer"]) == ["ns.elsewhere.invalid."])
            // Removing the delegation.
            let remove = TwinChange(name: "child", type: "NS", operation: "delete", records: [])
            let removed = try await DNSUpdateAction().run(in: request(server.signedParams(remove.params)))
            #expect(strings(removed.outputs["before"]) == ["ns.elsewhere.invalid."])
            #expect(strings(removed.outputs["after"]) == [])
            #expect(try server.nsupdate(remove.commands(DNSTestServer.twinZone)) == "NOERROR")
            #expect(try server.twinsAgree("child", "NS") == [])
        }
    }

    @Test(arguments: servers)
    func prerequisitesHoldOrNothingChanges(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            let change = TwinChange(name: "db", type: "A", operation: "replace", records: ["10.0.0.7"])
            var params = server.signedParams(change.params)
            params["prerequisites"] = .list(["nxdomain db"])
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.message.contains("a prerequisite failed, nothing changed: a name that must not exist exists (YXDOMAIN)") == true, "\(kind): \(String(describing: error))")
            #expect(error?.retryable == false)
            let twin = DNSTestServer.twinZone
            #expect(try server.nsupdate(["prereq nxdomain db.\(twin)"] + change.commands(twin)) == "YXDOMAIN")
            #expect(try server.twinsAgree("db", "A") == ["300 A 10.0.0.5"])

            params["prerequisites"] = .list(["yxrrset db A 10.0.0.5", "nxrrset db AAAA", "yxdomain www"])
            _ = try await DNSUpdateAction().run(in: request(params))
            let commands = ["prereq yxrrset db.\(twin) A 10.0.0.5", "prereq nxrrset db.\(twin) AAAA", "prereq yxdomain www.\(twin)"]
            #expect(try server.nsupdate(commands + change.commands(twin)) == "NOERROR")
            #expect(try server.twinsAgree("db", "A") == ["300 A 10.0.0.7"])
        }
    }

    @Test(arguments: servers)
    func everyAlgorithmSigns(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            for (i, key) in DNSTestServer.keys.enumerated() {
                let change = TwinChange(name: "db", type: "A", operation: "replace", records: ["10.0.1.\(i)"])
                let result = try await DNSUpdateAction().run(in: request(server.signedParams(change.params, key: key)))
                #expect(result.outputs["signed"] == .bool(true))
                #expect(try server.nsupdate(change.commands(DNSTestServer.twinZone), key: key) == "NOERROR", "\(kind) \(key.algorithm)")
                #expect(try server.twinsAgree("db", "A") == ["300 A 10.0.1.\(i)"], "\(kind) \(key.algorithm)")
            }
        }
    }

    /// Wrong secret, unknown key, wrong algorithm, no key: the server's answer is the same to
    /// Lifeboat as to nsupdate, and the message says what that answer allows.
    @Test(arguments: servers)
    func refusalsAreNamedByWhatTheServerSaid(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            let wrong = Data("not-the-servers-secret-at-all-32".utf8).base64EncodedString()
            let base = DNSTestServer.keys[0]
            struct Case {
                var label: String
                var key: DNSTestServer.Key?
                var secret: String?
                /// What the server answers (nsupdate's words), per server.
                var expected: [DNSTestServer.Kind: String]
            }
            let cases = [
                Case(label: "wrong secret", key: base, secret: wrong, expected: [.bind: "NOTAUTH(BADSIG)", .knot: "NOTAUTH(BADSIG)", .powerdns: "REFUSED"]),
                Case(label: "unknown key", key: .init(name: "nobody-key", algorithm: "hmac-sha256"), secret: server.secret,
                     expected: [.bind: "NOTAUTH(BADKEY)", .knot: "NOTAUTH(BADKEY)", .powerdns: "REFUSED"]),
                Case(label: "wrong algorithm", key: .init(name: base.name, algorithm: "hmac-sha512"), secret: server.secret,
                     expected: [.bind: "NOTAUTH(BADKEY)", .knot: "NOTAUTH(BADKEY)", .powerdns: "REFUSED"]),
                Case(label: "unsigned", key: nil, secret: nil, expected: [.bind: "REFUSED", .knot: "NOTAUTH", .powerdns: "REFUSED"]),
            ]
            let change = TwinChange(name: "db", type: "A", operation: "replace", records: ["10.0.0.7"])
            let serverAddress = try #require(DNSServerAddress(server.server))
            for c in cases {
                var params = server.signedParams(change.params)
                params["key_name"] = c.key.map { .string($0.name) }
                params["key_secret"] = c.secret.map { .string($0) }
                params["algorithm"] = c.key.map { .string($0.algorithm) }
                if c.key == nil { params["insecure"] = true }
                let p = try DNSUpdateParameters(request(params))
                let client = DNSServerClient(transport: DNSTransport(server: serverAddress, timeout: .seconds(2), tries: 2, context: request([:])))
                let answer = try await client.update(p.update(id: 7), key: p.key)
                let reference = try server.nsupdate(change.commands(DNSTestServer.twinZone), key: c.key, secret: c.secret)
                #expect(rcodeText(answer) == reference, "\(kind) \(c.label): Lifeboat got \(rcodeText(answer)), nsupdate \(reference)")
                #expect(reference == c.expected[kind], "\(kind) \(c.label)")

                let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params, masker: SecretMasker(secrets: [wrong, server.secret]))) }
                let text = "\(error?.message ?? "") \(error?.hint ?? "")"
                switch reference {
                case "NOTAUTH(BADSIG)": #expect(text.contains("the TSIG secret for key 'ddns-key.' does not match the server's"), "\(text)")
                case "NOTAUTH(BADKEY)": #expect(text.contains("does not know TSIG key"), "\(text)")
                case "REFUSED" where c.key != nil:
                    #expect(text.contains("(REFUSED, answer not signed)"), "\(text)")
                    #expect(text.contains("the zone's update policy may not grant key") && text.contains("the secret, the key name or the algorithm"), "\(text)")
                case "REFUSED": #expect(error?.message == "step 'dns': \(server.server) refused an unsigned update of zone example.test. (REFUSED)")
                case "NOTAUTH":
                    #expect(error?.message == "step 'dns': \(server.server) refused an unsigned update of zone example.test. (NOTAUTH)")
                    #expect(error?.hint?.contains("sign it with a TSIG key") == true)
                default: Issue.record("\(kind) \(c.label): unexpected answer \(reference)")
                }
                #expect(error?.retryable == false)
                #expect(!text.contains(wrong) && !text.contains(server.secret))
                #expect(try server.twinsAgree("db", "A") == ["300 A 10.0.0.5"], "\(kind) \(c.label): nothing changed")
            }
        }
    }

    /// 35 TXT strings, over 2 kB: sent over TCP (PowerDNS drops such a datagram), as nsupdate does.
    @Test(arguments: servers)
    func largeUpdateGoesOverTCP(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind) { server in
            let records = (0..<35).map { "\"chunk-\($0)-" + String(repeating: "x", count: 50) + "\"" }
            let change = TwinChange(name: "big", type: "TXT", operation: "replace", records: records)
            let params = server.signedParams(change.params)
            let size = try DNSUpdateParameters(request(params)).update(id: 1).message.encode().count
            #expect(size > 2_000)
            let result = try await DNSUpdateAction().run(in: request(params))
            #expect(strings(result.outputs["after"]).count == 35)
            #expect(try server.nsupdate(change.commands(DNSTestServer.twinZone)) == "NOERROR")
            #expect(try server.twinsAgree("big", "TXT").count == 35)
        }
    }

    /// `changes:` deletes db's A and adds its CNAME in one UPDATE; a lone CNAME beside an A is
    /// ignored (BIND, Knot) or refused (PowerDNS), with a message that says to do it this way.
    @Test(arguments: servers)
    func aToCNAMESwitchInOneStep(_ kind: DNSTestServer.Kind) async throws {
        try await DNSTestServer.with(kind, extraRecords: "app IN A 10.0.0.9") { server in
            let serial = try server.serial()
            let params = server.signedParams([
                "changes": .list([
                    .map(["name": "db", "type": "A", "operation": "delete"]),
                    .map(["name": "db", "type": "CNAME", "records": .list(["db-dr.elsewhere.test."]), "ttl": 60]),
                ]),
                "prerequisites": .list(["yxrrset db A 10.0.0.5"]),
            ])
            let result = try await DNSUpdateAction().run(in: request(params))
            #expect(result.outputs["before"] == .map(["db.example.test. A": .list(["10.0.0.5"]), "db.example.test. CNAME": .list([])]))
            #expect(result.outputs["after"] == .map(["db.example.test. A": .list([]), "db.example.test. CNAME": .list(["db-dr.elsewhere.test."])]))
            #expect(try server.serial() == serial + 1, "\(kind): one UPDATE")
            let twin = DNSTestServer.twinZone
            let reference = try server.nsupdate([
                "prereq yxrrset db.\(twin) A 10.0.0.5", "update delete db.\(twin) A", "update add db.\(twin) 60 CNAME db-dr.elsewhere.test.",
            ])
            #expect(reference == "NOERROR")
            #expect(try server.twinsAgree("db", "CNAME") == ["60 CNAME db-dr.elsewhere.test."])
            #expect(try server.twinsAgree("db", "A") == [])
            guard case .done = try await DNSUpdateAction().verify(in: request(params)) else {
                Issue.record("\(kind): verify did not see both changes")
                return
            }

            // The same switch as one flat CNAME step, beside app's A.
            let lone = TwinChange(name: "app", type: "CNAME", operation: "replace", records: ["app-dr.elsewhere.test."])
            var flat = server.signedParams(lone.params)
            flat["confirm_timeout"] = "1s"
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(flat)) }
            let loneReference = try server.nsupdate(lone.commands(twin))
            switch kind {
            case .bind, .knot:
                #expect(loneReference == "NOERROR")
                #expect(error?.message == "step 'dns': \(server.server) accepted the update, but app.example.test. CNAME still shows (none) after 1s")
                #expect(error?.hint?.contains("ignore a CNAME added beside other data (RFC 2136 §3.4.2.2)") == true)
            case .powerdns:
                #expect(loneReference == "REFUSED")
                #expect(error?.message.contains("refused the update of app.example.test. CNAME") == true, "\(String(describing: error))")
                #expect(error?.hint?.contains("a CNAME beside other data is refused too") == true)
            }
            #expect(try server.twinsAgree("app", "CNAME") == [])
            #expect(try server.twinsAgree("app", "A") == ["300 A 10.0.0.9"])
        }
    }
}
