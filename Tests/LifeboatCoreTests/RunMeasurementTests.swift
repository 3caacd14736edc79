import LifeboatCore
import LifeboatTestSupport
import Testing

/// RTO and RPO as a run's events prove them, as tables of recorded events → figures: the RTO window
/// runs from the first start of its start step to the success of its end step, on one clock; the RPO
/// is the worst data-loss window a step reported, exact only when that step said so.
@Suite("Run measurement: RTO and RPO from the events alone")
struct RunMeasurementTests {
    private static let header = TestHeaders.header(
        [TestHeaders.step("promote", retry: RetryPolicy(attempts: 3, delayMs: 1_000)), TestHeaders.step("dns<promote"),
         TestHeaders.step("smoke<dns")],
        objectives: Objectives(rtoMs: 7_000, rpoMs: 1_000), window: RTOWindow(start: "promote", end: "dns"))

    private func event(_ kind: RunEvent.Kind, at: Int64, mono: Int64? = nil, session: String = "s1") -> RunEvent {
        RunEvent(runID: "r", atMs: at, monoMs: mono ?? at, session: session, kind: kind)
    }

    private func ok(_ outputs: [String: Value] = [:]) -> ActionResult { ActionResult(outputs: outputs, summary: "ok") }

    /// promote fails once and is retried; the window still starts at its first attempt.
    private func retriedRun(header: RunHeader = Self.header) -> [RunEvent] {
        [
            event(.runCreated(header), at: 0),
            event(.executorStarted(pid: 1, host: "h", resumed: false), at: 1_000),
            event(.stepStarted(step: "promote", attempt: 1), at: 2_000),
            event(.stepFailed(step: "promote", attempt: 1, durationMs: 500,
                              error: StepError(code: .actionFailed, message: "503", retryable: true)), at: 2_500),
            event(.stepRetryScheduled(step: "promote", nextAttempt: 2, delayMs: 1_500), at: 2_500),
            event(.stepStarted(step: "promote", attempt: 2), at: 4_000),
            event(.stepSucceeded(step: "promote", attempt: 2, durationMs: 500, result: ok()), at: 4_500),
            event(.stepStarted(step: "dns", attempt: 1), at: 5_000),
            event(.stepSucceeded(step: "dns", attempt: 1, durationMs: 4_000, result: ok()), at: 9_000),
            event(.stepStarted(step: "smoke", attempt: 1), at: 9_000),
            event(.stepSucceeded(step: "smoke", attempt: 1, durationMs: 3_000, result: ok()), at: 12_000),
            event(.runFinished(outcome: .succeeded), at: 12_000),
        ]
    }

    @Test func theRTOWindowRunsFromTheFirstAttemptOfItsStartToTheEndOfItsEnd() throws {
        let rto = try #require(RunMeasurement.compute(retriedRun())).rto
        #expect(rto.achievedMs == 7_000)  // 2 000 (promote's first attempt) → 9 000 (dns succeeded)
        #expect(rto.method == "monotonic")
        #expect(rto.windowStart == "promote" && rto.windowEnd == "dns")
    }

    /// An RTO over its objective is missed, at or under it met.
    @Test(arguments: [(Int64(7_000), RunMeasurement.Verdict.met), (6_999, .missed), (60_000, .met), (1_000, .missed)])
    func theRTOVerdictComparesWithTheObjective(objective: Int64, verdict: RunMeasurement.Verdict) throws {
        var header = Self.header
        header.objectives.rtoMs = objective
        #expect(try #require(RunMeasurement.compute(retriedRun(header: header))).rto.verdict == verdict)
    }

    /// A window that a crash and a resume split is measured by the wall clock: two processes'
    /// monotonic clocks cannot be subtracted.
    @Test func aWindowThatSpansAResumeIsMeasuredByTheWallClock() throws {
        let events = [
            event(.runCreated(Self.header), at: 0),
            event(.executorStarted(pid: 1, host: "h", resumed: false), at: 1_000, mono: 50_000),
            event(.stepStarted(step: "promote", attempt: 1), at: 2_000, mono: 51_000),
            event(.stepSucceeded(step: "promote", attempt: 1, durationMs: 500, result: ok()), at: 2_500, mono: 51_500),
            event(.stepStarted(step: "dns", attempt: 1), at: 3_000, mono: 52_000),
            // kill -9; a new process (its monotonic clock starts near 0) verifies dns and goes on.
            event(.executorStarted(pid: 2, host: "h", resumed: true), at: 20_000, mono: 100, session: "s2"),
            event(.stepInterrupted(step: "dns", attempt: 1, recovery: .verify), at: 20_000, mono: 100, session: "s2"),
            event(.stepVerified(step: "dns", outcome: .done(ok())), at: 21_000, mono: 1_100, session: "s2"),
        ]
        let rto = try #require(RunMeasurement.compute(events)).rto
        #expect(rto.achievedMs == 19_000)
        #expect(rto.method == "wall clock (spans a resume)")
        #expect(rto.verdict == .missed)
    }

