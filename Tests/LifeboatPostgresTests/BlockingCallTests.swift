import Dispatch
import Foundation
@testable import LifeboatPostgres
import Synchronization
import Testing

/// `BlockingCall`'s hand-over between the call's queue and the awaiting task, with no server: the
/// call finishing at the moment its task is cancelled. Resuming the task while holding the call's
/// lock deadlocked against the cancellation handler (which runs under the task's own lock and
/// takes the call's): a team-store run hung after `run succeeded` when its listener's connect
/// finished as the engine cancelled its tasks.
@Suite("blocking calls")
struct BlockingCallTests {
    @Test func aCallFinishingAsItsTaskIsCancelledNeverHangs() async throws {
        let rounds = 1_000
        let finished = Atomic<Int>(0)
        let worker = Task.detached {
            for round in 0..<rounds {
                let queue = DispatchQueue(label: "lifeboat.test.blocking-call")
                let (started, go) = (Flag(), Flag())
                let call = Task {
                    await BlockingCall.run(
                        on: queue, timeout: .seconds(30), grace: .seconds(30), interrupt: { _ in }, abandon: {},
                        abandoned: { _ in -1 }, discard: { _ in }
                    ) {
                        started.raise()
                        while !go.isRaised {}
                        Self.spin(round % 7)
                        return round
                    }
                }
                // The task awaits the call (it runs only once the task is suspended on it): let it
                // finish and cancel the task at about the same moment.
                while !started.isRaised {}
                go.raise()
                Self.spin(round % 5)
                call.cancel()
                _ = await call.value
                finished.add(1, ordering: .relaxed)
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while finished.load(ordering: .relaxed) < rounds, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(finished.load(ordering: .relaxed) == rounds, "a call and its cancellation deadlocked (round \(finished.load(ordering: .relaxed)) of \(rounds))")
        if finished.load(ordering: .relaxed) == rounds { await worker.value }
    }

    private final class Flag: Sendable {
        private let raised = Atomic<Bool>(false)
        var isRaised: Bool { raised.load(ordering: .acquiring) }
        func raise() { raised.store(true, ordering: .releasing) }
    }

    /// A few microseconds of work, so that finishing and cancelling meet at varying moments.
    private static func spin(_ units: Int) {
        var x = 0
        for i in 0..<(units * 200) { x &+= i }
        withExtendedLifetime(x) {}
    }
}
