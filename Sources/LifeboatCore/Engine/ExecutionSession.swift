/// What the engine's child tasks report back to the loop.
enum EngineSignal: Sendable {
    case stepDone(step: String, attempt: Int, durationMs: Int64, result: Result<ActionResult, LifeboatError>)
    case tabletopDone(step: String, attempt: Int, durationMs: Int64, outcome: TabletopOutcome)
    case retryDue(step: String)
    /// A step held back by an open circuit may now make the breaker's trial call.
    case circuitTrialDue(step: String, attempt: Int)
    case approval(step: String, decision: ApprovalDecision?)
    /// An approval step's `timeout:` has passed since it was requested in this session.
    case approvalTimeoutDue(step: String)
    case answered(step: String, answer: StepGateAnswer?, waitMs: Int64)
    case verified(step: String, result: Result<VerifyOutcome, LifeboatError>)
    case compensated(step: String, durationMs: Int64, result: Result<ActionResult, LifeboatError>)
    /// A plan-level notification was sent to its targets (or given up on): `outcome` in words.
    case notified(number: Int, outcome: String)
    /// Time to record the probes' samples taken since the last flush.
    case probeFlush
    /// A probe's first sample (taken `startedMs` on the monotonic clock): recorded at once, then
    /// the probe samples every interval.
    case probeFirstSample(ProbeSampler, ProbeSample, startedMs: Int64)
    case poll
    case interrupted
    case cancelled
}

/// One process's execution of one run (or of its rollback): the loop that owns the machine. It
/// feeds the machine inputs and performs the actions the machine decides; it never decides itself.
struct ExecutionSession {
    let engine: RunEngine
    let runID: String
    let inputs: RunInputs
    var machine: RunStateMachine
    /// Requests prepared for attempts the machine has not yet let call (`call` runs them).
    var prepared: [String: (request: ActionContext, handler: any ActionHandler)] = [:]
    var approvalRequestedMono: [String: Int64] = [:]
    var interrupts = 0
    /// Plan-level notifications being sent; the session waits for them before it returns.
    var notificationsInFlight = 0
    /// Steady-state probes sampling in this session, and the samples they took since the last flush.
    var probesRunning: Set<String> = []
    let probeSamples = ProbeSampleBuffer()

    init(engine: RunEngine, runID: String, inputs: RunInputs, machine: RunStateMachine) {
        self.engine = engine
        self.runID = runID
        self.inputs = inputs
        self.machine = machine
        self.machine.breakerPolicy = engine.configuration.breaker
        self.machine.stepByStep = engine.stepGate != nil
    }

    private var clock: any EngineClock { engine.clock }
    private var config: EngineConfiguration { engine.configuration }

    mutating func run(first: RunStateMachine.Input) async throws -> RunStateMachine {
        try await withThrowingTaskGroup(of: EngineSignal.self) { group in
            defer { group.cancelAll() }
            try await feed(first, group: &group)
            if machine.phase == .executing {
                scheduleControlPoll(group: &group)
                if let wait = engine.waitForInterrupt {
                    group.addTask {
                        await wait()
                        return .interrupted
                    }
                }
            }
            while machine.phase == .executing || machine.phase == .rollingBack {
                guard let signal = try await group.next() else { break }
                try await handle(signal, group: &group)
                if interrupts >= 2 { break }
            }
            // The probes stop with the run; what they took since the last flush is recorded too.
            let lastSamples = await probeSamples.close()
            if !lastSamples.isEmpty { try await feed(.probeSamples(lastSamples), group: &group) }
            // The run has stopped: what it still has to tell people goes out first (each send is
            // bounded); other signals no longer matter. A second interrupt stops at once.
            while notificationsInFlight > 0, interrupts < 2, let signal = try await group.next() {
                switch signal {
                case .notified: try await handle(signal, group: &group)
                case .interrupted: interrupts = 2
                default: break
                }
            }
            return machine
        }
    }

