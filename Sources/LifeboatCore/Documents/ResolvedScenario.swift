/// A plan's scenario with its runbook loaded and its parameters merged: everything a run needs
/// except secret values, which are read at run time.
public struct ResolvedScenario: Sendable {
    public var plan: Plan
    public var scenario: Scenario
    public var runbook: Runbook
    /// Runbook defaults, then the scenario's `with:`, then `-p k=v` overrides; typed per `params:`.
    public var params: [String: Value]
    /// Tier defaults, then the plan's `objectives:`, then the scenario's.
    public var objectives: Objectives

    public init(plan: Plan, scenario: Scenario, runbook: Runbook, params: [String: Value], objectives: Objectives) {
        self.plan = plan
        self.scenario = scenario
        self.runbook = runbook
        self.params = params
        self.objectives = objectives
    }
}
