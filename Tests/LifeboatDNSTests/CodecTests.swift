import LifeboatDNS
import LifeboatTestSupport
import Testing

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func name(_ text: String) -> DNSName { try! DNSName(text) }

@Suite("DNS codec")
struct CodecTests {
    /// One record of every typed kind, plus an unknown type kept as bytes.
    static let records: [ResourceRecord] = [
        ResourceRecord(name: name("db.example.test."), type: .a, ttl: 60, rdata: .a([10, 0, 0, 7])),
        ResourceRecord(name: name("db.example.test."), type: .aaaa, ttl: 60, rdata: try! RData(parsing: "2001:db8::7", type: .aaaa)),
        ResourceRecord(name: name("www.example.test."), type: .cname, ttl: 300, rdata: .cname(name("db.example.test."))),
        ResourceRecord(name: name("example.test."), type: .ns, ttl: 300, rdata: .ns(name("ns1.example.test."))),
        ResourceRecord(name: name("t.example.test."), type: .txt, ttl: 5, rdata: .txt([Array("v=spf1 -all".utf8), [], [0, 34, 92, 255]])),
        ResourceRecord(
            name: name("_pg._tcp.example.test."), type: .srv, ttl: 30,
            rdata: .srv(SRVData(priority: 10, weight: 5, port: 5432, target: name("db.example.test.")))),
        ResourceRecord(
            name: name("example.test."), type: .soa, ttl: 300,
            rdata: .soa(
                SOAData(
                    mname: name("ns1.example.test."), rname: name("hostmaster.example.test."), serial: 2_026_112_901,
                    refresh: 3600, retry: 600, expire: 86400, minimum: 60))),
        ResourceRecord(name: name("x.example.test."), type: RRType(rawValue: 99), ttl: 1, rdata: .raw([1, 2, 3])),
    ]

    @Test(arguments: records)
    func everyRecordTypeRoundTrips(_ record: ResourceRecord) throws {
        for compress in [true, false] {
            let message = DNSMessage(
                header: DNSHeader(id: 0xBEEF, isResponse: true, authoritative: true, rcode: 3),
                questions: [DNSQuestion(name: record.name, type: record.type)], answers: [record])
            let decoded = try DNSMessage.decode(message.encode(compress: compress))
            #expect(decoded == message)
            #expect(decoded.answers.first?.rdata == record.rdata)
        }
    }

