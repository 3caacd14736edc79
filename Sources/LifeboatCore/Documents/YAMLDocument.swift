import Yams

/// A YAML node with the place it was written, so that every error can name `file:line:column`.
struct YAMLNode: Sendable {
    enum Content: Sendable {
        case scalar(Value)
        case list([YAMLNode])
        /// Entries in document order.
        case map([YAMLEntry])
    }

    var content: Content
    var location: SourceLocation

    /// The node as a plain value (locations dropped).
    var value: Value {
        switch content {
        case .scalar(let v): return v
        case .list(let items): return .list(items.map(\.value))
        case .map(let entries):
            var out: [String: Value] = [:]
            out.reserveCapacity(entries.count)
            for entry in entries { out[entry.key] = entry.value.value }
            return .map(out)
        }
    }

    var entries: [YAMLEntry]? {
        if case .map(let e) = content { return e }
        return nil
    }

    var items: [YAMLNode]? {
        if case .list(let l) = content { return l }
        return nil
    }

    var scalar: Value? {
        if case .scalar(let v) = content { return v }
        return nil
    }

    var stringValue: String? { scalar?.stringValue }

    /// A short name of the node's kind for error messages: `a string`, `a list`…
    var kindDescription: String { value.kindDescription }
}

/// One `key: value` pair of a mapping.
struct YAMLEntry: Sendable {
    var key: String
    var keyLocation: SourceLocation
    var value: YAMLNode
}

/// Reads YAML text into located nodes: with `YAMLEventComposer` where it can, otherwise with Yams'
/// composer.
///
/// Plain scalars are typed the way Yams' default (YAML 1.1) resolver types them (int, float, bool,
/// null, otherwise string), but without its regular expressions, which are slow on large files.
/// A quoted scalar always stays a string.
enum YAMLDocument {
    /// The root node, or nil for an empty document. A syntax error throws one diagnostic.
    static func parse(_ text: String, file: String) throws(ValidationFailure) -> YAMLNode? {
        if case .document(let root) = YAMLEventComposer.compose(text, file: file) { return root }
        return try composeWithYams(text, file: file)
    }

    /// The text composed by Yams: every YAML feature, and its errors as diagnostics.
    static func composeWithYams(_ text: String, file: String) throws(ValidationFailure) -> YAMLNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw ValidationFailure([YAMLSyntaxDiagnostic.make(for: error, text: text, file: file)])
        } catch {
            throw ValidationFailure([Diagnostic(
                SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(error)",
                hint: "check the file's syntax")])
        }
        guard let root else { return nil }
        return convert(root, file: file)
    }

    private static func convert(_ node: Node, file: String) -> YAMLNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            return YAMLNode(content: .scalar(ScalarResolver.value(of: scalar)), location: location)
        case .sequence(let sequence):
            return YAMLNode(content: .list(sequence.map { convert($0, file: file) }), location: location)
        case .mapping(let mapping):
            var entries: [YAMLEntry] = []
            var merged: [YAMLEntry] = []
            for (keyNode, valueNode) in mapping {
                let keyLocation = SourceLocation(
                    file: file, line: keyNode.mark?.line ?? location.line, column: keyNode.mark?.column ?? location.column)
                let value = convert(valueNode, file: file)
                let key: String
                if case .scalar(let s) = keyNode {
                    // Keys' tags were already resolved (as str) by Yams' duplicate-key check: the
                    // style tells a merge key from a quoted '<<'.
                    if s.string == "<<", s.style == .plain {
                        merged += mergeEntries(value)
                        continue
                    }
                    key = s.string
                } else {
                    key = convert(keyNode, file: file).value.jsonText
                }
                entries.append(YAMLEntry(key: key, keyLocation: keyLocation, value: value))
            }
            if !merged.isEmpty {
                let own = Set(entries.map(\.key))
                var seen = own
                for entry in merged where !seen.contains(entry.key) {
                    seen.insert(entry.key)
                    entries.append(entry)
                }
            }
            return YAMLNode(content: .map(entries), location: location)
        case .alias(let alias):
            return YAMLNode(content: .scalar(.string("*\(alias.anchor.rawValue)")), location: location)
        }
    }

    /// The entries a YAML 1.1 merge key (`<<: *base` or `<<: [*a, *b]`) brings in.
    private static func mergeEntries(_ node: YAMLNode) -> [YAMLEntry] {
        switch node.content {
        case .map(let entries): return entries
        case .list(let items): return items.flatMap { $0.entries ?? [] }
        case .scalar: return []
        }
    }
}

extension Value {
    /// `a string`, `an integer`, `a list`…, for error messages.
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }

    /// Whether the value is a string holding a `${...}` reference, typed only at run time.
    var isTemplate: Bool {
        guard case .string(let s) = self else { return false }
        return s.containsReferenceMarker
    }
}

extension String {
    /// Whether the text contains `${` (a byte scan: much faster than a substring search).
    var containsReferenceMarker: Bool {
        var previousWasDollar = false
        for byte in utf8 {
            if previousWasDollar && byte == UInt8(ascii: "{") { return true }
            previousWasDollar = byte == UInt8(ascii: "$")
        }
        return false
    }
}
