import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

/// Runs the engine for one command (run, tabletop, resume): holds the executor lock, shows
/// progress, prints the outcome with the next action, and picks the exit status.
enum RunDriver {
    enum Start {
        case fresh
        case resume(redrive: Set<String>)
    }

    static func drive(
        runID: String, header: RunHeader, inputs: RunInputs, store: any CommandStore,
        configuration: EngineConfiguration, start: Start, json: Bool = false, stepByStep: Bool = false
    ) async throws -> ExitStatus {
        do {
            return try await store.holding(runID) {
                try await driveHeld(
                    runID: runID, header: header, inputs: inputs, store: store, configuration: configuration, start: start,
                    json: json, stepByStep: stepByStep)
            }
        } catch var error as LifeboatError {
            // A store that went away mid-run says "`lifeboat resume RUN`": name the run.
            error.hint = error.hint?.replacing(" RUN`", with: " \(runID)`")
            throw error
        }
    }

    /// `drive` once this process holds the run.
    private static func driveHeld(
        runID: String, header: RunHeader, inputs: RunInputs, store: any CommandStore,
        configuration: EngineConfiguration, start: Start, json: Bool, stepByStep: Bool
    ) async throws -> ExitStatus {
        let live = Style.stdoutRedraws && !json && header.mode != .tabletop
        if live { TerminalInput.quietForRun() }
        defer { TerminalInput.restore() }
        let interactive = Console.stdinIsTerminal && header.mode != .tabletop
        let progress: any RunView =
            header.mode == .tabletop
            ? TabletopView()
            : SharedProgress(
                ProgressView(
                    live: live, clock: Runtime.clock,
                    approvalsElsewhere: !interactive && configuration.waitForApprovals && !configuration.autoApprove,
                    earlier: try await store.events(of: runID)),
                store: store, runID: runID, clock: Runtime.clock)
        let engine = Runtime.engine(
            store: store, configuration: configuration, observer: progress, interactive: interactive,
            tabletop: header.mode == .tabletop, stepByStep: stepByStep, interrupts: InterruptSignal())
        let machine = try await withThrowingTaskGroup(of: RunStateMachine?.self) { group in
            group.addTask {
                switch start {
                case .fresh: return try await engine.start(runID: runID, inputs: inputs)
                case .resume(let redrive): return try await engine.resume(runID: runID, inputs: inputs, redrive: redrive)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    progress.tick(rtoMs: header.objectives.rtoMs)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let machine = result { return machine }
            }
            throw LifeboatError(.internalError, "run \(runID): the engine ended without a result")
        }
        progress.finish()
        let events = try await store.events(of: runID)
        RunSummary.print(runID: runID, machine: machine, events: events)
        let status: ExitStatus =
            if case .finished(.failed) = machine.phase, refusedByPreflight(machine, events) { .refused } else { exitStatus(machine.phase) }
        if json { try JSONOutput.print(RunResult(runID: runID, machine: machine, events: events, exit: status)) }
        return status
    }

    static func exitStatus(_ phase: RunStateMachine.Phase) -> ExitStatus {
        switch phase {
        case .finished(.succeeded), .rolledBack(.succeeded): return .success
        case .finished, .rolledBack: return .runFailed
        case .paused, .executing, .created, .rollingBack: return .resumable
        }
    }

    /// Whether every failed step last failed because its preflight refused (nothing was tried):
    /// such a run exits 4, "refused", as `--dry-run` does, rather than 1.
    static func refusedByPreflight(_ machine: RunStateMachine, _ events: [RunEvent]) -> Bool {
        var lastError: [String: LifeboatError.Code] = [:]
        for event in events {
            if case .stepFailed(let step, _, _, let error) = event.kind { lastError[step] = error.code }
        }
        let failed = machine.header.steps.map(\.id).filter { machine.state(of: $0) == .failed }
        return !failed.isEmpty && failed.allSatisfy { lastError[$0] == .preflightFailed }
    }
}

/// `run --json` / `resume --json`: the one document on standard output once the executor stops
/// (the progress and the summary go to standard error).
struct RunResult: Encodable {
    var runID: String
    var plan: String
    var scenario: String
    var mode: String
    /// As `history` names it: `succeeded`, `failed`, `paused (awaiting-approval)`…; `stopped at once`
    /// after a second interrupt.
    var status: String
    var forcedSteps: Int
    var exitCode: Int32
    var next: String?
    var measurement: RunMeasurement?
    var notes: [RunNote]

