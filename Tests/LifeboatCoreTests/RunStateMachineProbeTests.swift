import LifeboatCore
import LifeboatTestSupport
import Synchronization
import Testing

/// Steady-state probes: their samples recorded in batches, the abort criterion that pauses or
/// aborts the run, the notification it sends, and the outage the probe that measures it saw.
@Suite("Run state machine: steady-state probes")
struct RunStateMachineProbeTests {
    let ok = ActionResult(outputs: [:], summary: "ok")

    func header(
        _ probes: [ProbeHeader], steps: [StepHeader] = [TestHeaders.step("a"), TestHeaders.step("b<a")], mode: RunMode = .drill
    ) -> RunHeader {
        var header = TestHeaders.header(steps, mode: mode)
        header.probes = probes
        return header
    }

    func probe(_ id: String, every interval: Int64 = 1_000, abortWhen: ProbeAbortRule? = nil, then: ProbeBreachAction = .pause,
               from: String? = nil, outage: Bool = false) -> ProbeHeader {
        ProbeHeader(id: id, action: "http.check", intervalMs: interval, timeoutMs: interval, from: from, abortWhen: abortWhen,
                    onBreach: then, measuresOutage: outage)
    }

    /// `pattern` as samples one interval apart from `startMs`: p passed, f failed, n not runnable.
    func samples(_ id: String, _ pattern: String, from startMs: Int64 = 0, every interval: Int64 = 1_000) -> [ProbeSample] {
        pattern.enumerated().map { i, c in
            let outcome = ProbeOutcome(rawValue: String(c))!
            return ProbeSample(probe: id, atMs: startMs + Int64(i) * interval, outcome: outcome, problem: outcome == .passed ? nil : "HTTP 503 (\(i))")
        }
    }

