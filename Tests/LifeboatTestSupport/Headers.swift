import LifeboatCore

/// Builds run headers for tests: `steps("a", "b<a", "c<a,b")` means b needs a, c needs a and b.
public enum TestHeaders {
    public static func step(
        _ spec: String, action: String = "scripted", idempotent: Bool = false, hasVerify: Bool = false,
        retry: RetryPolicy = .none, timeoutMs: Int64? = nil, expectMs: Int64? = nil, applies: Bool = true,
        compensation: Bool = false
    ) -> StepHeader {
        let parts = spec.split(separator: "<", maxSplits: 1).map(String.init)
        let needs = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
        return StepHeader(
            id: parts[0], title: "Step \(parts[0])", action: action, needs: needs, idempotent: idempotent,
            hasVerify: hasVerify, retry: retry, timeoutMs: timeoutMs, expectMs: expectMs, applies: applies,
            hasCompensation: compensation)
    }

    public static func header(
        _ steps: [StepHeader], mode: RunMode = .execute, concurrency: Int = 4, objectives: Objectives = .init(),
        window: RTOWindow? = nil
    ) -> RunHeader {
        RunHeader(
            planID: "plan", scenario: "scenario", runbookID: "runbook", mode: mode, params: [:],
            objectives: objectives, rtoWindow: window, startedBy: "tester", documentsHash: "hash", steps: steps,
            concurrency: concurrency, approvedByFlag: false)
    }

    /// Runbook steps matching a header, for `RunInputs`.
    public static func runbookSteps(_ header: RunHeader, with: [String: [String: Value]] = [:]) -> [String: Step] {
        var out: [String: Step] = [:]
        for s in header.steps {
            out[s.id] = Step(
                id: s.id, title: s.title, action: s.action, needs: s.needs, with: with[s.id] ?? [:],
                location: SourceLocation(file: "runbook.yaml", line: 1, column: 1))
        }
        return out
    }
}
