/// The canonical JSON of the two events every step records, `stepStarted` and `stepSucceeded`,
/// and of a step's outputs (its row's `outputs` column), written straight into bytes: the text
/// `CanonicalJSONEncoder` writes from their `Encodable` conformance, byte for byte
/// (`CanonicalJSONTests` compares them on every kind of value), without its containers, boxes and
/// key sorting. Keys are written in the order the encoder sorts them to.
///
/// Any other kind, and outputs holding a floating-point value (whose shortest form the encoder
/// owns), give nil: `CanonicalJSON.encode` then uses the encoder.
package enum StepEventJSON {
    /// A step's outputs as one JSON object.
    package static func text(of outputs: [String: Value]) -> String? {
        var json = Writer()
        guard json.value(.map(outputs)) else { return nil }
        return String(decoding: json.bytes, as: UTF8.self)
    }

    package static func text(of event: RunEvent) -> String? {
        var json = Writer()
        json.raw("{\"atMs\":")
        json.integer(event.atMs)
        json.raw(",\"kind\":{")
        switch event.kind {
        case .stepStarted(let step, let attempt):
            json.raw("\"stepStarted\":{\"attempt\":")
            json.integer(attempt)
            json.raw(",\"step\":")
            json.string(step)
        case .stepSucceeded(let step, let attempt, let durationMs, let result):
            json.raw("\"stepSucceeded\":{\"attempt\":")
            json.integer(attempt)
            json.raw(",\"durationMs\":")
            json.integer(durationMs)
            json.raw(",\"result\":{\"outputs\":")
            guard json.value(.map(result.outputs)) else { return nil }
            json.raw(",\"summary\":")
            json.string(result.summary)
            json.raw("},\"step\":")
            json.string(step)
        default:
            return nil
        }
        json.raw("}},\"monoMs\":")
        json.integer(event.monoMs)
        json.raw(",\"runID\":")
        json.string(event.runID)
        json.raw(",\"session\":")
        json.string(event.session)
        json.raw("}")
        return String(decoding: json.bytes, as: UTF8.self)
    }

    private struct Writer {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(384) }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func integer(_ value: some BinaryInteger) { bytes.append(contentsOf: String(value).utf8) }

        mutating func string(_ text: String) { CanonicalJSONEncoder.writeString(text, into: &bytes) }

        /// Writes `value`; false when it holds a floating-point number.
        mutating func value(_ value: Value) -> Bool {
            switch value {
            case .null: raw("null")
            case .bool(let flag): flag ? raw("true") : raw("false")
            case .int(let number): integer(number)
            case .double: return false
            case .string(let text): string(text)
            case .list(let items):
                bytes.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    guard self.value(item) else { return false }
                }
                bytes.append(UInt8(ascii: "]"))
            case .map(let entries):
                bytes.append(UInt8(ascii: "{"))
                // The encoder's order: keys by their UTF-8 bytes.
                for (i, entry) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    string(entry.key)
                    bytes.append(UInt8(ascii: ":"))
                    guard self.value(entry.value) else { return false }
                }
                bytes.append(UInt8(ascii: "}"))
            }
            return true
        }
    }
}
