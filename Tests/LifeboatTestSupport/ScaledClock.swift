import LifeboatCore
import Synchronization

/// A clock whose time runs `scale` times faster than real time: a 30 s retry delay sleeps 30 s of
/// virtual time but only 30/scale ms of real time, so timeout and backoff tests stay fast while the
/// engine sees realistic figures. It records every sleep it was asked for.
public final class ScaledClock: EngineClock, Sendable {
    public let scale: Int64
    private let origin = ContinuousClock.now
    private let sleeps = Mutex<[Int64]>([])
    private let wallOrigin: Int64

    public init(scale: Int64 = 100, wallOrigin: Int64 = 1_800_000_000_000) {
        self.scale = scale
        self.wallOrigin = wallOrigin
    }

    public var requestedSleeps: [Int64] { sleeps.withLock { $0 } }

    private func virtualElapsed() -> Int64 { (ContinuousClock.now - origin).milliseconds * scale }

    public func wallMs() -> Int64 { wallOrigin + virtualElapsed() }

    public func monoMs() -> Int64 { virtualElapsed() }

    public func sleep(ms: Int64) async throws {
        sleeps.withLock { $0.append(ms) }
        let realMicros = max(ms, 0) * 1_000 / scale
        try await Task.sleep(for: .microseconds(realMicros))
    }
}
