import Foundation
import LifeboatCore

/// The one JSON form of stored values: sorted keys, no escaped slashes. Event hashes cover the
/// stored text, so the chain never depends on re-encoding.
package enum CanonicalJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> String {
        do { return try CanonicalJSONEncoder.encode(value) } catch is CanonicalJSONEncoder.Unsupported {}
        return try foundationEncode(value)
    }

    /// The same text by `JSONEncoder`: for what `CanonicalJSONEncoder` leaves to it, and its tests.
    package static func foundationEncode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreDataError(detail: "JSON encoding produced invalid UTF-8")
        }
        return text
    }

    package static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreDataError(detail: "\(what) does not decode: \(error)")
        }
    }
}
