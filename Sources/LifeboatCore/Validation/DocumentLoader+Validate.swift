extension DocumentLoader {
    /// Validates files and folders (recursively, `*.yaml` and `*.yml`).
    ///
    /// A plan is validated together with each scenario's runbook: the runbook gets its own entry in
    /// the report (added if it was not among `paths`), and the plan's entry lists what is wrong
    /// with the combination (unknown or missing params, vars and secrets the plan lacks).
    /// Runbooks also get warnings (`RunbookWarnings`); `strict` makes them errors.
    public func validate(paths: [String], strict: Bool = false) -> ValidationReport {
        var order: [String] = []
        var files: [String: ValidationReport.File] = [:]
        var pending: [String] = []
        for path in paths {
            if DocumentFiles.isDirectory(path) {
                let found = DocumentFiles.documents(under: path)
                if found.isEmpty {
                    let location = SourceLocation(file: path, line: 1, column: 1)
                    order.append(path)
                    files[path] = .init(path: path, kind: nil, id: nil, diagnostics: [Diagnostic(
                        location, "no .yaml or .yml files under '\(path)'", hint: "check the folder")])
                }
                pending += found
            } else {
                pending.append(path)
            }
        }
        // Each runbook is read once, whether a plan or the paths name it first.
        var runbookCache: [String: Result<ParsedRunbook, ValidationFailure>] = [:]
        func runbook(_ path: String, _ read: DocumentFiles.Read? = nil) -> Result<ParsedRunbook, ValidationFailure> {
            if let cached = runbookCache[path] { return cached }
            let result: Result<ParsedRunbook, ValidationFailure>
            do {
                if let read { result = .success(try parseRunbook(read)) } else { result = .success(try parseRunbook(at: path)) }
            } catch {
                result = .failure(error)
            }
            runbookCache[path] = result
            return result
        }

        var index = 0
        while index < pending.count {
            let path = PathText.normalize(pending[index])
            index += 1
            guard files[path] == nil else { continue }
            order.append(path)
            if case .success(let parsed)? = runbookCache[path] {
                files[path] = .init(
                    path: path, kind: .runbook, id: parsed.runbook.id.nilIfEmpty, diagnostics: validationDiagnostics(parsed))
                continue
            }
            let read: DocumentFiles.Read
            do { read = try DocumentFiles.read(path) } catch {
                files[path] = .init(path: path, kind: nil, id: nil, diagnostics: error.diagnostics)
                continue
            }
            switch read.kind {
            case .runbook:
                switch runbook(path, read) {
                case .success(let parsed):
                    files[path] = .init(
                        path: path, kind: .runbook, id: parsed.runbook.id.nilIfEmpty,
                        diagnostics: validationDiagnostics(parsed))
                case .failure(let failure):
                    files[path] = .init(path: path, kind: .runbook, id: nil, diagnostics: failure.diagnostics)
                }
            case .plan:
                var parser = PlanParser()
                let parsed = parser.parse(read.root, source: read.source)
                var diagnostics = planDiagnostics(parsed)
                for scenario in parsed.plan.scenarios {
                    guard let display = parsed.runbookDisplayPaths[scenario.name], !display.isEmpty,
                        DocumentFiles.exists(display)
                    else { continue }
                    pending.append(display)
                    switch runbook(display) {
                    case .success(let rb):
                        diagnostics += scenarioDiagnostics(
                            PlanContext(parsed), scenario, with: parsed.scenarioWith[scenario.name], rb, overrides: [:]
                        ).diagnostics
                    case .failure(let failure):
                        if failure.diagnostics.contains(where: { $0.message.contains("is a plan, not a runbook") }) {
                            diagnostics.append(Diagnostic(
                                parsed.locations["scenarios.\(scenario.name).runbook"] ?? scenario.location,
                                "runbook '\(scenario.runbookPath)' of scenario '\(scenario.name)' is a plan, not a runbook",
                                hint: "point runbook: at a runbook file"))
                        }
                    }
                }
                files[path] = .init(
                    path: path, kind: .plan, id: parsed.plan.id.nilIfEmpty, diagnostics: Self.sorted(diagnostics))
            }
        }
        let report = ValidationReport(files: order.compactMap { files[$0] })
        return strict ? report.strict() : report
    }

    /// A runbook's errors and warnings, in document order.
    private func validationDiagnostics(_ parsed: ParsedRunbook) -> [Diagnostic] {
        Self.sorted(runbookDiagnostics(parsed) + RunbookWarnings.check(parsed))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
