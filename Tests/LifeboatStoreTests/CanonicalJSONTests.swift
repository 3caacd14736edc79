import Foundation
import LifeboatCore
import LifeboatTestSupport
import Testing

@testable import LifeboatStore

/// `CanonicalJSONEncoder`, and `StepEventJSON` for a step's two events and outputs, write byte for byte what
/// `JSONEncoder` (sorted keys, slashes as they are) writes, for every kind of value a store encodes.
@Suite struct CanonicalJSONTests {
    private func expectSame<T: Encodable>(_ value: T, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let reference = try CanonicalJSON.foundationEncode(value)
        for fast in [try CanonicalJSONEncoder.encode(value), try CanonicalJSON.encode(value)] {
            #expect(Array(fast.utf8) == Array(reference.utf8), "\(fast)\n\(reference)", sourceLocation: sourceLocation)
        }
    }

    /// A step's start and success, with every kind of output value and of string, written by
    /// `StepEventJSON` (not handed back to the encoder) except where a result holds a double.
    @Test func aStepsTwoEventsAreWrittenDirectlyAsJSONEncoderWritesThem() throws {
        var generator = SeededGenerator(seed: 20261206)
        let texts = ["", "s1", "a/b", "say \"hi\"", "back\\slash", "\u{0}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}", "é", "日本", "🚀", "\u{2028}"]
        var written = 0
        for round in 0..<300 {
            let text = texts[round % texts.count]
            var outputs: [String: Value] = ["exit_code": .int(round - 150), "output": .string(text)]
            if round % 3 > 0 { outputs[text + "k"] = Self.randomValue(depth: 1, &generator) }
            let at: Int64 = [0, -1, 1_796_515_854_908, .max, .min][round % 5]
            let kinds: [RunEvent.Kind] = [
                .stepStarted(step: text, attempt: round),
                .stepSucceeded(step: text, attempt: round % 7, durationMs: at, result: ActionResult(outputs: outputs, summary: text)),
                .stepSucceeded(step: "s", attempt: 1, durationMs: 0, result: ActionResult(summary: "")),
            ]
            for kind in kinds {
                let event = RunEvent(runID: text + "r", atMs: at, monoMs: at / -2, session: text, kind: kind)
                try expectSame(event)
                let direct = StepEventJSON.text(of: event)
                #expect((direct == nil) == Self.holdsDouble(event), "\(kind)")
                if direct != nil { written += 1 }
            }
        }
        #expect(written >= 700)
    }

    /// A step's outputs (its row's `outputs` column), written by `StepEventJSON` except where they
    /// hold a double.
    @Test func aStepsOutputsAreWrittenDirectlyAsJSONEncoderWritesThem() throws {
        var generator = SeededGenerator(seed: 20261207)
        let texts = ["", "exit_code", "a/b", "say \"hi\"", "\u{0}\u{1f}\u{7f}", "é", "日本", "🚀", "\u{2028}"]
        var written = 0
        for round in 0..<300 {
            var outputs: [String: Value] = [:]
            for i in 0..<(round % 5) {
                outputs[texts[(round + i) % texts.count] + String(i)] = Self.randomValue(depth: 2, &generator)
            }
            try expectSame(outputs)
            let direct = StepEventJSON.text(of: outputs)
            #expect((direct == nil) == Self.holdsDouble(.map(outputs)), "\(outputs)")
            if direct != nil { written += 1 }
        }
        #expect(written >= 100)
    }

    @Test func otherEventKindsAreLeftToTheEncoder() {
        let result = ActionResult(outputs: ["exit_code": 0], summary: "ok")
        let error = StepError(code: .actionFailed, message: "no", retryable: false)
        for kind in Fixtures.everyKind(result: result, error: error) {
            let direct = StepEventJSON.text(of: Fixtures.event("r1", 1, kind))
            switch kind {
            case .stepStarted, .stepSucceeded: #expect(direct != nil)
            default: #expect(direct == nil, "\(kind)")
            }
        }
    }

    private static func holdsDouble(_ event: RunEvent) -> Bool {
        guard case .stepSucceeded(_, _, _, let result) = event.kind else { return false }
        return holdsDouble(.map(result.outputs))
    }

