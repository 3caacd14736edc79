/// Loads and validates plans and runbooks, and resolves a plan's scenario for a run.
///
/// Every problem is reported with `file:line:column` and a fix hint, and all of them are collected
/// before anything throws. The loader knows actions only through the specs it is given.
public struct DocumentLoader: Sendable {
    let actions: [String: ActionSpec]

    public init(actions: [ActionSpec]) {
        self.actions = Dictionary(actions.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    // MARK: - Loading

    /// Loads a plan and checks it on its own: structure, types, and that each scenario's runbook
    /// file exists. The runbooks themselves are checked by `resolve` and `validate`.
    public func loadPlan(at path: String) throws(ValidationFailure) -> Plan {
        let parsed = try parsePlan(at: path)
        let diagnostics = planDiagnostics(parsed)
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return parsed.plan
    }

    /// Loads a runbook and checks it on its own (vars and secrets need a plan: see `resolve`).
    public func loadRunbook(at path: String) throws(ValidationFailure) -> Runbook {
        let parsed = try parseRunbook(at: path)
        let diagnostics = runbookDiagnostics(parsed)
        guard diagnostics.isEmpty else { throw ValidationFailure(diagnostics) }
        return parsed.runbook
    }

    // MARK: - Parsing (internal)

    func parsePlan(at path: String) throws(ValidationFailure) -> ParsedPlan {
        let read = try DocumentFiles.read(path)
        guard read.kind == .plan else {
            throw ValidationFailure([Diagnostic(
                read.root.location, "'\(path)' is a runbook, not a plan", hint: "pass the plan file that uses it")])
        }
        var parser = PlanParser()
        return parser.parse(read.root, source: read.source)
    }

    func parseRunbook(at path: String) throws(ValidationFailure) -> ParsedRunbook {
        try parseRunbook(try DocumentFiles.read(path))
    }

    func parseRunbook(_ read: DocumentFiles.Read) throws(ValidationFailure) -> ParsedRunbook {
        let path = read.path
        guard read.kind == .runbook else {
            throw ValidationFailure([Diagnostic(
                read.root.location, "'\(path)' is a plan, not a runbook", hint: "name a runbook file")])
        }
        var parser = RunbookParser(actions: actions)
        return parser.parse(read.root, source: read.source)
    }

    /// The plan's own problems, including scenario runbooks that do not exist.
    func planDiagnostics(_ parsed: ParsedPlan) -> [Diagnostic] {
        var out = parsed.diagnostics + RunbookChecks.checkScenarioReferences(parsed)
        for scenario in parsed.plan.scenarios where !scenario.runbookPath.isEmpty {
            let display = parsed.runbookDisplayPaths[scenario.name] ?? scenario.resolvedRunbookPath
            if !DocumentFiles.exists(display) {
                out.append(Diagnostic(
                    parsed.locations["scenarios.\(scenario.name).runbook"] ?? scenario.location,
                    "runbook '\(scenario.runbookPath)' of scenario '\(scenario.name)' does not exist (looked for '\(display)')",
                    hint: "the path is relative to the plan file's folder"))
            }
        }
        return Self.sorted(out)
    }

    func runbookDiagnostics(_ parsed: ParsedRunbook, windowOrder: Bool = true) -> [Diagnostic] {
        Self.sorted(parsed.diagnostics + RunbookChecks.check(parsed, windowOrder: windowOrder))
    }

    /// Problems of the combination plan + scenario + runbook: vars and secrets the runbook uses,
    /// and the scenario's params.
    func scenarioDiagnostics(
        _ plan: PlanContext, _ scenario: Scenario, with entries: [YAMLEntry]?, _ runbook: ParsedRunbook,
        overrides: [String: String]
    ) -> (params: [String: Value], diagnostics: [Diagnostic]) {
        let merged = ScenarioParams.merge(
            runbook: runbook.runbook, scenario: scenario, given: ScenarioParams.given(scenario, entries: entries),
            overrides: overrides)
        var references = RunbookChecks.checkPlanReferences(runbook, plan: plan)
        if plan.objectives.overridden(by: scenario.objectives).judgeRTOBy == .outage,
            !runbook.runbook.probes.contains(where: \.measuresOutage)
        {
            references.append(Diagnostic(
                scenario.location,
                "scenario '\(scenario.name)' judges its RTO by the observed outage, but runbook '\(runbook.runbook.id)' has no probe that measures it",
                hint: "add a probe with measures: outage to the runbook, or judge_rto_by: window"))
        }
        return (merged.params, merged.diagnostics + references)
    }

    /// Orders diagnostics by file, line and column, dropping exact repeats.
    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }.enumerated().sorted { a, b in
            let (l, r) = (a.element.location, b.element.location)
            if l.file != r.file { return l.file < r.file }
            if l.line != r.line { return l.line < r.line }
            if l.column != r.column { return l.column < r.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
