/// One problem found in a document, at a place, with a fix hint.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An error stops a run; a warning is reported by `validate` only (an error with `--strict`).
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var message: String
    public var hint: String?
    public var severity: Severity

    public init(_ location: SourceLocation, _ message: String, hint: String? = nil, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.hint = hint
        self.severity = severity
    }

    /// `file:line:col: error: message (hint)`
    public var description: String { line(label: severity.rawValue) }

    /// The one-line form with `label` in the severity's place (the CLI passes a coloured one).
    public func line(label: String) -> String {
        "\(location): \(label): \(message)" + (hint.map { " (\($0))" } ?? "")
    }
}

/// Validation found one or more problems. `description` lists them one per line.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
