/// A moment on an `EngineClock`'s monotonic time: when a poll or a step's own wait ends.
public struct Deadline: Sendable, Hashable, Comparable {
    public var monoMs: Int64

    public init(monoMs: Int64) {
        self.monoMs = monoMs
    }

    public static func < (a: Deadline, b: Deadline) -> Bool { a.monoMs < b.monoMs }
}

/// How a poll ended.
public struct Polled<Seen> {
    /// What the last look saw.
    public var last: Seen
    /// Whether it was what the poll waited for; false when the deadline came first.
    public var done: Bool
    /// How many looks were taken.
    public var looks: Int
}

extension Polled: Sendable where Seen: Sendable {}

/// Time for actions: one poller, one backoff, one timeout race, all on the engine's clock.
extension ActionContext {
    /// `limit` from now on the context's clock.
    public func deadline(after limit: Duration) -> Deadline {
        Deadline(monoMs: clock.monoMs() + limit.milliseconds)
    }

    /// The time until `deadline`; zero once it has passed.
    public func timeLeft(until deadline: Deadline) -> Duration {
        .milliseconds(max(0, deadline.monoMs - clock.monoMs()))
    }

    /// Sleeps on the context's clock; throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await clock.sleep(ms: duration.milliseconds)
    }

    /// Looks now, then every `interval`, until `isDone` holds for what a look saw or `deadline`
    /// passes. A pause never reaches past the deadline; when one ends at it, one last look is taken
    /// (unless `lookAtDeadline` is false), so that a change just before the deadline still counts.
    ///
    /// `look` gets the time left, zero for that last look; a look that must not outlive the
    /// deadline bounds itself with it (`withTimeout`). Throws what `look` throws, and
    /// `CancellationError` when the task is cancelled.
    public func poll<Seen>(
        every interval: Duration, until deadline: Deadline, lookAtDeadline: Bool = true,
        _ look: (_ timeLeft: Duration) async throws -> Seen, isDone: (Seen) -> Bool
    ) async throws -> Polled<Seen> {
        var looks = 0
        while true {
            try Task.checkCancellation()
            looks += 1
            let seen = try await look(timeLeft(until: deadline))
            if isDone(seen) { return Polled(last: seen, done: true, looks: looks) }
            let now = clock.monoMs()
            if now >= deadline.monoMs { return Polled(last: seen, done: false, looks: looks) }
            try await clock.sleep(ms: min(interval.milliseconds, deadline.monoMs - now))
            if !lookAtDeadline, clock.monoMs() >= deadline.monoMs { return Polled(last: seen, done: false, looks: looks) }
        }
    }

    /// `poll` for a `look` that says itself whether the wait is over.
    public func poll(
        every interval: Duration, until deadline: Deadline, lookAtDeadline: Bool = true,
        _ look: (_ timeLeft: Duration) async throws -> Bool
    ) async throws -> Polled<Bool> {
        try await poll(every: interval, until: deadline, lookAtDeadline: lookAtDeadline, look, isDone: { $0 })
    }

    /// Sleeps before the try after `failedAttempt` (1 for the first) as `policy` says: the same
    /// full-jitter formula as a step's retries (`RetryPolicy.delay`), sampled from `random`.
    public func pause(afterAttempt failedAttempt: Int, _ policy: RetryPolicy) async throws {
        try await clock.sleep(ms: policy.delay(afterAttempt: failedAttempt, sample: random()))
    }

    /// `body` raced against `limit` on the context's clock (see `EngineClock.withTimeout`).
    public func withTimeout<T: Sendable>(
        _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await clock.withTimeout(ms: limit.milliseconds, body)
    }
}

extension EngineClock {
    /// Races `body` against `limitMs` on this clock: its value when it finishes first, nil when
    /// the time runs out first. The loser is cancelled (a cancelled command is killed with its
    /// process group); what `body` throws is rethrown.
    public func withTimeout<T: Sendable>(
        ms limitMs: Int64, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await self.sleep(ms: limitMs)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
