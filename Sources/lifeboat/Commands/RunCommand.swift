import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a scenario: a real failover, a drill (--drill), or a dry run (--dry-run).",
        discussion: """
            Every step is recorded in the state store before it starts and after it ends, so Ctrl-C,
            a crash or a reboot loses nothing: `lifeboat resume RUN` continues where it stopped.
            Approvals are asked at this terminal (when it is one) and can be given from another with
            `lifeboat approve RUN STEP --by NAME`.

            Examples:
              lifeboat run plans/payment-platform.yaml -s region-failure --drill
              lifeboat run plans/payment-platform.yaml -s region-failure -p to_region=us-west-2
              lifeboat run plans/payment-platform.yaml -s region-failure --dry-run
              lifeboat run plans/payment-platform.yaml -s region-failure --step   # go / skip / pause per step
              lifeboat run plans/sandbox.yaml -s region-failure --drill --yes   # unattended drill
            """)

    @Argument(help: "The plan file.") var plan: String
    @Option(name: .shortAndLong, help: "The scenario to run.") var scenario: String
    @Flag(help: "Run as a drill: `when: drill` steps run, `when: real` steps are skipped.") var drill = false
    @Flag(help: "Resolve everything, run preflights, print the predicted timeline; change nothing.") var dryRun = false
    @Flag(help: "Approve every approval step as the operator (recorded as approved via --yes).") var yes = false
    @Flag(help: "Do not wait for approvals nobody can give here: pause the run (exit 3) instead.") var noWait = false
    @Flag(help: "Stop before each step: show it and ask go, skip (with a reason) or pause; each answer is recorded.")
    var step = false
    @Option(help: "Steps run in parallel at most.") var concurrency = 4
    @Option(help: ArgumentHelp(
        "When the incident began: the RTO is also measured from it (besides the runbook's window).",
        discussion: "UTC, e.g. 2026-12-04T09:12:00Z, or with an offset (+01:00). A scenario parameter incident_time does the same.",
        valueName: "TIME"))
    var incidentAt: String?
    @OptionGroup var params: ParamOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var color: ColorOption
    @OptionGroup var output: JSONFlag

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        _ = try incidentAtMs()
    }

    /// `--incident-at` as UTC ms; refused when it is not a time or lies in the future.
    func incidentAtMs() throws -> Int64? {
        guard let incidentAt else { return nil }
        guard let ms = UTCCalendar.parseISO(incidentAt) else {
            throw ValidationError("--incident-at '\(incidentAt)' is not a time; write e.g. 2026-12-04T09:12:00Z")
        }
        guard ms <= Runtime.clock.wallMs() + 60_000 else {
            throw ValidationError("--incident-at \(incidentAt) is in the future; give the time the incident began")
        }
        return ms
    }

    func run() async throws {
        let loader = Runtime.loader
        let resolved = try loader.resolve(plan: loader.loadPlan(at: plan), scenario: scenario, overrides: params.overrides())
        let mode: RunMode = drill ? .drill : .execute
        if dryRun {
            throw try await DryRun.perform(resolved, as: mode, operatorName: by.resolved, json: output.json).exitCode
        }
        if output.json { Console.sendTextToStandardError() }
        let status = try await RunStarter.start(
            resolved, mode: mode, concurrency: concurrency, autoApprove: yes, waitForApprovals: !noWait,
            store: store, operatorName: by.resolved, json: output.json, stepByStep: step, incidentAtMs: try incidentAtMs())
        throw status.exitCode
    }
}

/// Creates a run in the store and drives it (shared by `run` and `tabletop`).
enum RunStarter {
    static func start(
        _ resolved: ResolvedScenario, mode: RunMode, concurrency: Int, autoApprove: Bool, waitForApprovals: Bool,
        store options: StoreOptions, operatorName: String, json: Bool = false, stepByStep: Bool = false,
        incidentAtMs: Int64? = nil
    ) async throws -> ExitStatus {
        let runID = Runtime.newRunID()
        var prepared = try RunSetup.prepare(
            resolved, runID: runID, mode: mode, startedBy: operatorName, concurrency: concurrency,
            approvedByFlag: autoApprove)
        if let incidentAtMs { prepared.header.incidentAtMs = incidentAtMs }
        let store = try await Runtime.openStore(options)
        let caller = try await store.caller(label: operatorName)
        if autoApprove { try Runtime.checkAutoApproval(RunStateMachine(header: prepared.header), caller: caller) }
        let configuration = Runtime.configuration(
            caller: caller, autoApprove: autoApprove, waitForApprovals: waitForApprovals)
        let created = RunEvent(
            runID: runID, atMs: Runtime.clock.wallMs(), monoMs: Runtime.clock.monoMs(), session: configuration.session,
            kind: .runCreated(prepared.header))
        try await store.createRun(id: runID, created: created, documents: prepared.documents)
        let ms = DurationText.format(milliseconds:)
        Console.out("run \(runID): \(resolved.plan.id) / \(resolved.scenario.name) — \(mode.rawValue), \(prepared.header.steps.count) steps"
                    + (resolved.objectives.rtoMs.map { ", RTO objective \(ms($0))" } ?? "")
                    + (resolved.objectives.rpoMs.map { ", RPO objective \(ms($0))" } ?? ""))
        Console.out("store \(store.name) · Ctrl-C pauses safely; continue with `lifeboat resume \(runID)`")
        return try await RunDriver.drive(
            runID: runID, header: prepared.header, inputs: prepared.inputs, store: store,
            configuration: configuration, start: .fresh, json: json, stepByStep: stepByStep)
    }
}
