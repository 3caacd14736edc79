@testable import LifeboatCore
import Testing

@Suite("YAML with positions")
struct DocumentsYAMLTests {
    static let scalars: [(String, Value)] = [
        ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)), ("0o17", .int(15)), ("017", .int(15)),
        ("0b101", .int(5)), ("1_000", .int(1000)), ("1:30", .int(90)), ("3.5", .double(3.5)), ("1e3", .double(1000)),
        (".5", .double(0.5)), ("true", .bool(true)), ("yes", .bool(true)), ("Off", .bool(false)), ("~", .null),
        ("null", .null), ("30s", .string("30s")), ("16MB", .string("16MB")), ("2024-01-01", .string("2024-01-01")),
        ("Null", .null), ("NULL", .null), ("-.inf", .double(-.infinity)), ("500ms", .string("500ms")),
        ("us-east-1", .string("us-east-1")), ("1.2.3", .string("1.2.3")), ("12 monkeys", .string("12 monkeys")),
        ("0xZZ", .string("0xZZ")), ("08", .double(8)), ("1_0.5", .double(10.5)), ("null-ish", .string("null-ish")),
        ("\"42\"", .string("42")), ("'true'", .string("true")), ("!!str 12", .string("12")),
    ]

    @Test("Scalars are typed as YAML 1.1; quoted scalars stay strings", arguments: scalars)
    func typesScalars(_ text: String, _ expected: Value) throws {
        let node = try #require(try YAMLDocument.parse("v: \(text)\n", file: "t.yaml"))
        #expect(node.entries?.first?.value.scalar == expected)
    }

    @Test func keepsLocationsOfKeysAndValues() throws {
        let text = """
            runbook: x
            steps:
              - id: a
                with: {url: "http://x", list: [1, 2]}
            """
        let root = try #require(try YAMLDocument.parse(text, file: "f.yaml"))
        let steps = try #require(root.entries?[1])
        #expect(steps.keyLocation == SourceLocation(file: "f.yaml", line: 2, column: 1))
        let step = try #require(steps.value.items?.first)
        #expect(step.location.description == "f.yaml:3:5")
        let with = try #require(step.entries?[1])
        #expect(with.keyLocation.description == "f.yaml:4:5")
        let url = try #require(with.value.entries?[0])
        #expect(url.keyLocation.description == "f.yaml:4:12")
        #expect(url.value.location.description == "f.yaml:4:17")
        #expect(with.value.entries?[1].value.items?[1].location.description == "f.yaml:4:39")
        #expect(with.value.value == ["url": "http://x", "list": [1, 2]])
    }

    @Test func syntaxErrorIsADiagnosticWithPosition() {
        #expect {
            _ = try YAMLDocument.parse("a: [1, 2\nb: c\n", file: "bad.yaml")
        } throws: { error in
            guard let d = (error as? ValidationFailure)?.diagnostics.first else { return false }
            return d.location.file == "bad.yaml" && d.location.line == 2 && d.message.hasPrefix("invalid YAML")
        }
    }

    @Test func duplicateKeysAreReported() {
        #expect {
            _ = try YAMLDocument.parse("a: 1\nb: 2\na: 3\n", file: "dup.yaml")
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.first?.message.contains("duplicate key 'a'") == true
        }
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let text = """
            base: &base {timeout: 30s, retry: 2}
            step:
              <<: *base
              retry: 5
            """
        let root = try #require(try YAMLDocument.parse(text, file: "m.yaml"))
        #expect(root.value == ["base": ["timeout": "30s", "retry": 2], "step": ["timeout": "30s", "retry": 5]])
    }

    @Test func emptyDocumentIsNil() throws {
        #expect(try YAMLDocument.parse("# nothing\n", file: "e.yaml")?.value == nil)
    }
}

