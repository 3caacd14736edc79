import LifeboatCore

/// `wait until:`: the nested check, polled by the context until it passes, the wait's timeout
/// expires or the task is cancelled. Each check is raced against the time left, so a hanging check
/// cannot outlive the timeout.
enum WaitUntil {
    /// The successful check's result and how many checks ran.
    static func run(_ check: WaitParameters.Check, _ context: ActionContext) async throws(LifeboatError) -> (ActionResult, Int) {
        let nested = context.with(params: check.params)
        let handler = check.handler
        var lastFailure: String?
        var lastCheckRanOut = false
        let deadline = context.deadline(after: check.timeout)
        let polled: Polled<ActionResult?>
        do {
            polled = try await context.poll(every: check.interval, until: deadline, lookAtDeadline: false) { left in
                let passed: ActionResult?
                do {
                    passed = try await context.withTimeout(left) { try await handler.run(nested) }
                } catch {
                    let failure = error as? LifeboatError ?? LifeboatError(.actionFailed, "\(error)")
                    if Task.isCancelled || error is CancellationError || failure.code == .cancelled { throw CancellationError() }
                    if failure.code == .invalidInput || failure.code == .internalError { throw failure }
                    lastFailure = failure.message
                    lastCheckRanOut = false
                    return nil
                }
                if passed == nil { lastCheckRanOut = true }
                return passed
            } isDone: {
                $0 != nil
            }
        } catch let error as LifeboatError {
            throw error
        } catch {
            throw LifeboatError(.cancelled, "wait was stopped (timeout or abort)")
        }
        if polled.done, let result = polled.last { return (result, polled.looks) }
        // Keep the last real failure even when a slow final check ran out of time.
        var last = lastFailure.map { "; last failure: \($0)" } ?? ""
        if lastCheckRanOut { last += "; the last check was still running when time ran out" }
        let checks = polled.looks
        throw LifeboatError(
            .actionFailed,
            "\(handler.spec.name) did not pass within \(DurationText.format(check.timeout)) "
                + "(\(checks) check\(checks == 1 ? "" : "s"))\(last)",
            hint: "check the target, or raise the wait's timeout", retryable: true)
    }
}
