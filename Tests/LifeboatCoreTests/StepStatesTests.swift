@testable import LifeboatCore
import LifeboatTestSupport
import Testing

/// `StepStates` keeps its counts and the steps that may start up to date as states change; here
/// each is checked against a walk of the states after every change, on generated runbooks.
@Suite("Step states")
struct StepStatesTests {
    private typealias State = RunStateMachine.StepState

    private static let states: [State] = [
        .pending, .running(attempt: 1), .retryWait(nextAttempt: 2, due: false), .retryWait(nextAttempt: 2, due: true),
        .awaitingApproval, .verifying(attempt: 1), .succeeded, .failed, .skipped, .unknown, .compensating,
        .compensated, .compensationFailed,
    ]

    @Test("counts and startable steps agree with a walk of the states after every change")
    func derivedFiguresFollowEveryChange() {
        var random = SeededGenerator(seed: 17)
        var changes = 0
        for _ in 0..<300 {
            let count = Int.random(in: 1...12, using: &random)
            // Needs on earlier steps, some twice, some on a step that is not in the run.
            let steps = (0..<count).map { index -> StepHeader in
                var needs = (0..<index).filter { _ in Bool.random(using: &random) }.map { "s\($0)" }
                if let first = needs.first, Int.random(in: 0..<5, using: &random) == 0 { needs.append(first) }
                if Int.random(in: 0..<8, using: &random) == 0 { needs.append("gone") }
                var step = TestHeaders.step("s\(index)")
                step.needs = needs
                return step
            }
            var states = StepStates(steps: steps)
            Self.expectAgreement(states, steps)
            for _ in 0..<60 {
                states["s\(Int.random(in: 0..<count, using: &random))"] = Self.states.randomElement(using: &random)
                Self.expectAgreement(states, steps)
                changes += 1
            }
        }
        #expect(changes == 18_000)
    }

    @Test("a step that is not in the run changes nothing")
    func unknownIDChangesNothing() {
        var states = StepStates(steps: [TestHeaders.step("a"), TestHeaders.step("b<a")])
        let before = states
        states["zzz"] = .running(attempt: 1)
        #expect(states == before)
        #expect(states.busyCount == 0)
        #expect(states.firstStartable(after: -1) == 0)
        #expect(states.firstStartable(after: 0) == nil)
    }

    @Test("the same states under other needs are not equal")
    func needsTakePartInEquality() {
        let chained = StepStates(steps: [TestHeaders.step("a"), TestHeaders.step("b<a")])
        let parallel = StepStates(steps: [TestHeaders.step("a"), TestHeaders.step("b")])
        #expect(chained.list == parallel.list)
        #expect(chained != parallel)
        #expect(chained == StepStates(steps: [TestHeaders.step("a"), TestHeaders.step("b<a")]))
    }

    private static func expectAgreement(_ states: StepStates, _ steps: [StepHeader]) {
        let list = states.list
        let done = { (state: State) in state == .succeeded || state == .skipped }
        let busy = list.filter { if case .running = $0 { return true }; if case .verifying = $0 { return true }; return false }
        let waiting = list.filter { if case .retryWait = $0 { return true }; return $0 == .awaitingApproval }
        #expect(states.busyCount == busy.count)
        #expect(states.waitingCount == waiting.count)
        #expect(states.unknownCount == list.filter { $0 == .unknown }.count)
        #expect(states.notDoneCount == list.filter { !done($0) }.count)

        let ids = steps.map(\.id)
        let expected = list.indices.filter { index in
            switch list[index] {
            case .pending:
                return steps[index].needs.allSatisfy { need in ids.firstIndex(of: need).map { done(list[$0]) } ?? true }
            case .retryWait(_, due: true): return true
            default: return false
            }
        }
        var startable: [Int] = []
        while let next = states.firstStartable(after: startable.last ?? -1) { startable.append(next) }
        #expect(startable == expected, "states \(list)")
    }
}
