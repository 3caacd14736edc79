import ArgumentParser
import Synchronization

/// When to colour the output: `--color auto|always|never`.
enum ColorChoice: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// Only when the stream is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
    case auto
    case always
    case never

    /// The choice of this process, set from `--color` once the command line is parsed.
    static var current: ColorChoice {
        get { chosen.withLock { $0 } }
        set { chosen.withLock { $0 = newValue } }
    }

    private static let chosen = Mutex<ColorChoice>(.auto)
}

/// `--color`, for the commands whose output has colour.
struct ColorOption: ParsableArguments {
    @Option(name: .customLong("color"), help: ArgumentHelp(
        "Colour the output: auto (only on a terminal, and not when NO_COLOR is set or TERM=dumb), always or never.",
        valueName: "when"))
    var choice: ColorChoice = .auto
}

/// A command that takes `--color`: the entry point applies the choice before it runs.
protocol ColorChoosing {
    var color: ColorOption { get }
}

extension ValidateCommand: ColorChoosing {}
extension RunCommand: ColorChoosing {}
extension ResumeCommand: ColorChoosing {}
extension TabletopCommand: ColorChoosing {}
