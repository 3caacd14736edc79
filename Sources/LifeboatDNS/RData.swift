/// The SOA record's fields (RFC 1035 §3.3.13).
public struct SOAData: Sendable, Hashable {
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The SRV record's fields (RFC 2782).
public struct SRVData: Sendable, Hashable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// The TSIG record's fields (RFC 8945 §4.2).
public struct TSIGData: Sendable, Hashable {
    public var algorithm: DNSName
    /// Seconds since the epoch, 48 bits.
    public var timeSigned: UInt64
    public var fudge: UInt16
    public var mac: [UInt8]
    public var originalID: UInt16
    public var error: UInt16
    public var otherData: [UInt8]

    public init(algorithm: DNSName, timeSigned: UInt64, fudge: UInt16, mac: [UInt8], originalID: UInt16, error: UInt16, otherData: [UInt8]) {
        self.algorithm = algorithm
        self.timeSigned = timeSigned
        self.fudge = fudge
        self.mac = mac
        self.originalID = originalID
        self.error = error
        self.otherData = otherData
    }
}

/// Typed RDATA for the types Lifeboat works with; any other type keeps its bytes.
///
/// Equality compares names case-insensitively, so two RRsets compare as DNS does.
public enum RData: Sendable, Hashable {
    /// 4 bytes.
    case a([UInt8])
    /// 16 bytes.
    case aaaa([UInt8])
    case cname(DNSName)
    case ns(DNSName)
    /// One or more character-strings of at most 255 bytes each.
    case txt([[UInt8]])
    case srv(SRVData)
    case soa(SOAData)
    case tsig(TSIGData)
    /// Bytes of a type without a typed form here (and empty RDATA in update deletes).
    case raw([UInt8])

    /// Decodes `length` bytes at the reader's offset as RDATA of `type`.
    static func decode(_ type: RRType, length: Int, from reader: inout WireReader) throws(DNSWireError) -> RData {
        let start = reader.offset
        try reader.need(length, "RDATA of \(length) bytes")
        let end = start + length
        // Typed forms only for a non-empty RDATA (updates send empty RDATA with class ANY/NONE).
        if length == 0 { return .raw([]) }
        var r = reader
        let value: RData
        switch type {
        case .a:
            guard length == 4 else { throw .badRData(type: type.rawValue, offset: start, reason: "A needs 4 bytes, has \(length)") }
            value = .a(try r.take(4))
        case .aaaa:
            guard length == 16 else { throw .badRData(type: type.rawValue, offset: start, reason: "AAAA needs 16 bytes, has \(length)") }
            value = .aaaa(try r.take(16))
        case .cname: value = .cname(try r.name())
        case .ns: value = .ns(try r.name())
        case .txt:
            var strings: [[UInt8]] = []
            while r.offset < end {
                let n = Int(try r.u8("a TXT string length"))
                guard r.offset + n <= end else { throw .badRData(type: type.rawValue, offset: r.offset, reason: "TXT string runs past RDATA") }
                strings.append(try r.take(n))
            }
            value = .txt(strings)
        case .srv:
            value = .srv(SRVData(priority: try r.u16(), weight: try r.u16(), port: try r.u16(), target: try r.name()))
        case .soa:
            value = .soa(
                SOAData(
                    mname: try r.name(), rname: try r.name(), serial: try r.u32(), refresh: try r.u32(), retry: try r.u32(),
                    expire: try r.u32(), minimum: try r.u32()))
        case .tsig:
            let algorithm = try r.name()
            let time = try r.u48()
            let fudge = try r.u16()
            let macSize = Int(try r.u16())
            let mac = try r.take(macSize, "a TSIG MAC of \(macSize) bytes")
            let originalID = try r.u16()
            let error = try r.u16()
            let otherLength = Int(try r.u16())
            let other = try r.take(otherLength, "TSIG other data of \(otherLength) bytes")
            value = .tsig(TSIGData(algorithm: algorithm, timeSigned: time, fudge: fudge, mac: mac, originalID: originalID, error: error, otherData: other))
        default:
            value = .raw(try r.take(length))
        }
        guard r.offset == end else {
            throw .badRData(type: type.rawValue, offset: start, reason: "RDLENGTH \(length) but the fields take \(r.offset - start)")
        }
        reader.offset = end
        return value
    }

    /// Appends the RDATA (without its length).
    func encode(into w: inout WireWriter) {
        switch self {
        case .a(let b), .aaaa(let b), .raw(let b): w.append(b)
        case .cname(let n), .ns(let n): w.name(n)
        case .txt(let strings):
            for s in strings {
                w.u8(UInt8(min(s.count, 255)))
                w.append(Array(s.prefix(255)))
            }
        case .srv(let s):
            w.u16(s.priority)
            w.u16(s.weight)
            w.u16(s.port)
            w.name(s.target, allowCompression: false)
        case .soa(let s):
            w.name(s.mname)
            w.name(s.rname)
            for v in [s.serial, s.refresh, s.retry, s.expire, s.minimum] { w.u32(v) }
        case .tsig(let t):
            w.name(t.algorithm, allowCompression: false)
            w.u48(t.timeSigned)
            w.u16(t.fudge)
            w.u16(UInt16(t.mac.count))
            w.append(t.mac)
            w.u16(t.originalID)
            w.u16(t.error)
            w.u16(UInt16(t.otherData.count))
            w.append(t.otherData)
        }
    }
}

/// A resource record (RFC 1035 §4.1.3).
public struct ResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var type: RRType
    public var rrClass: RRClass
    public var ttl: UInt32
    public var rdata: RData

    public init(name: DNSName, type: RRType, rrClass: RRClass = .in, ttl: UInt32, rdata: RData) {
        self.name = name
        self.type = type
        self.rrClass = rrClass
        self.ttl = ttl
        self.rdata = rdata
    }

    static func decode(from r: inout WireReader) throws(DNSWireError) -> ResourceRecord {
        let name = try r.name()
        let type = RRType(rawValue: try r.u16("a record type"))
        let rrClass = RRClass(rawValue: try r.u16("a record class"))
        let ttl = try r.u32("a TTL")
        let length = Int(try r.u16("an RDLENGTH"))
        let rdata = try RData.decode(type, length: length, from: &r)
        return ResourceRecord(name: name, type: type, rrClass: rrClass, ttl: ttl, rdata: rdata)
    }

    func encode(into w: inout WireWriter) {
        w.name(name)
        w.u16(type.rawValue)
        w.u16(rrClass.rawValue)
        w.u32(ttl)
        let lengthAt = w.bytes.count
        w.u16(0)
        rdata.encode(into: &w)
        w.patch16(at: lengthAt, UInt16(w.bytes.count - lengthAt - 2))
    }
}

/// A question (RFC 1035 §4.1.2); in an UPDATE, the zone section's one entry.
public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: RRType
    public var qClass: RRClass

    public init(name: DNSName, type: RRType, qClass: RRClass = .in) {
        self.name = name
        self.type = type
        self.qClass = qClass
    }
}
