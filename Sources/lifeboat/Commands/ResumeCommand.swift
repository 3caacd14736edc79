import ArgumentParser
import LifeboatCore
import LifeboatStore

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a stopped run exactly where it was (after Ctrl-C, a crash, a reboot or a failure).",
        discussion: """
            Completed steps never run again. A step that was running when the process died runs again
            only if its action is idempotent; otherwise its action's verify decides, and if nothing can
            decide it becomes `unknown` until `lifeboat resolve`. Failed steps are re-run (redrive),
            except those resolved as failed (`--redrive STEP` re-runs one of those too).
            The run uses the plan and runbook it pinned when it started, not today's files.

            Examples:
              lifeboat resume 20261129-031502-7f3a
              lifeboat resume 20261129-031502-7f3a --yes
              lifeboat resume 20261129-031502-7f3a --redrive promote
            """)

    @Argument(help: "The run id (see `lifeboat history`).") var runID: String
    @Flag(help: "Approve remaining approval steps as the operator.") var yes = false
    @Flag(help: "Pause instead of waiting for approvals nobody can give here.") var noWait = false
    @Option(help: ArgumentHelp("Also re-run this step, resolved as failed (repeatable).", valueName: "step"))
    var redrive: [String] = []
    @Flag(help: "Continue with today's plan and runbook (after fixing a document mistake); refused when a step that already ran would change, unless --force.")
    var reload = false
    @Flag(help: "With --reload: accept changes to steps that already ran.") var force = false
    @Flag(help: "Stop before each step: show it and ask go, skip (with a reason) or pause; each answer is recorded.")
    var step = false
    @OptionGroup var params: ParamOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var color: ColorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        if output.json { Console.sendTextToStandardError() }
        let configuration = Runtime.configuration(
            caller: try await db.caller(label: by.resolved), autoApprove: yes, waitForApprovals: !noWait)
        let engine = RunEngine(store: db, actions: Runtime.actions, clock: Runtime.clock, configuration: configuration)
        var machine = try await engine.machine(for: runID)
        if reload {
            machine = try await self.reload(machine, engine: engine, store: db)
        } else if force || !params.params.isEmpty {
            throw LifeboatError(.invalidInput, "--force and -p go with --reload", hint: "add --reload, or drop them")
        }
        try engine.check(engine.resumeInput(redrive: Set(redrive)), on: machine, runID: runID)
        if yes { try Runtime.checkAutoApproval(machine, caller: configuration.caller) }
        let inputs = try await RunSetup.inputs(resuming: runID, header: machine.header, store: db)
        Console.out("resuming run \(runID): \(machine.header.planID) / \(machine.header.scenario) (\(machine.header.mode.rawValue)), was \(machine.phaseName)")
        let status = try await RunDriver.drive(
            runID: runID, header: machine.header, inputs: inputs, store: db,
            configuration: configuration, start: .resume(redrive: Set(redrive)), json: output.json, stepByStep: step)
        throw status.exitCode
    }

    /// Re-reads the run's documents, prints what changed, and records the reload (pinning them).
    private func reload(_ machine: RunStateMachine, engine: RunEngine, store: any CommandStore) async throws -> RunStateMachine {
        try await store.holding(runID) { try await reloadHeld(machine, engine: engine, store: store) }
    }

    private func reloadHeld(_ machine: RunStateMachine, engine: RunEngine, store: any CommandStore) async throws -> RunStateMachine {
        let prepared = try await RunSetup.reloaded(
            runID: runID, header: machine.header, store: store, overrides: try params.overrides())
        let changes = RunPlanner.changes(from: machine.header, to: prepared.header)
        guard prepared.header.documentsHash != machine.header.documentsHash || !changes.isEmpty else {
            Console.out("reload: the plan and runbook are unchanged since the run pinned them")
            return machine
        }
        Console.out("reload: the step graph " + (changes.isEmpty ? "is unchanged" : "changes:"))
        for line in changes { Console.out("  " + line) }
        let reloaded = try await engine.reload(runID: runID, header: prepared.header, documents: prepared.documents, force: force)
        Console.out("reload recorded: documents \(machine.header.documentsHash.prefix(12)) → \(prepared.header.documentsHash.prefix(12))")
        return reloaded
    }
}