    /// The run's RPO is the worst window any step reported (never the best), and exact only when
    /// that step said `rpo_exact: true`.
    @Test func theRPOIsTheWorstReportedWindowAndExactOnlyWhenSaid() throws {
        var events = retriedRun()
        events[6] = event(.stepSucceeded(step: "promote", attempt: 2, durationMs: 500, result: ok([
            "data_loss_window_ms": 700, "rpo_exact": true, "rpo_method": "exact: commit timestamps",
        ])), at: 4_500)
        events[10] = event(.stepSucceeded(step: "smoke", attempt: 1, durationMs: 3_000, result: ok([
            "data_loss_window_ms": 1_500,
        ])), at: 12_000)
        let rpo = try #require(RunMeasurement.compute(events)).rpo
        #expect(rpo.achievedMs == 1_500)
        #expect(rpo.exact == false)
        #expect(rpo.method == "step smoke")
        #expect(rpo.verdict == .missed)
    }

    /// A step that measured data loss and could not bound it makes the run's RPO "not bounded",
    /// whatever another step measured: never a small number. With an objective, that is not met.
    @Test func aWindowNoStepCouldBoundMakesTheRunsRPONotBounded() throws {
        var events = retriedRun()
        events[6] = event(.stepSucceeded(step: "promote", attempt: 2, durationMs: 500, result: ok([
            "data_loss_window_ms": .null, "rpo_exact": false,
            "rpo_method": "not bounded: the fence (command) did not hold",
        ])), at: 4_500)
        events[10] = event(.stepSucceeded(step: "smoke", attempt: 1, durationMs: 3_000, result: ok([
            "data_loss_window_ms": 200, "rpo_exact": true,
        ])), at: 12_000)
        let rpo = try #require(RunMeasurement.compute(events)).rpo
        #expect(rpo.achievedMs == nil)
        #expect(rpo.notBounded)
        #expect(rpo.method == "not bounded: the fence (command) did not hold")
        #expect(rpo.exact == false)
        #expect(rpo.verdict == .missed)
        #expect(RunFigures(try #require(RunMeasurement.compute(events))).rpo.notBounded)
        // A run where no step measured data loss is "not measured", not "not bounded".
        let none = try #require(RunMeasurement.compute(retriedRun())).rpo
        #expect(!none.notBounded)
    }

    /// With an incident time the RTO is also measured from it to the window's end (wall clock),
    /// beside the window's own figure, which still gives the verdict.
    @Test func theRTOFromTheIncidentRunsToTheEndOfTheWindow() throws {
        var header = Self.header
        header.incidentAtMs = -60_000
        let rto = try #require(RunMeasurement.compute(retriedRun(header: header))).rto
        let plain = try #require(RunMeasurement.compute(retriedRun())).rto
        #expect(rto.incidentAtMs == -60_000)
        #expect(rto.fromIncidentMs == 69_000)  // −60 000 (incident) → 9 000 (dns, the window's end)
        #expect(rto.achievedMs == plain.achievedMs)
        #expect(rto.verdict == plain.verdict)
        #expect(plain.fromIncidentMs == nil)
    }

    @Test(arguments: [
        ("2026-03-01 09:14:00.123+00", "2026-03-01T09:14:00.123Z"),
        ("2026-03-01T10:14:00+01:00", "2026-03-01T09:14:00Z"),
        ("2026-03-01T04:14:00-0500", "2026-03-01T09:14:00Z"),
    ])
    func timesWithAnOffsetAreRead(text: String, utc: String) {
        #expect(UTCCalendar.parseISO(text) == UTCCalendar.parseISO(utc))
        #expect(UTCCalendar.parseISO(text) != nil)
    }
}