    private mutating func handle(_ signal: EngineSignal, group: inout ThrowingTaskGroup<EngineSignal, any Error>)
        async throws
    {
        switch signal {
        case .stepDone(let id, let attempt, let duration, let result):
            let now = clock.monoMs()
            switch result {
            case .success(let r):
                try await feed(
                    .stepSucceeded(step: id, attempt: attempt, durationMs: duration, result: r, nowMs: now), group: &group)
            case .failure(let error):
                try await feed(
                    .stepFailed(step: id, attempt: attempt, durationMs: duration,
                                error: StepError(error), jitterSample: engine.random(), nowMs: now),
                    group: &group)
            }

        case .probeFirstSample(let sampler, let sample, let started):
            try await feed(.probeSamples([sample]), group: &group)
            group.addTask { [probeSamples] in
                await sampler.run(into: probeSamples, firstDueMs: started + sampler.probe.intervalMs)
                return .cancelled
            }

        case .probeFlush:
            let samples = await probeSamples.drain()
            if !samples.isEmpty { try await feed(.probeSamples(samples), group: &group) }
            if machine.phase == .executing { scheduleProbeFlush(group: &group) }

        case .notified(let number, let outcome):
            notificationsInFlight -= 1
            try await feed(.notificationSent(number: number, outcome: outcome), group: &group)

        case .compensated(let id, let duration, let result):
            switch result {
            case .success(let r):
                try await feed(.compensationSucceeded(step: id, durationMs: duration, result: r), group: &group)
            case .failure(let error):
                try await feed(
                    .compensationFailed(step: id, durationMs: duration, error: StepError(error)),
                    group: &group)
            }

        case .tabletopDone(let id, let attempt, let duration, let outcome):
            let (by, decider) = (config.operatorName, config.caller.decider)
            switch outcome {
            case .done(let notes):
                for note in notes { try await feed(.note(step: id, text: note, by: by, decider: decider), group: &group) }
                let result = ActionResult(outputs: standInOutputs(of: id), summary: "walked through")
                try await feed(.stepSucceeded(step: id, attempt: attempt, durationMs: duration, result: result), group: &group)
            case .skipped(let notes):
                for note in notes { try await feed(.note(step: id, text: note, by: by, decider: decider), group: &group) }
                try await feed(.skip(step: id, reason: "skipped during tabletop by \(by)"), group: &group)
            case .quit(let notes):
                for note in notes { try await feed(.note(step: id, text: note, by: by, decider: decider), group: &group) }
                try await feed(.interrupt(.quit), group: &group)
                try await feed(.release(step: id, reason: "tabletop stopped here; resume continues from this step"), group: &group)
            }

        case .retryDue(let id):
            try await feed(.retryDue(step: id), group: &group)

        case .circuitTrialDue(let id, let attempt):
            try await feed(.circuitTrialDue(step: id, attempt: attempt, nowMs: clock.monoMs()), group: &group)

        case .approval(let id, let decision):
            guard machine.state(of: id) == .awaitingApproval else { return }  // decided elsewhere first
            guard let decision else {
                // No terminal here. With --no-wait, first take an approval already sent from
                // another terminal; pause only if there is none.
                if !config.waitForApprovals {
                    try await pollControls(group: &group)
                    if machine.state(of: id) == .awaitingApproval {
                        try await feed(.interrupt(.awaitingApproval), group: &group)
                    }
                }
                return  // otherwise wait for `lifeboat approve` from another terminal
            }
            try await decide(id, decision, controls: [], group: &group)

        case .approvalTimeoutDue(let id):
            let waited = approvalRequestedMono[id].map { clock.monoMs() - $0 } ?? 0
            try await feed(.approvalTimeout(step: id, waitedMs: waited), group: &group)

        case .answered(let id, let given, let wait):
            guard machine.phase == .executing, machine.questionOpen == id else { return }
            let answer = given ?? StepGateAnswer(.pause, reason: "no answer: standard input ended at the --step prompt")
            try await feed(
                .answer(
                    step: id, answer: answer.answer, by: config.operatorName, reason: answer.reason, waitMs: wait,
                    decider: config.caller.decider),
                group: &group)

        case .verified(let id, let result):
            switch result {
            case .success(.done(let r)): try await feed(.verified(step: id, result: .done(r)), group: &group)
            case .success(.notDone(let why)): try await feed(.verified(step: id, result: .notDone(why)), group: &group)
            case .success(.undecidable(let why)): try await feed(.verified(step: id, result: .undecidable(why)), group: &group)
            case .failure(let error):
                try await feed(.verifyFailed(step: id, reason: error.description), group: &group)
            }

        case .poll:
            try await pollControls(group: &group)
            if machine.phase == .executing { scheduleControlPoll(group: &group) }

        case .interrupted:
            interrupts += 1
            if interrupts == 1 {
                try await feed(.interrupt(.interrupted), group: &group)
                if let wait = engine.waitForInterrupt {
                    group.addTask {
                        await wait()
                        return .interrupted
                    }
                }
            }

        case .cancelled:
            break
        }
    }