    init(runID: String, machine: RunStateMachine, events: [RunEvent], exit: ExitStatus) {
        self.runID = runID
        plan = machine.header.planID
        scenario = machine.header.scenario
        mode = machine.header.mode.rawValue
        let stoppedAtOnce = machine.phase == .executing || machine.phase == .rollingBack
        status = stoppedAtOnce ? "stopped at once" : machine.phaseName
        forcedSteps = machine.forcedCount
        exitCode = exit.rawValue
        next = RunSummary.nextAction(runID: runID, machine: machine)
        measurement = RunMeasurement.compute(events)
        notes = RunNote.all(in: events)
    }
}

/// The outcome block printed when an executor stops: verdicts and the next action.
enum RunSummary {
    /// The steps' lines come from the machine's rows, which are the rows the store holds (every
    /// commit writes them), so they are not read back.
    static func print(runID: String, machine: RunStateMachine, events: [RunEvent]) {
        let steps = machine.rows.steps
        let ms = DurationText.format(milliseconds:)
        Console.out("")
        let forced = machine.forcedCount > 0 ? ", \(machine.forcedCount) forced" : ""
        // Still executing when the executor returns: a second interrupt stopped it at once.
        let stoppedAtOnce = machine.phase == .executing || machine.phase == .rollingBack
        let headline = stoppedAtOnce ? "STOPPED AT ONCE (second interrupt)" : (machine.phaseName + forced).uppercased()
        Console.out("run \(runID): \(headline)")
        let tabletop = machine.header.mode == .tabletop
        if tabletop { Console.out("  " + PredictionText.pad("STEP", 22) + PredictionText.pad("STATUS", 19) + PredictionText.pad("TOOK", 9) + "EXPECTED") }
        for step in steps {
            var line = "  " + PredictionText.pad(step.stepID, 22) + PredictionText.pad(step.status.rawValue, 19)
            if let d = step.durationMs { line += PredictionText.pad(ms(d), 9) } else if tabletop { line += PredictionText.pad("—", 9) }
            if tabletop { line += machine.step(step.stepID)?.expectMs.map(ms) ?? "—" }
            if step.attempts > 1 { line += "(\(step.attempts) attempts) " }
            if let e = step.error, step.status == .failed || step.status == .unknown { line += e }
            if let forced = step.forced { line += " [forced \(forced): \(step.summary ?? step.error ?? "")]" }
            Console.out(line)
        }
        NoteText.print(RunNote.all(in: events))
        if let m = RunMeasurement.compute(events) {
            if machine.header.mode == .tabletop {
                let expected = RunMeasurement.longestPath(machine.header.steps, durations: Dictionary(
                    uniqueKeysWithValues: machine.header.steps.map { ($0.id, $0.expectMs ?? 0) }))
                Console.out("tabletop: expected critical path \(ms(expected)); walk-through implies \(ms(m.criticalPathMs))"
                            + (m.rto.objectiveMs.map { " against an RTO objective of \(ms($0))" } ?? ""))
            } else {
                Console.out(MeasurementText.rto(m.rto))
                if let outage = m.outage { Console.out(MeasurementText.outage(outage, judged: m.rto.judgedBy == .outage)) }
                Console.out(MeasurementText.rpo(m.rpo))
            }
        }
        if let next = nextAction(runID: runID, machine: machine) { Console.out("next: " + next) }
    }

