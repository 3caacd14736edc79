import LifeboatCore
import LifeboatTestSupport
import Testing

/// No dead ends, shown by exploring the machine's reachable state space for generated runbooks
/// (random DAGs of 2–8 steps with retries, approvals, verify and rollbacks): every input from the
/// world (circuit breaker decisions included), every operator command and a crash of the executor
/// at every point, in every order the machine allows. Two properties:
/// - every state a stopped run can be in has a path to an end state (succeeded, aborted, rolled
///   back) through operator commands alone;
/// - every command the machine offers an operator (`waysOut`) is accepted when given.
@Suite("Run state machine: no dead ends (state-space exploration)")
struct RunStateMachineExplorationTests {
    private static let ok = ActionResult(summary: "ok")
    private static let retryable = StepError(code: .actionFailed, message: "flaky", retryable: true)
    private static let fatal = StepError(code: .actionFailed, message: "broken", retryable: false)

    static func runbook(seed: UInt64) -> RunHeader {
        var g = SeededGenerator(seed: seed)
        let count = Int.random(in: 2...8, using: &g)
        var steps: [StepHeader] = []
        for i in 0..<count {
            let id = "s\(i)"
            let needs = (0..<i).filter { _ in Int.random(in: 0..<3, using: &g) == 0 }.map { "s\($0)" }
            let approval = Int.random(in: 0..<5, using: &g) == 0
            var step = TestHeaders.step(
                needs.isEmpty ? id : "\(id)<\(needs.joined(separator: ","))",
                action: approval ? BuiltinActions.approval : "scripted",
                idempotent: Bool.random(using: &g), hasVerify: Bool.random(using: &g),
                retry: Bool.random(using: &g) ? RetryPolicy(attempts: 2, delayMs: 10) : .none,
                compensation: !approval && Bool.random(using: &g))
            if step.hasCompensation { step.compensationIdempotent = Bool.random(using: &g) }
            steps.append(step)
        }
        return TestHeaders.header(steps, concurrency: Int.random(in: 1...3, using: &g))
    }

    /// What the world can do to a run a process is executing: steps end, verifies answer, timers
    /// fire, people decide, operators pause or abort from another terminal, the process dies.
    static func worldInputs(_ m: RunStateMachine) -> [RunStateMachine.Input?] {
        var out: [RunStateMachine.Input?] = [nil]  // nil: the executor is lost (crash, kill -9)
        for step in m.header.steps {
            let id = step.id
            switch m.state(of: id) {
            case .running(let a)?:
                // Steps share one endpoint: its circuit opens, holds and half-opens as results come.
                out += [.attemptPrepared(step: id, attempt: a, endpoint: "https://api", nowMs: 0),
                        .circuitTrialDue(step: id, attempt: a, nowMs: 100_000),
                        .stepSucceeded(step: id, attempt: a, durationMs: 1, result: ok),
                        .stepFailed(step: id, attempt: a, durationMs: 1, error: retryable, jitterSample: 0.5),
                        .stepFailed(step: id, attempt: a, durationMs: 1, error: fatal, jitterSample: 0.5)]
            case .verifying?:
                out += [.verified(step: id, result: .done(ok)), .verified(step: id, result: .notDone("no")),
                        .verified(step: id, result: .undecidable("?")), .verifyFailed(step: id, reason: "down")]
            case .retryWait(_, false)?:
                out.append(.retryDue(step: id))
            case .awaitingApproval?:
                out += [.decision(step: id, ApprovalDecision(approved: true, caller: .named("ic"), via: "t"), waitMs: 1),
                        .decision(step: id, ApprovalDecision(approved: false, caller: .named("ic"), via: "t", reason: "no"), waitMs: 1),
                        .approvalTimeout(step: id, waitedMs: 5)]
            case .compensating?:
                out += [.compensationSucceeded(step: id, durationMs: 1, result: ok),
                        .compensationFailed(step: id, durationMs: 1, error: fatal)]
            default:
                break
            }
        }
        if m.phase == .executing && m.stopRequest == nil {
            out += [.interrupt(.interrupted), .pause(by: "op", reason: "r"), .abort(by: "op", reason: "r")]
        }
        return out
    }

    /// Every operator command, offered or not, on a run no process executes (per step, only those
    /// its state could take: the machine refuses the others without looking further).
    static func operatorInputs(_ m: RunStateMachine) -> [RunStateMachine.Input] {
        var out: [RunStateMachine.Input] = m.phase == .created ? [.start(pid: 1, host: "h")] : []
        out += [.resume(pid: 2, host: "h", by: "op"), .abort(by: "op", reason: "r"),
                .rollback(by: "op", strategy: .stopOnFailure, rerunInterrupted: false),
                .rollback(by: "op", strategy: .continueOnFailure, rerunInterrupted: false),
                .rollback(by: "op", strategy: .stopOnFailure, rerunInterrupted: true),
                .reload(header: corrected(m.header), by: "op", force: false),
                .reload(header: corrected(m.header), by: "op", force: true)]
        for step in m.header.steps {
            let state = m.state(of: step.id)!
            switch state {
            case .pending, .failed, .unknown, .retryWait: out.append(.operatorSkip(step: step.id, by: "op", reason: "r"))
            default: break
            }
            switch state {
            case .failed, .unknown, .compensating, .compensationFailed:
                if state == .failed { out.append(.resume(pid: 2, host: "h", by: "op", redrive: [step.id])) }
                for resolution in RunEvent.Resolution.allCases {
                    out.append(.resolve(step: step.id, resolution: resolution, by: "op", reason: "r"))
                }
            default: break
            }
        }
        return out
    }