    private mutating func decide(
        _ id: String, _ decision: ApprovalDecision, controls: [Int64],
        group: inout ThrowingTaskGroup<EngineSignal, any Error>
    ) async throws {
        let wait = approvalRequestedMono[id].map { clock.monoMs() - $0 } ?? 0
        try await feed(.decision(step: id, decision, waitMs: wait), consuming: controls, group: &group)
    }

    /// The next look at the control queue: when the store says a message may have arrived, else
    /// after `controlPollMs`.
    private func scheduleControlPoll(group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        group.addTask { [clock, config, store = engine.store, runID] in
            if await store.waitFor(.controls, of: runID) { return .poll }
            try? await clock.sleep(ms: config.controlPollMs)
            return .poll
        }
    }

    private mutating func pollControls(group: inout ThrowingTaskGroup<EngineSignal, any Error>) async throws {
        let controls = try await engine.store.pendingControls(of: runID)
        for control in controls {
            switch control.kind {
            case .approve(let step, let caller) where machine.step(step)?.isApproval == true:
                // Every decision is recorded: granted, or refused with why (too late, not allowed…).
                try await decide(step, ApprovalDecision(approved: true, caller: control.caller(caller), via: "lifeboat approve"),
                                 controls: [control.id], group: &group)
            case .deny(let step, let reason, let caller) where machine.step(step)?.isApproval == true:
                try await decide(step, ApprovalDecision(approved: false, caller: control.caller(caller), via: "lifeboat approve --deny", reason: reason),
                                 controls: [control.id], group: &group)
            case .abort(let reason, let caller) where machine.phase == .executing:
                // Running steps finish (or time out) and are recorded; nothing new starts.
                try await feed(.abort(by: control.by, reason: reason, decider: caller?.decider), consuming: [control.id], group: &group)
            case .pause(let reason, let caller) where machine.phase == .executing && machine.stopRequest == nil:
                try await feed(.pause(by: control.by, reason: reason, decider: caller?.decider), consuming: [control.id], group: &group)
            default:
                // Stale (the step was decided otherwise) or not for this state: consume it, record nothing.
                try await engine.store.append([], consumingControls: [control.id])
            }
        }
    }

    /// Hands an input to the machine, commits its decision's events, then performs its actions.
    private mutating func feed(
        _ input: RunStateMachine.Input, consuming controls: [Int64] = [],
        group: inout ThrowingTaskGroup<EngineSignal, any Error>
    ) async throws {
        let decision = try engine.decide(input, on: &machine, runID: runID)
        try await engine.commit(decision, consuming: controls, runID: runID, machine: machine)
        for action in decision.actions { try await perform(action, group: &group) }
    }

    /// Performs one action the machine decided (its events are committed).
    private mutating func perform(_ action: RunStateMachine.Action, group: inout ThrowingTaskGroup<EngineSignal, any Error>)
        async throws
    {
        switch action {
        case .startAttempt(let id, let attempt):
            try await prepareStep(id, attempt: attempt, group: &group)
        case .call(let id, let attempt):
            call(id, attempt: attempt, group: &group)
        case .holdForCircuit(let id, let attempt, let delay):
            // The attempt waits for the breaker's trial call instead of failing: a call never made
            // must not use up the step's retries (the open circuit is already recorded).
            group.addTask { [clock] in
                do { try await clock.sleep(ms: delay) } catch { return .cancelled }
                return .circuitTrialDue(step: id, attempt: attempt)
            }
        case .scheduleRetry(let id, let delay):
            group.addTask { [clock] in
                do { try await clock.sleep(ms: delay) } catch { return .cancelled }
                return .retryDue(step: id)
            }
        case .requestApproval(let id):
            try await requestApproval(id, group: &group)
        case .askToGo(let id):
            askToGo(id, group: &group)
        case .runVerify(let id, let attempt):
            startVerify(id, attempt: attempt, group: &group)
        case .withdrawApproval(let id):
            engine.approvals?.withdraw(runID: runID, step: id)
        case .runCompensation(let id):
            startCompensation(id, group: &group)
        case .notify(let number):
            sendNotification(number, group: &group)
        case .startProbe(let id):
            startProbe(id, group: &group)
        }
    }