    /// TXT as a zone file (and nsupdate) reads it; the interop suite checks the same texts against servers.
    @Test func txtReadsAsAZoneFile() throws {
        func strings(_ text: String) throws -> [String] {
            guard case .txt(let s) = try RData(parsing: text, type: .txt) else { return [] }
            return s.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(try strings("plain words unquoted") == ["plain", "words", "unquoted"])
        #expect(try strings(#""v=spf1 -all""#) == ["v=spf1 -all"])
        #expect(try strings(#""quoted string" with\ escape \065 "a\"b""#) == ["quoted string", "with escape", "A", #"a"b"#])
        #expect(try strings(#"  "" x  "#) == ["", "x"])
        #expect(try strings(String(repeating: "y", count: 255)).count == 1)
        for bad in [#""open"#, #"ab"c"#, #""a"b"#, "", "   ", String(repeating: "y", count: 256), #"\256"#, #"end\"#] {
            #expect(throws: DNSWireError.self, "\(bad)") { try RData(parsing: bad, type: .txt) }
        }
    }

    @Test func presentationFormRoundTrips() throws {
        for record in Self.records where record.type != RRType(rawValue: 99) {
            let text = record.rdata.presentation
            #expect(try RData(parsing: text, type: record.type) == record.rdata, "\(text)")
        }
        #expect(try RData(parsing: "2001:0db8:0:0:0:0:0:7", type: .aaaa).presentation == "2001:db8::7")
        #expect(try RData(parsing: "::ffff:10.0.0.1", type: .aaaa).presentation == "::ffff:a00:1")
        #expect(try RData(parsing: "\\# 3 010203", type: RRType(rawValue: 99)) == .raw([1, 2, 3]))
        #expect(try RData(parsing: "\\# 4 0a000007", type: .a) == .a([10, 0, 0, 7]))
        #expect(throws: DNSWireError.self) { try RData(parsing: "10.0.0.256", type: .a) }
        #expect(throws: DNSWireError.self) { try RData(parsing: "1::2::3", type: .aaaa) }
        #expect(throws: DNSWireError.self) { try RData(parsing: "10 5 db.example.test.", type: .srv) }
        #expect(throws: DNSWireError.self) { try RData(parsing: "\"open", type: .txt) }
    }

    @Test func namesCompareCaseInsensitivelyAndEscape() throws {
        #expect(name("DB.Example.TEST") == name("db.example.test."))
        #expect(Set([name("A.b."), name("a.B.")]).count == 1)
        #expect(name("a\\.b.example.test.").labels.count == 3)
        #expect(name("a\\.b.example.test.").description == "a\\.b.example.test.")
        #expect(name("\\065bc.test.").description == "Abc.test.")
        #expect(name("x\\000y.test.").description == "x\\000y.test.")
        #expect(name("db.example.test.").isSubdomain(of: name("EXAMPLE.test")))
        #expect(!name("example.test.").isSubdomain(of: name("db.example.test.")))
        #expect(throws: DNSWireError.self) { try DNSName(String(repeating: "a", count: 64) + ".test.") }
        #expect(throws: DNSWireError.self) { try DNSName(Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".")) }
        #expect(throws: DNSWireError.self) { try DNSName("a..b") }
        // 255 bytes exactly is the limit: 3 × 63-byte labels + one 61-byte label = 4 + 250 + 1.
        let longest = Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        #expect(try DNSName(longest).wireLength == 255)
    }

    @Test func compressionPointsAtEarlierNamesAndSavesBytes() throws {
        let zone = name("example.test.")
        let message = DNSMessage(
            header: DNSHeader(id: 1), questions: [DNSQuestion(name: zone, type: .soa)],
            answers: [
                ResourceRecord(name: name("db.example.test."), type: .a, ttl: 60, rdata: .a([10, 0, 0, 7])),
                ResourceRecord(name: name("db.example.test."), type: .a, ttl: 60, rdata: .a([10, 0, 0, 8])),
                ResourceRecord(name: name("www.example.test."), type: .cname, ttl: 60, rdata: .cname(name("db.example.test."))),
            ])
        let plain = message.encode(compress: false)
        let packed = message.encode()
        // example.test. is 14 bytes: the first db.example.test. keeps "db" and points (2 bytes) at
        // offset 12 → saves 12; the second is one pointer (saves 17 − 2 = 15); www.example.test.
        // saves 12; the CNAME target db.example.test. is one pointer (saves 15). 54 in all.
        #expect(plain.count - packed.count == 54)
        // The first answer's owner: label "db", then a pointer to the question's name at 12.
        let answerStart = 12 + 14 + 4
        #expect(Array(packed[answerStart..<answerStart + 5]) == [2, UInt8(ascii: "d"), UInt8(ascii: "b"), 0xC0, 12])
        // The second answer's owner is a pointer to the first answer's owner.
        let second = answerStart + 5 + 10 + 4
        #expect(Array(packed[second..<second + 2]) == [0xC0, UInt8(answerStart)])
        let decoded = try DNSMessage.decode(packed)
        #expect(decoded == message)
        #expect(decoded.answers.map(\.name.description) == ["db.example.test.", "db.example.test.", "www.example.test."])
    }

    /// A query dig sent (`dig +noedns +nocookie www.example.test. TXT`), captured by a UDP listener.
    @Test func decodesAQueryCapturedFromDig() throws {
        let packet = hex("539b0120000100000000000003777777076578616d706c6504746573740000100001")
        let m = try DNSMessage.decode(packet)
        #expect(m.header.id == 0x539B)
        #expect(m.header.recursionDesired && !m.header.isResponse)
        #expect(m.questions == [DNSQuestion(name: name("www.example.test."), type: .txt)])
        #expect(m.encode() == packet)
    }

    // MARK: Malformed input

    @Test func truncatedPacketsAreRejectedAtEveryLength() throws {
        let full = DNSMessage(header: DNSHeader(id: 7), questions: [DNSQuestion(name: name("example.test."), type: .soa)], answers: Self.records).encode()
        for length in 0..<full.count {
            #expect(throws: DNSWireError.self) { try DNSMessage.decode(Array(full.prefix(length))) }
        }
        #expect(try DNSMessage.decode(full).answers.count == Self.records.count)
    }

    @Test func pointerLoopsAndForwardPointersAreRejected() {
        // Header with one question whose name is a pointer to itself (offset 12).
        let header: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError.badPointer(offset: 12, target: 12)) { try DNSMessage.decode(header + [0xC0, 12, 0, 1, 0, 1]) }
        // A forward pointer (to 18, after itself).
        #expect(throws: DNSWireError.badPointer(offset: 12, target: 18)) {
            try DNSMessage.decode(header + [0xC0, 18, 0, 1, 0, 1, 1, 0x61, 0])
        }
        // Two pointers pointing at each other: label at 12 then pointer to 14, which points back to 12.
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(header + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]) }
        // Reserved label types 0x40 and 0x80.
        #expect(throws: DNSWireError.badLabel(offset: 12, length: 0x41)) { try DNSMessage.decode(header + [0x41, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSWireError.badLabel(offset: 12, length: 0x80)) { try DNSMessage.decode(header + [0x80, 0, 0, 1, 0, 1]) }
    }

    @Test func oversizedCountsAndNamesAreRejected() {
        // 65535 answers announced in a 12-byte packet.
        #expect(throws: DNSWireError.countTooLarge(section: "record", count: 65535)) {
            try DNSMessage.decode([0, 1, 0x80, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0])
        }
        #expect(throws: DNSWireError.countTooLarge(section: "question", count: 65535)) {
            try DNSMessage.decode([0, 1, 0x80, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        }
        // A name of five 63-byte labels (> 255 bytes).
        var packet: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<5 { packet += [63] + Array(repeating: 0x61, count: 63) }
        packet += [0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.nameTooLong(offset: 12)) { try DNSMessage.decode(packet) }
        // RDATA length that disagrees with the type, and trailing bytes.
        let a = DNSMessage(header: DNSHeader(id: 1), answers: [ResourceRecord(name: .root, type: .a, ttl: 1, rdata: .raw([1, 2, 3]))]).encode()
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(a) }
        let ok = DNSMessage(header: DNSHeader(id: 1)).encode()
        #expect(throws: DNSWireError.trailingBytes(offset: 12, count: 1)) { try DNSMessage.decode(ok + [0]) }
    }

    /// Random bytes and random mutations of valid packets: the decoder returns or throws a
    /// `DNSWireError`, never traps or hangs; whatever it accepts re-encodes and decodes again.
    @Test func randomBytesAndMutationsNeverCrash() {
        var rng = SeededGenerator(seed: 0x5EED_1035)
        let valid = [
            DNSMessage(header: DNSHeader(id: 7), questions: [DNSQuestion(name: name("example.test."), type: .soa)], answers: Self.records).encode(),
            hex(CapturedPackets.nsupdate),
            hex("539b0120000100000000000003777777076578616d706c6504746573740000100001"),
        ]
        var accepted = 0
        var rejected = 0
        func feed(_ bytes: [UInt8]) {
            do {
                let m = try DNSMessage.decode(bytes)
                accepted += 1
                // What decodes must survive a round trip (names and RDATA are well-formed).
                if let again = try? DNSMessage.decode(m.encode()) { #expect(again.answers.count == m.answers.count) } else {
                    Issue.record("a decoded message did not decode after re-encoding: \(bytes)")
                }
            } catch {
                rejected += 1
            }
        }
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<300, using: &rng)
            feed((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for _ in 0..<3000 {
            var bytes = valid[Int.random(in: 0..<valid.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: if bytes.count > 1 { bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng)) }
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                }
                if bytes.isEmpty { bytes = [0] }
            }
            feed(bytes)
        }
        #expect(accepted + rejected == 5000)
        #expect(rejected > 0 && accepted > 0, "accepted \(accepted), rejected \(rejected)")
    }
}
