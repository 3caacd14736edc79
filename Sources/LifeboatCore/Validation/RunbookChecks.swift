/// What a plan offers the runbooks of its scenarios: vars and secrets by name.
struct PlanContext: Sendable {
    var planID: String
    var vars: Set<String>
    var secrets: Set<String>
    var objectives: Objectives

    init(_ plan: Plan) {
        planID = plan.id
        vars = Set(plan.vars.keys)
        secrets = Set(plan.secrets.keys)
        objectives = plan.objectives
    }

    /// From a parsed plan: secrets count as declared even when their entry has an error.
    init(_ parsed: ParsedPlan) {
        self.init(parsed.plan)
        secrets.formUnion(parsed.declaredSecrets)
    }
}

/// Checks across a runbook's steps: ids, the `needs` graph, `rto_window` and `${...}` references.
enum RunbookChecks {
    /// The `run.X` fields a reference may name.
    static let runFields = ["id", "mode", "plan", "scenario"]

    /// Problems that need the whole runbook to be seen. Vars and secrets are checked separately,
    /// against each plan that uses the runbook (`checkPlanReferences`). `windowOrder: false` skips
    /// the `rto_window` order check, which only affects what is measured.
    static func check(_ parsed: ParsedRunbook, windowOrder: Bool = true) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let steps = parsed.runbook.steps
        // Ids: duplicates point at the second and name the first's line.
        var firstByID: [String: SourceLocation] = [:]
        var graphNodes: [(id: String, needs: [String])] = []
        var graphSteps: [Int] = []
        for (i, step) in steps.enumerated() where parsed.stepHasID[i] {
            let here = step.location(of: "id")
            if let first = firstByID[step.id] {
                out.append(Diagnostic(
                    here, "duplicate step id '\(step.id)' (first defined at line \(first.line))",
                    hint: "give each step a unique id"))
                continue
            }
            firstByID[step.id] = here
            graphNodes.append((step.id, step.needs))
            graphSteps.append(i)
        }
        let graph = StepGraph(graphNodes)
        let stepByID = Dictionary(uniqueKeysWithValues: graphSteps.map { (steps[$0].id, steps[$0]) })

