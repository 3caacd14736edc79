/// A value as YAML block text, the way a runbook author writes it: for showing rendered
/// parameters to people (tabletop, `run --step`), never for parsing back.
extension Value {
    /// `key: value` lines for each entry of `map`, keys sorted, nested values indented by two spaces.
    public static func yamlLines(_ map: [String: Value]) -> [String] {
        map.keys.sorted().flatMap { entry($0, map[$0]!) }
    }

    private static func entry(_ key: String, _ value: Value) -> [String] {
        let name = scalarText(.string(key))
        switch value {
        case .map(let m) where !m.isEmpty: return ["\(name):"] + indented(yamlLines(m))
        case .list(let l) where !l.isEmpty: return ["\(name):"] + indented(items(l))
        case .string(let s) where s.contains("\n"):
            return ["\(name): |"] + indented(s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        default: return ["\(name): \(scalarText(value))"]
        }
    }

    private static func items(_ list: [Value]) -> [String] {
        list.flatMap { item -> [String] in
            let lines: [String]
            switch item {
            case .map(let m) where !m.isEmpty: lines = yamlLines(m)
            case .list(let l) where !l.isEmpty: lines = items(l)
            default: return ["- \(scalarText(item))"]
            }
            return ["- " + lines[0]] + indented(Array(lines.dropFirst()))
        }
    }

    private static func indented(_ lines: [String]) -> [String] { lines.map { "  " + $0 } }

    /// A scalar as YAML: plain when it reads back as the same string, else double-quoted.
    private static func scalarText(_ value: Value) -> String {
        switch value {
        case .map: return "{}"
        case .list: return "[]"
        case .string(let s): return isPlain(s) ? s : JSONText.quote(s)
        case .null: return "null"
        default: return value.renderedText
        }
    }

    private static func isPlain(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, first != " ", last != " " else { return false }
        if "?:,[]{}#&*!|>'\"%@`".contains(first) || s == "-" || s.hasPrefix("- ") { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") || s.contains("\t") || s.contains("\n") { return false }
        let lowered = s.lowercased()
        if ["true", "false", "yes", "no", "on", "off", "null", "~"].contains(lowered) { return false }
        return Double(s) == nil
    }
}
