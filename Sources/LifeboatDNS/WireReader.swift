/// Reads big-endian fields and names from a DNS packet, with bounds checks on every read.
///
/// Names follow compression pointers (RFC 1035 §4.1.4) only backwards: a pointer must point
/// before the label that holds it, so chains end and loops are impossible; the number of hops is
/// bounded too.
public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    mutating func need(_ count: Int, _ what: String) throws(DNSWireError) {
        guard count >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw .truncated(offset: offset, needed: what)
        }
    }

    public mutating func u8(_ what: String = "a byte") throws(DNSWireError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16(_ what: String = "16 bits") throws(DNSWireError) -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32(_ what: String = "32 bits") throws(DNSWireError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    public mutating func u48(_ what: String = "48 bits") throws(DNSWireError) -> UInt64 {
        try need(6, what)
        defer { offset += 6 }
        return (0..<6).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    public mutating func take(_ count: Int, _ what: String = "data") throws(DNSWireError) -> [UInt8] {
        try need(count, what)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name; `offset` ends after its in-place part.
    public mutating func name() throws(DNSWireError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        var resumeAt: Int? = nil
        // Every pointer must go strictly below the lowest position read so far: at most
        // bytes.count hops, no loops, no forward pointers.
        var floor = offset
        var hops = 0
        while true {
            guard position < bytes.count else { throw .truncated(offset: position, needed: "a label length") }
            let length = Int(bytes[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return DNSName(uncheckedLabels: labels)
                }
                guard position + 1 + length <= bytes.count else {
                    throw .truncated(offset: position, needed: "a label of \(length) bytes")
                }
                wireLength += length + 1
                guard wireLength <= DNSName.maxWireLength else { throw .nameTooLong(offset: offset) }
                labels.append(Array(bytes[(position + 1)...(position + length)]))
                position += 1 + length
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated(offset: position, needed: "a pointer") }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                hops += 1
                guard target < floor, hops <= 127 else { throw .badPointer(offset: position, target: target) }
                if resumeAt == nil { resumeAt = position + 2 }
                floor = target
                position = target
            default:
                throw .badLabel(offset: position, length: length)
            }
        }
    }
}
