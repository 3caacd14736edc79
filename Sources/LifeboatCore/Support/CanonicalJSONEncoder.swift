import Foundation

/// Writes a value's canonical JSON (the text `JSONEncoder` writes with `.sortedKeys` and
/// `.withoutEscapingSlashes`: keys in the byte order of their UTF-8, `"`, `\` and control
/// characters escaped, integers as written, a double's shortest form without a trailing `.0`),
/// several times faster: strings and numbers are written to bytes as they are encoded, and only
/// containers are kept until the end, to sort their keys.
///
/// Types that `JSONEncoder` writes in a way of its own rather than by their `Encodable`
/// conformance (`Data`, `Date`, `URL`, `Decimal`) are refused with `Unsupported`; `CanonicalJSON`
/// then uses `JSONEncoder`. `CanonicalJSONTests` compares the two on every kind of stored value.
package struct CanonicalJSONEncoder {
    package struct Unsupported: Error {}

    package static func encode<T: Encodable>(_ value: T) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        try Node.of(value).write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An encoded value: finished text, or a container still being filled.
    fileprivate enum Node {
        case text([UInt8])
        case object(ObjectNode)
        case array(ArrayNode)
        /// What a `superEncoder()` was given, once it is.
        case deferred(ValueEncoder)

        static func of<T: Encodable>(_ value: T) throws -> Node {
            if T.self == Data.self || T.self == Date.self || T.self == URL.self || T.self == Decimal.self {
                throw Unsupported()
            }
            let encoder = ValueEncoder()
            try value.encode(to: encoder)
            return encoder.node ?? .object(ObjectNode())
        }

        func write(into bytes: inout [UInt8]) throws {
            switch self {
            case .text(let text):
                bytes += text
            case .deferred(let encoder):
                try (encoder.node ?? .object(ObjectNode())).write(into: &bytes)
            case .array(let array):
                bytes.append(UInt8(ascii: "["))
                for (i, item) in array.items.enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    try item.write(into: &bytes)
                }
                bytes.append(UInt8(ascii: "]"))
            case .object(let object):
                bytes.append(UInt8(ascii: "{"))
                // Sorted by key, then by order of encoding: of a key encoded twice the last wins.
                let order = object.entries.indices.sorted { a, b in
                    let (x, y) = (object.entries[a].key, object.entries[b].key)
                    return x == y ? a < b : x.utf8.lexicographicallyPrecedes(y.utf8)
                }
                var first = true
                for (n, i) in order.enumerated() {
                    let entry = object.entries[i]
                    if n + 1 < order.count, object.entries[order[n + 1]].key == entry.key { continue }
                    if !first { bytes.append(UInt8(ascii: ",")) }
                    first = false
                    CanonicalJSONEncoder.writeString(entry.key, into: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    try entry.value.write(into: &bytes)
                }
                bytes.append(UInt8(ascii: "}"))
            }
        }

        static var null: Node { .text(Array("null".utf8)) }

        static func bool(_ value: Bool) -> Node { .text(Array((value ? "true" : "false").utf8)) }

        static func integer(_ value: some BinaryInteger) -> Node { .text(Array(String(value).utf8)) }

        static func string(_ text: String) -> Node {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.utf8.count + 2)
            CanonicalJSONEncoder.writeString(text, into: &bytes)
            return .text(bytes)
        }

        static func number(_ double: Double) throws -> Node {
            guard double.isFinite else { throw Unsupported() }  // JSONEncoder refuses it too
            var text = double.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            return .text(Array(text.utf8))
        }
    }

    /// Appends `text` as a JSON string: quoted, with `"`, `\\` and control characters escaped.
    package static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (ids, kinds, summaries) need no escape: copied whole, not byte by byte.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else { return false }
            bytes += utf8
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0c: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0a: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0d: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    fileprivate final class ObjectNode {
        var entries: [(key: String, value: Node)] = []
    }

    fileprivate final class ArrayNode {
        var items: [Node] = []
    }

    /// The `Encoder` one value encodes itself to; it keeps the node the value asked for.
    fileprivate final class ValueEncoder: Encoder {
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var node: Node?

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object(let object)? = node { return KeyedEncodingContainer(KeyedContainer(object: object)) }
            let object = ObjectNode()
            node = .object(object)
            return KeyedEncodingContainer(KeyedContainer(object: object))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array(let array)? = node { return UnkeyedContainer(array: array) }
            let array = ArrayNode()
            node = .array(array)
            return UnkeyedContainer(array: array)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let object: ObjectNode
        var codingPath: [any CodingKey] { [] }

        private func put(_ node: Node, _ key: Key) { object.entries.append((key.stringValue, node)) }

        mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { put(try .number(value), key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { throw Unsupported() }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.integer(value), key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { put(try .of(value), key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            let nested = ObjectNode()
            put(.object(nested), key)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayNode()
            put(.array(nested), key)
            return UnkeyedContainer(array: nested)
        }

        mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
        mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

        private func superEncoder(named name: String) -> any Encoder {
            let encoder = ValueEncoder()
            object.entries.append((name, .deferred(encoder)))
            return encoder
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer, ValueSink {
        let array: ArrayNode
        var codingPath: [any CodingKey] { [] }
        var count: Int { array.items.count }

        func put(_ node: Node) { array.items.append(node) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectNode()
            put(.object(nested))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayNode()
            put(.array(nested))
            return UnkeyedContainer(array: nested)
        }

        mutating func superEncoder() -> any Encoder {
            let encoder = ValueEncoder()
            put(.deferred(encoder))
            return encoder
        }
    }

    private struct SingleContainer: SingleValueEncodingContainer, ValueSink {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }

        func put(_ node: Node) { encoder.node = node }
    }
}

/// A container that takes values one at a time (an unkeyed or a single-value one): one way to
/// encode each kind of value for both.
private protocol ValueSink {
    func put(_ node: CanonicalJSONEncoder.Node)
}

extension ValueSink {
    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try .number(value)) }
    mutating func encode(_ value: Float) throws { throw CanonicalJSONEncoder.Unsupported() }
    mutating func encode(_ value: Int) throws { put(.integer(value)) }
    mutating func encode(_ value: Int8) throws { put(.integer(value)) }
    mutating func encode(_ value: Int16) throws { put(.integer(value)) }
    mutating func encode(_ value: Int32) throws { put(.integer(value)) }
    mutating func encode(_ value: Int64) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt8) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt16) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt32) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt64) throws { put(.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { put(try .of(value)) }
}
