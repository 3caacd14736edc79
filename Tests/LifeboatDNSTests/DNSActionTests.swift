import Foundation
import LifeboatCore
import LifeboatDNS
import Testing

@testable import LifeboatActions

/// A request for step `dns` of run `r1`.
func request(_ params: [String: Value], masker: SecretMasker = .none) -> ActionContext {
    ActionContext(runID: "r1", stepID: "dns", mode: .execute, params: params, masker: masker, baseDirectory: "/tmp")
}

/// Runs `body` and returns the `LifeboatError` it throws (recording an issue otherwise).
func lifeboatError(sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> LifeboatError? {
    do {
        try await body()
        Issue.record("expected a LifeboatError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as LifeboatError {
        return error
    } catch {
        Issue.record("expected a LifeboatError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension BINDServer {
    /// `dns.update` parameters signed with the hmac-sha256 key.
    func updateParams(_ extra: [String: Value]) -> [String: Value] {
        var p: [String: Value] = [
            "server": .string(server), "zone": "example.test", "name": "db", "type": "A",
            "key_name": .string(Self.keyName), "key_secret": .string(secret), "timeout": "1s",
        ]
        for (k, v) in extra { p[k] = v }
        return p
    }
}

func strings(_ value: Value?) -> [String] {
    (value?.listValue ?? []).compactMap(\.stringValue).sorted()
}

/// `dns.update` and `dns.check` against a real BIND 9 started by the harness on 127.0.0.1.
@Suite("DNS actions against BIND")
struct DNSActionTests {
    @Test func signedReplaceIsSeenByDig() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let action = DNSUpdateAction()
            let params = bind.updateParams(["records": .list(["10.0.0.7", "10.0.0.8"]), "ttl": 60])
            guard case .ok(let note) = try await action.preflight(in: request(params)) else {
                Issue.record("preflight refused")
                return
            }
            #expect(note.contains("serial 1"))
            #expect(try await action.verify(in: request(params)) == .notDone(
                "db.example.test. A shows [10.0.0.5], not yet what the step asks for (replace [10.0.0.7, 10.0.0.8])"))
            let serialBefore = try bind.serial()
            let result = try await action.run(in: request(params))
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.7", "10.0.0.8"])
            #expect(strings(result.outputs["before"]) == ["10.0.0.5"])
            #expect(strings(result.outputs["after"]) == ["10.0.0.7", "10.0.0.8"])
            #expect(result.outputs["serial_before"] == .int(serialBefore))
            #expect(result.outputs["serial_after"] == .int(try bind.serial()))
            #expect(try bind.serial() == serialBefore + 1)
            #expect(result.summary.contains("[10.0.0.5] → [10.0.0.7, 10.0.0.8]"))
            // TTL as dig sees it.
            #expect(try bind.dig(["db.example.test.", "A", "+noall", "+answer"]).contains("60"))
            guard case .done(let verified) = try await action.verify(in: request(params)) else {
                Issue.record("verify did not find the records in place")
                return
            }
            #expect(strings(verified.outputs["after"]) == ["10.0.0.7", "10.0.0.8"])
            #expect(verified.outputs["before"] == .null)
            // A second replace with the same records changes nothing on the server.
            _ = try await action.run(in: request(params))
            #expect(try bind.serial() == serialBefore + 1)
        }
    }

    @Test func addAndDeleteChangeOnlyTheirRecords() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let action = DNSUpdateAction()
            let add = bind.updateParams(["operation": "add", "records": .list(["10.0.0.9"])])
            _ = try await action.run(in: request(add))
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5", "10.0.0.9"])
            let delete = bind.updateParams(["operation": "delete", "records": .list(["10.0.0.5"])])
            guard case .notDone = try await action.verify(in: request(delete)) else {
                Issue.record("verify of a pending delete was not notDone")
                return
            }
            _ = try await action.run(in: request(delete))
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.9"])
            let txt = bind.updateParams(["name": "note.example.test.", "type": "TXT", "records": .list(["\"two words\" \"and more\""])])
            _ = try await action.run(in: request(txt))
            #expect(try bind.digShort("note.example.test.", "TXT") == ["\"two words\" \"and more\""])
            let removeName = bind.updateParams(["name": "note", "type": "ANY", "operation": "delete"])
            _ = try await action.run(in: request(removeName))
            #expect(try bind.digShort("note.example.test.", "TXT") == [])
        }
    }

    @Test func hmacSHA512KeyWorks() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let params = bind.updateParams([
                "key_name": .string(BINDServer.key512Name), "key_secret": .string(bind.secret512), "algorithm": "hmac-sha512",
                "name": "srv._tcp", "type": "SRV", "records": .list(["10 5 5432 db.example.test."]),
            ])
            let result = try await DNSUpdateAction().run(in: request(params))
            #expect(strings(result.outputs["after"]) == ["10 5 5432 db.example.test."])
            #expect(try bind.digShort("srv._tcp.example.test.", "SRV") == ["10 5 5432 db.example.test."])
        }
    }

    @Test func unsignedUpdateIsRefused() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            var params = bind.updateParams(["records": .list(["10.0.0.7"]), "insecure": true])
            params["key_name"] = nil
            params["key_secret"] = nil
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.message == "step 'dns': \(bind.server) refused an unsigned update of zone example.test. (REFUSED)")
            #expect(error?.hint?.contains("sign it with a TSIG key") == true)
            #expect(error?.retryable == false)
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5"])
            // Without insecure: true, nothing is sent at all.
            params["insecure"] = nil
            let refused = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(refused?.code == .invalidInput)
            #expect(refused?.message.contains("insecure: true") == true)
        }
    }

    @Test func wrongSecretIsBADSIGAndNeverShown() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let wrong = Data("not-the-servers-secret-at-all-32".utf8).base64EncodedString()
            let params = bind.updateParams(["records": .list(["10.0.0.7"]), "key_secret": .string(wrong)])
            let error = await lifeboatError {
                _ = try await DNSUpdateAction().run(in: request(params, masker: SecretMasker(secrets: [wrong])))
            }
            #expect(error?.message.contains("BADSIG") == true, "\(String(describing: error))")
            #expect(error?.message.contains("the TSIG secret for key 'ddns-key.' does not match the server's") == true)
            #expect(error?.retryable == false)
            let texts = [error?.message ?? "", error?.hint ?? "", error?.detail ?? "", String(describing: error)]
            #expect(!texts.contains { $0.contains(wrong) || $0.contains(bind.secret) })
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5"])
        }
    }

    @Test func unknownKeyIsBADKEY() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let params = bind.updateParams(["records": .list(["10.0.0.7"]), "key_name": "nobody-key"])
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.message == "step 'dns': \(bind.server) does not know TSIG key 'nobody-key.' with algorithm hmac-sha256 (BADKEY)")
            #expect(error?.retryable == false)
        }
    }

    /// A name outside the zone never leaves Lifeboat; a server that disagrees about the zone's
    /// extent answers NOTZONE, mapped to its own message.
    @Test func wrongZoneIsNOTZONE() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let outside = bind.updateParams(["name": "db.other.test.", "records": .list(["10.0.0.7"])])
            let local = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(outside)) }
            #expect(local?.code == .invalidInput)
            #expect(local?.message == "step 'dns': parameter 'name' 'db.other.test.' is not in zone example.test.")

            let server = try #require(DNSServerAddress(bind.server))
            let client = DNSServerClient(transport: DNSTransport(server: server, timeout: .seconds(2), tries: 2, context: request([:])))
            let key = TSIGKey(name: try DNSName(BINDServer.keyName), algorithm: .hmacSHA256, secret: Array(Data(base64Encoded: bind.secret)!))
            let zone = try DNSName("example.test.")
            let name = try DNSName("db.other.test.")
            let update = DNSUpdate(id: 42, zone: zone, operations: [.add(name: name, type: .a, ttl: 60, rdata: .a([10, 0, 0, 7]))])
            let answer = try await client.update(update, key: key)
            #expect(answer.rcode == .notZone)
            #expect(answer.tsig == .verified)
            let c = DNSFailure.Context(server: server, what: "update", perTry: .seconds(2), tries: 2)
            let error = DNSFailure.update(answer, zone: zone, changed: "\(name) A", keyName: key.name, algorithm: .hmacSHA256, c)
            #expect(error?.message == "\(bind.server): db.other.test. A is not in zone example.test. as the server sees it (NOTZONE)")
            #expect(error?.retryable == false)
        }
    }

    /// A request signed an hour off the server's clock: BIND answers BADTIME, which says to sync clocks.
    @Test func skewedClockIsBADTIME() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let server = try #require(DNSServerAddress(bind.server))
            var client = DNSServerClient(transport: DNSTransport(server: server, timeout: .seconds(2), tries: 2, context: request([:])))
            client.now = { UInt64(Date().timeIntervalSince1970) - 3600 }
            let key = TSIGKey(name: try DNSName(BINDServer.keyName), algorithm: .hmacSHA256, secret: Array(Data(base64Encoded: bind.secret)!))
            let zone = try DNSName("example.test.")
            let name = try DNSName("db.example.test.")
            let update = DNSUpdate(id: 7, zone: zone, operations: [.add(name: name, type: .a, ttl: 60, rdata: .a([10, 0, 0, 7]))])
            let answer = try await client.update(update, key: key)
            #expect(answer.rcode == .notAuth)
            #expect(answer.tsig == .serverError(.badTime))
            let c = DNSFailure.Context(server: server, what: "update", perTry: .seconds(2), tries: 2)
            let error = DNSFailure.update(answer, zone: zone, changed: "\(name) A", keyName: key.name, algorithm: .hmacSHA256, c)
            #expect(error?.message == "\(bind.server) rejected the update's TSIG time (BADTIME): the clocks differ by more than 300s")
            #expect(error?.hint == "sync this machine's clock and the server's (NTP)")
            #expect(error?.retryable == false)
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5"])
        }
    }

    @Test func failedPrerequisiteChangesNothing() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let params = bind.updateParams(["records": .list(["10.0.0.7"]), "prerequisites": .list(["nxdomain db"])])
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.message.contains("a prerequisite failed, nothing changed: a name that must not exist exists (YXDOMAIN)") == true)
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5"])
            let ok = bind.updateParams(["records": .list(["10.0.0.7"]), "prerequisites": .list(["yxrrset db A 10.0.0.5"])])
            _ = try await DNSUpdateAction().run(in: request(ok))
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.7"])
        }
    }

    /// The UPDATE reaches the server but its answer is lost: the action reads the RRset before
    /// sending again, finds the change in place, and sends no second UPDATE.
    @Test func lostUpdateAnswerIsNotFollowedByABlindResend() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let relay = try DNSRelay(upstreamPort: bind.port, delay: 0, directory: bind.directory, dropUpdateAnswers: 1)
            defer { relay.stop() }
            var params = bind.updateParams(["records": .list(["10.0.0.7"]), "prerequisites": .list(["yxrrset db A 10.0.0.5"])])
            params["server"] = .string("127.0.0.1:\(relay.port)")
            let serial = try bind.serial()
            let result = try await DNSUpdateAction().run(in: request(params))
            #expect(strings(result.outputs["after"]) == ["10.0.0.7"])
            #expect(relay.lines.contains("dropped answer 5"))
            #expect(relay.updatesForwarded == 1)
            #expect(try bind.serial() == serial + 1)
        }
    }

    /// The server answers the step's queries but never the UPDATE: the message does not ask
    /// whether the server is up.
    @Test func unansweredUpdateIsNotCalledAServerDown() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let relay = try DNSRelay(upstreamPort: bind.port, delay: 0, directory: bind.directory, dropUpdates: true)
            defer { relay.stop() }
            var params = bind.updateParams(["records": .list(["10.0.0.7"]), "timeout": "300ms", "tries": 2])
            params["server"] = .string("127.0.0.1:\(relay.port)")
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.message == "step 'dns': update of db.example.test. A in zone example.test. at 127.0.0.1:\(relay.port): 127.0.0.1:\(relay.port) answered this step's earlier messages but not this one (over UDP) after 2 tries (300ms each)")
            #expect(error?.hint?.contains("does it accept UPDATE from this address") == true)
            #expect(error?.retryable == true)
            #expect(relay.lines.filter { $0 == "dropped update" }.count == 2)
            #expect(try bind.digShort("db.example.test.", "A") == ["10.0.0.5"])
        }
    }

    /// An answer whose TSIG MAC does not verify is not proof of anything: the step fails and says
    /// the update may have been applied, however NOERROR the answer claims to be.
    @Test func anUpdateAnswerWithAForgedMACIsNotSuccess() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            let relay = try DNSRelay(upstreamPort: bind.port, delay: 0, directory: bind.directory, forgeUpdateMACs: true)
            defer { relay.stop() }
            var params = bind.updateParams(["records": .list(["10.0.0.9"])])
            params["server"] = .string("127.0.0.1:\(relay.port)")
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(relay.lines.contains("forged answer 5"))
            #expect(error?.message.contains("does not verify with key") == true)
            #expect(error?.message.contains("the update may have been applied") == true)
        }
    }

    @Test func serverDownIsATimeoutAfterEveryTry() async throws {
        let port = try freePort()
        let params: [String: Value] = [
            "server": .string("127.0.0.1:\(port)"), "zone": "example.test", "name": "db", "type": "A", "records": .list(["10.0.0.7"]),
            "key_name": "k", "key_secret": "c2VjcmV0LXNlY3JldA==", "timeout": "300ms", "tries": 3,
        ]
        let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
        #expect(error?.message == "step 'dns': query db.example.test. A at 127.0.0.1:\(port): no answer from 127.0.0.1:\(port) after 3 tries (300ms each)")
        #expect(error?.hint == "is the server up and listening on that address and port (UDP and TCP)?")
        #expect(error?.retryable == true)
        guard case .refused(let why) = try await DNSUpdateAction().preflight(in: request(params)) else {
            Issue.record("preflight did not refuse")
            return
        }
        #expect(why.contains("no answer from 127.0.0.1:\(port)"))
    }

    @Test func cancellationStopsAWaitingQuery() async throws {
        let port = try freePort()
        let params: [String: Value] = ["server": .string("127.0.0.1:\(port)"), "name": "db.example.test.", "timeout": "30s"]
        let task = Task { try await DNSCheckAction().run(in: request(params)) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - start < .seconds(10))
        guard case .failure(let error) = result else {
            Issue.record("a cancelled check succeeded")
            return
        }
        #expect((error as? LifeboatError)?.code == .cancelled, "\(error)")
    }

    @Test func largeAnswerFallsBackToTCP() async throws {
        // 30 TXT records of 40 bytes: well over 512 bytes, so BIND sets TC over UDP.
        let texts = (0..<30).map { "record-\($0)-" + String(repeating: "x", count: 30) }
        let zoneLines = texts.map { "big IN TXT \"\($0)\"" }.joined(separator: "\n")
        try await BINDServer.with(extraRecords: zoneLines) { (bind: BINDServer) async throws -> Void in
            let expect = Value.list(texts.map { .string("\"\($0)\"") })
            let params: [String: Value] = ["server": .string(bind.server), "name": "big.example.test.", "type": "TXT", "expect": expect]
            let result = try await DNSCheckAction().run(in: request(params))
            #expect(result.outputs["over_tcp"] == .bool(true))
            #expect(strings(result.outputs["answer"]).count == 30)
            // The update path reads the RRset over TCP too.
            let more = texts.map { Value.string($0) } + [.string("one more")]
            let update = bind.updateParams(["name": "big", "type": "TXT", "operation": "add", "records": .list(more)])
            let updated = try await DNSUpdateAction().run(in: request(update))
            #expect(strings(updated.outputs["after"]).count == 31)
        }
    }

    @Test func checkComparesSetsAndExplainsAMismatch() async throws {
        try await BINDServer.with { (bind: BINDServer) async throws -> Void in
            var params: [String: Value] = ["server": .string(bind.server), "name": "db.example.test.", "expect": .list(["10.0.0.5"])]
            let ok = try await DNSCheckAction().run(in: request(params))
            #expect(strings(ok.outputs["answer"]) == ["10.0.0.5"])
            #expect(ok.outputs["rcode"] == "NOERROR")
            #expect(ok.outputs["latency_ms"]?.intValue != nil)
            params["expect"] = .list(["10.0.0.9"])
            let error = await lifeboatError { _ = try await DNSCheckAction().run(in: request(params)) }
            #expect(error?.message == "step 'dns': \(bind.server) answers db.example.test. A with [10.0.0.5], expected [10.0.0.9] (missing 10.0.0.9; unexpected 10.0.0.5)")
            #expect(error?.retryable == true)
            // NXDOMAIN is an empty answer, which `expect: []` accepts.
            let none = try await DNSCheckAction().run(in: request(["server": .string(bind.server), "name": "nope.example.test.", "expect": .list([])]))
            #expect(none.outputs["rcode"] == "NXDOMAIN")
            // Names in RDATA compare case-insensitively.
            _ = try await DNSCheckAction().run(in:
                request(["server": .string(bind.server), "name": "WWW.example.test.", "type": "CNAME", "expect": .list(["DB.EXAMPLE.TEST"])]))
        }
    }

    @Test func serverAddressesParse() {
        #expect(DNSServerAddress("127.0.0.1:5353") == DNSServerAddress(host: "127.0.0.1", port: 5353))
        #expect(DNSServerAddress("ns1.example.test") == DNSServerAddress(host: "ns1.example.test", port: 53))
        #expect(DNSServerAddress("[::1]:5353") == DNSServerAddress(host: "::1", port: 5353))
        #expect(DNSServerAddress("::1") == DNSServerAddress(host: "::1", port: 53))
        #expect(DNSServerAddress("[::1]:5353")?.description == "[::1]:5353")
        for bad in ["", "host:", "host:0", "host:70000", "[::1", "[::1]x", "a b:53"] {
            #expect(DNSServerAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func badParametersAreRefusedBeforeAnythingIsSent() async {
        let base: [String: Value] = [
            "server": "127.0.0.1:1", "zone": "example.test", "name": "db", "type": "A", "key_name": "k", "key_secret": "c2VjcmV0LXNlY3JldA==",
        ]
        let cases: [([String: Value], String)] = [
            (["records": .list(["10.0.0.300"])], "parameter 'records' has '10.0.0.300', not a valid A record: '10.0.0.300' is not an IPv4 address"),
            ([:], "parameter 'records' is required for operation replace (to remove the RRset, use operation: delete)"),
            (["records": .list(["1.2.3.4"]), "key_secret": "not base64!"], "parameter 'key_secret' is not base64"),
            (["records": .list(["1.2.3.4"]), "algorithm": "hmac-md5"], "parameter 'algorithm' must be hmac-sha256, hmac-sha512 or hmac-sha1 (not 'hmac-md5')"),
            (["records": .list(["1.2.3.4"]), "server": "127.0.0.1:99999"], "parameter 'server' must be host:port"),
            (["records": .list(["a.test.", "b.test."]), "type": "CNAME"], "has 2 CNAME targets"),
            (["records": .list(["1.2.3.4"]), "operation": "upsert"], "parameter 'operation' must be replace, add or delete (not 'upsert')"),
            (["records": .list(["1.2.3.4"]), "prerequisites": .list(["exists db"])], "parameter 'prerequisites' has 'exists db'"),
        ]
        for (extra, fragment) in cases {
            var params = base
            for (k, v) in extra { params[k] = v }
            let error = await lifeboatError { _ = try await DNSUpdateAction().run(in: request(params)) }
            #expect(error?.code == .invalidInput)
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "nil") lacks \(fragment)")
            #expect(error?.message.contains("c2VjcmV0LXNlY3JldA==") == false)
        }
    }
}