    /// `resume --reload`'s corrected documents: every step's definition changed and a step added
    /// (reloading them again changes nothing more).
    static func corrected(_ header: RunHeader) -> RunHeader {
        var corrected = header
        corrected.steps = header.steps.map { step in
            var step = step
            step.definition = "corrected"
            return step
        }
        if !corrected.steps.contains(where: { $0.id == "fix" }) { corrected.steps.append(TestHeaders.step("fix")) }
        return corrected
    }

    /// The problems of a state no process executes: an offered command refused, or no way to an
    /// end state through the commands the machine offers (searched breadth-first, three deep).
    static func problems(ofStopped m: RunStateMachine) -> [String] {
        var problems: [String] = []
        for command in m.waysOut {
            var n = m
            do { _ = try n.handle(command.input(by: "op")) } catch {
                problems.append("offered `\(command)` refused in \(m.phaseName): \(error)")
            }
        }
        var frontier = [m]
        var seen: Set<RunStateMachine> = [m]
        for _ in 0..<3 {
            if frontier.contains(where: \.hasEnded) { return problems }
            var next: [RunStateMachine] = []
            for state in frontier {
                for command in state.waysOut {
                    var n = state
                    guard (try? n.handle(command.input(by: "op"))) != nil else { continue }
                    if n.phase != .executing && n.phase != .rollingBack { n.executorLost() }
                    // A command that hands the run to an executor ends what operators alone decide.
                    if n.hasExecutor { continue }
                    if seen.insert(n).inserted { next.append(n) }
                }
            }
            frontier = next
        }
        if !frontier.contains(where: \.hasEnded) {
            problems.append("dead end: \(m.phaseName), steps \(m.states.list), offers \(m.waysOut)")
        }
        return problems
    }

    /// One move from `m`: a world input or a crash while a process executes it, an operator command
    /// when none does. Returns nil when the move is refused.
    static func move(_ m: RunStateMachine, _ input: RunStateMachine.Input?) -> RunStateMachine? {
        var n = m
        if let input {
            guard (try? n.handle(input)) != nil else { return nil }
        } else {
            n.executorLost()
        }
        if n.phase != .executing && n.phase != .rollingBack { n.executorLost() }  // the process exits
        return n
    }

    static func isLive(_ m: RunStateMachine) -> Bool { m.hasExecutor && (m.phase == .executing || m.phase == .rollingBack) }

    static func moves(_ m: RunStateMachine) -> [RunStateMachine.Input?] {
        isLive(m) ? worldInputs(m) : operatorInputs(m)
    }

    struct Tally {
        var states = 0
        var stopped = 0
        var complete = 0
        var problems: [String] = []
    }

    /// Breadth-first over every reachable state, up to the third attempt of any step (and at most
    /// `cap` states; `tally.complete` counts the runbooks explored to the end).
    static func exhaustive(_ header: RunHeader, cap: Int, tally: inout Tally) {
        var queue = [RunStateMachine(header: header)]
        var seen: Set<RunStateMachine> = [queue[0]]
        var head = 0
        while head < queue.count {
            let m = queue[head]
            head += 1
            if !isLive(m) {
                tally.stopped += 1
                tally.problems += problems(ofStopped: m)
            }
            for input in moves(m) {
                guard let n = move(m, input), !n.attempts.values.contains(where: { $0 > 3 }) else { continue }
                if seen.count < cap, seen.insert(n).inserted { queue.append(n) }
            }
        }
        tally.states += seen.count
        if seen.count < cap { tally.complete += 1 }
    }

    /// Random walks through the state space of a larger runbook.
    static func walks(_ header: RunHeader, count: Int, length: Int, seed: UInt64, tally: inout Tally) {
        var g = SeededGenerator(seed: seed)
        var seen: Set<RunStateMachine> = []
        for _ in 0..<count {
            var m = RunStateMachine(header: header)
            for _ in 0..<length {
                if seen.insert(m).inserted, !isLive(m) {
                    tally.stopped += 1
                    tally.problems += problems(ofStopped: m)
                }
                let options = moves(m).compactMap { input in move(m, input) }
                guard let n = options.randomElement(using: &g) else { break }
                m = n
            }
        }
        tally.states += seen.count
    }

    @Test func everyStoppedStateHasAWayOutAndEveryOfferedCommandIsAccepted() {
        var small = Tally(), large = Tally()
        var smallRunbooks = 0, largeRunbooks = 0
        for seed in UInt64(1)...200 {
            let header = Self.runbook(seed: seed)
            if header.steps.count <= 3 && smallRunbooks < 6 {
                smallRunbooks += 1
                Self.exhaustive(header, cap: 20_000, tally: &small)
            } else if largeRunbooks < 30 {
                largeRunbooks += 1
                Self.walks(header, count: 40, length: 40, seed: seed, tally: &large)
            }
        }
        print("""
            no-dead-end exploration: \(smallRunbooks) runbooks of 2–3 steps explored breadth-first (to the \
            third attempt of a step; \(small.complete) of them to the end, the rest to 20,000 states): \
            \(small.states) states, \(small.stopped) of them stopped; \
            \(largeRunbooks) runbooks of 2–8 steps by random walks: \(large.states) states, \(large.stopped) stopped
            """)
        #expect(small.problems.isEmpty, "\(small.problems.prefix(3))")
        #expect(large.problems.isEmpty, "\(large.problems.prefix(3))")
        #expect(small.stopped > 1_000 && large.stopped > 1_000)
    }
}
