/// Shared helpers for reading located YAML into the model while collecting every problem.
protocol DocumentReading {
    var diagnostics: [Diagnostic] { get set }
}

/// The entries of a mapping, looked up by key, after unknown keys were reported.
///
/// Document mappings are small, so a linear search beats hashing here.
struct Fields {
    var node: YAMLNode
    var entries: [YAMLEntry]

    init(node: YAMLNode, entries: [YAMLEntry]) {
        self.node = node
        self.entries = entries
    }

    subscript(key: String) -> YAMLEntry? { entries.first { $0.key == key } }

    /// The location of `key`, or of the mapping when the key is absent.
    func location(of key: String) -> SourceLocation { self[key]?.keyLocation ?? node.location }
}

extension DocumentReading {
    mutating func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(location, message, hint: hint))
    }

    /// Reads a mapping whose keys must be among `allowed`; reports a non-mapping and each unknown key.
    mutating func fields(of node: YAMLNode, _ what: String, allowed: [String]) -> Fields? {
        guard let entries = node.entries else {
            error(node.location, "\(what) must be a mapping, not \(node.kindDescription)",
                hint: "write it as key: value pairs (\(allowed.prefix(4).joined(separator: ", "))…)")
            return nil
        }
        for entry in entries where !allowed.contains(entry.key) {
            error(entry.keyLocation, "unknown key '\(entry.key)' in \(what)",
                hint: Suggestion.hint(for: entry.key, in: allowed))
        }
        return Fields(node: node, entries: entries)
    }

    /// A mapping's entries in document order, or nil (reported) when the node is not a mapping.
    mutating func entries(of node: YAMLNode, _ what: String, hint: String) -> [YAMLEntry]? {
        guard let entries = node.entries else {
            error(node.location, "\(what) must be a mapping, not \(node.kindDescription)", hint: hint)
            return nil
        }
        return entries
    }

    /// A required or optional string field. Numbers and booleans are not accepted silently.
    mutating func string(_ fields: Fields, _ key: String, _ what: String, required: Bool = false) -> String? {
        guard let entry = fields[key] else {
            if required {
                error(fields.node.location, "\(what) has no '\(key)'", hint: "add '\(key):'")
            }
            return nil
        }
        guard case .scalar(let v) = entry.value.content, case .string(let s) = v else {
            if entry.value.scalar == .null, !required { return nil }
            error(entry.value.location, "'\(key)' in \(what) must be a string, not \(entry.value.kindDescription)",
                hint: entry.value.scalar != nil ? "quote the value" : "write a single text value")
            return nil
        }
        return s
    }

    mutating func int(_ fields: Fields, _ key: String, _ what: String) -> Int? {
        guard let entry = fields[key] else { return nil }
        guard case .int(let i)? = entry.value.scalar else {
            error(entry.value.location, "'\(key)' in \(what) must be an integer, not \(entry.value.kindDescription)",
                hint: "write a whole number without quotes")
            return nil
        }
        return i
    }

    mutating func bool(_ fields: Fields, _ key: String, _ what: String) -> Bool? {
        guard let entry = fields[key] else { return nil }
        guard case .bool(let b)? = entry.value.scalar else {
            error(entry.value.location, "'\(key)' in \(what) must be true or false, not \(entry.value.kindDescription)",
                hint: "write true or false without quotes")
            return nil
        }
        return b
    }

    /// A duration written as text with units (`500ms`, `30s`, `1h30m`), in milliseconds.
    mutating func durationMs(_ fields: Fields, _ key: String, _ what: String) -> Int64? {
        guard let entry = fields[key] else { return nil }
        return durationMs(entry.value, "'\(key)' in \(what)")
    }

    mutating func durationMs(_ node: YAMLNode, _ what: String) -> Int64? {
        if case .string(let s)? = node.scalar, let ms = DurationText.parseMilliseconds(s) { return ms }
        let shown = node.scalar.map { "'\($0.renderedText)'" } ?? node.kindDescription
        error(node.location, "\(what) is not a duration: \(shown)",
            hint: "write a number with a unit: 500ms, 30s, 5m, 1h30m, 2d")
        return nil
    }

    /// A value from a fixed set (an enum's raw values).
    mutating func oneOf<E: RawRepresentable & CaseIterable>(
        _ node: YAMLNode, _ type: E.Type, _ what: String
    ) -> E? where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue)
        guard case .string(let s)? = node.scalar else {
            error(node.location, "\(what) must be one of \(allowed.joined(separator: ", ")), not \(node.kindDescription)",
                hint: "write one of: \(allowed.joined(separator: ", "))")
            return nil
        }
        guard let e = E(rawValue: s) else {
            error(node.location, "'\(s)' is not a valid \(what)", hint: Suggestion.hint(for: s, in: allowed))
            return nil
        }
        return e
    }

    /// Objectives (`{rto: 1h, rpo: 5m}`).
    mutating func objectives(_ node: YAMLNode, _ what: String) -> Objectives? {
        guard let f = fields(of: node, what, allowed: ["rto", "rpo", "judge_rto_by"]) else { return nil }
        let judge = f["judge_rto_by"].flatMap { oneOf($0.value, Objectives.RTOJudge.self, "'judge_rto_by' in \(what)") }
        return Objectives(rtoMs: durationMs(f, "rto", what), rpoMs: durationMs(f, "rpo", what), judgeRTOBy: judge)
    }
}