    /// Starts probe `id` (once per session), its request rendered now: its first sample, recorded
    /// as soon as it is taken (the machine starts no step before the steady state is known), then
    /// its loop. The first probe also starts the flushes that record the loops' samples.
    private mutating func startProbe(_ id: String, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        guard let probe = machine.probe(id), let written = inputs.probes[id], !probesRunning.contains(id) else { return }
        if probesRunning.isEmpty { scheduleProbeFlush(group: &group) }
        probesRunning.insert(id)
        var context = ActionContext(
            runID: runID, stepID: id, mode: machine.header.mode, params: [:], masker: inputs.masker,
            baseDirectory: inputs.baseDirectory, location: written.location, clock: clock, random: engine.random)
        context.isProbe = true
        let prepared: Result<ActionContext, LifeboatError>
        do {
            context.params = try renderContext().render(written.with)
            prepared = .success(context)
        } catch {
            prepared = .failure(context.reported(error))
        }
        let sampler = ProbeSampler(probe: probe, prepared: prepared, handler: engine.actions.handler(probe.action), clock: clock)
        group.addTask { [clock] in
            let started = clock.monoMs()
            return .probeFirstSample(sampler, await sampler.sample(), startedMs: started)
        }
    }

    private func scheduleProbeFlush(group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        group.addTask { [clock] in
            do { try await clock.sleep(ms: ProbeSampler.flushMs) } catch { return .cancelled }
            return .probeFlush
        }
    }

    /// Sends plan-level notification `number` to the plan's targets that want its trigger, with
    /// the `notify` action (`Idempotency-Key: RUN/notify/N`), each up to three tries with full
    /// jitter. The outcome is recorded (`notificationSent`); a failure never fails the run.
    private mutating func sendNotification(_ number: Int, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        guard let due = machine.dueNotification(number) else { return }
        let header = machine.header
        let text = "\(header.planID) / \(header.scenario) (\(header.mode.rawValue)), run \(runID): \(due.text)"
        var sends: [(String, Result<ActionContext, LifeboatError>)] = []
        for target in inputs.notifyTargets where target.on.contains(due.trigger) {
            let url = target.with["url"]?.stringValue ?? "?"
            do {
                guard case .map(var params) = try renderContext().render(.map(target.with)) else { continue }
                params["text"] = .string(text)
                var context = ActionContext(
                    runID: runID, stepID: "notify", mode: header.mode, params: params, masker: inputs.masker,
                    baseDirectory: inputs.baseDirectory, location: target.location, clock: clock, random: engine.random)
                context.notificationNumber = number
                sends.append((url, .success(context)))
            } catch {
                sends.append((url, .failure(error)))
            }
        }
        let handler = engine.actions.handler(BuiltinActions.notify)
        notificationsInFlight += 1
        group.addTask { [clock] in
            guard let handler, !sends.isEmpty else {
                return .notified(number: number, outcome: handler == nil ? "not sent: no notify action here" : "not sent: no target wants \(due.trigger.rawValue)")
            }
            var failures: [String] = []
            for (url, prepared) in sends {
                switch prepared {
                case .failure(let error): failures.append("\(url): \(error.message)")
                case .success(let context):
                    if let why = await Self.deliver(handler, context, clock: clock) { failures.append(why) }
                }
            }
            let delivered = "delivered to \(sends.count - failures.count) of \(sends.count) target\(sends.count == 1 ? "" : "s")"
            return .notified(number: number, outcome: failures.isEmpty ? delivered : delivered + "; " + failures.joined(separator: "; "))
        }
    }

    /// One notification to one target, tried up to three times; nil when delivered, else why not.
    private static func deliver(_ handler: any ActionHandler, _ context: ActionContext, clock: any EngineClock) async -> String? {
        let policy = RetryPolicy(attempts: 3, delayMs: 500, maxDelayMs: 5_000, jitter: .full)
        var attempt = 1
        while true {
            switch await StepAttempt.run(handler, context, timeoutMs: 30_000) {
            case .success: return nil
            case .failure(let failure):
                guard failure.retryable, attempt < policy.attempts else { return failure.message }
                do { try await clock.sleep(ms: policy.delay(afterAttempt: attempt, sample: context.random())) } catch {
                    return failure.message
                }
                attempt += 1
            }
        }
    }

