/// One attempt of one step: the action's preflight, then its run raced against the step's timeout
/// (the loser is cancelled; a cancelled command is killed with its process group).
enum StepAttempt {
    /// Preflight (unless `preflight` is false: a probe's sample is the check itself), then the
    /// action raced against its timeout. The loser is cancelled.
    static func run(_ handler: any ActionHandler, _ context: ActionContext, timeoutMs: Int64?, preflight: Bool = true)
        async -> Result<ActionResult, LifeboatError>
    {
        do {
            if preflight, case .refused(let why) = try await handler.preflight(in: context) {
                return .failure(LifeboatError(.preflightFailed, context.named("preflight refused: \(why)")))
            }
            guard let timeoutMs else { return .success(try await handler.run(in: context)) }
            guard let result = try await context.clock.withTimeout(ms: timeoutMs, { try await handler.run(in: context) }) else {
                return .failure(
                    LifeboatError(
                        .timedOut, "\(context.subject) timed out after \(DurationText.format(milliseconds: timeoutMs)) and was stopped",
                        hint: "raise its timeout: or check the target", retryable: true))
            }
            return .success(result)
        } catch let error as LifeboatError {
            return .failure(error)  // named and masked by the context already
        } catch {
            return .failure(context.reported(error))  // the race was cancelled
        }
    }
}
