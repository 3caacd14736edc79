import LifeboatCore
import LifeboatTestSupport
import Testing

/// The approval rules as the state machine decides them: who may decide, how many must agree,
/// separation of duties, timeouts, and that a replayed log gives the same state.
@Suite("Run state machine: approval rules")
struct RunStateMachineApprovalTests {
    let carol = Caller(decider: Decider(identity: "carol", label: "Carol", host: "h1"))
    let alice = Caller(decider: Decider(identity: "alice", label: "IC", host: "h2"), groups: ["sre"])
    let bob = Caller(decider: Decider(identity: "bob", label: "bob", host: "h3"), groups: ["sre"])
    let mallory = Caller(decider: Decider(identity: "mallory", label: "alice", host: "h4"))

    /// A run whose `gate` approval has `rule`, started by carol; gate is awaiting approval.
    func started(_ rule: ApprovalRule, mode: RunMode = .execute, timeoutMs: Int64? = nil) throws -> RunStateMachine {
        var gate = TestHeaders.step("gate", action: "approval", timeoutMs: timeoutMs)
        gate.approval = rule
        var machine = RunStateMachine(header: TestHeaders.header([gate, TestHeaders.step("after<gate")], mode: mode))
        _ = try machine.handle(.start(pid: 1, host: "h1", decider: carol.decider))
        #expect(machine.state(of: "gate") == .awaitingApproval)
        return machine
    }

    func decide(_ m: inout RunStateMachine, _ caller: Caller, approve: Bool = true) throws -> [RunEvent.Kind] {
        try m.handle(.decision(step: "gate", ApprovalDecision(approved: approve, caller: caller, via: "lifeboat approve", reason: approve ? "" : "no"), waitMs: 5)).events
    }

    func refusal(_ events: [RunEvent.Kind]) -> String? {
        guard case .approvalRefused(_, _, _, let why, _)? = events.first else { return nil }
        return why
    }

    @Test func onlyTheApproversDecideAndALabelChangesNothing() throws {
        var m = try started(ApprovalRule(approvers: ["group:sre", "dave"]))
        let forged = try decide(&m, mallory)  // labelled "alice", but the account is mallory
        #expect(refusal(forged) == "mallory is not among its approvers (group:sre, dave)")
        #expect(m.state(of: "gate") == .awaitingApproval)
        let denied = try decide(&m, mallory, approve: false)
        #expect(refusal(denied) != nil, "an outsider's denial must not count either")
        _ = try decide(&m, alice)
        #expect(m.state(of: "gate") == .succeeded)
    }

    @Test func aQuorumCountsDistinctPeopleAndTheStepWaitsUntilItIsMet() throws {
        var m = try started(ApprovalRule(approvers: ["group:sre"], quorum: 2))
        let first = try m.handle(.decision(step: "gate", ApprovalDecision(approved: true, caller: alice, via: "t"), waitMs: 5))
        #expect(m.state(of: "gate") == .awaitingApproval)
        #expect(!first.actions.contains(.withdrawApproval(step: "gate")), "the terminal must keep asking")
        #expect(m.approvalProgress("gate") == (1, 2))
        var sudoAlice = alice
        sudoAlice.decider = Decider(identity: "root", sudoUser: "alice", label: "root", host: "h2")
        sudoAlice.groups = ["sre"]
        #expect(refusal(try decide(&m, sudoAlice)) == "alice already approved it (1 of 2): another person must")
        _ = try decide(&m, bob)
        #expect(m.state(of: "gate") == .succeeded)
        #expect(m.state(of: "after") == .running(attempt: 1))
        #expect(refusal(try decide(&m, alice))?.hasPrefix("it was already decided: approved by IC (account alice) on h2, bob on h3") == true)
    }

    @Test func whoStartedAFailoverCannotApproveItButMayInADrill() throws {
        var failover = try started(ApprovalRule(separationOfDuties: ApprovalRule.separationOfDutiesByDefault(in: .execute)))
        #expect(refusal(try decide(&failover, carol)) == "carol started or resumed this run, and separation of duties is on: another person must approve")
        #expect(failover.autoApprovalRefusal(by: carol) != nil)
        var drill = try started(ApprovalRule(separationOfDuties: ApprovalRule.separationOfDutiesByDefault(in: .drill)), mode: .drill)
        #expect(drill.autoApprovalRefusal(by: carol) == nil)
        _ = try decide(&drill, carol)
        #expect(drill.state(of: "gate") == .succeeded)
    }

    @Test func aTimeoutPausesTheRunOrDeniesTheStep() throws {
        var paused = try started(ApprovalRule(onTimeout: .pause), timeoutMs: 2_000)
        let events = try paused.handle(.approvalTimeout(step: "gate", waitedMs: 2_000)).events
        #expect(events == [.approvalTimedOut(step: "gate", waitedMs: 2_000, then: .pause), .runPaused(reason: .awaitingApproval)])
        var denied = try started(ApprovalRule(onTimeout: .deny), timeoutMs: 2_000)
        _ = try denied.handle(.approvalTimeout(step: "gate", waitedMs: 2_000))
        #expect(denied.state(of: "gate") == .failed)
        #expect(denied.phase == .finished(.failed))
        // A timer that fires after the step was decided changes nothing.
        var decided = try started(ApprovalRule(), timeoutMs: 2_000)
        _ = try decide(&decided, alice)
        #expect(try decided.handle(.approvalTimeout(step: "gate", waitedMs: 2_000)).events.isEmpty)
    }

    @Test func aReplayedLogDecidesTheSameAsTheLiveMachine() throws {
        var live = try started(ApprovalRule(approvers: ["group:sre"], quorum: 2, separationOfDuties: true))
        var log: [RunEvent] = []
        func record(_ kinds: [RunEvent.Kind]) { log += kinds.map { RunEvent(runID: "r", atMs: 1, monoMs: 1, session: "s", kind: $0) } }
        var fresh = RunStateMachine(header: live.header)
        record([.runCreated(live.header)])
        record(try fresh.handle(.start(pid: 1, host: "h1", decider: carol.decider)).events)
        record(try decide(&fresh, alice))
        record(try decide(&fresh, mallory))
        record(try decide(&fresh, alice))
        _ = try decide(&live, alice)
        let replayed = try RunStateMachine.replay(log)
        #expect(replayed.grants == live.grants)
        #expect(replayed.executorPeople == ["carol"])
        #expect(replayed.refusal(of: ApprovalDecision(approved: true, caller: alice, via: "t"), on: "gate")
                == live.refusal(of: ApprovalDecision(approved: true, caller: alice, via: "t"), on: "gate"))
    }
}
