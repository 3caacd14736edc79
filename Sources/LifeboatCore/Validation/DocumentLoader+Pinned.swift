/// Loading the documents a run pinned in the store, from their recorded text rather than today's
/// files: `resume` and `rollback` run exactly the version that started.
extension DocumentLoader {
    public func loadPinnedPlan(_ source: DocumentSource) throws(ValidationFailure) -> Plan {
        let read = try Self.readPinned(source, as: .plan)
        var parser = PlanParser()
        let parsed = parser.parse(read.root, source: read.source)
        guard parsed.diagnostics.isEmpty else { throw ValidationFailure(Self.sorted(parsed.diagnostics)) }
        return parsed.plan
    }

    public func loadPinnedRunbook(_ source: DocumentSource) throws(ValidationFailure) -> Runbook {
        let read = try Self.readPinned(source, as: .runbook)
        var parser = RunbookParser(actions: actions)
        let parsed = parser.parse(read.root, source: read.source)
        // A run that pinned a runbook before the rto_window order was checked must still resume:
        // the order only affects what RTO is measured, not what runs.
        let diagnostics = runbookDiagnostics(parsed, windowOrder: false)
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return parsed.runbook
    }

    private static func readPinned(_ source: DocumentSource, as kind: DocumentSource.Kind) throws(ValidationFailure)
        -> DocumentFiles.Read
    {
        let start = SourceLocation(file: source.path, line: 1, column: 1)
        guard let root = try YAMLDocument.parse(source.text, file: source.path),
              try DocumentFiles.kind(of: root, path: source.path) == kind
        else {
            throw ValidationFailure([Diagnostic(start, "the pinned \(kind.rawValue) '\(source.path)' is not a \(kind.rawValue)",
                                                hint: "check the store with `lifeboat audit verify`")])
        }
        return DocumentFiles.Read(path: source.path, text: source.text, root: root, kind: kind)
    }
}
