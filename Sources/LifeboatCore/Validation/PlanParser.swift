/// A plan as read from its file: the model (best effort when there are errors), the problems
/// found while reading it, and where its parts were written.
struct ParsedPlan: Sendable {
    var plan: Plan
    var diagnostics: [Diagnostic]
    /// References in scenarios' `with:`.
    var references: [ReferenceSite]
    /// Locations by dotted path: `plan`, `scenarios`, `scenarios.NAME`, `scenarios.NAME.runbook`,
    /// `vars.NAME`, `secrets.NAME`.
    var locations: [String: SourceLocation]
    /// Every secret name the plan declares, valid or not (so a broken entry is reported once).
    var declaredSecrets: Set<String>
    /// Each scenario's `with:` entries with their locations, by scenario name.
    var scenarioWith: [String: [YAMLEntry]]
    /// Where each scenario's runbook is shown in messages (relative, like the plan's path).
    var runbookDisplayPaths: [String: String]
}

/// Reads a plan's located YAML into a `Plan`, reporting every structural problem.
struct PlanParser: DocumentReading {
    static let topKeys = [
        "plan", "description", "owner", "tier", "objectives", "schedule", "bulkheads", "notify", "vars", "secrets", "scenarios",
    ]
    static let scenarioKeys = ["description", "runbook", "with", "objectives"]

    var diagnostics: [Diagnostic] = []
    private var scanner = TemplateScanner()
    private var locations: [String: SourceLocation] = [:]
    private var scenarioWith: [String: [YAMLEntry]] = [:]
    private var displayPaths: [String: String] = [:]

    mutating func parse(_ root: YAMLNode, source: DocumentSource) -> ParsedPlan {
        let top = fields(of: root, "the plan", allowed: Self.topKeys) ?? Fields(node: root, entries: [])
        locations["plan"] = top.location(of: "plan")
        let id = string(top, "plan", "the plan", required: true) ?? ""
        let description = string(top, "description", "the plan")
        let owner = string(top, "owner", "the plan")
        var tier: Int?
        if let entry = top["tier"], let t = int(top, "tier", "the plan") {
            if (1...3).contains(t) {
                tier = t
            } else {
                error(entry.value.location, "tier \(t) does not exist",
                    hint: "tier is 1 (RTO 1h, RPO 5m), 2 (4h, 1h) or 3 (24h, 24h)")
            }
        }
        var objectives = tier.flatMap(Objectives.tierDefault) ?? Objectives()
        if let entry = top["objectives"] {
            objectives = objectives.overridden(by: self.objectives(entry.value, "the plan's objectives"))
        }
        var schedule: [Cadence: Frequency] = [:]
        var cadenceScenarios: [Cadence: [(name: String, location: SourceLocation)]] = [:]
        if let entry = top["schedule"] { (schedule, cadenceScenarios) = readSchedule(entry) }
        var bulkheads: [String: Int] = [:]
        if let entry = top["bulkheads"],
            let entries = entries(of: entry.value, "'bulkheads'", hint: "write each as NAME: LIMIT, e.g. bulkheads: {postgres-primary: 1, dns: 2}")
        {
            for e in entries {
                guard case .int(let limit)? = e.value.scalar, limit >= 1 else {
                    error(e.value.location, "bulkhead '\(e.key)' must be a whole number of steps, at least 1",
                        hint: "write e.g. \(e.key): 1")
                    continue
                }
                bulkheads[e.key] = limit
            }
        }
        var notify: [PlanNotification] = []
        if let entry = top["notify"] { notify = readNotify(entry) }
        var vars: [String: Value] = [:]
        if let entry = top["vars"],
            let entries = entries(of: entry.value, "'vars'", hint: "write each var as NAME: value")
        {
            for e in entries {
                vars[e.key] = e.value.value
                locations["vars.\(e.key)"] = e.keyLocation
                if let text = e.value.value.stringValue, CredentialText.literalPassword(in: text) {
                    error(e.value.location, "var '\(e.key)' holds a password written in the plan, which every run stores",
                        hint: "give the password to the steps with password=${secrets.NAME}, a .pgpass file or PGSERVICE")
                }
            }
        }
        var secrets: [String: SecretSource] = [:]
        if let entry = top["secrets"] { secrets = readSecrets(entry) }
        var scenarios: [Scenario] = []
        if let entry = top["scenarios"] {
            locations["scenarios"] = entry.keyLocation
            if let entries = entries(of: entry.value, "'scenarios'", hint: "write each scenario as NAME: {runbook: …}") {
                if entries.isEmpty {
                    error(entry.keyLocation, "plan '\(id)' has no scenarios", hint: "add at least one scenario")
                }
                for e in entries {
                    if let s = readScenario(e, planPath: source.path) { scenarios.append(s) }
                }
            }
        } else {
            error(root.location, "plan '\(id)' has no 'scenarios'", hint: "add 'scenarios:' with at least one scenario")
        }
        for (cadence, listed) in cadenceScenarios {
            for scenario in listed where !scenarios.contains(where: { $0.name == scenario.name }) {
                error(scenario.location, "schedule.\(cadence.rawValue) names scenario '\(scenario.name)', which the plan does not have",
                    hint: Suggestion.hint(for: scenario.name, in: scenarios.map(\.name)))
            }
        }
        let plan = Plan(
            id: id, description: description, owner: owner, tier: tier, objectives: objectives, schedule: schedule,
            cadenceScenarios: cadenceScenarios.mapValues { $0.map(\.name) }, bulkheads: bulkheads, notify: notify, vars: vars, secrets: secrets, scenarios: scenarios, source: source)
        return ParsedPlan(
            plan: plan, diagnostics: diagnostics + scanner.diagnostics, references: scanner.references,
            locations: locations,
            declaredSecrets: Set(locations.keys.filter { $0.hasPrefix("secrets.") }.map { String($0.dropFirst(8)) }),
            scenarioWith: scenarioWith, runbookDisplayPaths: displayPaths)
    }

