import Foundation

/// The one JSON form of stored values: sorted keys, no escaped slashes. Event hashes cover the
/// stored text, so the chain never depends on re-encoding; a step's `definition` in the run header
/// is compared as text by `resume --reload`. The two events every step records, and a step's
/// outputs, are written by `StepEventJSON`; everything else by `CanonicalJSONEncoder` (or
/// `JSONEncoder` where it declines).
package enum CanonicalJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> String {
        if let event = value as? RunEvent, let text = StepEventJSON.text(of: event) { return text }
        if let outputs = value as? [String: Value], let text = StepEventJSON.text(of: outputs) { return text }
        do { return try CanonicalJSONEncoder.encode(value) } catch is CanonicalJSONEncoder.Unsupported {}
        return try foundationEncode(value)
    }

    /// The same text by `JSONEncoder`: for what `CanonicalJSONEncoder` leaves to it, and its tests.
    package static func foundationEncode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
