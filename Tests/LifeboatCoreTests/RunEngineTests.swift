import LifeboatCore
import LifeboatTestSupport
import Synchronization
import Testing

/// Engine tests: the real engine loop with scripted actions, the in-memory store and a scaled clock.
@Suite("Run engine with scripted actions")
struct RunEngineTests {
    struct Harness {
        let store = InMemoryStore()
        let clock = ScaledClock(scale: 100)
        var header: RunHeader
        var with: [String: [String: Value]] = [:]
        var runID = "run-1"

        init(_ steps: [StepHeader], mode: RunMode = .execute, concurrency: Int = 4) {
            header = TestHeaders.header(steps, mode: mode, concurrency: concurrency)
        }

        func engine(
            _ actions: [any ActionHandler], autoApprove: Bool = false, approvals: (any ApprovalSource)? = nil,
            waitForApprovals: Bool = true, tabletop: (any TabletopConsole)? = nil, operatorName: String = "tester",
            // 1 h of real time at scale 100: never half-opens in a test unless a test says otherwise.
            breaker: CircuitBreaker.Policy = .init(failureThreshold: 2, cooldownMs: 360_000_000)
        ) -> RunEngine {
            RunEngine(
                store: store, actions: ActionRegistry(actions), clock: clock,
                configuration: EngineConfiguration(
                    pid: 42, host: "test", operatorName: operatorName, session: "s1", autoApprove: autoApprove,
                    waitForApprovals: waitForApprovals, controlPollMs: 1_000,
                    breaker: breaker),
                approvals: approvals, tabletop: tabletop, random: { 0.5 })
        }

        var inputs: RunInputs {
            RunInputs(
                steps: TestHeaders.runbookSteps(header, with: with), render: RenderContext(run: ["id": .string(runID)]),
                masker: SecretMasker(secrets: ["s3cr3t-value"]), baseDirectory: "/tmp")
        }

        func create() async throws {
            let created = RunEvent(runID: runID, atMs: 0, monoMs: 0, session: "s0", kind: .runCreated(header))
            try await store.createRun(id: runID, created: created, documents: [])
        }

        func kinds() async throws -> [RunEvent.Kind] { try await store.events(of: runID).map(\.kind) }

        /// Records events as if a process had started the run and died right after committing them.
        func crashAfter(_ inputs: [RunStateMachine.Input]) async throws {
            var machine = RunStateMachine(header: header)
            var kinds: [RunEvent.Kind] = []
            for input in inputs { kinds += try machine.handle(input).events }
            try await store.append(
                kinds.map { RunEvent(runID: runID, atMs: 1, monoMs: 1, session: "dead", kind: $0) }, consumingControls: [])
        }
    }

