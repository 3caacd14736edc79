import LifeboatCore
import LifeboatReports
import LifeboatStore

/// `GET /runs/ID`: the run's HTML report as `lifeboat report` renders it; while the run has not
/// ended, with the live panel above it and the script that keeps the page current. A finished
/// run's page is its report (with the navigation).
enum RunPage {
    /// The page, or nil when the store has no such run.
    static func render(store: any EvidenceStore, storeName: String, runID: String, nowMs: Int64) async throws -> String? {
        guard let run = try await store.run(runID) else { return nil }
        let events = try await store.events(of: runID)
        let steps = try await store.steps(of: runID)
        let report = try RunReport.build(run: run, steps: steps, events: events, documents: try await store.documents(of: runID))
        guard run.endedAtMs == nil else {
            return HTMLReport.render(report, adding: WarRoomPage.additions(store: storeName, live: false))
        }
        let machine = try RunStateMachine.replay(events)
        let panel = RunPanel.render(
            run: run, steps: steps, events: events, progress: try await store.stepProgress(of: runID), machine: machine, nowMs: nowMs)
        return HTMLReport.render(report, adding: WarRoomPage.additions(store: storeName, live: true, panel: panel))
    }
}
