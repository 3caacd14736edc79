import Foundation
import Synchronization

/// Serialized writes to stdout and stderr: the progress view, prompts and results share them.
enum Console {
    private static let lock = Mutex<Void>(())

    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    static let stdinIsTerminal = isatty(STDIN_FILENO) == 1

    static func out(_ text: String, terminator: String = "\n") {
        lock.withLock { _ in
            fputs(text + terminator, stdout)
            fflush(stdout)
        }
    }

    static func err(_ text: String) {
        lock.withLock { _ in
            fputs(text + "\n", stderr)
            fflush(stderr)
        }
    }

    /// Writes raw text (terminal control sequences included) without a newline.
    static func raw(_ text: String) {
        lock.withLock { _ in
            fputs(text, stdout)
            fflush(stdout)
        }
    }
}
