import Foundation
import Synchronization

/// Serialized writes to stdout and stderr: the progress view, prompts and results share them.
enum Console {
    private static let lock = Mutex<Void>(())

    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    static let stdinIsTerminal = isatty(STDIN_FILENO) == 1

    /// Where text for people goes: standard output, or standard error once a command's result
    /// document owns standard output (`run --json`).
    private static let textDescriptor = Mutex<Int32>(STDOUT_FILENO)

    /// From now on, text for people goes to standard error; standard output carries only
    /// `document(_:)`.
    static func sendTextToStandardError() { textDescriptor.withLock { $0 = STDERR_FILENO } }

    static func out(_ text: String, terminator: String = "\n") { write(textDescriptor.withLock { $0 }, text + terminator) }

    /// A machine-readable result (JSON): always on standard output.
    static func document(_ text: String) { write(STDOUT_FILENO, text + "\n") }

    static func err(_ text: String) { write(STDERR_FILENO, text + "\n") }

    /// Writes text (terminal control sequences included) without adding a newline.
    /// The width of the terminal standard output is, nil when it is not one.
    static var terminalColumns: Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    static func raw(_ text: String) { write(textDescriptor.withLock { $0 }, text) }

    private static func write(_ fd: Int32, _ text: String) {
        lock.withLock { _ in
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stdout closed (a pipe whose reader went away): nothing more to say
                }
                bytes = bytes.dropFirst(written)
            }
        }
    }
}