    private mutating func requestApproval(_ id: String, group: inout ThrowingTaskGroup<EngineSignal, any Error>)
        async throws
    {
        guard let header = machine.step(id) else { return }
        if approvalRequestedMono[id] == nil {
            approvalRequestedMono[id] = clock.monoMs()
            if let timeout = header.timeoutMs {
                group.addTask { [clock] in
                    do { try await clock.sleep(ms: timeout) } catch { return .cancelled }
                    return .approvalTimeoutDue(step: id)
                }
            }
        }
        if config.autoApprove {
            let decision = ApprovalDecision(approved: true, caller: config.caller, via: "--yes")
            group.addTask { .approval(step: id, decision: decision) }
            return
        }
        let prompt = renderedPrompt(id) ?? header.title
        if let source = engine.approvals {
            // The person at this terminal is the executor's: say so when they may not approve.
            let notYou = machine.refusal(of: ApprovalDecision(approved: true, caller: config.caller, via: "terminal"), on: id)
            group.addTask { [runID] in
                do { return .approval(step: id, decision: try await source.ask(runID: runID, step: header, prompt: prompt, notYou: notYou)) }
                catch { return .cancelled }
            }
        } else {
            group.addTask { .approval(step: id, decision: nil) }
        }
    }

    /// `run --step`: shows the step as it would run now and waits for the operator's answer.
    private func askToGo(_ id: String, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        guard let gate = engine.stepGate, let header = machine.step(id) else { return }
        var params: [String: Value] = [:]
        var problem: String?
        do { params = try request(for: id, attempt: 1).0.params.mapValues(inputs.masker.mask) } catch {
            params = inputs.steps[id]?.with ?? [:]
            problem = error.description
        }
        let rto = machine.header.objectives.rtoMs
        let question = StepQuestion(
            runID: runID, step: header, description: inputs.steps[id]?.description.map(renderContext().renderLeniently),
            position: (machine.header.steps.firstIndex { $0.id == id } ?? 0) + 1, total: machine.header.steps.count,
            params: params, renderProblem: problem, rtoLeftMs: rto.map { $0 - (clock.wallMs() - machine.createdAtMs) },
            rtoMs: rto)
        let asked = clock.monoMs()
        group.addTask { [clock] in
            do { return .answered(step: id, answer: try await gate.ask(question), waitMs: clock.monoMs() - asked) }
            catch { return .cancelled }
        }
    }

    private func renderedPrompt(_ id: String) -> String? {
        guard let raw = inputs.steps[id]?.with["prompt"] else { return nil }
        return (try? renderContext().render(raw))?.renderedText
    }

    private func renderContext() -> RenderContext {
        var context = inputs.render
        context.stepOutputs = machine.outputs
        context.standInForMissingOutputs = machine.header.mode == .tabletop
        return context
    }

    /// A walked-through step's outputs: its `tabletop_outputs:`, rendered (as written where a
    /// reference does not render).
    private func standInOutputs(of id: String) -> [String: Value] {
        let context = renderContext()
        return (inputs.steps[id]?.tabletopOutputs ?? [:]).mapValues { (try? context.render($0)) ?? $0 }
    }

