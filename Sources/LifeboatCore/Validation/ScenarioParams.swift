/// Merges a runbook's params for one scenario: defaults, then the scenario's `with:`, then
/// `-p name=value` overrides, checking names and types at each layer.
enum ScenarioParams {
    /// A scenario `with:` entry and where it was written.
    struct Given {
        var name: String
        var value: Value
        var keyLocation: SourceLocation
        var valueLocation: SourceLocation
    }

    /// The merged params, and every problem found (an empty list means they are complete).
    static func merge(
        runbook: Runbook, scenario: Scenario, given: [Given], overrides: [String: String]
    ) -> (params: [String: Value], diagnostics: [Diagnostic]) {
        var out: [Diagnostic] = []
        var params: [String: Value] = [:]
        let specs = Dictionary(runbook.params.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let names = runbook.params.map(\.name)
        for spec in runbook.params { if let d = spec.defaultValue { params[spec.name] = d } }

        for entry in given {
            guard let spec = specs[entry.name] else {
                out.append(Diagnostic(
                    entry.keyLocation,
                    "scenario '\(scenario.name)' sets '\(entry.name)', but runbook '\(runbook.id)' has no such param",
                    hint: Suggestion.hint(for: entry.name, in: names, noun: "param")))
                continue
            }
            if entry.value == .null { continue }
            if let problem = ValueChecks.problem(entry.value, type: spec.type) {
                out.append(Diagnostic(
                    entry.valueLocation, "param '\(entry.name)' of scenario '\(scenario.name)' \(problem)",
                    hint: "runbook '\(runbook.id)' declares it as \(spec.type.rawValue)"))
                continue
            }
            params[entry.name] = entry.value
        }

        for name in overrides.keys.sorted() {
            let text = overrides[name]!
            guard let spec = specs[name] else {
                out.append(Diagnostic(
                    scenario.location, "-p \(name)=…: runbook '\(runbook.id)' has no param '\(name)'",
                    hint: Suggestion.hint(for: name, in: names, noun: "param")))
                continue
            }
            switch ValueChecks.convert(text, to: spec.type) {
            case .success(.string(let s)): params[name] = .string(Template.escaped(s))  // literal, never a template
            case .success(let value): params[name] = value
            case .failure(let failure):
                out.append(Diagnostic(
                    scenario.location, "-p \(name)=\(text): \(failure.message)",
                    hint: "param '\(name)' is declared as \(spec.type.rawValue)"))
            }
        }

        for spec in runbook.params where spec.required && params[spec.name] == nil {
            out.append(Diagnostic(
                scenario.location,
                "scenario '\(scenario.name)' does not set required param '\(spec.name)' of runbook '\(runbook.id)'",
                hint: "add \(spec.name): to the scenario's with:, or pass -p \(spec.name)=VALUE"))
        }
        return (params, out)
    }

    /// The scenario's `with:` with locations from the parsed plan, or the scenario's own location.
    static func given(_ scenario: Scenario, entries: [YAMLEntry]?) -> [Given] {
        if let entries {
            return entries.map {
                Given(name: $0.key, value: $0.value.value, keyLocation: $0.keyLocation, valueLocation: $0.value.location)
            }
        }
        return scenario.with.keys.sorted().map {
            Given(name: $0, value: scenario.with[$0]!, keyLocation: scenario.location, valueLocation: scenario.location)
        }
    }
}