    /// `cadence: frequency`, or `cadence: {every: frequency, scenarios: [NAME, …]}`.
    private mutating func readSchedule(_ entry: YAMLEntry)
        -> ([Cadence: Frequency], [Cadence: [(name: String, location: SourceLocation)]])
    {
        let cadences = Cadence.allCases.map(\.rawValue)
        let hint = "write e.g. schedule: {tabletop: quarterly, failover: {every: semiannual, scenarios: [region-failure, failback]}}"
        guard let entries = entries(of: entry.value, "'schedule'", hint: hint) else { return ([:], [:]) }
        var frequencies: [Cadence: Frequency] = [:]
        var scenarios: [Cadence: [(name: String, location: SourceLocation)]] = [:]
        for e in entries {
            guard let cadence = Cadence(rawValue: e.key) else {
                error(e.keyLocation, "unknown key '\(e.key)' in schedule", hint: Suggestion.hint(for: e.key, in: cadences))
                continue
            }
            guard e.value.entries != nil else {
                if let f = oneOf(e.value, Frequency.self, "frequency for \(e.key)") { frequencies[cadence] = f }
                continue
            }
            let what = "schedule.\(e.key)"
            guard let f = fields(of: e.value, what, allowed: ["every", "scenarios"]) else { continue }
            if let every = f["every"] {
                if let frequency = oneOf(every.value, Frequency.self, "frequency for \(e.key)") { frequencies[cadence] = frequency }
            } else {
                error(e.value.location, "\(what) has no 'every'", hint: "add every: semiannual (or weekly, monthly, quarterly, annual)")
            }
            if let list = f["scenarios"] {
                guard let items = list.value.items, !items.isEmpty else {
                    error(list.value.location, "\(what).scenarios must be a non-empty list of scenario names",
                        hint: "write scenarios: [region-failure, failback]")
                    continue
                }
                var names: [(name: String, location: SourceLocation)] = []
                for item in items {
                    guard case .string(let name)? = item.scalar else {
                        error(item.location, "\(what).scenarios holds \(item.kindDescription), not a scenario name", hint: "write the scenario's name")
                        continue
                    }
                    names.append((name, item.location))
                }
                scenarios[cadence] = names
            }
        }
        return (frequencies, scenarios)
    }

