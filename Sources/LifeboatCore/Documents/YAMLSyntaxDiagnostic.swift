import Yams

/// Turns a YAML syntax error into one diagnostic that points where the problem starts: at a tab
/// used for indentation, at the opening quote of a string never closed, at the `{` or `[` of a
/// flow collection left open, rather than where the parser gave up (often the end of the file).
enum YAMLSyntaxDiagnostic {
    static func make(for error: YamlError, text: String, file: String) -> Diagnostic {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        let hint = "fix the YAML syntax (indentation, quotes, ':' after keys)"
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if let tab = indentationTab(near: mark, problem: problem, lines: lines) {
                return Diagnostic(
                    SourceLocation(file: file, line: tab.line, column: tab.column),
                    "invalid YAML: a tab character at \(tab.line):\(tab.column); YAML indents with spaces",
                    hint: "replace the tab with spaces")
            }
            guard let context else { return Diagnostic(at(mark), "invalid YAML: \(problem)", hint: hint) }
            let construct = what(context.text)
            let there = "\(mark.line):\(mark.column)"
            if isEnd(mark, lines: lines) {
                if construct == "a quoted scalar" {
                    return Diagnostic(
                        at(context.mark), "invalid YAML: this quoted string is never closed (the file ends at \(there))",
                        hint: "add the closing quote, or escape a quote inside the string (\\\" or '')")
                }
                return Diagnostic(
                    at(context.mark),
                    "invalid YAML: \(construct) starts here and is never closed (\(problem) at \(there), the end of the file)",
                    hint: construct.hasSuffix("mapping") ? "close it with '}'"
                        : construct.hasSuffix("sequence") ? "close it with ']'" : hint)
            }
            if case .scanner = error {
                return Diagnostic(
                    at(context.mark), "invalid YAML: in \(construct) that starts here: \(problem) at \(there)", hint: hint)
            }
            return Diagnostic(at(mark), "invalid YAML: \(context.text) at \(context.mark.line):\(context.mark.column): \(problem)", hint: hint)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(at(context.mark), "duplicate key \(keys) in a mapping", hint: "keep one of them")
        case .reader(let problem, _, _, _):
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(problem)",
                hint: "save the file as UTF-8")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)", hint: hint)
        }
    }

    /// `while scanning a quoted scalar` → `a quoted scalar`.
    private static func what(_ context: String) -> String {
        for prefix in ["while scanning ", "while parsing "] where context.hasPrefix(prefix) {
            return String(context.dropFirst(prefix.count))
        }
        return context
    }

    /// Whether the parser gave up at the end of the text.
    private static func isEnd(_ mark: Mark, lines: [[Unicode.Scalar]]) -> Bool {
        mark.line > lines.count || (mark.line == lines.count && mark.column > lines[mark.line - 1].count)
    }

    /// The tab behind the error: at the error's place, named by the parser, or in the indentation
    /// of the error's line or the line before.
    private static func indentationTab(
        near mark: Mark, problem: String, lines: [[Unicode.Scalar]]
    ) -> (line: Int, column: Int)? {
        func scalar(_ line: Int, _ column: Int) -> Unicode.Scalar? {
            guard line >= 1, line <= lines.count, column >= 1, column <= lines[line - 1].count else { return nil }
            return lines[line - 1][column - 1]
        }
        if scalar(mark.line, mark.column) == "\t" || problem.contains("tab") { return (mark.line, mark.column) }
        for line in [mark.line - 1, mark.line] where line >= 1 && line <= lines.count {
            for (index, c) in lines[line - 1].enumerated() {
                if c == "\t" { return (line, index + 1) }
                if c != " " { break }
            }
        }
        return nil
    }
}
