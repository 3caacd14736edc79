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
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var color: ColorOption

    func run() async throws {
        let db = try Runtime.openExistingStore(store)
        let configuration = Runtime.configuration(operatorName: by.resolved, autoApprove: yes, waitForApprovals: !noWait)
        let engine = RunEngine(store: db, actions: Runtime.actions, clock: Runtime.clock, configuration: configuration)
        let machine = try await engine.machine(for: runID)
        try engine.check(engine.resumeInput(redrive: Set(redrive)), on: machine, runID: runID)
        let inputs = try await RunSetup.inputs(resuming: runID, header: machine.header, store: db)
        Console.out("resuming run \(runID): \(machine.header.planID) / \(machine.header.scenario) (\(machine.header.mode.rawValue)), was \(machine.phaseName)")
        let status = try await RunDriver.drive(
            runID: runID, header: machine.header, inputs: inputs, store: db, storePath: store.path,
            configuration: configuration, start: .resume(redrive: Set(redrive)))
        throw status.exitCode
    }
}