    @Test func aProbeFailingForItsWindowPausesTheRunOnceRunningStepsEndAndSaysWhich() throws {
        var m = RunStateMachine(header: header([probe("service-up", abortWhen: .failingFor(ms: 3_000))]))
        let started = try m.handle(.start(pid: 1, host: "h"))
        #expect(started.actions.contains(.startProbe(probe: "service-up")))
        #expect(started.events == [.executorStarted(pid: 1, host: "h", resumed: false)], "no step before the steady state is known")
        #expect(m.probesAwaitingFirstSample == ["service-up"])
        // The first samples let the steps start. Failing for 2 s (three samples): not yet a breach.
        let early = try m.handle(.probeSamples(samples("service-up", "pfff")))
        #expect(early.events == [
            .probeSamples(series: ProbeSeries.batches(samples("service-up", "pfff"))), .stepStarted(step: "a", attempt: 1),
        ])
        // A fourth failing sample: failing for 3 s. The running step finishes first; nothing new starts.
        let breach = try m.handle(.probeSamples(samples("service-up", "f", from: 4_000)))
        #expect(breach.events.count == 2)
        guard case .probeBreached(let id, let reason, .pause) = breach.events[1] else {
            Issue.record("no breach: \(breach.events)")
            return
        }
        #expect(id == "service-up")
        #expect(reason.hasPrefix("failing for 3s (abort_when: failing for 3s): HTTP 503 (0)"), "\(reason)")
        #expect(m.phase == .executing)
        let ended = try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        #expect(ended.events.last == .runPaused(reason: .probeBreached))
        #expect(!ended.events.contains(.stepStarted(step: "b", attempt: 1)))
    }

    @Test func passingSamplesAndNotRunnableOnesDoNotBreach() throws {
        var m = RunStateMachine(header: header([probe("p", abortWhen: .failingFor(ms: 2_000))]))
        _ = try m.handle(.start(pid: 1, host: "h"))
        // Failures interrupted by a pass never add up; not-runnable samples say nothing either way.
        let events = try m.handle(.probeSamples(samples("p", "ffpffpnnnnnn"))).events
        #expect(events.count == 2, "samples, then step a starts: \(events)")
        #expect(m.stopRequest == nil)
    }

    @Test func anErrorRateAboveItsLimitOverItsSpanAbortsTheRun() throws {
        var m = RunStateMachine(header: header(
            [probe("p", every: 100, abortWhen: .errorRate(percent: 10, overMs: 1_000), then: .abort)]))
        _ = try m.handle(.start(pid: 1, host: "h"))
        // 2 of 10 failed, but the probe has not been sampling for 1 s yet: no judgement.
        #expect(try m.handle(.probeSamples(samples("p", "pfpppfpppp", every: 100))).events.count == 2, "samples, step a")
        // One more second, one failure in it (10%): not above 10%.
        #expect(try m.handle(.probeSamples(samples("p", "ppppfppppp", from: 1_000, every: 100))).events.count == 1)
        // Two failures in the last second: 20% > 10%.
        let breach = try m.handle(.probeSamples(samples("p", "pfppfppppp", from: 2_000, every: 100))).events
        guard case .probeBreached("p", let reason, .abort)? = breach.last else {
            Issue.record("no breach: \(breach)")
            return
        }
        #expect(reason.hasPrefix("2 of 10 samples failed over the last 1s (20.0% > 10%)"), "\(reason)")
        let ended = try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        #expect(ended.events.last == .runFinished(outcome: .aborted))
    }

    /// The breach calls for the plan's `probe_breached` notification; a resume starts the window
    /// afresh (the operator decided to go on), and replaying the log rebuilds the same machine.
    @Test func aBreachNotifiesAResumeStartsAfreshAndReplayAgrees() throws {
        var h = header([probe("p", abortWhen: .failingFor(ms: 1_000)), probe("later", from: "b")])
        h.notifyOn = [.probeBreached]
        var m = RunStateMachine(header: h)
        var log: [RunEvent.Kind] = []
        let start = try m.handle(.start(pid: 1, host: "h"))
        #expect(start.actions.contains(.startProbe(probe: "p")))
        #expect(!start.actions.contains(.startProbe(probe: "later")), "it starts with step b")
        log += start.events
        log += try m.handle(.probeSamples(samples("p", "p"))).events
        let breach = try m.handle(.probeSamples(samples("p", "ff", from: 1_000)))
        log += breach.events
        #expect(breach.actions.contains(.notify(number: 1)))
        #expect(m.dueNotification(1)?.trigger == .probeBreached)
        #expect(m.dueNotification(1)?.text.contains("probe p breached: failing for 1s") == true)
        log += try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok)).events
        #expect(m.phase == .paused(.probeBreached))

        let resumed = try m.handle(.resume(pid: 2, host: "h", by: "op"))
        log += resumed.events
        #expect(resumed.actions.contains(.startProbe(probe: "p")))
        #expect(!resumed.actions.contains(.startProbe(probe: "later")))
        // The first sample after the resume lets step b start (and probe "later" with it). One
        // failing sample does not breach again: the window began at the resume.
        let after = try m.handle(.probeSamples(samples("p", "f", from: 5_000)))
        log += after.events
        #expect(after.events == [.probeSamples(series: ProbeSeries.batches(samples("p", "f", from: 5_000))), .stepStarted(step: "b", attempt: 1)])
        #expect(after.actions.contains(.startProbe(probe: "later")))

        var replayed = RunStateMachine(header: h)
        for kind in log { try replayed.apply(RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: kind)) }
        #expect(replayed.phase == m.phase)
        #expect(replayed.notificationsDue == m.notificationsDue)
    }

    /// A real failover is never stopped by its probes: the breach is recorded (and notified), the
    /// steps go on, and the probe is judged again only once it has recovered.
    @Test func aRealFailoverRecordsABreachAndGoesOn() throws {
        var h = header([probe("p", abortWhen: .failingFor(ms: 1_000), then: .abort)], mode: .execute)
        h.notifyOn = [.probeBreached]
        var m = RunStateMachine(header: h)
        _ = try m.handle(.start(pid: 1, host: "h"))
        _ = try m.handle(.probeSamples(samples("p", "p")))
        let first = try m.handle(.probeSamples(samples("p", "ff", from: 1_000)))
        guard case .probeBreached("p", _, .report)? = first.events.last else {
            Issue.record("no breach reported: \(first.events)")
            return
        }
        #expect(first.actions.contains(.notify(number: 1)))
        #expect(m.stopRequest == nil)
        // Still failing: not reported again. The step goes on and b starts.
        #expect(try m.handle(.probeSamples(samples("p", "fff", from: 3_000))).events.count == 1)
        let next = try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        #expect(next.events.contains(.stepStarted(step: "b", attempt: 1)))
        // Recovered, then failing again for its window: reported a second time.
        _ = try m.handle(.probeSamples(samples("p", "p", from: 6_000)))
        let again = try m.handle(.probeSamples(samples("p", "ff", from: 7_000)))
        #expect(again.events.contains { if case .probeBreached("p", _, .report) = $0 { return true }; return false }, "\(again.events)")
        #expect(m.notificationsDue.count == 2)
    }

    @Test func samplesAfterTheRunEndedAreStillRecorded() throws {
        var m = RunStateMachine(header: header([probe("p", abortWhen: .failingFor(ms: 1_000))], steps: [TestHeaders.step("a")]))
        _ = try m.handle(.start(pid: 1, host: "h"))
        _ = try m.handle(.probeSamples(samples("p", "p", from: -1_000)))
        _ = try m.handle(.stepSucceeded(step: "a", attempt: 1, durationMs: 1, result: ok))
        #expect(m.phase == .finished(.succeeded))
        let last = try m.handle(.probeSamples(samples("p", "fff")))
        #expect(last.events == [.probeSamples(series: ProbeSeries.batches(samples("p", "fff")))], "recorded, never a breach")
    }

    @Test func aSeriesRoundTripsItsSamples() {
        let taken = samples("a", "pfn", every: 250) + samples("b", "pp", from: 30)
        let batches = ProbeSeries.batches(taken)
        #expect(batches.map(\.probe) == ["a", "b"])
        #expect(batches[0].outcomes == "pfn")
        #expect(batches[0].offsetsMs == [0, 250, 500])
        #expect(batches[0].samples.map(\.atMs) == [0, 250, 500])
        #expect(batches[0].samples.last?.problem == "HTTP 503 (2)")
        #expect(batches[1].samples.map(\.outcome) == [.passed, .passed])
    }

    // MARK: - Observed outage

    func outage(_ pattern: String, every interval: Int64 = 250, incident: Int64? = nil) -> ObservedOutage {
        var h = header([probe("o", every: interval, outage: true)])
        h.incidentAtMs = incident
        let events: [RunEvent] = [
            RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s", kind: .runCreated(h)),
            // Two batches, the second first: the order of the samples is their time, not the log's.
            RunEvent(runID: "r", atMs: 1, monoMs: 1, session: "s", kind: .probeSamples(series: ProbeSeries.batches(
                Array(samples("o", pattern, from: 10_000, every: interval).dropFirst(pattern.count / 2))))),
            RunEvent(runID: "r", atMs: 2, monoMs: 2, session: "s", kind: .probeSamples(series: ProbeSeries.batches(
                Array(samples("o", pattern, from: 10_000, every: interval).prefix(pattern.count / 2))))),
        ]
        return ObservedOutage.measure(events)!
    }

    @Test func theObservedOutageRunsFromTheFirstFailingSampleToTheFirstPassingOneAfterTheLast() {
        // Flapping counts as one outage: 1st failing sample (index 2) → first pass after the last failure (index 8).
        let o = outage("ppffpfffpp")
        #expect(o.startMs == 10_500)
        #expect(o.endMs == 12_000)
        #expect(o.durationMs == 1_500)
        #expect(!o.lowerBound)
        #expect(o.failed == 5)
        #expect(o.figureText.hasPrefix("1.5s (±250ms, probe o: 5 of 10 samples failed)"), "\(o.figureText)")
    }

    @Test func anOutageWhoseStartOrEndWasNotSeenIsOnlyALowerBound() {
        let early = outage("fffpp")
        #expect(early.lowerBound)
        #expect(early.durationMs == 750)
        #expect(early.figureText.hasPrefix("at least 750ms"))
        // With the incident's time, it counts from there.
        let fromIncident = outage("fffpp", incident: 9_000)
        #expect(!fromIncident.lowerBound)
        #expect(fromIncident.durationMs == 1_750)
        let unfinished = outage("ppfff")
        #expect(unfinished.lowerBound)
        #expect(unfinished.endMs == nil)
        #expect(unfinished.durationMs == 500)
        let none = outage("pppp")
        #expect(none.durationMs == 0)
        #expect(none.startMs == nil)
        let blind = outage("nnnn")
        #expect(blind.durationMs == nil)
        #expect(blind.notRunnable == 4)
    }

    /// `judge_rto_by: outage`: met only on a whole figure within the objective; a lower bound can
    /// only show it missed.
    @Test func anRTOJudgedOnTheOutageNeverPassesOnALowerBound() {
        let whole = outage("ppffpp")
        let bound = outage("ffpp")
        #expect(RunMeasurement.judge(whole, objective: 1_000) == .met)
        #expect(RunMeasurement.judge(whole, objective: 400) == .missed)
        #expect(RunMeasurement.judge(bound, objective: 10_000) == .notMeasured)
        #expect(RunMeasurement.judge(bound, objective: 100) == .missed)
        #expect(RunMeasurement.judge(nil, objective: 100) == .notMeasured)
    }
}

