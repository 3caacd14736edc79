import LifeboatCore
import LifeboatStore
import Synchronization

/// Shows a run through `view` and shares each running step's latest output line through the store
/// (`EvidenceStore.noteProgress`), so that people watching elsewhere (`lifeboat serve`) see it too:
/// the newest line per step is kept and written on the once-a-second tick, in the background, only
/// when it changed. A note that cannot be written is dropped: it is not evidence, and a store that
/// has gone away is the engine's to report.
final class SharedProgress: RunView {
    private let view: any RunView
    private let store: any EvidenceStore
    private let runID: String
    private let clock: any EngineClock
    private let pending = Mutex<[String: StepProgress]>([:])

    init(_ view: any RunView, store: any EvidenceStore, runID: String, clock: any EngineClock) {
        self.view = view
        self.store = store
        self.runID = runID
        self.clock = clock
    }

    func recorded(_ events: [RunEvent], machine: RunStateMachine) { view.recorded(events, machine: machine) }

    func progress(step: String, line: String) {
        view.progress(step: step, line: line)
        let note = StepProgress(stepID: step, line: line, atMs: clock.wallMs())
        pending.withLock { $0[step] = note }
    }

    func tick(rtoMs: Int64?) {
        view.tick(rtoMs: rtoMs)
        let notes = pending.withLock { notes in
            defer { notes = [:] }
            return Array(notes.values)
        }
        guard !notes.isEmpty else { return }
        let (store, runID) = (self.store, self.runID)
        Task {
            for note in notes { try? await store.noteProgress(note, of: runID) }
        }
    }

    func finish() { view.finish() }
}