    static func nextAction(runID: String, machine: RunStateMachine) -> String? {
        switch machine.phase {
        case .paused(.unknownStep):
            let unknown = machine.header.steps.filter { machine.state(of: $0.id) == .unknown }.map(\.id)
            let step = unknown.count == 1 ? unknown[0] : "STEP"
            return "check \(unknown.joined(separator: ", ")) by hand, then `lifeboat resolve \(runID) \(step) --as succeeded|failed|retry --reason …` and `lifeboat resume \(runID)`"
        case .paused(.awaitingApproval):
            let waiting = machine.header.steps.filter { machine.state(of: $0.id) == .awaitingApproval }.map(\.id)
            return "approve with `\(ApproveCommandText.of(run: runID, step: waiting.first ?? "STEP", naming: true))`, then `lifeboat resume \(runID)`"
        case .paused(.probeBreached):
            return "a steady-state probe breached its abort criterion (above): look at the service, then continue with "
                + "`lifeboat resume \(runID)` (its probes start afresh) or stop with `lifeboat abort \(runID) --reason …`"
        case .paused:
            return "continue with `lifeboat resume \(runID)`"
        case .finished(.failed):
            return "fix the cause, then `lifeboat resume \(runID)` re-runs the failed steps (a mistake in the plan or "
                + "runbook: fix the file, then `lifeboat resume \(runID) --reload`); or "
                + (ControlSupport.waysOut(machine, runID, besides: [.resume]) ?? "`lifeboat abort \(runID)`")
        case .finished(.succeeded):
            return "details: `lifeboat show \(runID)`"
        case .executing:
            return "`lifeboat resume \(runID)` (a step that was running re-runs if it is idempotent, otherwise is "
                + "verified or marked unknown), or `lifeboat abort \(runID)`"
        case .rollingBack, .rolledBack(.failed):
            return ControlSupport.waysOut(machine, runID)
        default:
            return nil
        }
    }
}

enum MeasurementText {
    static func rto(_ r: RunMeasurement.RTO) -> String {
        let ms = DurationText.format(milliseconds:)
        var s = "RTO: " + (r.achievedMs.map(ms) ?? "not reached")
        if let o = r.objectiveMs { s += " against objective \(ms(o))" }
        s += " → \(r.verdict.rawValue.uppercased())" + (r.judgedBy == .outage ? " on the observed outage" : "")
        if r.achievedMs != nil { s += " (\(r.method)" + (r.humanWaitMs > 0 ? "; waiting for people: \(ms(r.humanWaitMs)))" : ")") }
        if let fromIncident = r.fromIncidentMs, let incident = r.incidentAtMs {
            s += "; from the incident (\(EventText.timestamp(incident))): \(ms(fromIncident))"
        }
        return s
    }

    /// The observed outage (a probe `measures: outage`), and what the RTO verdict was judged on.
    static func outage(_ o: ObservedOutage, judged: Bool) -> String {
        "Observed outage: \(o.figureText)" + (judged ? " — the RTO verdict is judged on it (judge_rto_by: outage)" : "")
    }

    static func rpo(_ r: RunMeasurement.RPO) -> String {
        let ms = DurationText.format(milliseconds:)
        if r.notBounded {
            return "RPO: not bounded" + (r.objectiveMs.map { " against objective \(ms($0))" } ?? "")
                + " → \(r.verdict.rawValue.uppercased()) (\(r.method ?? ""))"
        }
        guard let achieved = r.achievedMs else {
            return "RPO: not measured (no step reported a data-loss window)" + (r.objectiveMs.map { "; objective \(ms($0))" } ?? "")
        }
        var s = "RPO: \(ms(achieved))" + ((r.exact ?? false) ? "" : " (upper bound)")
        if let o = r.objectiveMs { s += " against objective \(ms(o))" }
        s += " → \(r.verdict.rawValue.uppercased())"
        if let m = r.method { s += " (\(m))" }
        return s
    }
}
