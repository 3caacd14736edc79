import Foundation
import LifeboatCore
import Synchronization

/// Shows a run as it executes. On a terminal: event lines plus a status line redrawn in place
/// (step counts, what is running, elapsed time against the RTO budget). Otherwise: plain
/// timestamped lines, one per event, for logs and CI.
final class ProgressView: RunObserver, Sendable {
    private struct State {
        var startedMono: Int64?
        var summary = ""
        var statusShown = false
    }

    private let live: Bool
    private let style: Style
    private let clock: any EngineClock
    /// Whether an approval is decided elsewhere (nobody is asked at this terminal): each request is
    /// then followed by the command that decides it, ready to copy.
    private let approvalsElsewhere: Bool
    private let state = Mutex(State())

    init(live: Bool = Style.stdoutRedraws, style: Style = .stdout, clock: any EngineClock, approvalsElsewhere: Bool = false) {
        self.live = live
        self.style = style
        self.clock = clock
        self.approvalsElsewhere = approvalsElsewhere
    }

    func recorded(_ events: [RunEvent], machine: RunStateMachine) {
        if live {
            let summary = Self.summary(machine)
            state.withLock { s in
                if s.startedMono == nil { s.startedMono = clock.monoMs() }
                s.summary = summary
            }
        }
        for event in events {
            var text = style.paint(EventText.describe(event.kind), color(for: event.kind))
            if approvalsElsewhere, case .approvalRequested(let step, _) = event.kind {
                text += "\n  decide from any terminal: lifeboat approve \(event.runID) \(step) --by NAME [--deny REASON]"
            }
            if live {
                Console.raw(Self.eraseLine + text + "\n")
            } else {
                Console.out(EventText.timestamp(event.atMs) + "  " + text)
            }
        }
        if live { redrawStatus(machine.header.objectives.rtoMs) }
    }

    /// Redraws the status line (called on a one-second tick while a run executes).
    func tick(rtoMs: Int64?) {
        if live { redrawStatus(rtoMs) }
    }

    /// Removes the status line before the final summary is printed.
    func finish() {
        if live { Console.raw(Self.eraseLine) }
    }

    private func redrawStatus(_ rtoMs: Int64?) {
        let (started, summary) = state.withLock { ($0.startedMono, $0.summary) }
        let elapsed = started.map { clock.monoMs() - $0 } ?? 0
        var line = "  ▸ \(summary) · elapsed \(DurationText.format(milliseconds: elapsed))"
        if let rtoMs, rtoMs > 0 {
            line += " of RTO \(DurationText.format(milliseconds: rtoMs)) (\(elapsed * 100 / rtoMs)%)"
        }
        Console.raw(Self.eraseLine + style.paint(line, .dim))
    }

    /// Back to the start of the line and clear it (cursor control, not colour).
    private static let eraseLine = "\r\u{1B}[2K"

    static func summary(_ machine: RunStateMachine) -> String {
        var done = 0
        var running: [String] = []
        var waiting: [String] = []
        var failed: [String] = []
        for step in machine.header.steps {
            switch machine.state(of: step.id) {
            case .succeeded?, .skipped?: done += 1
            case .running?, .verifying?: running.append(step.id)
            case .awaitingApproval?, .retryWait?: waiting.append(step.id)
            case .failed?, .unknown?: failed.append(step.id)
            default: break
            }
        }
        var parts = ["\(done)/\(machine.header.steps.count) done"]
        if !running.isEmpty { parts.append("running: " + running.joined(separator: ", ")) }
        if !waiting.isEmpty { parts.append("waiting: " + waiting.joined(separator: ", ")) }
        if !failed.isEmpty { parts.append("failed: " + failed.joined(separator: ", ")) }
        return parts.joined(separator: " · ")
    }

    private func color(for kind: RunEvent.Kind) -> Style.Color? {
        switch kind {
        case .stepSucceeded, .approvalGranted, .runFinished(.succeeded), .compensationSucceeded: return .green
        case .stepFailed, .approvalDenied, .runFinished(.failed), .runFinished(.aborted), .compensationFailed,
            .stepUnknown, .stepInterrupted(_, _, .unknown):
            return .red
        case .approvalRequested, .stepRetryScheduled, .runPaused, .circuitChanged: return .yellow
        default: return nil
        }
    }
}
