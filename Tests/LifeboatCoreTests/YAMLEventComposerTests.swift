import Foundation
@testable import LifeboatCore
import Testing

@Suite("YAML composed from libyaml's events")
struct YAMLEventComposerTests {
    /// Every node and key as `path @ line:column = value`, so two trees compare with their places.
    static func lines(_ node: YAMLNode?, _ path: String = "$") -> [String] {
        guard let node else { return ["nil"] }
        let here = "\(path) @ \(node.location)"
        switch node.content {
        case .scalar(let value): return ["\(here) = \(value)"]
        case .list(let items):
            return ["\(here) list \(items.count)"] + items.enumerated().flatMap { lines($1, "\(path)[\($0)]") }
        case .map(let entries):
            return ["\(here) map \(entries.count)"]
                + entries.flatMap { ["\(path).\($0.key) key @ \($0.keyLocation)"] + lines($0.value, "\(path).\($0.key)") }
        }
    }

    static let written: [String] = [
        "a: 1\nb: [x, 'y', \"z\"]\nc: {d: e, f: ~}\n",
        "list:\n  - |\n    line one\n    line two\n  - >\n    folded\n    text\n  - plain text, with a comma\n",
        "key with spaces: value\nunicode_ключ: значение\n\"quoted key\": 3.5\n'single': 'it''s'\n",
        "---\nempty:\nnested:\n  deeper:\n    - - 1\n      - 2\n    - {}\n    - []\n...\n",
        "scalars: [42, -7, 0x1F, 1:30, .inf, yes, Off, null, 30s, 2024-01-01, '08', 08, \"\"]\n",
        "# only a comment\n",
        "---\n",
        "plain\n",
        "- a\n- b: c\n  d: [e]\n",
        "steps:\n  - id: s0\n    action: command\n    with: {argv: [echo, \"${run.id}\"]}\n    expect: 1s\n    needs: [s1]\n",
        "text: \"tab\\tand \\u00e9 escapes\"\nnul: \"a\\0b\"\n",
    ]

    /// The repository's own plans and runbooks.
    static func repositoryDocuments() throws -> [(String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var found: [(String, String)] = []
        for folder in ["plans", "runbooks"] {
            let dir = root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where name.hasSuffix(".yaml") {
                found.append(("\(folder)/\(name)", try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)))
            }
        }
        return found
    }

    @Test("Accepted documents compose exactly as Yams composes them", arguments: written)
    func agreesWithYams(_ text: String) throws {
        guard case .document(let root) = YAMLEventComposer.compose(text, file: "t.yaml") else {
            Issue.record("gave up on \(text.debugDescription)")
            return
        }
        #expect(Self.lines(root) == Self.lines(try YAMLDocument.composeWithYams(text, file: "t.yaml")))
    }

    @Test func agreesWithYamsOnTheRepositorysDocuments() throws {
        let documents = try Self.repositoryDocuments()
        #expect(documents.count >= 6)
        for (name, text) in documents {
            guard case .document(let root) = YAMLEventComposer.compose(text, file: name) else {
                Issue.record("gave up on \(name)")
                continue
            }
            let yams = try YAMLDocument.composeWithYams(text, file: name)
            #expect(Self.lines(root).count > 10, "\(name)")
            #expect(Self.lines(root) == Self.lines(yams), "\(name)")
        }
    }

    static let handedToYams: [String] = [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "!!map {a: 1}\n",
        "base: {a: 1}\nstep:\n  <<: {b: 2}\n",
        "a: 1\nb: 2\na: 3\n",
        "'1': a\n1: b\n",
        "a: 1\n---\nb: 2\n",
        "? [a, b]\n: c\n",
        "a: [1, 2\nb: c\n",
        "a:\n\t- b\n",
    ]

    @Test("Anything else goes to Yams, and parse gives Yams' answer", arguments: handedToYams)
    func givesUp(_ text: String) {
        guard case .needsFullComposer = YAMLEventComposer.compose(text, file: "t.yaml") else {
            Issue.record("composed \(text.debugDescription) itself")
            return
        }
        let parsed = Result { () throws(ValidationFailure) in try YAMLDocument.parse(text, file: "t.yaml") }
        let yams = Result { () throws(ValidationFailure) in try YAMLDocument.composeWithYams(text, file: "t.yaml") }
        switch (parsed, yams) {
        case (.success(let a), .success(let b)): #expect(Self.lines(a) == Self.lines(b))
        case (.failure(let a), .failure(let b)): #expect(a.diagnostics.map(\.description) == b.diagnostics.map(\.description))
        default: Issue.record("parse and Yams disagree on \(text.debugDescription)")
        }
    }
}
