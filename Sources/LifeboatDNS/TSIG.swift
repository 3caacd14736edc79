import Crypto

/// A TSIG HMAC algorithm (RFC 8945 §6).
public enum TSIGAlgorithm: String, Sendable, CaseIterable {
    case hmacSHA1 = "hmac-sha1"
    case hmacSHA256 = "hmac-sha256"
    case hmacSHA512 = "hmac-sha512"

    /// `hmac-sha256`, case-insensitive, trailing dot optional.
    public init?(name: String) {
        let plain = name.lowercased().hasSuffix(".") ? String(name.lowercased().dropLast()) : name.lowercased()
        self.init(rawValue: plain)
    }

    /// The algorithm's name as it goes on the wire.
    public var dnsName: DNSName { try! DNSName(rawValue + ".") }

    func mac(_ data: [UInt8], secret: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        switch self {
        case .hmacSHA1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .hmacSHA512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }
}

/// A shared TSIG key: its name, algorithm and secret (the decoded base64 of `tsig-keygen`).
public struct TSIGKey: Sendable {
    public var name: DNSName
    public var algorithm: TSIGAlgorithm
    public var secret: [UInt8]

    public init(name: DNSName, algorithm: TSIGAlgorithm, secret: [UInt8]) {
        self.name = name
        self.algorithm = algorithm
        self.secret = secret
    }
}

/// What checking a response's TSIG found.
public enum TSIGVerification: Sendable, Hashable {
    /// The MAC matches and the time is within the fudge.
    case verified
    /// The response carries no TSIG record.
    case unsigned
    /// The server reported a TSIG error (BADSIG, BADKEY, BADTIME, …) in its TSIG record.
    case serverError(DNSRCode)
    /// The response's MAC does not match: wrong key, or the answer was altered.
    case badMAC
    /// The response is signed with another key or algorithm than the request.
    case otherKey(String)
    /// The response's time is outside the fudge window of this machine's clock.
    case badTime(signed: UInt64, now: UInt64)
}

/// TSIG signing and verification (RFC 8945).
public enum TSIG {
    /// The fudge BIND and nsupdate use: 300 seconds.
    public static let defaultFudge: UInt16 = 300

    /// Signs `message`: returns the wire bytes with the TSIG record appended, and the MAC (which
    /// the response's MAC covers).
    public static func sign(_ message: DNSMessage, key: TSIGKey, timeSigned: UInt64, fudge: UInt16 = defaultFudge) -> (bytes: [UInt8], mac: [UInt8]) {
        var bytes = message.encode()
        let mac = requestMAC(unsigned: bytes, key: key, timeSigned: timeSigned, fudge: fudge)
        let data = TSIGData(algorithm: key.algorithm.dnsName, timeSigned: timeSigned, fudge: fudge, mac: mac, originalID: message.header.id, error: 0, otherData: [])
        append(ResourceRecord(name: key.name, type: .tsig, rrClass: .any, ttl: 0, rdata: .tsig(data)), to: &bytes)
        return (bytes, mac)
    }

    /// The MAC of a request whose wire form (without its TSIG record) is `unsigned`: HMAC over the
    /// message and the TSIG variables (RFC 8945 §4.3.3).
    public static func requestMAC(unsigned: [UInt8], key: TSIGKey, timeSigned: UInt64, fudge: UInt16 = defaultFudge) -> [UInt8] {
        key.algorithm.mac(
            unsigned + variables(keyName: key.name, algorithm: key.algorithm.dnsName, timeSigned: timeSigned, fudge: fudge, error: 0, other: []),
            secret: key.secret)
    }

    /// Checks the TSIG of a response to a request whose MAC was `requestMAC` (RFC 8945 §5.3).
    public static func verify(response bytes: [UInt8], requestMAC: [UInt8], key: TSIGKey, now: UInt64) throws(DNSWireError) -> TSIGVerification {
        let (message, lastOffset) = try DNSMessage.decodeLocatingLastRecord(bytes)
        guard let (record, data) = message.tsig, let start = lastOffset else { return .unsigned }
        if data.error != 0 { return .serverError(DNSRCode(rawValue: data.error)) }
        guard record.name == key.name, data.algorithm == key.algorithm.dnsName else {
            return .otherKey("\(record.name) \(data.algorithm)")
        }
        var signed = Array(bytes[0..<start])
        // The digest covers the message as it was before the TSIG was added: ARCOUNT one less,
        // the original ID.
        let arcount = UInt16(signed[10]) << 8 | UInt16(signed[11])
        signed[10] = UInt8((arcount - 1) >> 8)
        signed[11] = UInt8((arcount - 1) & 0xFF)
        signed[0] = UInt8(data.originalID >> 8)
        signed[1] = UInt8(data.originalID & 0xFF)
        var input: [UInt8] = [UInt8(requestMAC.count >> 8), UInt8(requestMAC.count & 0xFF)] + requestMAC + signed
        input += variables(keyName: record.name, algorithm: data.algorithm, timeSigned: data.timeSigned, fudge: data.fudge, error: data.error, other: data.otherData)
        let expected = key.algorithm.mac(input, secret: key.secret)
        guard constantTimeEqual(expected, data.mac) else { return .badMAC }
        let fudge = UInt64(data.fudge)
        if now > data.timeSigned + fudge || data.timeSigned > now + fudge { return .badTime(signed: data.timeSigned, now: now) }
        return .verified
    }

    /// The TSIG variables of RFC 8945 §4.3.3, in canonical form.
    static func variables(keyName: DNSName, algorithm: DNSName, timeSigned: UInt64, fudge: UInt16, error: UInt16, other: [UInt8]) -> [UInt8] {
        var w = WireWriter(compress: false)
        w.name(keyName.lowercased)
        w.u16(RRClass.any.rawValue)
        w.u32(0)
        w.name(algorithm.lowercased)
        w.u48(timeSigned)
        w.u16(fudge)
        w.u16(error)
        w.u16(UInt16(other.count))
        w.append(other)
        return w.bytes
    }

    /// Appends an uncompressed record to encoded message bytes and bumps ARCOUNT.
    static func append(_ record: ResourceRecord, to bytes: inout [UInt8]) {
        var w = WireWriter(compress: false)
        record.encode(into: &w)
        bytes += w.bytes
        let arcount = (UInt16(bytes[10]) << 8 | UInt16(bytes[11])) &+ 1
        bytes[10] = UInt8(arcount >> 8)
        bytes[11] = UInt8(arcount & 0xFF)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