/// The engine's probe loop with a scripted action: samples are taken every interval and recorded
/// in batches, and a failing probe pauses the run while a step is still running.
@Suite("Run engine: steady-state probes")
struct RunEngineProbeTests {
    @Test func aFailingProbePausesTheRunAndItsSamplesAreRecordedInBatches() async throws {
        let store = InMemoryStore()
        let clock = ScaledClock(scale: 20)
        var header = TestHeaders.header([TestHeaders.step("slow"), TestHeaders.step("after<slow")], mode: .drill)
        header.probes = [ProbeHeader(id: "health", action: "probe", intervalMs: 200, timeoutMs: 200, abortWhen: .failingFor(ms: 1_000))]
        let healthy = Mutex(true)
        // The slow step outlasts the breach (failing from 700 ms, for 1 s) by 8 s of the scaled clock
        // (0.4 s real): with 1.3 s (65 ms real) a loaded CI machine once let `after` start first.
        let step = ScriptedAction { request in
            try await request.clock.sleep(ms: 10_000)
            return ActionResult(summary: "slow done")
        }
        let probeAction = ScriptedAction(name: "probe") { _ in
            if healthy.withLock({ $0 }) { return ActionResult(summary: "up") }
            throw LifeboatError(.actionFailed, "HTTP 503")
        }
        let created = RunEvent(runID: "r", atMs: 0, monoMs: 0, session: "s0", kind: .runCreated(header))
        try await store.createRun(id: "r", created: created, documents: [])
        let engine = RunEngine(
            store: store, actions: ActionRegistry([step, probeAction]), clock: clock,
            configuration: EngineConfiguration(pid: 1, host: "h", operatorName: "t", session: "s1", controlPollMs: 1_000),
            random: { 0.5 })
        let inputs = RunInputs(
            steps: TestHeaders.runbookSteps(header), render: RenderContext(), masker: .none, baseDirectory: "/tmp",
            probes: [Probe(id: "health", action: "probe", intervalMs: 200, location: SourceLocation(file: "r.yaml", line: 1, column: 1))])
        Task {
            try await clock.sleep(ms: 700)
            healthy.withLock { $0 = false }
        }
        let machine = try await engine.start(runID: "r", inputs: inputs)
        #expect(machine.phase == .paused(.probeBreached))
        #expect(step.runs(of: "after") == 0)
        let events = try await store.events(of: "r").map(\.kind)
        let batches = events.compactMap { kind -> [ProbeSeries]? in
            if case .probeSamples(let series) = kind { return series }
            return nil
        }
        let taken = batches.flatMap { $0.flatMap(\.samples) }
        #expect(batches.count < taken.count, "batched: \(batches.count) events for \(taken.count) samples")
        #expect(taken.first?.outcome == .passed)
        #expect(taken.contains { $0.outcome == .failed && $0.problem == "probe 'health': HTTP 503" }, "\(taken)")
        #expect(events.contains { if case .probeBreached("health", _, .pause) = $0 { return true }; return false })
    }
}
