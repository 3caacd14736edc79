/// A resource record type (RFC 1035 §3.2.2 and later RFCs); unknown numbers are kept.
public struct RRType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RRType(rawValue: 1)
    public static let ns = RRType(rawValue: 2)
    public static let cname = RRType(rawValue: 5)
    public static let soa = RRType(rawValue: 6)
    public static let ptr = RRType(rawValue: 12)
    public static let mx = RRType(rawValue: 15)
    public static let txt = RRType(rawValue: 16)
    public static let aaaa = RRType(rawValue: 28)
    public static let srv = RRType(rawValue: 33)
    public static let opt = RRType(rawValue: 41)
    public static let rrsig = RRType(rawValue: 46)
    public static let tsig = RRType(rawValue: 250)
    public static let any = RRType(rawValue: 255)

    static let mnemonics: [(String, RRType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr), ("MX", .mx), ("TXT", .txt),
        ("AAAA", .aaaa), ("SRV", .srv), ("OPT", .opt), ("RRSIG", .rrsig), ("TSIG", .tsig), ("ANY", .any),
    ]

    /// `A`, `aaaa`, `TYPE65` (RFC 3597).
    public init?(_ text: String) {
        let upper = text.uppercased()
        if let known = Self.mnemonics.first(where: { $0.0 == upper }) {
            self = known.1
        } else if upper.hasPrefix("TYPE"), let n = UInt16(upper.dropFirst(4)) {
            self.init(rawValue: n)
        } else {
            return nil
        }
    }

    public var description: String { Self.mnemonics.first { $0.1 == self }?.0 ?? "TYPE\(rawValue)" }
}

/// A class; updates use NONE and ANY with special meanings (RFC 2136 §2.4, §2.5).
public struct RRClass: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = RRClass(rawValue: 1)
    public static let none = RRClass(rawValue: 254)
    public static let any = RRClass(rawValue: 255)

    public var description: String {
        switch rawValue {
        case 1: "IN"
        case 254: "NONE"
        case 255: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// The header's OPCODE.
public enum DNSOpcode: UInt8, Sendable {
    case query = 0
    case status = 2
    case notify = 4
    case update = 5
}

/// A response code: the header's 4 bits, or TSIG's 16-bit error (RFC 8945 §5.3, 16–18).
public struct DNSRCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSRCode(rawValue: 0)
    public static let formErr = DNSRCode(rawValue: 1)
    public static let servFail = DNSRCode(rawValue: 2)
    public static let nxDomain = DNSRCode(rawValue: 3)
    public static let notImp = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)
    public static let yxDomain = DNSRCode(rawValue: 6)
    public static let yxRRSet = DNSRCode(rawValue: 7)
    public static let nxRRSet = DNSRCode(rawValue: 8)
    public static let notAuth = DNSRCode(rawValue: 9)
    public static let notZone = DNSRCode(rawValue: 10)
    public static let badSig = DNSRCode(rawValue: 16)
    public static let badKey = DNSRCode(rawValue: 17)
    public static let badTime = DNSRCode(rawValue: 18)
    public static let badTrunc = DNSRCode(rawValue: 22)

    public var description: String {
        let names: [UInt16: String] = [
            0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
            7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME",
            22: "BADTRUNC",
        ]
        return names[rawValue] ?? "RCODE\(rawValue)"
    }
}

/// The 12-byte message header (RFC 1035 §4.1.1).
public struct DNSHeader: Sendable, Hashable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The header's 4-bit RCODE.
    public var rcode: UInt8
    /// The Z, AD and CD bits (0x0070), kept as they came (dig sets AD in queries).
    public var zFlags: UInt16 = 0

    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query, authoritative: Bool = false,
        truncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false, rcode: UInt8 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode.rawValue
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.rcode = rcode
    }

    var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode & 0x0F) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        f |= zFlags & 0x0070
        f |= UInt16(rcode & 0x0F)
        return f
    }

    init(id: UInt16, flags f: UInt16) {
        self.id = id
        isResponse = f & 0x8000 != 0
        opcode = UInt8((f >> 11) & 0x0F)
        authoritative = f & 0x0400 != 0
        truncated = f & 0x0200 != 0
        recursionDesired = f & 0x0100 != 0
        recursionAvailable = f & 0x0080 != 0
        rcode = UInt8(f & 0x0F)
        zFlags = f & 0x0070
    }
}