    @Test func independentBranchesRunInParallel() async throws {
        let h = Harness([TestHeaders.step("a"), TestHeaders.step("b"), TestHeaders.step("c<a,b")])
        let active = Mutex((now: 0, peak: 0))
        let action = ScriptedAction { request in
            active.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(60))
            active.withLock { $0.now -= 1 }
            return ActionResult(summary: "did \(request.stepID)")
        }
        try await h.create()
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.succeeded))
        #expect(active.withLock { $0.peak } == 2)
        #expect(action.runs(of: "c") == 1)
        let run = try await h.store.run(h.runID)
        #expect(run?.status == .succeeded)
        #expect(try await h.store.steps(of: h.runID).allSatisfy { $0.status == .succeeded && $0.durationMs != nil })
    }

    @Test func concurrencyLimitIsRespected() async throws {
        let h = Harness((1...6).map { TestHeaders.step("s\($0)") }, concurrency: 2)
        let active = Mutex((now: 0, peak: 0))
        let action = ScriptedAction { _ in
            active.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(20))
            active.withLock { $0.now -= 1 }
            return ActionResult(summary: "ok")
        }
        try await h.create()
        _ = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(active.withLock { $0.peak } == 2)
    }

    @Test func retriesWithBackoffUntilSuccess() async throws {
        let policy = RetryPolicy(attempts: 4, delayMs: 1_000, maxDelayMs: 60_000, jitter: .full)
        let h = Harness([TestHeaders.step("flaky", retry: policy)])
        let counter = Counter()
        let action = ScriptedAction { _ in
            if counter.next("flaky") < 3 { throw LifeboatError(.actionFailed, "503 from target", retryable: true) }
            return ActionResult(summary: "finally")
        }
        try await h.create()
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.succeeded))
        let retries = try await h.kinds().compactMap { kind -> Int64? in
            if case .stepRetryScheduled(_, _, let delay) = kind { return delay }
            return nil
        }
        // random() is 0.5: half of 1 s, then half of 2 s.
        #expect(retries == [500, 1_000])
        #expect(h.clock.requestedSleeps.contains(500) && h.clock.requestedSleeps.contains(1_000))
        #expect(try await h.store.steps(of: h.runID).first?.attempts == 3)
    }

    @Test func timedOutStepIsStoppedAndFails() async throws {
        let h = Harness([TestHeaders.step("hang", timeoutMs: 2_000)])
        let cancelled = Mutex(false)
        let action = ScriptedAction { _ in
            do { try await Task.sleep(for: .seconds(30)) } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
            return ActionResult(summary: "never")
        }
        try await h.create()
        let started = ContinuousClock.now
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(ContinuousClock.now - started < .seconds(15))  // vs a 30 s sleep; loose for a loaded CI
        #expect(machine.phase == .finished(.failed))
        #expect(cancelled.withLock { $0 })
        let failure = try await h.kinds().compactMap { kind -> StepError? in
            if case .stepFailed(_, _, _, let e) = kind { return e }
            return nil
        }.first
        #expect(failure?.code == .timedOut)
        #expect(failure?.message.contains("timed out after 2s") == true)
    }

    @Test func circuitBreakerOpensAndFailsFast() async throws {
        let h = Harness([TestHeaders.step("a"), TestHeaders.step("b"), TestHeaders.step("c<a,b")], concurrency: 2)
        let action = ScriptedAction(endpoint: "http://db:5432") { request in
            if request.stepID != "c" { throw LifeboatError(.actionFailed, "refused", retryable: false) }
            return ActionResult(summary: "ok")
        }
        try await h.create()
        _ = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        let kinds = try await h.kinds()
        #expect(kinds.contains(.circuitChanged(endpoint: "http://db:5432", state: .open)))
    }

    @Test func openCircuitHoldsTheNextAttemptUntilItsTrialCall() async throws {
        // a fails twice (threshold 2): the breaker opens. The third attempt is not made and not
        // counted while the circuit is open; it waits for the cooldown, makes the half-open trial
        // call, succeeds, and the breaker closes.
        let retry = RetryPolicy(attempts: 3, delayMs: 10, maxDelayMs: 10, jitter: .none)
        let h = Harness([TestHeaders.step("a", retry: retry)], concurrency: 1)
        let action = ScriptedAction(endpoint: "https://api") { request in
            if request.attempt < 3 { throw LifeboatError(.actionFailed, "down", retryable: true) }
            return ActionResult(summary: "up again")
        }
        try await h.create()
        let machine = try await h.engine([action], breaker: .init(failureThreshold: 2, cooldownMs: 5_000))
            .start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.succeeded))
        let kinds = try await h.kinds()
        let circuit = kinds.compactMap { kind -> RunEvent.CircuitState? in
            if case .circuitChanged("https://api", let state) = kind { return state }
            return nil
        }
        #expect(circuit == [.open, .halfOpen, .closed])
        let failures = kinds.filter { if case .stepFailed = $0 { return true } else { return false } }
        #expect(failures.count == 2)
        #expect(action.runs(of: "a") == 3)
    }

    @Test func autoApproveRecordsWhoApprovedViaYes() async throws {
        let h = Harness([TestHeaders.step("declare", action: "approval"), TestHeaders.step("go<declare")])
        try await h.create()
        let machine = try await h.engine([ScriptedAction(), ScriptedAction(name: "approval")], autoApprove: true, operatorName: "alice")
            .start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.succeeded))
        let granted = try await h.kinds().contains {
            if case .approvalGranted("declare", "alice", "--yes", _, _) = $0 { return true }
            return false
        }
        #expect(granted)
    }

    struct ScriptedApprovals: ApprovalSource {
        var decision: ApprovalDecision?
        func ask(runID: String, step: StepHeader, prompt: String, notYou: String?) async throws -> ApprovalDecision? {
            try await Task.sleep(for: .milliseconds(20))
            return decision
        }
    }

    @Test func terminalDenialFailsTheRun() async throws {
        let h = Harness([TestHeaders.step("declare", action: "approval"), TestHeaders.step("go<declare")])
        try await h.create()
        let source = ScriptedApprovals(decision: ApprovalDecision(approved: false, caller: .named("bob"), via: "terminal", reason: "not now"))
        let machine = try await h.engine([ScriptedAction(), ScriptedAction(name: "approval")], approvals: source)
            .start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.failed))
        #expect(try await h.kinds().contains(
            .approvalDenied(step: "declare", by: "bob", via: "terminal", reason: "not now", decider: Caller.named("bob").decider)))
    }

    @Test func approvalFromAnotherProcessArrivesThroughTheStore() async throws {
        let h = Harness([TestHeaders.step("declare", action: "approval"), TestHeaders.step("go<declare")])
        try await h.create()
        let engine = h.engine([ScriptedAction(), ScriptedAction(name: "approval")])
        let machine = try await withThrowingTaskGroup(of: RunStateMachine?.self) { group in
            group.addTask { try await engine.start(runID: h.runID, inputs: h.inputs) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(30))
                try await h.store.postControl(ControlMessage(runID: h.runID, kind: .approve(step: "declare"), by: "carol", atMs: 5))
                return nil
            }
            var result: RunStateMachine?
            for try await r in group { if let r { result = r } }
            return result!
        }
        #expect(machine.phase == .finished(.succeeded))
        #expect(try await h.store.pendingControls(of: h.runID).isEmpty)
        let approved = try await h.kinds().contains {
            if case .approvalGranted("declare", "carol", "lifeboat approve", _, _) = $0 { return true }
            return false
        }
        #expect(approved)
    }

    @Test func noWaitPausesAtAnApprovalNobodyCanGive() async throws {
        let h = Harness([TestHeaders.step("declare", action: "approval"), TestHeaders.step("other")])
        try await h.create()
        let machine = try await h.engine([ScriptedAction(), ScriptedAction(name: "approval")], waitForApprovals: false)
            .start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .paused(.awaitingApproval))
        #expect(machine.state(of: "other") == .succeeded)
        #expect(try await h.store.run(h.runID)?.status == .paused)
    }

    @Test func abortFromAnotherProcessStopsNewSteps() async throws {
        let h = Harness([TestHeaders.step("slow"), TestHeaders.step("next<slow")])
        try await h.create()
        let action = ScriptedAction { _ in
            try await Task.sleep(for: .milliseconds(80))
            return ActionResult(summary: "ok")
        }
        try await h.store.postControl(ControlMessage(runID: h.runID, kind: .abort(reason: "false alarm"), by: "dave", atMs: 1))
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.aborted))
        #expect(action.runs(of: "next") == 0)
        #expect(action.runs(of: "slow") == 1)
        #expect(try await h.store.run(h.runID)?.status == .aborted)
    }

    @Test func resumeRerunsIdempotentAndVerifiesOthers() async throws {
        let h = Harness([
            TestHeaders.step("idem", idempotent: true), TestHeaders.step("checked", hasVerify: true),
            TestHeaders.step("blind"), TestHeaders.step("done"), TestHeaders.step("last<idem,checked,blind,done"),
        ])
        try await h.create()
        try await h.crashAfter([
            .start(pid: 1, host: "h"),
            .stepSucceeded(step: "done", attempt: 1, durationMs: 3, result: ActionResult(summary: "ok")),
        ])
        let verifyCalls = Counter()
        let action = ScriptedAction(verify: { request in
            verifyCalls.next(request.stepID)
            return .done(ActionResult(outputs: ["found": true], summary: "already promoted"))
        })
        let machine = try await h.engine([action]).resume(runID: h.runID, inputs: h.inputs)
        #expect(action.runs(of: "done") == 0)           // completed steps never run again
        #expect(action.runs(of: "idem") == 1)           // idempotent: re-run
        #expect(action.runs(of: "checked") == 0)        // verified instead
        #expect(verifyCalls.count("checked") == 1)
        #expect(action.runs(of: "blind") == 0)          // neither: unknown
        #expect(machine.state(of: "blind") == .unknown)
        #expect(machine.phase == .paused(.unknownStep))
        #expect(action.runs(of: "last") == 0)

        // The operator checks by hand and resolves; resume finishes the run.
        try await h.engine([action]).record(.resolve(step: "blind", resolution: .succeeded, by: "erin", reason: "checked by hand"), runID: h.runID)
        let finished = try await h.engine([action]).resume(runID: h.runID, inputs: h.inputs)
        #expect(finished.phase == .finished(.succeeded))
        #expect(action.runs(of: "last") == 1)
        #expect(action.runs(of: "blind") == 0)
    }

    @Test func resumeRedrivesFailedSteps() async throws {
        let h = Harness([TestHeaders.step("a"), TestHeaders.step("b<a")])
        try await h.create()
        let broken = Mutex(true)
        let action = ScriptedAction { _ in
            if broken.withLock({ $0 }) { throw LifeboatError(.actionFailed, "no route", retryable: false) }
            return ActionResult(summary: "ok")
        }
        #expect(try await h.engine([action]).start(runID: h.runID, inputs: h.inputs).phase == .finished(.failed))
        broken.withLock { $0 = false }
        #expect(try await h.engine([action]).resume(runID: h.runID, inputs: h.inputs).phase == .finished(.succeeded))
        #expect(action.runs(of: "a") == 2)
        #expect(action.runs(of: "b") == 1)
    }

    @Test func storeFailureStopsTheRunAndResumeContinues() async throws {
        let h = Harness([TestHeaders.step("a", idempotent: true), TestHeaders.step("b<a", idempotent: true)])
        try await h.create()
        let action = ScriptedAction()
        await h.store.failNextAppend()
        await #expect(throws: LifeboatError.self) { try await h.engine([action]).start(runID: h.runID, inputs: h.inputs) }
        #expect(action.runs(of: "a") == 0)  // the intent was not committed, so nothing ran
        let machine = try await h.engine([action]).resume(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.succeeded))
        #expect(action.runs(of: "a") == 1 && action.runs(of: "b") == 1)
    }

    @Test func parametersAreRenderedAndSecretsMaskedInRecordedOutputs() async throws {
        var h = Harness([TestHeaders.step("a"), TestHeaders.step("b<a")])
        h.with = ["a": ["value": "${run.id}"], "b": ["value": "got ${steps.a.outputs.echo}"]]
        try await h.create()
        let seen = Mutex<[String: Value]>([:])
        let action = ScriptedAction { request in
            seen.withLock { $0[request.stepID] = request.params["value"] }
            return ActionResult(outputs: ["echo": request.params["value"] ?? .null, "leak": "token=s3cr3t-value"], summary: "s3cr3t-value")
        }
        _ = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(seen.withLock { $0 } == ["a": "run-1", "b": "got run-1"])
        let steps = try await h.store.steps(of: h.runID)
        #expect(steps.first?.outputs["leak"] == "token=***")
        #expect(steps.first?.summary == "***")
    }

    @Test func unresolvableReferenceFailsTheStepWithItsLocation() async throws {
        var h = Harness([TestHeaders.step("a")])
        h.with = ["a": ["value": "${params.missing}"]]
        try await h.create()
        let action = ScriptedAction()
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.failed))
        #expect(action.runs(of: "a") == 0)
        let error = try await h.store.steps(of: h.runID).first?.error ?? ""
        #expect(error.contains("runbook.yaml:1:1") && error.contains("params.missing"))
    }

    @Test func rollbackRunsCompensationsInReverseOrderOfCompletion() async throws {
        let steps = [TestHeaders.step("first", compensation: true), TestHeaders.step("second<first", compensation: true),
                     TestHeaders.step("third<second")]
        let h = Harness(steps)
        try await h.create()
        let order = Mutex<[String]>([])
        let action = ScriptedAction { request in
            if request.params["undo"] != nil { order.withLock { $0.append(request.stepID) } }
            return ActionResult(summary: "ok")
        }
        _ = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        var inputs = h.inputs
        for id in ["first", "second"] {
            let location = inputs.steps[id]!.location
            inputs.steps[id]?.rollback = Compensation(action: "scripted", with: ["undo": true], location: location)
        }
        let machine = try await h.engine([action]).rollback(runID: h.runID, inputs: inputs, strategy: .stopOnFailure)
        #expect(order.withLock { $0 } == ["second", "first"])
        #expect(machine.phase == .rolledBack(.succeeded))
        #expect(try await h.store.run(h.runID)?.status == .rolledBack)
    }

    /// The engine masks what an action hands back, whether or not the action masked it itself: an
    /// error's message, hint and detail (the server's words), a result's outputs and summary, a
    /// compensation's error.
    @Test func theEngineMasksSecretsInErrorsOutputsAndCompensations() async throws {
        let h = Harness([TestHeaders.step("chatty", compensation: true), TestHeaders.step("leaky<chatty")])
        try await h.create()
        let action = ScriptedAction { request in
            if request.stepID == "chatty" && request.params["undo"] == nil {
                return ActionResult(outputs: ["dsn": "postgres://app:s3cr3t-value@db", "nested": ["k": "s3cr3t-value"]],
                                    summary: "connected with s3cr3t-value")
            }
            throw LifeboatError(
                .actionFailed, "login as app/s3cr3t-value refused", hint: "check s3cr3t-value",
                detail: "FATAL: password authentication failed (password s3cr3t-value)")
        }
        let machine = try await h.engine([action]).start(runID: h.runID, inputs: h.inputs)
        #expect(machine.phase == .finished(.failed))
        var inputs = h.inputs
        let location = inputs.steps["chatty"]!.location
        inputs.steps["chatty"]?.rollback = Compensation(action: "scripted", with: ["undo": true], location: location)
        _ = try await h.engine([action]).rollback(runID: h.runID, inputs: inputs, strategy: .stopOnFailure)

        var recorded: [String] = []
        for kind in try await h.kinds() {
            switch kind {
            case .stepSucceeded(_, _, _, let result):
                #expect(result.outputs["dsn"] == "postgres://app:***@db")
                #expect(result.outputs["nested"] == ["k": "***"])
                #expect(result.summary == "connected with ***")
                recorded.append("succeeded")
            case .stepFailed(_, _, _, let error):
                #expect(error.message.contains("login as app/*** refused"))
                #expect(error.detail == "FATAL: password authentication failed (password ***)")
                recorded.append("failed")
            case .compensationFailed(_, _, let error):
                #expect(error.message.contains("login as app/*** refused"))
                #expect(error.detail == "FATAL: password authentication failed (password ***)")
                recorded.append("compensation failed")
            default:
                break
            }
        }
        #expect(recorded == ["succeeded", "failed", "compensation failed"])
        let everything = try await h.store.events(of: h.runID).map { "\($0)" }.joined()
        #expect(!everything.contains("s3cr3t-value"))
        let steps = try await h.store.steps(of: h.runID)
        #expect(steps.allSatisfy { !"\($0)".contains("s3cr3t-value") })
    }

    /// The step's name stands once in front of an action's error, and what only the action knows
    /// to be secret (a password it read from a conninfo, `alsoMask`) is masked wherever it lands:
    /// a failed attempt's message and detail, and a verify's result after a crash.
    @Test func theContextNamesTheStepOnceAndMasksWhatTheActionFound() async throws {
        let own = "pw-only-the-action-knows"
        let h = Harness([TestHeaders.step("checked", hasVerify: true), TestHeaders.step("failing", idempotent: true)])
        try await h.create()
        try await h.crashAfter([.start(pid: 1, host: "h")])
        let action = ScriptedAction(
            behaviour: { context in
                context.alsoMask([own])
                throw LifeboatError(.actionFailed, "login with \(own) refused", detail: "server said: \(own)")
            },
            verify: { context in
                context.alsoMask([own])
                return .done(ActionResult(outputs: ["dsn": .string("postgres://app:\(own)@db")], summary: "promoted with \(own)"))
            })
        _ = try await h.engine([action]).resume(runID: h.runID, inputs: h.inputs)

        var seen: [String] = []
        for kind in try await h.kinds() {
            switch kind {
            case .stepFailed("failing", _, _, let error):
                #expect(error.message == "step 'failing': login with *** refused")
                #expect(error.detail == "server said: ***")
                seen.append("failed")
            case .stepVerified("checked", .done(let result)):
                #expect(result.outputs["dsn"] == "postgres://app:***@db")
                #expect(result.summary == "promoted with ***")
                seen.append("verified")
            default:
                break
            }
        }
        #expect(seen.sorted() == ["failed", "verified"])
        let everything = try await h.store.events(of: h.runID).map { "\($0)" }.joined()
        #expect(!everything.contains(own))
    }

    struct ScriptedTabletop: TabletopConsole {
        let script: [String: TabletopOutcome]
        func walk(_ walk: TabletopStep) async throws -> TabletopOutcome { script[walk.step.id] ?? .done(notes: []) }
    }

    @Test func tabletopRecordsNotesSkipsAndQuitThenResumes() async throws {
        let steps = [TestHeaders.step("declare", action: "approval", idempotent: true),
                     TestHeaders.step("promote<declare", idempotent: true), TestHeaders.step("dns<promote", idempotent: true)]
        let h = Harness(steps, mode: .tabletop, concurrency: 1)
        try await h.create()
        let action = ScriptedAction()
        let first = ScriptedTabletop(script: [
            "declare": .done(notes: ["IC was slow to join"]), "promote": .skipped(notes: []), "dns": .quit(notes: []),
        ])
        let paused = try await h.engine([action, ScriptedAction(name: "approval")], tabletop: first)
            .start(runID: h.runID, inputs: h.inputs)
        #expect(paused.phase == .paused(.quit))
        #expect(action.runs(of: "promote") == 0)  // tabletop touches nothing
        let resumed = try await h.engine([action, ScriptedAction(name: "approval")], tabletop: ScriptedTabletop(script: [:]))
            .resume(runID: h.runID, inputs: h.inputs)
        #expect(resumed.phase == .finished(.succeeded))
        let kinds = try await h.kinds()
        #expect(kinds.contains(.stepNoted(step: "declare", note: "IC was slow to join", by: "tester", decider: Caller.named("tester", host: "test").decider)))
        #expect(kinds.contains(.stepSkipped(step: "promote", reason: "skipped during tabletop by tester")))
        #expect(resumed.state(of: "dns") == .succeeded)
    }
}
