import LifeboatDNS
import Testing

/// Packets captured from the reference tools with a UDP listener (python `socket.recvfrom`).
enum CapturedPackets {
    /// `nsupdate -y hmac-sha256:ddns-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=` sending
    /// `update delete db.example.test. A`, `update add db.example.test. 60 A 10.0.0.7` and `… 10.0.0.8`
    /// in zone example.test.
    static let nsupdate =
        "ddb328000001000000030001076578616d706c6504746573740000060001026462c00c000100ff000000000000c01e000100010000003c00040a000007c01e000100010000003c00040a0000080864646e732d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b0b9b15012c0020388054982512f6f1eaece6692ca37d448af118f2d7fcac36d007a600137237c5ddb300000000"
    static let secret: [UInt8] = Array("secret-secret-secret-secret-1234".utf8)
    static let timeSigned: UInt64 = 1_795_922_709
}

@Suite("DNS TSIG and UPDATE")
struct TSIGTests {
    let key = TSIGKey(name: name("ddns-key."), algorithm: .hmacSHA256, secret: CapturedPackets.secret)

    @Test func decodesTheUpdateNsupdateSent() throws {
        let (m, tsigAt) = try DNSMessage.decodeLocatingLastRecord(hex(CapturedPackets.nsupdate))
        #expect(m.header.opcode == DNSOpcode.update.rawValue)
        #expect(m.zone == [DNSQuestion(name: name("example.test."), type: .soa)])
        #expect(m.updates.count == 3)
        #expect(m.updates[0] == ResourceRecord(name: name("db.example.test."), type: .a, rrClass: .any, ttl: 0, rdata: .raw([])))
        #expect(m.updates[1].rdata == .a([10, 0, 0, 7]))
        #expect(tsigAt == hex(CapturedPackets.nsupdate).count - 81)  // owner 10 + fixed 10 + RDATA 61
        let tsig = try #require(m.tsig)
        #expect(tsig.record.name == name("ddns-key."))
        #expect(tsig.data.algorithm == name("hmac-sha256."))
        #expect(tsig.data.timeSigned == CapturedPackets.timeSigned)
        #expect(tsig.data.fudge == 300)
        #expect(tsig.data.originalID == 0xDDB3)
    }

    /// Our UPDATE builder and signer reproduce nsupdate's packet byte for byte (same compression,
    /// same TSIG layout, same MAC): the MAC is checked against an independent implementation.
    @Test func signingMatchesNsupdateByteForByte() throws {
        let update = DNSUpdate(
            id: 0xDDB3, zone: name("example.test."),
            operations: [
                .deleteRRset(name: name("db.example.test."), type: .a),
                .add(name: name("db.example.test."), type: .a, ttl: 60, rdata: .a([10, 0, 0, 7])),
                .add(name: name("db.example.test."), type: .a, ttl: 60, rdata: .a([10, 0, 0, 8])),
            ])
        let (bytes, mac) = TSIG.sign(update.message, key: key, timeSigned: CapturedPackets.timeSigned)
        #expect(bytes == hex(CapturedPackets.nsupdate))
        #expect(mac == hex("388054982512f6f1eaece6692ca37d448af118f2d7fcac36d007a600137237c5"))
    }

    /// MACs computed independently with python's hmac over the RFC 8945 §4.3.3 layout.
    @Test(arguments: [
        (TSIGAlgorithm.hmacSHA512, "347888188382e7634795c666612695c68361840fa54de7df49af7d36bf0ec2b22f4ef6aa6f2612ebe14e0333131a6ad716bef734c0323056dbf4c8a3167efa26"),
        (TSIGAlgorithm.hmacSHA1, "842da05b26f82de7bd1d1a14d2081c5151a0b5b3"),
    ])
    func otherAlgorithmsMatchPython(_ algorithm: TSIGAlgorithm, _ expected: String) throws {
        let unsigned = hex(
            "ddb328000001000000030000076578616d706c6504746573740000060001026462c00c000100ff000000000000c01e000100010000003c00040a000007c01e000100010000003c00040a000008"
        )
        let k = TSIGKey(name: name("ddns-key"), algorithm: algorithm, secret: CapturedPackets.secret)
        #expect(TSIG.requestMAC(unsigned: unsigned, key: k, timeSigned: CapturedPackets.timeSigned) == hex(expected))
    }

