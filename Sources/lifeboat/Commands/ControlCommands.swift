import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve (or deny) a run's approval step from any terminal.",
        discussion: """
            The decision is recorded under your identity: the operating system account running
            this command (with the account behind sudo), or on the team store the PostgreSQL role
            you connect as. --by is a label shown beside it. The step's rule decides whether it
            counts: `approvers:` (accounts, group:NAME), `quorum:` (distinct people) and
            separation of duties (who started or resumed the run cannot approve it). A decision that
            does not count is refused (exit 4), recorded as refused, and the step keeps waiting.

            The process executing the run picks the decision up within a second. If no process is
            executing it, the decision waits in the store and `lifeboat resume RUN` applies it.

            Examples:
              lifeboat approve 20261129-031502-7f3a declare --by "Alice (IC)"
              lifeboat approve 20261129-031502-7f3a declare --deny "wrong region"
            """)

    @Argument(help: "The run id.") var runID: String
    @Argument(help: "The approval step's id.") var step: String
    @Option(help: ArgumentHelp("Deny instead of approving, with this reason.", valueName: "reason")) var deny: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        let machine = try await ControlSupport.machine(runID, db)
        guard let header = machine.step(step), header.isApproval else {
            throw LifeboatError(
                .notFound, "run \(runID) has no approval step '\(step)'", hint: "see `lifeboat show \(runID)`")
        }
        let caller = try await db.caller(label: by.resolved)
        let decision = ApprovalDecision(
            approved: deny == nil, caller: caller, via: deny == nil ? "lifeboat approve" : "lifeboat approve --deny",
            reason: deny ?? "")
        let verb = deny == nil ? "approval" : "denial"
        let who = caller.decider.description
        if let why = machine.refusal(of: decision, on: step) {
            try await recordRefusal(decision, machine: machine, store: db)
            throw LifeboatError(
                .invalidState, "\(verb) of '\(step)' by \(who) refused: \(why)",
                hint: "the refusal is recorded in the run's log; see `lifeboat show \(runID) --events`")
        }
        let kind: ControlMessage.Kind =
            deny.map { .deny(step: step, reason: $0, caller: caller) } ?? .approve(step: step, caller: caller)
        try await db.postControl(ControlMessage(runID: runID, kind: kind, by: by.resolved, atMs: Runtime.clock.wallMs()))
        let progress = machine.approvalProgress(step)
        let counts = deny == nil && progress.needed > 1 ? " (\(progress.given + 1) of \(progress.needed) once applied)" : ""
        var report = ControlReport(
            runID: runID, command: deny == nil ? "approve" : "deny", step: step, delivery: .sent, status: machine.phaseName,
            by: by.resolved, message: "\(verb) of '\(step)' by \(who) sent to the process executing run \(runID)\(counts)")
        if await db.executor(of: runID) == nil {
            report.delivery = .recorded
            report.next = "`lifeboat resume \(runID)`"
            report.message = "\(verb) of '\(step)' by \(who) queued\(counts); no process is executing run \(runID): `lifeboat resume \(runID)` applies it unless an earlier decision settles the step first"
        }
        try report.print(json: output.json)
    }

    /// Every decision is in the log, a refused one too: recorded here while no process executes
    /// the run, else sent to the process that does (it decides again, on the state it holds). An
    /// ended run takes no more events.
    private func recordRefusal(_ decision: ApprovalDecision, machine: RunStateMachine, store db: any CommandStore)
        async throws
    {
        if machine.hasEnded { return }
        let recorded = try await db.holdingIfFree(runID) {
            try await ControlSupport.engine(db, decision.caller).record(.decision(step: step, decision, waitMs: 0), runID: runID)
        }
        if recorded != nil { return }
        let kind: ControlMessage.Kind =
            decision.approved
            ? .approve(step: step, caller: decision.caller) : .deny(step: step, reason: decision.reason, caller: decision.caller)
        try await db.postControl(ControlMessage(runID: runID, kind: kind, by: by.resolved, atMs: Runtime.clock.wallMs()))
    }
}

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "End a run as aborted: no further step starts; running steps finish; the lease is released.",
        discussion: """
            Works from every state a run can stop in, a failed rollback included. When no process is
            executing the run, it ends at once (a step that was running when its process died is
            recorded as unknown); otherwise the executing process stops after its running steps.

            Examples:
              lifeboat abort 20261129-031502-7f3a --reason "false alarm" --by alice
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(help: "Why (recorded in the audit log).") var reason = "aborted by operator"
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        _ = try await ControlSupport.machine(runID, db)
        let caller = try await db.caller(label: by.resolved)
        let recorded = try await db.holdingIfFree(runID) {
            try await ControlSupport.engine(db, caller).record(.abort(by: by.resolved, reason: reason, decider: caller.decider), runID: runID)
        }
        if let machine = recorded {
            try ControlReport(
                runID: runID, command: "abort", delivery: .recorded, status: machine.phaseName, by: by.resolved,
                next: ControlSupport.waysOut(machine, runID),
                message: "run \(runID): \(machine.phaseName); its plan+scenario lease is released"
            ).print(json: output.json)
        } else {
            let machine = try await ControlSupport.machine(runID, db)
            try await db.postControl(ControlMessage(runID: runID, kind: .abort(reason: reason, caller: caller), by: by.resolved,
                                                    atMs: Runtime.clock.wallMs()))
            try ControlReport(
                runID: runID, command: "abort", delivery: .sent, status: machine.phaseName, by: by.resolved,
                message: "abort of run \(runID) sent to the process executing it; running steps finish first"
            ).print(json: output.json)
        }
    }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause an executing run: no new step starts; running steps finish; resume continues it.",
        discussion: """
            The process executing the run picks the request up within a second and stops once its
            running steps have finished. `lifeboat resume RUN` continues from there.

            Examples:
              lifeboat pause 20261129-031502-7f3a --reason "waiting for the network team" --by alice
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(help: "Why (recorded in the audit log).") var reason = "paused by operator"
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        let machine = try await ControlSupport.machine(runID, db)
        guard await db.executor(of: runID) != nil, machine.phase == .executing else {
            throw LifeboatError(
                .invalidState, "run \(runID) is \(machine.phaseName) and no process is executing it: there is nothing to pause",
                hint: ControlSupport.waysOut(machine, runID))
        }
        let caller = try await db.caller(label: by.resolved)
        try await db.postControl(ControlMessage(runID: runID, kind: .pause(reason: reason, caller: caller), by: by.resolved,
                                                atMs: Runtime.clock.wallMs()))
        try ControlReport(
            runID: runID, command: "pause", delivery: .sent, status: machine.phaseName, by: by.resolved,
            next: "`lifeboat resume \(runID)` once it has paused",
            message: "pause of run \(runID) sent to the process executing it; running steps finish first, then `lifeboat resume \(runID)` continues"
        ).print(json: output.json)
    }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Decide a step by hand after checking it: an unknown or failed step, or a failed compensation.",
        discussion: """
            --as succeeded:   the effect is in place; dependants may run.
            --as failed:      the effect is not in place; `resume` does not re-run it (unless
                              `resume --redrive STEP`); for a compensation: rollback stops retrying it.
            --as retry:       run the step again on `lifeboat resume`.
            --as compensated: a failed (or interrupted) compensation's effect was put in place by hand.
            The outcome is recorded as forced, with who decided and why, and shown as such everywhere.

            Examples:
              lifeboat resolve 20261129-031502-7f3a promote --as succeeded --reason "pg_is_in_recovery() is false on db-dr" --by alice
              lifeboat resolve 20261129-031502-7f3a dns --as compensated --reason "CNAME restored by hand" --by alice
            """)

    @Argument(help: "The run id.") var runID: String
    @Argument(help: "The step id.") var step: String
    @Option(name: .customLong("as"), help: "succeeded, failed, retry or compensated.") var resolution: RunEvent.Resolution
    @Option(help: "Why: what was checked (recorded in the audit log).") var reason: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        let machine = try await db.holding(runID) {
            let caller = try await db.caller(label: by.resolved)
            return try await ControlSupport.engine(db, caller).record(
                .resolve(step: step, resolution: resolution, by: by.resolved, reason: reason, decider: caller.decider), runID: runID)
        }
        let next = ControlSupport.waysOut(machine, runID)
        try ControlReport(
            runID: runID, command: "resolve", step: step, delivery: .recorded, status: machine.phaseName, by: by.resolved,
            next: next,
            message: "step '\(step)' of run \(runID) resolved as \(resolution.rawValue) by \(by.resolved); next: \(next ?? "nothing left to do")"
        ).print(json: output.json)
    }
}

