/// A DNS message (RFC 1035 §4.1): header and four sections.
///
/// For an UPDATE (RFC 2136 §2) the sections are zone, prerequisites, updates and additional;
/// `zone`, `prerequisites` and `updates` name them.
public struct DNSMessage: Sendable, Hashable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    public var additionals: [ResourceRecord]

    public init(
        header: DNSHeader, questions: [DNSQuestion] = [], answers: [ResourceRecord] = [], authorities: [ResourceRecord] = [],
        additionals: [ResourceRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    public var rcode: DNSRCode { DNSRCode(rawValue: UInt16(header.rcode)) }

    /// The TSIG record, when it is the last additional record (where RFC 8945 requires it).
    public var tsig: (record: ResourceRecord, data: TSIGData)? {
        guard let last = additionals.last, last.type == .tsig, case .tsig(let data) = last.rdata else { return nil }
        return (last, data)
    }

    // MARK: UPDATE names for the sections

    public var zone: [DNSQuestion] {
        get { questions }
        set { questions = newValue }
    }
    public var prerequisites: [ResourceRecord] {
        get { answers }
        set { answers = newValue }
    }
    public var updates: [ResourceRecord] {
        get { authorities }
        set { authorities = newValue }
    }

    // MARK: Encoding

    /// Wire form, with name compression unless `compress` is false.
    public func encode(compress: Bool = true) -> [UInt8] {
        var w = WireWriter(compress: compress)
        w.u16(header.id)
        w.u16(header.flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] { w.u16(UInt16(min(count, 0xFFFF))) }
        for q in questions {
            w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.qClass.rawValue)
        }
        for record in answers + authorities + additionals { record.encode(into: &w) }
        return w.bytes
    }

    // MARK: Decoding

    /// Parses a whole message. Throws `DNSWireError` for any malformed input; trailing bytes
    /// after the last record are an error too.
    public static func decode(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        try decodeLocatingLastRecord(bytes).message
    }

    /// Parses a message and returns where its last additional record starts (TSIG verification
    /// strips it from the signed bytes).
    public static func decodeLocatingLastRecord(_ bytes: [UInt8]) throws(DNSWireError) -> (message: DNSMessage, lastAdditionalOffset: Int?) {
        var r = WireReader(bytes)
        let id = try r.u16("the header")
        let flags = try r.u16("the header")
        let qd = Int(try r.u16("the header"))
        let an = Int(try r.u16("the header"))
        let ns = Int(try r.u16("the header"))
        let ar = Int(try r.u16("the header"))
        // Each question takes at least 5 bytes, each record at least 11: refuse counts that
        // cannot fit before allocating or looping.
        let minimum = qd * 5 + (an + ns + ar) * 11
        guard minimum <= r.remaining else {
            let section = qd * 5 > r.remaining ? "question" : "record"
            throw .countTooLarge(section: section, count: qd * 5 > r.remaining ? qd : an + ns + ar)
        }
        var message = DNSMessage(header: DNSHeader(id: id, flags: flags))
        message.questions.reserveCapacity(qd)
        for _ in 0..<qd {
            let name = try r.name()
            let type = RRType(rawValue: try r.u16("a question type"))
            let qClass = RRClass(rawValue: try r.u16("a question class"))
            message.questions.append(DNSQuestion(name: name, type: type, qClass: qClass))
        }
        for _ in 0..<an { message.answers.append(try ResourceRecord.decode(from: &r)) }
        for _ in 0..<ns { message.authorities.append(try ResourceRecord.decode(from: &r)) }
        var lastOffset: Int? = nil
        for _ in 0..<ar {
            lastOffset = r.offset
            message.additionals.append(try ResourceRecord.decode(from: &r))
        }
        guard r.remaining == 0 else {
            throw .trailingBytes(offset: r.offset, count: r.remaining)
        }
        return (message, lastOffset)
    }
}
