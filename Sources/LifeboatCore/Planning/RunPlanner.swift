import Foundation

/// Run preparation's decisions, free of I/O: the run header a resolved scenario gives (each step's
/// idempotency, verify and compensation rules from the action registry), the secrets a runbook
/// uses, what a step does (for `resume --reload`), and how a reloaded header differs.
public struct RunPlanner: Sendable {
    public var actions: ActionRegistry

    public init(actions: ActionRegistry) { self.actions = actions }

    /// The run header: steps in topological order, with the rules that decide resume.
    /// - A tabletop runs nothing: every step is idempotent and none is verified.
    /// - Otherwise a step is idempotent when it says so, else when its action is; it has a verify
    ///   when its action has one.
    public func header(
        _ resolved: ResolvedScenario, mode: RunMode, startedBy: String, concurrency: Int, approvedByFlag: Bool,
        documentsHash: String
    ) -> RunHeader {
        let runbook = resolved.runbook
        let order = StepGraph(steps: runbook.steps).topologicalOrder
        let titles = Self.titleContext(resolved, mode: mode)
        let stepByID = Dictionary(runbook.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let steps = order.compactMap { stepByID[$0] }.map { step -> StepHeader in
            let spec = actions.spec(step.action)
            return StepHeader(
                id: step.id, title: titles.renderLeniently(step.displayTitle), action: step.action, needs: step.needs,
                idempotent: mode == .tabletop ? true : (step.idempotent ?? spec?.idempotent ?? false),
                hasVerify: mode == .tabletop ? false : (spec?.hasVerify ?? false),
                retry: step.retry ?? .none, timeoutMs: step.timeout?.milliseconds, expectMs: step.expect?.milliseconds,
                applies: step.when.applies(to: mode), hasCompensation: step.rollback != nil,
                compensationIdempotent: step.rollback.map { actions.spec($0.action)?.idempotent ?? false },
                definition: Self.definition(of: step), approval: ApprovalRule(of: step, in: mode),
                bulkhead: bulkheadKey(step, titles))
        }
        return RunHeader(
            planID: resolved.plan.id, scenario: resolved.scenario.name, runbookID: runbook.id, mode: mode,
            params: resolved.params, objectives: resolved.objectives, rtoWindow: runbook.rtoWindow,
            startedBy: startedBy, documentsHash: documentsHash, steps: steps, concurrency: concurrency,
            approvedByFlag: approvedByFlag, bulkheads: resolved.plan.bulkheads.isEmpty ? nil : resolved.plan.bulkheads,
            notifyOn: mode == .tabletop ? nil : Self.notifyTriggers(resolved.plan),
            incidentAtMs: resolved.params["incident_time"]?.stringValue.flatMap(UTCCalendar.parseISO),
            probes: mode == .tabletop || runbook.probes.isEmpty ? nil : runbook.probes.map(\.header))
    }

    /// The run events the plan's `notify:` targets want, in a stable order; nil when none.
    static func notifyTriggers(_ plan: Plan) -> [NotifyTrigger]? {
        let wanted = Set(plan.notify.flatMap(\.on))
        return wanted.isEmpty ? nil : NotifyTrigger.allCases.filter(wanted.contains)
    }

    /// A step's bulkhead key: its `bulkhead:` name, else its action's endpoint from its parameters
    /// as far as they render before the run (vars and params; not step outputs or secrets).
    func bulkheadKey(_ step: Step, _ context: RenderContext) -> String? {
        if let name = step.bulkhead { return name }
        guard let handler = actions.handler(step.action), case .map(let with) = context.renderLeniently(.map(step.with)) else {
            return nil
        }
        return handler.endpoint(for: ActionContext(runID: "", stepID: step.id, mode: .execute, params: with, baseDirectory: "/"))
    }

    /// What a title may say: parameters, vars and the run's plan, scenario and mode. Secrets and
    /// step outputs stay as written (a title is recorded; it never carries a secret).
    static func titleContext(_ resolved: ResolvedScenario, mode: RunMode) -> RenderContext {
        RenderContext(
            params: resolved.params, vars: resolved.plan.vars,
            run: ["plan": .string(resolved.plan.id), "scenario": .string(resolved.scenario.name), "mode": .string(mode.rawValue)])
    }

    /// What a step does (action, `with:`, rollback) as canonical text, for `resume --reload`.
    public static func definition(of step: Step) -> String {
        struct Definition: Encodable {
            var action: String
            var with: [String: Value]
            var rollbackAction: String?
            var rollbackWith: [String: Value]?
        }
        let definition = Definition(
            action: step.action, with: step.with, rollbackAction: step.rollback?.action, rollbackWith: step.rollback?.with)
        return (try? CanonicalJSON.encode(definition)) ?? ""
    }

    /// Names of the secrets a runbook's steps and rollbacks reference (a scenario need not have
    /// every secret of its plan).
    public static func referencedSecrets(_ runbook: Runbook) -> Set<String> {
        referencedSecrets(
            in: runbook.steps.flatMap { [Value.map($0.with), .map($0.rollback?.with ?? [:])] } + runbook.probes.map { .map($0.with) })
    }

    /// Names of the secrets `values` reference (a plan's `notify:` targets, say).
    public static func referencedSecrets(in values: [Value]) -> Set<String> {
        var names = Set<String>()
        for value in values {
            for case .success(let reference) in Template.references(in: value) where reference.scope == .secrets {
                names.insert(reference.path[0])
            }
        }
        return names
    }

    /// Lines saying how `new` differs from `old`, step by step (`resume --reload` prints them).
    public static func changes(from old: RunHeader, to new: RunHeader) -> [String] {
        let before = Dictionary(old.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.steps.map(\.id))
        var lines: [String] = []
        for step in new.steps {
            guard let was = before[step.id] else {
                lines.append("+ \(step.id): added (\(step.action))")
                continue
            }
            var what: [String] = []
            if was.action != step.action {
                what.append("action \(was.action) → \(step.action)")
            } else if was.definition != step.definition {
                what.append("parameters")
            }
            if was.needs != step.needs {
                what.append("needs [\(was.needs.joined(separator: ", "))] → [\(step.needs.joined(separator: ", "))]")
            }
            if was.retry != step.retry || was.timeoutMs != step.timeoutMs { what.append("retry or timeout") }
            if !what.isEmpty { lines.append("~ \(step.id): " + what.joined(separator: "; ")) }
        }
        for step in old.steps where !after.contains(step.id) { lines.append("- \(step.id): removed") }
        return lines
    }
}