    /// A response signed as a server signs it verifies; a flipped bit, another key, another
    /// request MAC or a clock outside the fudge do not.
    @Test func responseVerification() throws {
        let requestMAC = hex("388054982512f6f1eaece6692ca37d448af118f2d7fcac36d007a600137237c5")
        var response = DNSMessage(header: DNSHeader(id: 0x1111, isResponse: true, opcode: .update))
        response.zone = [DNSQuestion(name: name("example.test."), type: .soa)]
        let unsigned = response.encode()
        // Server side (RFC 8945 §5.3): MAC over request MAC size + request MAC + response + variables.
        let t = CapturedPackets.timeSigned
        let mac = TSIG.requestMAC(unsigned: [0, 32] + requestMAC + unsigned, key: key, timeSigned: t)
        let data = TSIGData(algorithm: name("hmac-sha256."), timeSigned: t, fudge: 300, mac: mac, originalID: 0x1111, error: 0, otherData: [])
        response.additionals = [ResourceRecord(name: name("ddns-key."), type: .tsig, rrClass: .any, ttl: 0, rdata: .tsig(data))]
        let bytes = response.encode()
        #expect(try TSIG.verify(response: bytes, requestMAC: requestMAC, key: key, now: t + 10) == .verified)
        #expect(try TSIG.verify(response: bytes, requestMAC: requestMAC, key: key, now: t + 301) == .badTime(signed: t, now: t + 301))
        var otherRequest = requestMAC
        otherRequest[0] ^= 1
        #expect(try TSIG.verify(response: bytes, requestMAC: otherRequest, key: key, now: t) == .badMAC)
        var tampered = bytes
        tampered[3] ^= 0x01  // the RCODE bit
        #expect(try TSIG.verify(response: tampered, requestMAC: requestMAC, key: key, now: t) == .badMAC)
        let wrong = TSIGKey(name: name("ddns-key."), algorithm: .hmacSHA256, secret: Array("another-secret".utf8))
        #expect(try TSIG.verify(response: bytes, requestMAC: requestMAC, key: wrong, now: t) == .badMAC)
        #expect(try TSIG.verify(response: unsigned, requestMAC: requestMAC, key: key, now: t) == .unsigned)
    }

    /// A response whose MAC is cut short (or empty) does not verify, even when what is left is the
    /// start of the right MAC: a spoofer must not get away with sending fewer bytes.
    @Test(arguments: [0, 10, 31])
    func aTruncatedMACDoesNotVerify(keep: Int) throws {
        let requestMAC = hex("388054982512f6f1eaece6692ca37d448af118f2d7fcac36d007a600137237c5")
        var response = DNSMessage(header: DNSHeader(id: 0x1111, isResponse: true, opcode: .update))
        response.zone = [DNSQuestion(name: name("example.test."), type: .soa)]
        let t = CapturedPackets.timeSigned
        let mac = TSIG.requestMAC(unsigned: [0, 32] + requestMAC + response.encode(), key: key, timeSigned: t)
        let data = TSIGData(
            algorithm: name("hmac-sha256."), timeSigned: t, fudge: 300, mac: Array(mac.prefix(keep)), originalID: 0x1111,
            error: 0, otherData: [])
        response.additionals = [ResourceRecord(name: name("ddns-key."), type: .tsig, rrClass: .any, ttl: 0, rdata: .tsig(data))]
        #expect(try TSIG.verify(response: response.encode(), requestMAC: requestMAC, key: key, now: t) == .badMAC)
    }

    @Test func updateSectionsFollowRFC2136() {
        let n = name("db.example.test.")
        let m = DNSUpdate(
            id: 9, zone: name("example.test."),
            prerequisites: [.nameInUse(n), .nameNotInUse(n), .rrsetExists(n, .a), .rrsetDoesNotExist(n, .txt), .rrsetEquals(n, .a, [.a([1, 2, 3, 4])])],
            operations: [.deleteName(n), .deleteRR(name: n, type: .a, rdata: .a([1, 2, 3, 4]))]
        ).message
        #expect(m.header.opcode == 5)
        #expect(m.prerequisites.map { [$0.rrClass.rawValue, $0.type.rawValue] } == [[255, 255], [254, 255], [255, 1], [254, 16], [1, 1]])
        #expect(m.updates.map { [$0.rrClass.rawValue, $0.type.rawValue] } == [[255, 255], [254, 1]])
        #expect(m.updates.allSatisfy { $0.ttl == 0 })
    }
}
