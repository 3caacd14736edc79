import Synchronization
import Foundation
import LifeboatCore
import LifeboatStore

/// Hand-built runs and events for the store tests.
enum Fixtures {
    static let stepIDs = ["declare", "promote", "dns", "smoke"]

    static func header(plan: String = "payment-platform", scenario: String = "region-failure", documentsHash: String = "")
        -> RunHeader
    {
        let steps = stepIDs.map { id in
            StepHeader(
                id: id, title: "Step \(id)", action: id == "declare" ? BuiltinActions.approval : "command",
                needs: id == "declare" ? [] : ["declare"], idempotent: id != "promote", hasVerify: false, retry: .none,
                timeoutMs: 120_000, expectMs: 30_000, applies: true, hasCompensation: id == "dns")
        }
        return RunHeader(
            planID: plan, scenario: scenario, runbookID: "region-failover", mode: .drill,
            params: ["to_region": "us-east-1", "max_lag": 16], objectives: Objectives(rtoMs: 2_700_000, rpoMs: 300_000),
            rtoWindow: RTOWindow(start: "declare", end: "smoke"), startedBy: "alice", documentsHash: documentsHash,
            steps: steps, concurrency: 4, approvedByFlag: false)
    }

    static let documents = [
        DocumentSource(kind: .plan, path: "plans/payment-platform.yaml", text: "plan: payment-platform\ntier: 1\n"),
        DocumentSource(kind: .runbook, path: "runbooks/region-failover.yaml", text: "runbook: region-failover\n"),
    ]

    static func event(_ runID: String, _ at: Int64, _ kind: RunEvent.Kind) -> RunEvent {
        RunEvent(runID: runID, atMs: at, monoMs: at - 1_700_000_000_000, session: "s-\(runID)", kind: kind)
    }

    static func created(_ runID: String, at: Int64 = 1_700_000_000_000, plan: String = "payment-platform",
                        scenario: String = "region-failure") -> RunEvent
    {
        event(runID, at, .runCreated(header(plan: plan, scenario: scenario)))
    }

    /// A run's life up to a successful finish, after `runCreated` at `start`.
    /// One event of each kind the chain tests name (27), with `result` and `error` where a kind has them.
    static func everyKind(result: ActionResult, error: StepError) -> [RunEvent.Kind] {
        [
            .runCreated(Fixtures.header()), .executorStarted(pid: 1, host: "h", resumed: false),
            .stepSkipped(step: "s", reason: "r"), .stepStarted(step: "s", attempt: 1),
            .stepSucceeded(step: "s", attempt: 1, durationMs: 1, result: result),
            .stepFailed(step: "s", attempt: 1, durationMs: 1, error: error),
            .stepRetryScheduled(step: "s", nextAttempt: 2, delayMs: 1), .stepReleased(step: "s", reason: "r"),
            .approvalRequested(step: "s", prompt: "p"), .approvalGranted(step: "s", by: "b", via: "v", waitMs: 1),
            .approvalDenied(step: "s", by: "b", via: "v", reason: "r"),
            .stepInterrupted(step: "s", attempt: 1, recovery: .verify), .stepVerified(step: "s", outcome: .notDone("n")),
            .stepUnknown(step: "s", reason: "r"), .stepResolved(step: "s", resolution: .retry, by: "b"),
            .stepRedriven(step: "s", by: "b"), .stepNoted(step: "s", note: "n", by: "b"),
            .circuitChanged(endpoint: "e", state: .open), .abortRequested(by: "b", reason: "r"),
            .pauseRequested(by: "b", reason: "r"),
            .runPaused(reason: .interrupted), .runFinished(outcome: .succeeded),
            .rollbackStarted(by: "b", strategy: .stopOnFailure), .compensationStarted(step: "s"),
            .compensationSucceeded(step: "s", durationMs: 1, result: result),
            .compensationFailed(step: "s", durationMs: 1, error: error), .rollbackFinished(outcome: .succeeded),
        ]
    }

    static func successfulRun(_ runID: String, start: Int64 = 1_700_000_000_000) -> [RunEvent] {
        var at = start
        func next(_ kind: RunEvent.Kind) -> RunEvent {
            at += 1_000
            return event(runID, at, kind)
        }
        return [
            next(.executorStarted(pid: 42, host: "laptop", resumed: false)),
            next(.approvalRequested(step: "declare", prompt: "Fail over to us-east-1?")),
            next(.approvalGranted(step: "declare", by: "bob", via: "terminal", waitMs: 12_000)),
            next(.stepStarted(step: "promote", attempt: 1)),
            next(.stepFailed(step: "promote", attempt: 1, durationMs: 800,
                             error: StepError(code: .actionFailed, message: "lag too high", retryable: true))),
            next(.stepRetryScheduled(step: "promote", nextAttempt: 2, delayMs: 500)),
            next(.stepStarted(step: "promote", attempt: 2)),
            next(.stepSucceeded(step: "promote", attempt: 2, durationMs: 1_200,
                                result: ActionResult(outputs: ["lsn": "0/3000060", "timeline": 2], summary: "promoted"))),
            next(.stepStarted(step: "dns", attempt: 1)),
            next(.stepSucceeded(step: "dns", attempt: 1, durationMs: 90, result: ActionResult(summary: "db → db-dr"))),
            next(.stepStarted(step: "smoke", attempt: 1)),
            next(.stepSucceeded(step: "smoke", attempt: 1, durationMs: 30, result: ActionResult(summary: "200 OK"))),
            next(.runFinished(outcome: .succeeded)),
        ]
    }

    /// The rows `events` change when appended to the run `store` holds, as the engine's machine
    /// derives them.
    static func rows(after events: [RunEvent], in store: any StateStore) async throws -> RunRows {
        var machine = try RunStateMachine.replay(try await store.events(of: events[0].runID))
        for event in events { try machine.apply(event) }
        return machine.rows(changedBy: events.map(\.kind))
    }

    /// The rows the machine replayed from `events` (which start with `runCreated`) derives.
    static func fold(_ events: [RunEvent]) throws -> (RunRecord, [StepRecord]) {
        let rows = try RunStateMachine.replay(events).rows
        return (rows.run, rows.steps)
    }
}

/// Folders `temporaryFolder` made, removed when the test process exits.
private let madeFolders = Mutex<[String]>([])
private let removeMadeFoldersAtExit: Void = {
    atexit {
        for path in madeFolders.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}()

/// A fresh folder under the system temp folder, removed when the test process exits.
func temporaryFolder(_ name: String = #function) throws -> String {
    _ = removeMadeFoldersAtExit
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "lifeboat-store-\(clean)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    madeFolders.withLock { $0.append(path) }
    return path
}

/// Runs a command to completion and returns its exit status.
@discardableResult
func shell(_ arguments: String...) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// The permission bits of a file.
func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// A SQLite store in a fresh temp folder, to compare the in-memory double against.
enum SQLiteStoreForComparison {
    static func make() throws -> SQLiteStore { try SQLiteStore(path: try temporaryFolder() + "/state.db") }
}