    /// The context for a step's action (or, with `compensation`, for its rollback's), rendered now.
    /// Its errors are named after the step and masked by the context, like the action's.
    private func request(for id: String, attempt: Int, compensation: Bool = false) throws(LifeboatError)
        -> (ActionContext, any ActionHandler)
    {
        guard let step = inputs.steps[id] else {
            throw LifeboatError(.internalError, "step '\(id)' is in the run but not in its runbook")
        }
        let (action, with, location): (String, [String: Value], SourceLocation)
        if compensation {
            guard let rollback = step.rollback else {
                throw LifeboatError(.internalError, "step '\(id)' has no rollback in its runbook")
            }
            (action, with, location) = (rollback.action, rollback.with, rollback.location)
        } else {
            (action, with, location) = (step.action, step.with, step.location)
        }
        var context = ActionContext(
            runID: runID, stepID: id, attempt: attempt, mode: machine.header.mode, params: [:], masker: inputs.masker,
            baseDirectory: inputs.baseDirectory, location: location, clock: clock, random: engine.random)
        context.isCompensation = compensation
        if let observer = engine.observer { context.progressSink = { observer.progress(step: $0, line: $1) } }
        let what = compensation ? "rollback action" : "action"
        guard let handler = engine.actions.handler(action) else {
            throw context.reported(LifeboatError(.invalidInput, "unknown \(what) '\(action)'", location: location))
        }
        do { context.params = try renderContext().render(with) } catch {
            var e = context.reported(error)
            e.location = compensation ? location : step.location(of: "with")
            throw e
        }
        if machine.header.mode == .tabletop { context.params = context.params.mapValues(inputs.masker.mask) }
        return (context, handler)
    }

    private func startCompensation(_ id: String, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        let prepared: (ActionContext, any ActionHandler)
        do { prepared = try request(for: id, attempt: 1, compensation: true) } catch {
            group.addTask { .compensated(step: id, durationMs: 0, result: .failure(error)) }
            return
        }
        let (request, handler) = prepared
        let timeoutMs = machine.step(id)?.timeoutMs
        group.addTask(executorPreference: handler.executor) { [clock] in
            let start = clock.monoMs()
            let result = await StepAttempt.run(handler, request, timeoutMs: timeoutMs)
            return .compensated(step: id, durationMs: clock.monoMs() - start, result: result)
        }
    }

    /// Renders the attempt's request and asks the machine whether its endpoint's circuit lets it
    /// call (a tabletop walk-through calls nothing: it starts at once).
    private mutating func prepareStep(_ id: String, attempt: Int, group: inout ThrowingTaskGroup<EngineSignal, any Error>)
        async throws
    {
        guard let header = machine.step(id) else { return }
        let prepared: (ActionContext, any ActionHandler)
        do { prepared = try request(for: id, attempt: attempt) } catch {
            group.addTask { .stepDone(step: id, attempt: attempt, durationMs: 0, result: .failure(error)) }
            return
        }
        let (request, handler) = prepared

        if machine.header.mode == .tabletop, let console = engine.tabletop {
            let position = (machine.header.steps.firstIndex { $0.id == id } ?? 0) + 1
            let context = renderContext()
            let walk = TabletopStep(
                step: header, title: context.renderLeniently(header.title),
                description: inputs.steps[id]?.description.map(context.renderLeniently), position: position, total: machine.header.steps.count,
                params: request.params)
            group.addTask { [clock] in
                let start = clock.monoMs()
                let outcome = (try? await console.walk(walk)) ?? .quit(notes: [])
                return .tabletopDone(step: id, attempt: attempt, durationMs: clock.monoMs() - start, outcome: outcome)
            }
            return
        }

        self.prepared[id] = (request, handler)
        try await feed(
            .attemptPrepared(step: id, attempt: attempt, endpoint: handler.endpoint(for: request), nowMs: clock.monoMs()),
            group: &group)
    }

    /// Runs a prepared attempt's action, raced against the step's timeout.
    private mutating func call(_ id: String, attempt: Int, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        guard let (request, handler) = prepared.removeValue(forKey: id) else { return }
        let timeoutMs = machine.step(id)?.timeoutMs
        group.addTask(executorPreference: handler.executor) { [clock] in
            let start = clock.monoMs()
            let result = await StepAttempt.run(handler, request, timeoutMs: timeoutMs)
            return .stepDone(step: id, attempt: attempt, durationMs: clock.monoMs() - start, result: result)
        }
    }

    private func startVerify(_ id: String, attempt: Int, group: inout ThrowingTaskGroup<EngineSignal, any Error>) {
        let prepared: (ActionContext, any ActionHandler)
        do { prepared = try request(for: id, attempt: attempt) } catch {
            group.addTask { .verified(step: id, result: .failure(error)) }
            return
        }
        let (request, handler) = prepared
        group.addTask(executorPreference: handler.executor) {
            do throws(LifeboatError) { return .verified(step: id, result: .success(try await handler.verify(in: request))) } catch {
                return .verified(step: id, result: .failure(error))
            }
        }
    }
}
