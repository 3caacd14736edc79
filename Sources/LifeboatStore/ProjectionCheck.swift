import GRDB
import LifeboatCore

/// A `runs` or `steps` row that differs from what its run's replayed machine derives.
public struct ProjectionMismatch: Sendable, Hashable, CustomStringConvertible {
    public var runID: String
    /// The step, when the mismatch is in a step row.
    public var stepID: String?
    public var detail: String

    public init(runID: String, stepID: String?, detail: String) {
        self.runID = runID
        self.stepID = stepID
        self.detail = detail
    }

    public var description: String {
        "run \(runID)\(stepID.map { " step \($0)" } ?? ""): \(detail)"
    }
}

extension SQLiteStore {
    /// Replays every run's events through its state machine and compares the rows it derives with
    /// the stored `runs` and `steps` rows (for `lifeboat audit verify`). Empty when they all agree.
    public func verifyProjections() async throws -> [ProjectionMismatch] {
        try await read { db in
            var mismatches: [ProjectionMismatch] = []
            let ids = try String.fetchAll(db, sql: "SELECT id FROM runs ORDER BY created_at_ms, rowid")
            for id in ids {
                mismatches += try ProjectionCheck.check(runID: id, in: db)
            }
            return mismatches
        }
    }
}

package enum ProjectionCheck {
    /// Whether a store keeps measurement columns to compare (the SQLite store does).
    package enum Figures {
        case notKept
        case stored(RunFigures?)
    }

    static func check(runID: String, in db: Database) throws -> [ProjectionMismatch] {
        let figures = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID]).flatMap(MeasurementColumns.figures)
        return compare(
            runID: runID, events: try Rows.events(of: runID, in: db), run: try Rows.run(runID, in: db),
            steps: try Rows.steps(of: runID, in: db), figures: .stored(figures))
    }

    /// The stored rows of one run against what its events replay to.
    package static func compare(
        runID: String, events: [RunEvent], run storedRun: RunRecord?, steps stored: [StepRecord], figures: Figures
    ) -> [ProjectionMismatch] {
        guard let first = events.first, case .runCreated = first.kind else {
            return [ProjectionMismatch(runID: runID, stepID: nil, detail: "its log does not start with runCreated")]
        }
        let rows: RunRows
        do { rows = try RunStateMachine.replay(events).rows } catch {
            return [ProjectionMismatch(runID: runID, stepID: nil, detail: "its events do not replay: \(error.description)")]
        }
        let (run, steps) = (rows.run, rows.steps)
        var index = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.stepID, $0) })
        var mismatches: [ProjectionMismatch] = []
        if storedRun != run {
            mismatches.append(ProjectionMismatch(runID: runID, stepID: nil, detail: "runs row differs from its events"))
        }
        if case .stored(let storedFigures) = figures, storedFigures != RunFigures.expected(for: run, events: events) {
            mismatches.append(ProjectionMismatch(runID: runID, stepID: nil, detail: "measurement columns differ from its events"))
        }
        for step in stored {
            guard let i = index.removeValue(forKey: step.stepID) else {
                mismatches.append(ProjectionMismatch(runID: runID, stepID: step.stepID, detail: "no such step in the run's header"))
                continue
            }
            if steps[i] != step {
                mismatches.append(ProjectionMismatch(runID: runID, stepID: step.stepID, detail: "steps row differs from its events"))
            }
        }
        for stepID in index.keys.sorted() {
            mismatches.append(ProjectionMismatch(runID: runID, stepID: stepID, detail: "steps row is missing"))
        }
        return mismatches
    }
}
