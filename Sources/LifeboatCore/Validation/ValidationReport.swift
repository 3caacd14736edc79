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
        public var ok: Bool
        /// Sorted by line and column.
        public var diagnostics: [Diagnostic]

        public init(path: String, kind: DocumentSource.Kind?, id: String?, diagnostics: [Diagnostic]) {
            self.path = path
            self.kind = kind
            self.id = id
            self.ok = diagnostics.isEmpty
            self.diagnostics = diagnostics
        }
    }

    public var files: [File]
    public var ok: Bool

    public init(files: [File]) {
        self.files = files
        self.ok = files.allSatisfy(\.ok)
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
