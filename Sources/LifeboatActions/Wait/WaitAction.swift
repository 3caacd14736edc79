import LifeboatCore

/// `wait`: a fixed delay (`duration`), or polling a nested check (`until: {action: NAME, with: {...}}`)
/// every `interval` until it succeeds or `timeout` expires.
///
/// A nested check "succeeds" when its `run` returns without throwing. A nested error that says the
/// step itself is wrong (`invalid_input`, `internal_error`) or a cancellation stops the wait at once;
/// any other failure is remembered and the check tried again. Outputs: `waited_ms`, `checks` and,
/// after an `until`, `result` (the successful check's outputs).
public struct WaitAction: ActionHandler {
    /// Finds the handler for a nested `until:` action by name.
    public typealias Lookup = @Sendable (String) -> (any ActionHandler)?

    static let defaultInterval: Duration = .seconds(1)
    static let defaultTimeout: Duration = .seconds(300)

    private let lookup: Lookup

    /// - Parameter lookup: resolves `until.action`; usually `{ registry.handler($0) }` over the
    ///   other standard actions (a `wait` cannot nest another `wait` or an `approval`).
    public init(lookup: @escaping Lookup) {
        self.lookup = lookup
    }

    public var spec: ActionSpec {
        ActionSpec(
            name: "wait",
            summary: "Wait a fixed time, or until a nested check (such as http.check) passes",
            parameters: [
                ActionParameter("duration", .duration, "a fixed delay such as 30s (exclusive with until)"),
                ActionParameter("until", .map, "a check to poll: {action: NAME, with: {...}}"),
                ActionParameter("interval", .duration, "time between checks (default 1s)"),
                ActionParameter("timeout", .duration, "give up after this long (default 5m)"),
            ],
            idempotent: true,
            hasVerify: false)
    }

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        switch try WaitParameters(context, lookup: lookup) {
        case .delay(let duration):
            return .ok("waits \(DurationText.format(duration))")
        case .until(let check):
            return try await check.handler.preflight(context.with(params: check.params))
        }
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let start = context.clock.monoMs()
        switch try WaitParameters(context, lookup: lookup) {
        case .delay(let duration):
            do {
                try await context.sleep(for: duration)
            } catch {
                throw LifeboatError(.cancelled, "wait was stopped (timeout or abort)")
            }
            let waited = context.clock.monoMs() - start
            return ActionResult(
                outputs: ["waited_ms": .int(Int(waited)), "checks": 0],
                summary: "waited \(DurationText.format(milliseconds: waited))")
        case .until(let check):
            let (result, checks) = try await WaitUntil.run(check, context)
            let waited = context.clock.monoMs() - start
            return ActionResult(
                outputs: ["waited_ms": .int(Int(waited)), "checks": .int(checks), "result": .map(result.outputs)],
                summary: "\(check.handler.spec.name) passed after \(checks) check\(checks == 1 ? "" : "s") "
                    + "in \(DurationText.format(milliseconds: waited)): \(result.summary)")
        }
    }
}
