import LifeboatCore

/// Shows a tabletop as a facilitator needs it on a shared screen: after each step, how long the
/// team took against what was expected; no engine lines (attempts, executor starts), no status line.
struct TabletopView: RunView {
    var style: Style = .stdout

    func recorded(_ events: [RunEvent], machine: RunStateMachine) {
        let ms = DurationText.format(milliseconds:)
        for event in events {
            switch event.kind {
            case .stepSucceeded(let step, _, let took, _):
                let expected = machine.step(step)?.expectMs.map { " (expected \(ms($0)))" } ?? ""
                Console.out(style.paint("  ✓ \(step) done in \(ms(took))", .green) + expected)
            case .stepSkipped(let step, let reason, _, _):
                Console.out("  – \(step) skipped: \(reason)")
            case .stepFailed, .runFinished(.failed), .runFinished(.aborted):
                Console.out(style.paint("  " + EventText.describe(event.kind), .red))
            default:
                break
            }
        }
    }

    func tick(rtoMs: Int64?) {}
    func finish() {}
}
