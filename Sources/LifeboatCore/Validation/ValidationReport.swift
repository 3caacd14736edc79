import Foundation

/// What `lifeboat validate` found, file by file.
public struct ValidationReport: Sendable, Hashable, Codable {
    /// One validated document.
    public struct File: Sendable, Hashable, Codable {
        public var path: String
        /// Nil when the kind could not be told (unreadable file, no `plan:` or `runbook:` key).
        public var kind: DocumentSource.Kind?
        /// The document's `plan:` or `runbook:` id, when it has one.
        public var id: String?
        /// No errors (warnings allowed).
        public var ok: Bool
        /// Errors and warnings, sorted by line and column.
        public var diagnostics: [Diagnostic]

        public init(path: String, kind: DocumentSource.Kind?, id: String?, diagnostics: [Diagnostic]) {
            self.path = path
            self.kind = kind
            self.id = id
            self.ok = !diagnostics.contains { $0.severity == .error }
            self.diagnostics = diagnostics
        }
    }

    public var files: [File]
    public var ok: Bool

    public init(files: [File]) {
        self.files = files
        self.ok = files.allSatisfy(\.ok)
    }

    /// The same report with every warning made an error (`validate --strict`).
    public func strict() -> ValidationReport {
        ValidationReport(files: files.map { file in
            File(path: file.path, kind: file.kind, id: file.id, diagnostics: file.diagnostics.map { d in
                var error = d
                error.severity = .error
                return error
            })
        })
    }

    /// Every diagnostic of every file, in report order.
    public var diagnostics: [Diagnostic] { files.flatMap(\.diagnostics) }

    /// Pretty JSON with sorted keys, for `--json`.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
