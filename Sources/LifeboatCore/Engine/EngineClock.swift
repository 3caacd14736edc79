import Foundation

/// Time for the engine: wall clock for timestamps, monotonic clock for durations, and sleeping.
/// Tests inject a manual clock; production uses `SystemClock`.
public protocol EngineClock: Sendable {
    /// Milliseconds since 1970, UTC.
    func wallMs() -> Int64
    /// A monotonic reading in milliseconds; only differences within one process mean anything.
    func monoMs() -> Int64
    /// Sleeps `ms` milliseconds; throws `CancellationError` when the task is cancelled.
    func sleep(ms: Int64) async throws
}

public struct SystemClock: EngineClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func wallMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public func monoMs() -> Int64 { (ContinuousClock.now - origin).milliseconds }

    public func sleep(ms: Int64) async throws {
        try await Task.sleep(for: .milliseconds(max(ms, 0)))
    }
}