    /// `notify: [{on: [run_ended, …], url, headers, timeout, tls}, …]`.
    private mutating func readNotify(_ entry: YAMLEntry) -> [PlanNotification] {
        guard let items = entry.value.items else {
            error(entry.value.location, "'notify' must be a list of {on: [...], url: ...}, not \(entry.value.kindDescription)",
                hint: "write notify: [{on: [approval_needed, run_ended], url: \"https://hooks.example/…\"}]")
            return []
        }
        var out: [PlanNotification] = []
        for (index, item) in items.enumerated() {
            let what = "notify[\(index)]"
            guard let f = fields(of: item, what, allowed: ["on", "url", "headers", "timeout", "tls"]) else { continue }
            if string(f, "url", what, required: true) == nil { continue }
            var triggers: [NotifyTrigger] = []
            if let on = f["on"] {
                let names = on.value.items ?? [on.value]
                for name in names {
                    if let trigger = oneOf(name, NotifyTrigger.self, "run event for \(what).on") { triggers.append(trigger) }
                }
            } else {
                error(item.location, "\(what) has no 'on'", hint: "say on which run events: on: [approval_needed, step_failed, run_paused, run_ended]")
            }
            var with: [String: Value] = [:]
            for e in f.entries where e.key != "on" { with[e.key] = e.value.value }
            out.append(PlanNotification(on: triggers, with: with, location: item.location))
        }
        return out
    }

    private mutating func readSecrets(_ entry: YAMLEntry) -> [String: SecretSource] {
        guard let entries = entries(of: entry.value, "'secrets'", hint: "write each secret as NAME: {env: VAR} or NAME: {file: PATH}")
        else { return [:] }
        var out: [String: SecretSource] = [:]
        for e in entries {
            locations["secrets.\(e.key)"] = e.keyLocation
            let what = "secret '\(e.key)'"
            guard let f = fields(of: e.value, what, allowed: ["env", "file"]) else { continue }
            let env = string(f, "env", what)
            let file = string(f, "file", what)
            switch (env, file) {
            case (let name?, nil) where !name.isEmpty: out[e.key] = .env(name)
            case (nil, let path?) where !path.isEmpty: out[e.key] = .file(path)
            case (.some, .some):
                error(e.keyLocation, "\(what) has both 'env' and 'file'", hint: "keep one source")
            default:
                if f["env"] == nil, f["file"] == nil {
                    error(e.value.location, "\(what) must be {env: NAME} or {file: PATH}",
                        hint: "name an environment variable or a file holding the secret")
                } else if env?.isEmpty == true || file?.isEmpty == true {
                    error(e.value.location, "\(what) names an empty source", hint: "write the variable name or file path")
                }
            }
        }
        return out
    }

    private mutating func readScenario(_ entry: YAMLEntry, planPath: String) -> Scenario? {
        let name = entry.key
        let what = "scenario '\(name)'"
        locations["scenarios.\(name)"] = entry.keyLocation
        guard let f = fields(of: entry.value, what, allowed: Self.scenarioKeys) else { return nil }
        let description = string(f, "description", what)
        let runbookPath = string(f, "runbook", what) ?? ""
        if f["runbook"] == nil {
            error(entry.keyLocation, "\(what) has no 'runbook'", hint: "add runbook: ../runbooks/NAME.yaml (relative to the plan)")
        } else {
            locations["scenarios.\(name).runbook"] = f["runbook"]!.value.location
        }
        var with: [String: Value] = [:]
        if let w = f["with"],
            let entries = entries(of: w.value, "'with' of \(what)", hint: "write the runbook's params as key: value pairs")
        {
            scenarioWith[name] = entries
            for e in entries {
                with[e.key] = e.value.value
                var ignored: [String: SourceLocation] = [:]
                scanner.scan(e.value, path: "with.\(e.key)", keyLocation: e.keyLocation, context: .scenario(name),
                    locations: &ignored)
            }
        }
        let objectives = f["objectives"].flatMap { self.objectives($0.value, "the objectives of \(what)") }
        let display = runbookPath.isEmpty ? "" : PathText.join(PathText.directory(of: planPath), runbookPath)
        displayPaths[name] = display
        return Scenario(
            name: name, description: description, runbookPath: runbookPath,
            resolvedRunbookPath: runbookPath.isEmpty ? "" : PathText.absolute(display), with: with,
            objectives: objectives, location: entry.keyLocation)
    }
}
