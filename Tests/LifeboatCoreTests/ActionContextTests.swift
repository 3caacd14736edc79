import LifeboatCore
import LifeboatTestSupport
import Synchronization
import Testing

/// The action context: the one place that names the step in messages and masks secrets in
/// whatever an action returns, and the one poller, backoff and timeout race actions use.
@Suite("Action context")
struct ActionContextTests {
    static let secret = "s3cr3t-value"
    static let found = "found-in-a-conninfo"

    func context(clock: any EngineClock = ScaledClock(scale: 100), random: @escaping @Sendable () -> Double = { 0.5 }) -> ActionContext {
        ActionContext(
            runID: "r1", stepID: "promote", mode: .execute, params: [:], masker: SecretMasker(secrets: [Self.secret]),
            baseDirectory: "/tmp", clock: clock, random: random)
    }

    /// An action that reports the run's secret and one it found itself everywhere it can.
    static let leaky = ScriptedAction(
        behaviour: { context in
            context.alsoMask([found])
            if context.params["fail"] != nil {
                throw LifeboatError(
                    .actionFailed, "login with \(secret) and \(found) refused", hint: "check \(secret)",
                    retryable: true, detail: "server said: \(found)")
            }
            return ActionResult(
                outputs: ["dsn": .string("postgres://app:\(secret)@db"), "nested": ["k": .string(found)]],
                summary: "connected with \(found)")
        },
        verify: { context in
            context.alsoMask([found])
            return .notDone("still a replica (\(found))")
        })

    @Test func anErrorIsNamedAfterTheStepOnceAndMaskedEverywhere() async throws {
        var context = context()
        context.params = ["fail": true]
        let error = await #expect(throws: LifeboatError.self) { _ = try await Self.leaky.run(in: context) }
        #expect(error?.message == "step 'promote': login with *** and *** refused")
        #expect(error?.hint == "check ***")
        #expect(error?.detail == "server said: ***")
        #expect(error?.retryable == true)
    }

    @Test func aResultIsMaskedInOutputsAndSummary() async throws {
        let result = try await Self.leaky.run(in: context())
        #expect(result.outputs["dsn"] == "postgres://app:***@db")
        #expect(result.outputs["nested"] == ["k": "***"])
        #expect(result.summary == "connected with ***")
    }

    @Test func preflightAndVerifyAreMaskedAndLeftUnnamed() async throws {
        let refusing = ScriptedAction(behaviour: { _ in ActionResult(summary: "") })
        var context = context()
        context.params = ["refuse_preflight": true]
        #expect(try await refusing.preflight(in: context) == .refused("scripted refusal"))
        #expect(try await Self.leaky.verify(in: self.context()) == .notDone("still a replica (***)"))
    }

    @Test func otherErrorsAreRetryableFailuresAndCancellationIsCancelled() {
        let context = context()
        struct Odd: Error, CustomStringConvertible { var description: String { "odd \(ActionContextTests.secret)" } }
        let odd = context.reported(Odd())
        #expect(odd.code == .actionFailed && odd.retryable && odd.message == "step 'promote': odd ***")
        let cancelled = context.reported(CancellationError())
        #expect(cancelled.code == .cancelled && cancelled.message == "step 'promote' was cancelled")
    }

    /// On a clock that only moves when slept on, so a loaded machine cannot run the deadline out.
    @Test func pollLooksUntilDoneAndCountsItsLooks() async throws {
        let clock = SteppingClock()
        let context = context(clock: clock)
        var seen: [Int] = []
        let polled = try await context.poll(every: .seconds(1), until: context.deadline(after: .seconds(60))) { _ in
            seen.append(seen.count + 1)
            return seen.count
        } isDone: {
            $0 == 3
        }
        #expect(polled.done && polled.last == 3 && polled.looks == 3)
        #expect(clock.sleeps == [1_000, 1_000])
    }

    /// Time runs out: the pause before the last look ends at the deadline, and one last look is
    /// taken there (with no time left), unless the poller is told not to.
    @Test func pollTakesOneLastLookAtTheDeadline() async throws {
        let clock = SteppingClock()
        let context = context(clock: clock)
        var left: [Duration] = []
        let polled = try await context.poll(every: .seconds(4), until: context.deadline(after: .seconds(10))) { timeLeft in
            left.append(timeLeft)
            return false
        }
        #expect(!polled.done && polled.looks == 4)
        #expect(left == [.seconds(10), .seconds(6), .seconds(2), .zero])
        #expect(clock.sleeps == [4_000, 4_000, 2_000])

        let withoutLastLook = try await context.poll(
            every: .seconds(4), until: context.deadline(after: .seconds(10)), lookAtDeadline: false
        ) { _ in false }
        #expect(!withoutLastLook.done && withoutLastLook.looks == 3)
    }

    @Test func pollStopsWhenTheTaskIsCancelled() async throws {
        let context = context(clock: SystemClock())
        let task = Task {
            try await context.poll(every: .seconds(1), until: context.deadline(after: .seconds(60))) { _ in false }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    /// The DNS client's pause between tries uses the step retries' full-jitter formula.
    @Test func pauseSleepsTheRetryPolicysFullJitterDelay() async throws {
        let clock = ScaledClock(scale: 1_000)
        let context = context(clock: clock, random: { 0.5 })
        let policy = RetryPolicy(attempts: 5, delayMs: 200, maxDelayMs: 1_000, jitter: .full)
        for attempt in 1...4 { try await context.pause(afterAttempt: attempt, policy) }
        #expect(clock.requestedSleeps == [100, 200, 400, 500])
        #expect(clock.requestedSleeps == (1...4).map { policy.delay(afterAttempt: $0, sample: 0.5) })
    }

    @Test func withTimeoutReturnsTheValueOrNilAndCancelsTheLoser() async throws {
        let clock = ScaledClock(scale: 1)
        #expect(try await clock.withTimeout(ms: 5_000) { 42 } == 42)
        let stopped = Mutex(false)
        let late = try await clock.withTimeout(ms: 20) { () async throws -> Int in
            do { try await Task.sleep(for: .seconds(30)) } catch { stopped.withLock { $0 = true }; throw error }
            return 1
        }
        #expect(late == nil)
        #expect(stopped.withLock { $0 })
        await #expect(throws: LifeboatError.self) {
            _ = try await clock.withTimeout(ms: 5_000) { () async throws -> Int in throw LifeboatError(.actionFailed, "boom") }
        }
    }
}

/// A clock whose sleeps pass at once and move its time on by exactly what was asked.
private final class SteppingClock: EngineClock, Sendable {
    private let state = Mutex((now: Int64(0), sleeps: [Int64]()))

    var sleeps: [Int64] { state.withLock { $0.sleeps } }

    func wallMs() -> Int64 { 1_800_000_000_000 + monoMs() }

    func monoMs() -> Int64 { state.withLock { $0.now } }

    func sleep(ms: Int64) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.now += ms
            $0.sleeps.append(ms)
        }
    }
}
