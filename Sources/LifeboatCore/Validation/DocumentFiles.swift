import Foundation

/// Reading document files: text, YAML and kind. The only file I/O of validation.
enum DocumentFiles {
    /// A document file read and parsed, or the problems that stopped it.
    struct Read {
        var path: String
        var text: String
        var root: YAMLNode
        var kind: DocumentSource.Kind
        var source: DocumentSource { DocumentSource(kind: kind, path: path, text: text) }
    }

    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `*.yaml` and `*.yml` files under `folder`, recursively, sorted.
    static func documents(under folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            let path = folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
            if exists(path) { out.append(path) }
        }
        return out.sorted()
    }

    /// Reads, parses and classifies a document.
    static func read(_ path: String) throws(ValidationFailure) -> Read {
        let start = SourceLocation(file: path, line: 1, column: 1)
        guard exists(path) else {
            throw ValidationFailure([Diagnostic(
                start, isDirectory(path) ? "'\(path)' is a folder, not a document" : "no such file: '\(path)'",
                hint: "check the path")])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationFailure([Diagnostic(start, "cannot read '\(path)'", hint: "check the file's permissions")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationFailure([Diagnostic(start, "'\(path)' is not UTF-8 text", hint: "save the file as UTF-8")])
        }
        guard let root = try YAMLDocument.parse(text, file: path) else {
            throw ValidationFailure([Diagnostic(
                start, "'\(path)' is empty", hint: "start the document with 'plan: ID' or 'runbook: ID'")])
        }
        return Read(path: path, text: text, root: root, kind: try kind(of: root, path: path))
    }

    /// A plan has a top-level `plan:` key, a runbook a `runbook:` key.
    static func kind(of root: YAMLNode, path: String) throws(ValidationFailure) -> DocumentSource.Kind {
        let hint = "start the document with 'plan: ID' (a DR plan) or 'runbook: ID' (a runbook)"
        guard let entries = root.entries else {
            throw ValidationFailure([Diagnostic(
                root.location, "a Lifeboat document must be a mapping, not \(root.kindDescription)", hint: hint)])
        }
        let keys = Set(entries.map(\.key))
        switch (keys.contains("plan"), keys.contains("runbook")) {
        case (true, false): return .plan
        case (false, true): return .runbook
        case (true, true):
            let second = entries.first { $0.key == "runbook" }!
            throw ValidationFailure([Diagnostic(
                second.keyLocation, "a document cannot be both a plan and a runbook",
                hint: "keep plans and runbooks in separate files")])
        case (false, false):
            for entry in entries {
                if let match = Suggestion.closest(to: entry.key, in: ["plan", "runbook"]) {
                    throw ValidationFailure([Diagnostic(
                        entry.keyLocation, "unknown key '\(entry.key)': cannot tell whether this is a plan or a runbook",
                        hint: "did you mean '\(match)'?")])
                }
            }
            throw ValidationFailure([Diagnostic(
                root.location, "not a Lifeboat document: no top-level 'plan:' or 'runbook:' key", hint: hint)])
        }
    }
}
