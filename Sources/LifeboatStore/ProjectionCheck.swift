import GRDB
import LifeboatCore

/// A `runs` or `steps` row that differs from the fold of its run's events.
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
    /// Re-folds every run's events through `RunProjection` and compares the result with the stored
    /// `runs` and `steps` rows (for `lifeboat audit verify`). Empty when they all agree.
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

enum ProjectionCheck {
    static func check(runID: String, in db: Database) throws -> [ProjectionMismatch] {
        let events = try Rows.events(of: runID, in: db)
        guard let first = events.first, case .runCreated(let header) = first.kind else {
            return [ProjectionMismatch(runID: runID, stepID: nil, detail: "its log does not start with runCreated")]
        }
        var (run, steps) = RunProjection.newRun(first, header: header)
        var index = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.stepID, $0) })
        for event in events.dropFirst() {
            if case .documentsReloaded(let header, _, _) = event.kind {
                steps = RunProjection.reloaded(steps, runID: runID, header: header)
                index = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.stepID, $0) })
            }
            RunProjection.apply(event, to: &run)
            if let stepID = RunProjection.stepID(of: event.kind), let i = index[stepID] {
                RunProjection.apply(event, to: &steps[i])
            }
        }
        var mismatches: [ProjectionMismatch] = []
        let storedRun = try Rows.run(runID, in: db)
        if storedRun != run {
            mismatches.append(
                ProjectionMismatch(runID: runID, stepID: nil, detail: "runs row differs from its events"))
        }
        let storedFigures = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])
            .flatMap(MeasurementColumns.figures)
        if storedFigures != RunFigures.expected(for: run, events: events) {
            mismatches.append(
                ProjectionMismatch(runID: runID, stepID: nil, detail: "measurement columns differ from its events"))
        }
        let stored = try Rows.steps(of: runID, in: db)
        for step in stored {
            guard let i = index.removeValue(forKey: step.stepID) else {
                mismatches.append(ProjectionMismatch(runID: runID, stepID: step.stepID, detail: "no such step in runCreated"))
                continue
            }
            if steps[i] != step {
                mismatches.append(
                    ProjectionMismatch(runID: runID, stepID: step.stepID, detail: "steps row differs from its events"))
            }
        }
        for stepID in index.keys.sorted() {
            mismatches.append(ProjectionMismatch(runID: runID, stepID: stepID, detail: "steps row is missing"))
        }
        return mismatches
    }
}
