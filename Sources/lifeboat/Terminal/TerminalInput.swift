import Foundation
import Synchronization

/// The keyboard while a run's live view is on. Between questions nothing typed is echoed, so keys
/// cannot corrupt the status line. A question drops what was typed ahead (a key pressed earlier
/// never answers it), echoes what is typed, and keeps the status line from redrawing over it. The
/// terminal's settings come back when the executor stops (after a SIGKILL, `stty sane` does it).
enum TerminalInput {
    private struct State {
        var saved: termios?
        /// The open question's prompt, shown again after lines printed while it is open.
        var prompt: String?
    }

    private static let state = Mutex(State())

    /// Turns echo off for the run (when standard input is a terminal).
    static func quietForRun() {
        guard Console.stdinIsTerminal else { return }
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        state.withLock { $0.saved = settings }
        setEcho(false)
    }

    /// Restores the terminal as `quietForRun` found it.
    static func restore() {
        guard var saved = state.withLock({ s -> termios? in
            defer { s.saved = nil }
            return s.saved
        }) else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
    }

    /// The prompt of the question open now, nil when none is.
    static var openPrompt: String? { state.withLock { $0.prompt } }

    /// Prints `prompt` and reads the answer with `read` (the next line by default); a scripted
    /// answer (standard input not a terminal) is shown after the prompt, so that a transcript reads
    /// like a typed session. Nil when input ended (or `read` gave up).
    static func answer(prompt: String, read: () async -> String? = { await StdinLines.shared.next() }) async -> String? {
        Console.out(prompt, terminator: "")
        let line = await question(prompt: prompt, read)
        if line == nil || !Console.stdinIsTerminal { Console.out(line ?? "") }
        return line
    }

    /// Asks at the terminal: `body` reads the answer. Typed-ahead input is dropped first.
    private static func question<T>(prompt: String, _ body: () async -> T) async -> T {
        let quiet = state.withLock { s -> Bool in
            s.prompt = prompt
            return s.saved != nil
        }
        if Console.stdinIsTerminal {
            tcflush(STDIN_FILENO, TCIFLUSH)
            StdinLines.shared.discardBuffered()
        }
        if quiet { setEcho(true) }
        defer {
            let stillQuiet = state.withLock { s -> Bool in
                s.prompt = nil
                return s.saved != nil
            }
            if stillQuiet { setEcho(false) }
        }
        return await body()
    }

    private static func setEcho(_ on: Bool) {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        if on { settings.c_lflag |= tcflag_t(ECHO) } else { settings.c_lflag &= ~tcflag_t(ECHO) }
        tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }
}
