/// One attempt of one step: the action's preflight, then its run raced against the step's timeout
/// (the loser is cancelled; a cancelled command is killed with its process group).
enum StepAttempt {
    /// Preflight, then the action raced against its timeout. The loser is cancelled.
    static func run(_ handler: any ActionHandler, _ request: ActionRequest, timeoutMs: Int64?, clock: any EngineClock)
        async -> Result<ActionResult, LifeboatError>
    {
        let step = request.stepID
        do {
            if case .refused(let why) = try await handler.preflight(request) {
                return .failure(LifeboatError(.preflightFailed, "step '\(step)': preflight refused: \(request.masker.mask(why))"))
            }
            guard let timeoutMs else { return .success(try await handler.run(request)) }
            let result = try await withThrowingTaskGroup(of: ActionResult?.self) { group -> ActionResult in
                group.addTask { try await handler.run(request) }
                group.addTask {
                    try await clock.sleep(ms: timeoutMs)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw LifeboatError(
                        .timedOut, "step '\(step)' timed out after \(DurationText.format(milliseconds: timeoutMs)) and was stopped",
                        hint: "raise its timeout: or check the target", retryable: true)
                }
                return result
            }
            return .success(result)
        } catch let error as LifeboatError {
            return .failure(error)
        } catch is CancellationError {
            return .failure(LifeboatError(.cancelled, "step '\(step)' was cancelled"))
        } catch {
            return .failure(LifeboatError(.actionFailed, "step '\(step)': \(request.masker.mask(String(describing: error)))", retryable: true))
        }
    }
}
