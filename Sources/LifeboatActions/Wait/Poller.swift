import LifeboatCore

/// Runs a nested check until it succeeds, the timeout expires, or the task is cancelled. Each
/// check is raced against the time left, so a hanging check cannot outlive the timeout.
struct Poller: Sendable {
    var check: WaitParameters.Check
    var request: ActionRequest
    var clock: ContinuousClock

    /// The successful check's result and how many checks ran.
    func run() async throws(LifeboatError) -> (ActionResult, Int) {
        let deadline = clock.now.advanced(by: check.timeout)
        let nested = request.with(params: check.params)
        let name = check.handler.spec.name
        var checks = 0
        var lastFailure: String?
        var lastCheckRanOut = false
        while true {
            if Task.isCancelled { throw cancelled() }
            checks += 1
            switch await attempt(nested, deadline: deadline) {
            case .passed(let result):
                return (result, checks)
            case .failed(let error):
                if Task.isCancelled || error.code == .cancelled { throw cancelled() }
                if error.code == .invalidInput || error.code == .internalError { throw error }
                lastFailure = Self.withoutStepPrefix(error.message, stepID: request.stepID)
                lastCheckRanOut = false
            case .outOfTime:
                lastCheckRanOut = true
            }
            let now = clock.now
            if now >= deadline { break }
            let pause = min(check.interval, now.duration(to: deadline))
            do { try await clock.sleep(for: pause) } catch { throw cancelled() }
            if clock.now >= deadline { break }
        }
        // Keep the last real failure even when a slow final check ran out of time.
        var last = lastFailure.map { "; last failure: \($0)" } ?? ""
        if lastCheckRanOut { last += "; the last check was still running when time ran out" }
        throw LifeboatError(
            .actionFailed,
            "step '\(request.stepID)': \(name) did not pass within \(DurationText.format(check.timeout)) "
                + "(\(checks) check\(checks == 1 ? "" : "s"))\(last)",
            hint: "check the target, or raise the wait's timeout", retryable: true)
    }

    private enum Attempt: Sendable {
        case passed(ActionResult)
        case failed(LifeboatError)
        case outOfTime
    }

    private func attempt(_ nested: ActionRequest, deadline: ContinuousClock.Instant) async -> Attempt {
        let handler = check.handler
        let clock = clock
        return await withTaskGroup(of: Attempt.self) { group in
            group.addTask {
                do {
                    return .passed(try await handler.run(nested))
                } catch {
                    return .failed(LifeboatError.wrap(error, code: .actionFailed, context: "step '\(nested.stepID)'"))
                }
            }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return .outOfTime
            }
            let first = await group.next() ?? .outOfTime
            group.cancelAll()
            return first
        }
    }

    /// `step 'ready': command … exited with 1` → `command … exited with 1`: the wait's own message
    /// already names the step.
    static func withoutStepPrefix(_ message: String, stepID: String) -> String {
        let prefix = "step '\(stepID)': "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }

    private func cancelled() -> LifeboatError {
        LifeboatError(.cancelled, "step '\(request.stepID)': wait was stopped (timeout or abort)")
    }
}