struct SkipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skip",
        abstract: "Skip a pending, failed or unknown step of a stopped run: its dependants may run.",
        discussion: """
            The skip is recorded as a forced outcome, with who decided and why, and shown as such
            everywhere the run's outcome is shown. Pause an executing run first.

            Examples:
              lifeboat skip 20261129-031502-7f3a warm-cache --reason "cache cluster is gone with the region" --by alice
            """)

    @Argument(help: "The run id.") var runID: String
    @Argument(help: "The step id.") var step: String
    @Option(help: "Why (recorded in the audit log).") var reason: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        let recorded = try await db.holdingIfFree(runID) {
            let caller = try await db.caller(label: by.resolved)
            return try await ControlSupport.engine(db, caller).record(
                .operatorSkip(step: step, by: by.resolved, reason: reason, decider: caller.decider), runID: runID)
        }
        guard let machine = recorded else {
            throw LifeboatError(
                .invalidState, "run \(runID) is being executed by another process",
                hint: "pause it first with `lifeboat pause \(runID)`")
        }
        let next = ControlSupport.waysOut(machine, runID)
        try ControlReport(
            runID: runID, command: "skip", step: step, delivery: .recorded, status: machine.phaseName, by: by.resolved,
            next: next, message: "step '\(step)' of run \(runID) skipped by \(by.resolved); next: \(next ?? "nothing left to do")"
        ).print(json: output.json)
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Run the compensations (`rollback:`) of completed steps, in reverse order of completion.",
        discussion: """
            Strategies: stop-on-failure (default) stops at the first compensation that fails;
            continue runs them all and reports every failure. Run it again to retry failed
            compensations; `lifeboat resolve RUN STEP --as compensated|failed --reason …` decides one
            by hand; `lifeboat abort RUN` ends the run.

            Examples:
              lifeboat rollback 20261129-031502-7f3a --yes
              lifeboat rollback 20261129-031502-7f3a --strategy continue --yes
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(help: "stop-on-failure or continue.") var strategy: RunEvent.RollbackStrategy = .stopOnFailure
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @Flag(help: "Re-run a non-idempotent compensation a crash interrupted (after checking it by hand).")
    var rerunInterrupted = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        if output.json { Console.sendTextToStandardError() }
        try await db.holding(runID) { try await rollback(db) }
    }

    private func rollback(_ db: any CommandStore) async throws {
        let caller = try await db.caller(label: by.resolved)
        let engine = ControlSupport.engine(db, caller, observer: ProgressView(live: false, clock: Runtime.clock))
        let machine = try await engine.machine(for: runID)
        let inputs = try await RunSetup.inputs(resuming: runID, header: machine.header, store: db)
        let input = engine.rollbackInput(strategy: strategy, rerunInterrupted: rerunInterrupted)
        try engine.check(input, on: machine, runID: runID)
        let order = machine.compensationPlan
        Console.out("rollback of run \(runID) will run compensations of: "
                    + (order.isEmpty ? "(none left; it finishes the rollback)" : order.joined(separator: " → ")))
        if !yes {
            guard Console.stdinIsTerminal else {
                throw LifeboatError(.invalidInput, "rollback changes real systems: confirm with --yes")
            }
            Console.out("proceed? [yes/no] ", terminator: "")
            guard await StdinLines.shared.next()?.lowercased() == "yes" else {
                Console.out("rollback not started")
                return
            }
        }
        let result = try await engine.rollback(
            runID: runID, inputs: inputs, strategy: strategy, rerunInterrupted: rerunInterrupted)
        let status = RunDriver.exitStatus(result.phase)
        let next = ControlSupport.waysOut(result, runID)
        try ControlReport(
            runID: runID, command: "rollback", delivery: .recorded, status: result.phaseName, by: by.resolved,
            exitCode: status.rawValue, next: next,
            message: "run \(runID): \(result.phaseName)" + (next.map { "\nnext: " + $0 } ?? "")
        ).print(json: output.json)
        throw status.exitCode
    }
}

enum ControlSupport {
    /// An engine acting as `caller` (from `CommandStore.caller(label:)`).
    static func engine(_ store: any StateStore, _ caller: Caller, observer: (any RunObserver)? = nil) -> RunEngine {
        RunEngine(store: store, actions: Runtime.actions, clock: Runtime.clock,
                  configuration: Runtime.configuration(caller: caller), observer: observer)
    }

    static func machine(_ runID: String, _ store: any StateStore) async throws -> RunStateMachine {
        try await engine(store, .named("")).machine(for: runID)
    }

    /// The commands that lead a stopped run on, with its id filled in (nil for an end state).
    static func waysOut(_ machine: RunStateMachine, _ runID: String, besides: Set<RunStateMachine.Command> = []) -> String? {
        let commands = machine.waysOut.filter { !besides.contains($0) }
        guard !commands.isEmpty else { return nil }
        return commands.map { "`\($0.description.replacing(" RUN", with: " \(runID)"))`" }.joined(separator: ", ")
    }
}

extension RunEvent.Resolution: ExpressibleByArgument {}
extension RunEvent.RollbackStrategy: ExpressibleByArgument {}
