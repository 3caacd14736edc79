import Foundation

/// Colours for one output stream, or none: every escape code the CLI writes for colour comes from here.
struct Style: Sendable {
    enum Color: String, Sendable {
        case red = "\u{1B}[31m"
        case green = "\u{1B}[32m"
        case yellow = "\u{1B}[33m"
        case dim = "\u{1B}[2m"
    }

    static let reset = "\u{1B}[0m"

    let enabled: Bool

    /// `text` in `color` when colour is on; `text` itself otherwise or when `color` is nil.
    func paint(_ text: String, _ color: Color?) -> String {
        guard enabled, let color else { return text }
        return color.rawValue + text + Self.reset
    }

    /// Whether to colour a stream, from `--color`, `NO_COLOR`, `TERM` and whether it is a terminal.
    static func enabled(_ choice: ColorChoice, environment: [String: String], isTerminal: Bool) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            return isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && !isDumbTerminal(environment)
        }
    }

    static func isDumbTerminal(_ environment: [String: String]) -> Bool { environment["TERM"] == "dumb" }

    static var stdout: Style { style(for: STDOUT_FILENO) }
    static var stderr: Style { style(for: STDERR_FILENO) }

    private static func style(for fd: Int32) -> Style {
        Style(enabled: enabled(
            ColorChoice.current, environment: ProcessInfo.processInfo.environment,
            isTerminal: isatty(fd) == 1))
    }

    /// Whether stdout can redraw a status line in place (a terminal that is not `TERM=dumb`).
    static let stdoutRedraws = Console.stdoutIsTerminal && !isDumbTerminal(ProcessInfo.processInfo.environment)
}
