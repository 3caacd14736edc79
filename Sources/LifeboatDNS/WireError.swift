/// Why bytes could not be read as a DNS message, or a value could not be written as one.
///
/// The decoder throws these for every malformed input (it never traps and never loops); `offset`
/// is where in the packet the problem was found.
public enum DNSWireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The packet ended before a field it announces.
    case truncated(offset: Int, needed: String)
    /// A compression pointer points at or after itself, or a chain of pointers revisits an offset.
    case badPointer(offset: Int, target: Int)
    /// A label longer than 63 bytes (or a reserved label type, 0x40/0x80).
    case badLabel(offset: Int, length: Int)
    /// A name longer than 255 bytes in wire form.
    case nameTooLong(offset: Int)
    /// A section count that cannot fit in the bytes that remain.
    case countTooLarge(section: String, count: Int)
    /// RDATA whose length does not match what its type requires.
    case badRData(type: UInt16, offset: Int, reason: String)
    /// Bytes left over after the last record the header announces.
    case trailingBytes(offset: Int, count: Int)
    /// Text that is not a valid name or record in presentation form.
    case badText(String)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): "DNS message truncated at byte \(offset) (needed \(needed))"
        case .badPointer(let offset, let target): "bad compression pointer at byte \(offset) (to \(target))"
        case .badLabel(let offset, let length): "bad label at byte \(offset) (length or type \(length))"
        case .nameTooLong(let offset): "name longer than 255 bytes at byte \(offset)"
        case .countTooLarge(let section, let count): "\(section) count \(count) exceeds the message"
        case .badRData(let type, let offset, let reason): "bad RDATA for type \(type) at byte \(offset): \(reason)"
        case .trailingBytes(let offset, let count): "\(count) bytes after the last record, at byte \(offset)"
        case .badText(let reason): reason
        }
    }
}