        for unknown in graph.unknownNeeds {
            let step = stepByID[unknown.step]!
            out.append(Diagnostic(
                step.location(of: "needs.\(unknown.index)"),
                "step '\(unknown.step)' needs '\(unknown.need)', which is not a step of this runbook",
                hint: Suggestion.hint(for: unknown.need, in: graph.ids.filter { $0 != unknown.step }, noun: "other step")))
        }
        for cycle in graph.cycles {
            let step = stepByID[cycle[0]]!
            let position = step.needs.firstIndex(of: cycle[1]) ?? 0
            out.append(Diagnostic(
                step.location(of: "needs.\(position)"),
                "dependency cycle: \(cycle.joined(separator: " → ")) (each step needs the next)",
                hint: "remove one of these needs so the steps can run in order"))
        }
        if let window = parsed.runbook.rtoWindow {
            for (key, id) in [("start", window.start), ("end", window.end)] where !graph.contains(id) {
                out.append(Diagnostic(
                    parsed.locations["rto_window.\(key)"] ?? parsed.runbook.source.startLocation,
                    "rto_window \(key) '\(id)' is not a step of this runbook",
                    hint: Suggestion.hint(for: id, in: graph.ids, noun: "step")))
            }
            if windowOrder { out += checkWindowOrder(window, parsed, graph: graph) }
        }
        for probe in parsed.runbook.probes {
            if let from = probe.from, !graph.contains(from) {
                out.append(Diagnostic(
                    parsed.locations["probes.\(probe.id).from"] ?? probe.location,
                    "probe '\(probe.id)' starts from '\(from)', which is not a step of this runbook",
                    hint: Suggestion.hint(for: from, in: graph.ids, noun: "step")))
            }
        }
        out += checkReferences(parsed, graph: graph)
        return out
    }

    /// The window's end step must come after its start step in the `needs` graph (or be it), or
    /// the RTO it measures could end before it starts.
    private static func checkWindowOrder(_ window: RTOWindow, _ parsed: ParsedRunbook, graph: StepGraph) -> [Diagnostic] {
        let (start, end) = (window.start, window.end)
        guard start != end, graph.contains(start), graph.contains(end), !graph.hasCycle else { return [] }
        let reachability = graph.reachability()
        if reachability.isAncestor(start, of: end) { return [] }
        let location = parsed.locations["rto_window.end"] ?? parsed.runbook.source.startLocation
        if reachability.isAncestor(end, of: start) {
            return [Diagnostic(
                location, "rto_window ends at '\(end)', which runs before its start '\(start)' ('\(start)' needs '\(end)')",
                hint: "swap them: rto_window: {start: \(end), end: \(start)}")]
        }
        return [Diagnostic(
            location, "rto_window end '\(end)' does not depend on its start '\(start)', so it may end before the window starts",
            hint: "end the window at a step that needs '\(start)' (directly or through other steps), or add '\(start)' to the needs of '\(end)'")]
    }

    private static func checkReferences(_ parsed: ParsedRunbook, graph: StepGraph) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let params = Set(parsed.runbook.params.map(\.name))
        let paramNames = parsed.runbook.params.map(\.name)
        var reachability: Reachability?
        for site in parsed.references {
            let r = site.reference
            let name = r.path[0]
            func fail(_ message: String, _ hint: String) {
                out.append(Diagnostic(site.location, "\(r) cannot be resolved: \(message)", hint: hint))
            }
            switch r.scope {
            case .params:
                if case .paramDefault = site.context {
                    fail("a param default cannot refer to params", "write the value, or use ${vars.NAME}")
                } else if !params.contains(name) {
                    fail("runbook '\(parsed.runbook.id)' declares no param '\(name)'",
                        Suggestion.closest(to: name, in: paramNames).map { "did you mean '\($0)'?" }
                            ?? "declare it under params: with a type")
                }
            case .run:
                if !runFields.contains(name) || r.path.count > 1 {
                    fail("a run has no field '\(r.path.joined(separator: "."))'",
                        Suggestion.hint(for: name, in: runFields))
                }
            case .steps:
                let stepIndex: Int
                var selfAllowed = false
                switch site.context {
                case .step(let i): stepIndex = i
                case .rollback(let i): stepIndex = i; selfAllowed = true
                case .probe:
                    fail("a probe runs beside the steps, so step outputs are not available to it", "write the value, or use ${params.NAME} or ${vars.NAME}")
                    continue
                case .paramDefault, .scenario:
                    fail("step outputs are only available inside steps", "move the reference into a step's with:")
                    continue
                }
                let current = parsed.runbook.steps[stepIndex].id
                guard graph.contains(name) else {
                    fail("there is no step '\(name)'", Suggestion.hint(for: name, in: graph.ids, noun: "step"))
                    continue
                }
                if selfAllowed && name == current { continue }
                if reachability == nil { reachability = graph.reachability() }
                if !reachability!.isAncestor(name, of: current) {
                    fail(name == current
                        ? "a step cannot use its own outputs"
                        : "step '\(current)' does not depend on '\(name)', so its outputs may not exist yet",
                        name == current ? "use the outputs in a later step or in rollback:" : "add '\(name)' to the needs of '\(current)'")
                }
            case .vars, .secrets:
                continue
            }
        }
        return out
    }

    /// The runbook's `${vars…}` and `${secrets…}` references, against a plan that uses it.
    static func checkPlanReferences(_ parsed: ParsedRunbook, plan: PlanContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for site in parsed.references {
            let r = site.reference
            let name = r.path[0]
            switch r.scope {
            case .vars where !plan.vars.contains(name):
                out.append(Diagnostic(
                    site.location, "\(r) cannot be resolved: plan '\(plan.planID)' has no var '\(name)'",
                    hint: Suggestion.closest(to: name, in: plan.vars.sorted()).map { "did you mean '\($0)'?" }
                        ?? "add '\(name)' under vars: in plan '\(plan.planID)'"))
            case .secrets where !plan.secrets.contains(name):
                out.append(Diagnostic(
                    site.location, "\(r) cannot be resolved: plan '\(plan.planID)' declares no secret '\(name)'",
                    hint: Suggestion.closest(to: name, in: plan.secrets.sorted()).map { "did you mean '\($0)'?" }
                        ?? "declare it under secrets: in plan '\(plan.planID)' as {env: VAR} or {file: PATH}"))
            default: continue
            }
        }
        return out
    }

    /// The references in a plan's scenarios: only vars, secrets and run fields exist there.
    static func checkScenarioReferences(_ parsed: ParsedPlan) -> [Diagnostic] {
        let context = PlanContext(parsed)
        var out: [Diagnostic] = []
        for site in parsed.references {
            let r = site.reference
            let name = r.path[0]
            func fail(_ message: String, _ hint: String) {
                out.append(Diagnostic(site.location, "\(r) cannot be resolved: \(message)", hint: hint))
            }
            switch r.scope {
            case .params, .steps:
                fail("a scenario's with: can only use ${vars…}, ${secrets…} and ${run…}", "write the value itself")
            case .vars where !context.vars.contains(name):
                fail("plan '\(context.planID)' has no var '\(name)'", Suggestion.hint(for: name, in: context.vars.sorted(), noun: "var"))
            case .secrets where !context.secrets.contains(name):
                fail("plan '\(context.planID)' declares no secret '\(name)'",
                    Suggestion.hint(for: name, in: context.secrets.sorted(), noun: "secret"))
            case .run where !runFields.contains(name) || r.path.count > 1:
                fail("a run has no field '\(r.path.joined(separator: "."))'", Suggestion.hint(for: name, in: runFields))
            default: continue
            }
        }
        return out
    }
}

extension DocumentSource {
    /// `path:1:1`, for problems with the document as a whole.
    var startLocation: SourceLocation { SourceLocation(file: path, line: 1, column: 1) }
}
