import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve (or deny) a run's approval step from any terminal.",
        discussion: """
            The process executing the run picks the decision up within a second. If no process is
            executing it, the decision waits in the store and `lifeboat resume RUN` applies it.

            Examples:
              lifeboat approve 20261129-031502-7f3a declare --by alice
              lifeboat approve 20261129-031502-7f3a declare --by alice --deny "wrong region"
            """)

    @Argument(help: "The run id.") var runID: String
    @Argument(help: "The approval step's id.") var step: String
    @Option(help: ArgumentHelp("Deny instead of approving, with this reason.", valueName: "reason")) var deny: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption

    func run() async throws {
        let db = try Runtime.openExistingStore(store)
        let machine = try await ControlSupport.machine(runID, db)
        guard machine.step(step) != nil else {
            throw LifeboatError(.notFound, "run \(runID) has no step '\(step)'", hint: "see `lifeboat show \(runID)`")
        }
        guard machine.state(of: step) == .awaitingApproval else {
            throw LifeboatError(
                .invalidState,
                "step '\(step)' of run \(runID) is \(machine.state(of: step).map(RunStateMachine.name(of:)) ?? "?"), not awaiting approval")
        }
        let kind: ControlMessage.Kind = deny.map { .deny(step: step, reason: $0) } ?? .approve(step: step)
        try await db.postControl(ControlMessage(runID: runID, kind: kind, by: by.resolved, atMs: Runtime.clock.wallMs()))
        let verb = deny == nil ? "approval" : "denial"
        if ControlSupport.executorIsRunning(runID, storePath: store.path) {
            Console.out("\(verb) of '\(step)' by \(by.resolved) sent to the process executing run \(runID)")
        } else {
            Console.out("\(verb) of '\(step)' by \(by.resolved) recorded; no process is executing run \(runID): continue it with `lifeboat resume \(runID)`")
        }
    }
}

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort a run: no further step starts; running steps finish; the lease is released.",
        discussion: """
            Examples:
              lifeboat abort 20261129-031502-7f3a --reason "false alarm" --by alice
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(help: "Why (recorded in the audit log).") var reason = "aborted by operator"
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption

    func run() async throws {
        let db = try Runtime.openExistingStore(store)
        _ = try await ControlSupport.machine(runID, db)
        if let lock = try? ExecutorLock.acquire(storePath: store.path, runID: runID) {
            defer { lock.release() }
            let engine = ControlSupport.engine(db, by.resolved)
            let machine = try await engine.record(.abort(by: by.resolved, reason: reason), runID: runID)
            Console.out("run \(runID): \(machine.phaseName)")
        } else {
            try await db.postControl(ControlMessage(runID: runID, kind: .abort(reason: reason), by: by.resolved,
                                                    atMs: Runtime.clock.wallMs()))
            Console.out("abort of run \(runID) sent to the process executing it; running steps finish first")
        }
    }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Decide an unknown (or failed) step after checking it by hand.",
        discussion: """
            --as succeeded: the effect is in place; dependents may run.
            --as failed:    the effect is not in place and must not be retried automatically.
            --as retry:     run the step again on `lifeboat resume`.

            Example:
              lifeboat resolve 20261129-031502-7f3a promote --as succeeded --by alice
            """)

    enum Resolution: String, ExpressibleByArgument, CaseIterable {
        case succeeded, failed, retry
    }

    @Argument(help: "The run id.") var runID: String
    @Argument(help: "The step id.") var step: String
    @Option(name: .customLong("as"), help: "succeeded, failed or retry.") var resolution: Resolution
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption

    func run() async throws {
        let db = try Runtime.openExistingStore(store)
        let lock = try ExecutorLock.acquire(storePath: store.path, runID: runID)
        defer { lock.release() }
        let engine = ControlSupport.engine(db, by.resolved)
        let resolved = RunEvent.Resolution(rawValue: resolution.rawValue)!
        try await engine.record(.resolve(step: step, resolution: resolved, by: by.resolved), runID: runID)
        Console.out("step '\(step)' of run \(runID) resolved as \(resolution.rawValue) by \(by.resolved); continue with `lifeboat resume \(runID)`")
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Run the compensations (`rollback:`) of completed steps, in reverse order of completion.",
        discussion: """
            Strategies: stop-on-failure (default) stops at the first compensation that fails;
            continue runs them all and reports every failure.

            Examples:
              lifeboat rollback 20261129-031502-7f3a --yes
              lifeboat rollback 20261129-031502-7f3a --strategy continue --yes
            """)

    @Argument(help: "The run id.") var runID: String
    @Option(help: "stop-on-failure or continue.") var strategy: String = RunEvent.RollbackStrategy.stopOnFailure.rawValue
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @Flag(help: "Re-run a non-idempotent compensation a crash interrupted (after checking it by hand).")
    var rerunInterrupted = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption

    func run() async throws {
        guard let strategy = RunEvent.RollbackStrategy(rawValue: strategy) else {
            throw LifeboatError(.invalidInput, "--strategy \(self.strategy): use stop-on-failure or continue")
        }
        let db = try Runtime.openExistingStore(store)
        let lock = try ExecutorLock.acquire(storePath: store.path, runID: runID)
        defer { lock.release() }
        let engine = ControlSupport.engine(db, by.resolved, observer: ProgressView(live: false, clock: Runtime.clock))
        let machine = try await engine.machine(for: runID)
        let inputs = try await RunSetup.inputs(resuming: runID, header: machine.header, store: db)
        let order = RollbackRunner.plan(machine, steps: inputs.steps)
        guard !order.isEmpty else {
            Console.out("run \(runID): no completed step has a rollback: nothing to do")
            return
        }
        Console.out("rollback of run \(runID) will run compensations of: " + order.joined(separator: " → "))
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
        let result = try await RollbackRunner(engine: engine).rollback(
            runID: runID, inputs: inputs, strategy: strategy, rerunInterrupted: rerunInterrupted)
        Console.out("run \(runID): \(result.phaseName)")
        throw RunDriver.exitStatus(result.phase).exitCode
    }
}

enum ControlSupport {
    static func engine(_ store: any StateStore, _ operatorName: String, observer: (any RunObserver)? = nil) -> RunEngine {
        RunEngine(store: store, actions: Runtime.actions, clock: Runtime.clock,
                  configuration: Runtime.configuration(operatorName: operatorName), observer: observer)
    }

    static func machine(_ runID: String, _ store: any StateStore) async throws -> RunStateMachine {
        try await engine(store, "").machine(for: runID)
    }

    /// Whether another process holds the run's executor lock right now.
    static func executorIsRunning(_ runID: String, storePath: String) -> Bool {
        guard let lock = try? ExecutorLock.acquire(storePath: storePath, runID: runID) else { return true }
        lock.release()
        return false
    }
}
