/// What comes back from an action, as the run reports it: the one place where a message is named
/// after its step and where secrets are masked in errors, outputs and summaries.
extension ActionContext {
    /// What messages are named after: `step 'promote'`, or `probe 'service-up'`.
    var subject: String { "\(isProbe ? "probe" : "step") '\(stepID)'" }

    /// `message` named after the step: `step 'promote': message`.
    func named(_ message: String) -> String { "\(subject): \(message)" }

    /// An error the action threw, as the step reports it: a `LifeboatError` as thrown, a
    /// cancellation as `cancelled`, anything else as a retryable failure; its message named after
    /// the step, and its message, hint and detail masked.
    public func reported(_ error: any Error) -> LifeboatError {
        var e: LifeboatError
        switch error {
        case let error as LifeboatError:
            e = error
            e.message = named(e.message)
        case is CancellationError:
            e = LifeboatError(.cancelled, "\(subject) was cancelled")
        default:
            e = LifeboatError(.actionFailed, named(String(describing: error)), retryable: true)
        }
        return masked(e)
    }

    /// `error` with every secret masked in its message, hint and detail (its wording kept).
    public func masked(_ error: LifeboatError) -> LifeboatError {
        let secrets = allSecrets
        var e = error
        e.message = secrets.mask(e.message)
        e.hint = e.hint.map(secrets.mask)
        e.detail = e.detail.map(secrets.mask)
        return e
    }

    /// `result` with every secret masked in its outputs and summary.
    public func masked(_ result: ActionResult) -> ActionResult {
        let secrets = allSecrets
        return ActionResult(outputs: result.outputs.mapValues(secrets.mask), summary: secrets.mask(result.summary))
    }

    func masked(_ report: PreflightReport) -> PreflightReport {
        switch report {
        case .ok(let what): return .ok(allSecrets.mask(what))
        case .refused(let why): return .refused(allSecrets.mask(why))
        }
    }

    func masked(_ outcome: VerifyOutcome) -> VerifyOutcome {
        switch outcome {
        case .done(let result): return .done(masked(result))
        case .notDone(let why): return .notDone(allSecrets.mask(why))
        case .undecidable(let why): return .undecidable(allSecrets.mask(why))
        }
    }
}

extension ActionHandler {
    /// Performs the step's effect in `context`, as the engine does: the result masked, an error
    /// named after the step and masked (see `ActionContext.reported`).
    public func run(in context: ActionContext) async throws(LifeboatError) -> ActionResult {
        do {
            return context.masked(try await run(context))
        } catch {
            throw context.reported(error)
        }
    }

    /// The step's preflight in `context`: the report masked. Its text is not named after the
    /// step: whoever shows it does that ("step 'x': preflight refused: …", a dry run's line).
    public func preflight(in context: ActionContext) async throws(LifeboatError) -> PreflightReport {
        do {
            return context.masked(try await preflight(context))
        } catch {
            throw context.reported(error)
        }
    }

    /// The step's verify in `context`: the outcome masked, an error named after the step and masked.
    public func verify(in context: ActionContext) async throws(LifeboatError) -> VerifyOutcome {
        do {
            return context.masked(try await verify(context))
        } catch {
            throw context.reported(error)
        }
    }
}