    private static func holdsDouble(_ value: Value) -> Bool {
        switch value {
        case .double: return true
        case .list(let items): return items.contains(where: holdsDouble)
        case .map(let entries): return entries.values.contains(where: holdsDouble)
        default: return false
        }
    }

    @Test func everyEventKindIsWrittenAsJSONEncoderWritesIt() throws {
        let result = ActionResult(
            outputs: ["exit_code": 0, "output": "line 1\nline \"2\"\t\\ / é 🚀 \u{1}\u{1f}", "lsn": "0/3000060", "ratio": .double(0.25),
                      "list": [1, "two", .double(3.5), true, .null], "nested": ["b": 1, "a": ["z": [], "y": [:]]]],
            summary: "ok")
        let error = StepError(code: .actionFailed, message: "no \"way\"", retryable: false)
        let kinds = Fixtures.everyKind(result: result, error: error)
        for kind in kinds { try expectSame(Fixtures.event("r1", 1_700_000_000_000, kind)) }
        for event in Fixtures.successfulRun("r1") { try expectSame(event) }
        try expectSame(try Fixtures.fold([Fixtures.created("r1")] + Fixtures.successfulRun("r1")).1)
    }

    @Test func numbersAndStringsAreWrittenAsJSONEncoderWritesThem() throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1.5, 1e20, 1e-7, 123_456_789.125, 2.5e-300, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        for double in doubles { try expectSame(Value.double(double)) }
        let integers: [Int] = [0, -1, 42, .max, .min]
        for integer in integers { try expectSame(Value.int(integer)) }
        let strings = ["", "plain", "a/b", "\"quoted\"", "back\\slash", "\u{0}\u{7}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1b}\u{7f}", "é", "日本", "🚀", "\u{2028}"]
        for string in strings { try expectSame(Value.string(string)) }
        // Keys sort by their UTF-8 bytes: upper case before lower, "s10" before "s9", "é" last.
        try expectSame(Value.map(Dictionary(uniqueKeysWithValues: ["s9", "s10", "S1", "a", "é", "", "_0", "a b"].map { ($0, Value.int($0.count)) })))
    }

    /// `JSONText.quote` (lists and maps substituted into text, YAML's quoted scalars, the schema)
    /// escapes with the same one escaper: the text `JSONEncoder` writes, which reads back as the string.
    @Test func quotedTextIsEscapedAsStoredValuesAre() throws {
        let strings = ["", "plain", "a/b", "\"quoted\"", "back\\slash", "é 日本 🚀 \u{2028}"]
            + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\u{7f}", "mixed \u{8}\t\"\\ end"]
        for string in strings {
            let quoted = JSONText.quote(string)
            #expect(quoted == (try CanonicalJSON.foundationEncode(string)), "\(Array(string.unicodeScalars))")
            #expect(try JSONDecoder().decode(String.self, from: Data(quoted.utf8)) == string)
        }
    }

    /// Random nested values, from a fixed seed.
    @Test func randomValuesAreWrittenAsJSONEncoderWritesThem() throws {
        var generator = SeededGenerator(seed: 20261205)
        for _ in 0..<500 { try expectSame(Self.randomValue(depth: 0, &generator)) }
    }

    @Test func nonFiniteNumbersAreRefusedAsJSONEncoderRefusesThem() {
        #expect(throws: (any Error).self) { try CanonicalJSON.encode(Value.double(.nan)) }
        #expect(throws: (any Error).self) { try CanonicalJSON.encode(Value.double(.infinity)) }
    }

    private static func randomValue(depth: Int, _ g: inout SeededGenerator) -> Value {
        let alphabet = Array("ab/\"\\\n\t\u{1} é🚀09_Z")
        func text() -> String { String((0..<Int.random(in: 0...6, using: &g)).map { _ in alphabet.randomElement(using: &g)! }) }
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &g) {
        case 0: return .string(text())
        case 1: return .int(Int.random(in: -1_000_000...1_000_000, using: &g))
        case 2: return .double(Double.random(in: -1e6...1e6, using: &g))
        case 3: return .bool(Bool.random(using: &g))
        case 4: return .null
        case 5: return .list((0..<Int.random(in: 0...4, using: &g)).map { _ in randomValue(depth: depth + 1, &g) })
        default:
            var map: [String: Value] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &g) { map[text()] = randomValue(depth: depth + 1, &g) }
            return .map(map)
        }
    }
}
