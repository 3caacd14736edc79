extension DocumentLoader {
    /// Loads a scenario's runbook and merges its params: runbook defaults, then the scenario's
    /// `with:`, then `overrides` (`-p name=value`, converted to each param's declared type).
    ///
    /// Objectives: the tier's defaults, then the plan's `objectives:`, then the scenario's.
    /// Throws every problem of the runbook and of the combination at once.
    public func resolve(
        plan: Plan, scenario name: String, overrides: [String: String] = [:]
    ) throws(ValidationFailure) -> ResolvedScenario {
        // Locations of the scenario's with: entries come from the plan's text, when there is one.
        let parsedPlan: ParsedPlan? = {
            guard let root = try? YAMLDocument.parse(plan.source.text, file: plan.source.path) else { return nil }
            var parser = PlanParser()
            return parser.parse(root, source: plan.source)
        }()
        guard let scenario = plan.scenario(named: name) else {
            let names = plan.scenarios.map(\.name)
            let location = parsedPlan?.locations["scenarios"]
                ?? plan.scenarios.first?.location ?? plan.source.startLocation
            let match = Suggestion.closest(to: name, in: names).map { "did you mean '\($0)'? " } ?? ""
            throw ValidationFailure([Diagnostic(
                location, "plan '\(plan.id)' has no scenario '\(name)'",
                hint: match + "available: " + (names.isEmpty ? "none" : names.joined(separator: ", ")))])
        }
        let path = parsedPlan?.runbookDisplayPaths[name] ?? scenario.resolvedRunbookPath
        guard DocumentFiles.exists(path) else {
            throw ValidationFailure([Diagnostic(
                parsedPlan?.locations["scenarios.\(name).runbook"] ?? scenario.location,
                "runbook '\(scenario.runbookPath)' of scenario '\(name)' does not exist (looked for '\(path)')",
                hint: "the path is relative to the plan file's folder")])
        }
        let runbook = try parseRunbook(at: path)
        let combination = scenarioDiagnostics(
            PlanContext(plan), scenario, with: parsedPlan?.scenarioWith[name], runbook, overrides: overrides)
        let diagnostics = Self.sorted(runbookDiagnostics(runbook) + combination.diagnostics)
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return ResolvedScenario(
            plan: plan, scenario: scenario, runbook: runbook.runbook, params: combination.params,
            objectives: plan.objectives.overridden(by: scenario.objectives))
    }
}
