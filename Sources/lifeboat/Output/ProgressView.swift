import Foundation
import LifeboatCore
import Synchronization

/// What shows a run while this process executes it.
protocol RunView: RunObserver, Sendable {
    /// Called once a second while the run executes.
    func tick(rtoMs: Int64?)
    /// Called before the final summary is printed.
    func finish()
}

/// Shows a run as it executes. On a terminal: event lines plus a status line redrawn in place
/// (step counts, what is running, elapsed time against the RTO budget). Otherwise: plain
/// timestamped lines, one per event, for logs and CI.
final class ProgressView: RunView {
    private struct State {
        /// Elapsed time counts from the run's first event, across resumes (`RunElapsed`).
        var elapsed = RunElapsed()
        var summary = ""
        var running: [String] = []
        var stepStartedMono: [String: Int64] = [:]
        var latestLine: [String: String] = [:]
    }

    private let live: Bool
    private let style: Style
    private let clock: any EngineClock
    /// Whether an approval is decided elsewhere (nobody is asked at this terminal): each request is
    /// then followed by the command that decides it, ready to copy.
    private let approvalsElsewhere: Bool
    private let state = Mutex(State())
    /// Each probe's last outcome shown, so that only changes are printed.
    private let probeOutcomes = Mutex<[String: (outcome: ProbeOutcome, sinceMs: Int64)]>([:])

    /// `earlier`: the run's events before this process took it on (a resume's), for the elapsed time.
    init(
        live: Bool = Style.stdoutRedraws, style: Style = .stdout, clock: any EngineClock, approvalsElsewhere: Bool = false,
        earlier: [RunEvent] = []
    ) {
        self.live = live
        self.style = style
        self.clock = clock
        self.approvalsElsewhere = approvalsElsewhere
        state.withLock { s in
            for event in earlier { s.elapsed.take(event) }
        }
    }

    func recorded(_ events: [RunEvent], machine: RunStateMachine) {
        if live {
            let (summary, running) = Self.summary(machine)
            state.withLock { s in
                for event in events {
                    s.elapsed.take(event)
                    if case .stepStarted(let step, _) = event.kind {
                        s.stepStartedMono[step] = clock.monoMs()
                        s.latestLine[step] = nil
                    }
                }
                s.summary = summary
                s.running = running
            }
        }
        for event in events {
            var described = EventText.describe(event.kind)
            if case .probeSamples(let series) = event.kind {
                // Samples come every second: only a change of a probe's outcome is news.
                let changes = probeOutcomes.withLock { EventText.probeChanges(series, last: &$0) }
                if changes.isEmpty { continue }
                described = changes.joined(separator: "\n")
            }
            var text = style.paint(described, color(for: event.kind))
            if approvalsElsewhere, case .approvalRequested(let step, _) = event.kind {
                text += "\n  decide from any terminal: " + ApproveCommandText.of(run: event.runID, step: step, naming: true, denying: true)
            }
            if live {
                Console.raw(Self.eraseLine + text + "\n")
            } else {
                Console.out(EventText.timestamp(event.atMs) + "  " + text)
            }
        }
        if live {
            if let prompt = TerminalInput.openPrompt { Console.raw(prompt) } else { redrawStatus(machine.header.objectives.rtoMs) }
        }
    }

    /// A line that is not an event (`watch` saying the run's executor is gone), shown like one.
    func notice(_ text: String, rtoMs: Int64?) {
        let painted = style.paint(text, .yellow)
        if live {
            Console.raw(Self.eraseLine + painted + "\n")
            redrawStatus(rtoMs)
        } else {
            Console.out(EventText.timestamp(clock.wallMs()) + "  " + painted)
        }
    }

    func progress(step: String, line: String) {
        guard live else { return }
        state.withLock { $0.latestLine[step] = line }
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
        guard TerminalInput.openPrompt == nil else { return }
        let s = state.withLock { $0 }
        let ms = DurationText.format(milliseconds:)
        let elapsed = s.elapsed.elapsedMs(at: clock.wallMs())
        var line = "  ▸ \(s.summary) · elapsed \(ms(elapsed))"
        if s.elapsed.stoppedMs > 0 { line += " (stopped \(ms(s.elapsed.stoppedMs)))" }
        if let rtoMs, rtoMs > 0 {
            line += " of RTO \(ms(rtoMs)) (\(elapsed * 100 / rtoMs)%)"
        }
        // The step running longest: how long so far, and its latest output line.
        let now = clock.monoMs()
        if let step = s.running.min(by: { (s.stepStartedMono[$0] ?? now) < (s.stepStartedMono[$1] ?? now) }) {
            line += " · \(step) \(ms(now - (s.stepStartedMono[step] ?? now)))"
            if let latest = s.latestLine[step] { line += ": " + latest }
        }
        Console.raw(Self.eraseLine + style.paint(Self.clipped(line, to: Console.terminalColumns), .dim))
    }

    /// `line` cut to `columns` characters (with `…`): a status line that wraps cannot be redrawn in place.
    static func clipped(_ line: String, to columns: Int?) -> String {
        guard let columns, columns > 1, line.count > columns - 1 else { return line }
        return String(line.prefix(columns - 2)) + "…"
    }

    /// Back to the start of the line and clear it (cursor control, not colour).
    private static let eraseLine = "\r\u{1B}[2K"

    /// The status line's counts, and the steps running (or verifying) now.
    static func summary(_ machine: RunStateMachine) -> (text: String, running: [String]) {
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
        return (parts.joined(separator: " · "), running)
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
