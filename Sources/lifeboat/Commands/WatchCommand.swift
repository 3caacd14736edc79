import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore

/// `lifeboat watch`: follows a run from any terminal, with the executor's own live view.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a run live from any terminal: every event as it is recorded, until the run ends.",
        discussion: """
            Prints the run's events so far, then each new one as it is committed, with the status line
            the executor shows (step counts, what is running, elapsed time against the RTO). Ends when
            the run ends, with its summary and the exit status `run` would give (0 succeeded, 1 failed);
            a paused run is followed until it ends, a run whose executor is gone is said to be (with the
            command that continues it), and Ctrl-C stops watching (the run goes on). Watching changes
            nothing. On the team store the server tells the watcher of each commit
            (LISTEN/NOTIFY); on SQLite it looks every 250 ms.

            With --json, each event is one line of JSON as the store records it (JSON Lines).

            Examples:
              lifeboat watch 20261129-031502-7f3a
              lifeboat watch --plan orders-db -s region-failover
              lifeboat watch 20261129-031502-7f3a --json | jq -c .kind
            """)

    @Argument(help: "The run id (or --plan for the newest run of a plan).") var runID: String?
    @Option(help: "Follow the newest run of this plan.") var plan: String?
    @Option(name: [.customShort("s"), .long], help: "With --plan: the newest run of this scenario.") var scenario: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONFlag

    static let pollMs: Int64 = 250

    func validate() throws {
        if (runID == nil) == (plan == nil) {
            throw ValidationError("name a run id or --plan (not both)")
        }
        if scenario != nil && plan == nil { throw ValidationError("-s/--scenario goes with --plan") }
    }

    func run() async throws {
        let db = try await Runtime.openExistingStore(store)
        let id = try await runToWatch(db)
        var events = try await db.events(of: id)
        var machine = try Self.replay(events, id)
        if output.json {
            for event in events { Console.document(try CanonicalJSON.encode(event)) }
        } else {
            Console.out("watching run \(id): \(machine.header.planID) / \(machine.header.scenario) (\(machine.header.mode.rawValue)) · Ctrl-C stops watching, not the run")
        }
        let view: ProgressView? = output.json ? nil : ProgressView(clock: Runtime.clock, approvalsElsewhere: true)
        view?.recorded(events, machine: machine)
        let rtoMs = machine.header.objectives.rtoMs
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let view {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        view.tick(rtoMs: rtoMs)
                    }
                }
            }
            defer { group.cancelAll() }
            var saidGone = false
            // Until the run ends as `run` reports an end (0 succeeded, 1 failed); paused is not an end.
            while RunDriver.exitStatus(machine.phase) == .resumable {
                if !(await db.waitFor(.events, of: id)) { try await Runtime.clock.sleep(ms: Self.pollMs) }
                let fresh = try await db.events(of: id, after: events.count)
                guard !fresh.isEmpty else {
                    // Quiet: is anyone still executing it? Said once, until an executor is back.
                    if let view, machine.phase == .executing || machine.phase == .rollingBack {
                        let gone = await db.executor(of: id) == nil
                        if gone && !saidGone {
                            view.notice("nobody executes run \(id) now (its executor is gone): `lifeboat resume \(id)` continues it", rtoMs: rtoMs)
                        }
                        saidGone = gone
                    }
                    continue
                }
                for event in fresh {
                    do { try machine.apply(event) } catch { throw Self.doesNotReplay(id, error) }
                }
                events += fresh
                if output.json {
                    for event in fresh { Console.document(try CanonicalJSON.encode(event)) }
                } else {
                    view?.recorded(fresh, machine: machine)
                }
            }
        }
        view?.finish()
        if !output.json {
            RunSummary.print(runID: id, machine: machine, events: events)
        }
        throw RunDriver.exitStatus(machine.phase).exitCode
    }

    /// The run named, or the newest of `--plan` (and `-s`).
    private func runToWatch(_ db: any CommandStore) async throws -> String {
        if let runID {
            guard try await db.run(runID) != nil else {
                throw LifeboatError(.notFound, "no run '\(runID)' in \(db.name)", hint: "list runs with `lifeboat history`")
            }
            return runID
        }
        let newest = try await db.runs(matching: RunFilter(planID: plan, scenario: scenario, limit: 1)).first
        guard let newest else {
            let what = "plan '\(plan ?? "")'" + (scenario.map { " scenario '\($0)'" } ?? "")
            throw LifeboatError(.notFound, "no run of \(what) in \(db.name)", hint: "list runs with `lifeboat history`")
        }
        return newest.id
    }

    private static func replay(_ events: [RunEvent], _ id: String) throws -> RunStateMachine {
        do { return try RunStateMachine.replay(events) } catch { throw doesNotReplay(id, error) }
    }

    private static func doesNotReplay(_ id: String, _ error: any Error) -> LifeboatError {
        LifeboatError(.storeFailure, "run \(id): its log does not replay: \(error)", hint: "check the store with `lifeboat audit verify`")
    }
}
