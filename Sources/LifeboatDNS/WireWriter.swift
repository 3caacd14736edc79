/// Appends big-endian fields and names to a DNS packet, compressing names (RFC 1035 §4.1.4)
/// against every name suffix written before when `compress` is on.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Offsets of name suffixes already written (lowercased), for compression pointers.
    private var suffixes: [DNSName: Int] = [:]
    public var compress: Bool

    public init(compress: Bool = true) { self.compress = compress }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    public mutating func u32(_ v: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xFF)) } }
    public mutating func u48(_ v: UInt64) { for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xFF)) } }
    public mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// Overwrites a 16-bit field written earlier (an RDLENGTH or a count).
    public mutating func patch16(at offset: Int, _ v: UInt16) {
        bytes[offset] = UInt8(v >> 8)
        bytes[offset + 1] = UInt8(v & 0xFF)
    }

    /// Writes a name, ending in a pointer to an earlier copy of its longest known suffix when
    /// `compress` (and `allowCompression`) are on. Pointers reach the first 16 KiB only.
    public mutating func name(_ name: DNSName, allowCompression: Bool = true) {
        let labels = name.labels
        for i in 0..<labels.count {
            let suffix = DNSName(uncheckedLabels: Array(labels[i...]))
            if compress, allowCompression, let target = suffixes[suffix] {
                u16(0xC000 | UInt16(target))
                return
            }
            if compress, bytes.count < 0x3FFF, suffixes[suffix] == nil { suffixes[suffix] = bytes.count }
            u8(UInt8(labels[i].count))
            append(labels[i])
        }
        u8(0)
    }
}
