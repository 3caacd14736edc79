import Foundation

/// Pretty, key-sorted JSON on stdout for `--json`.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func print<T: Encodable>(_ value: T) throws {
        let data = try encoder().encode(value)
        Console.document(String(decoding: data, as: UTF8.self))
    }
}
