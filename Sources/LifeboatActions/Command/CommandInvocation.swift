import LifeboatCore

/// One program to start: an argv executed directly, or a script given to `/bin/sh -c` because the
/// author wrote `shell:` explicitly. Values are never spliced into a shell line.
struct CommandInvocation: Sendable, Hashable {
    enum Program: Sendable, Hashable {
        /// `argv[0]` as written (resolved through `PATH` or against the runbook's folder) and its arguments.
        case argv([String])
        /// A script the author wrote as `shell:`; run as `/bin/sh -c SCRIPT`.
        case shell(String)
    }

    static let shellPath = "/bin/sh"

    var program: Program
    /// Variables merged over the inherited environment.
    var environment: [String: String]
    /// The working directory (`cwd:` resolved against the runbook's folder).
    var workingDirectory: String
    /// The runbook's folder: a relative `argv[0]` resolves here, whatever `cwd:` says.
    var runbookDirectory: String

    /// How messages name the program: `argv[0]` as written, or `/bin/sh -c`.
    var displayName: String {
        switch program {
        case .argv(let argv): return argv[0]
        case .shell: return "\(Self.shellPath) -c"
        }
    }

    /// Reads `argv` / `shell` from `map` (a step's `with:` or its `verify:` block); `env` and `cwd`
    /// come from the step's `with:` and are shared by the verify command.
    static func parse(
        _ map: [String: Value], environment: [String: String], workingDirectory: String, field: String,
        context: ActionContext
    ) throws(LifeboatError) -> CommandInvocation {
        let argvValue = map["argv"].flatMap { $0 == .null ? nil : $0 }
        let shellValue = map["shell"].flatMap { $0 == .null ? nil : $0 }
        let prefix = field.isEmpty ? "" : "\(field)."
        switch (argvValue, shellValue) {
        case (nil, nil):
            throw context.badParameter(prefix + "argv", "is required (or write shell: for a /bin/sh script)")
        case (.some, .some):
            throw context.badParameter(prefix + "argv", "and shell: are exclusive; give exactly one")
        case (.some(let value), nil):
            guard case .list(let items) = value, !items.isEmpty else {
                throw context.badParameter(prefix + "argv", "must be a non-empty list of strings")
            }
            var argv: [String] = []
            for item in items {
                switch item {
                case .string(let s): argv.append(s)
                case .int, .double, .bool: argv.append(item.renderedText)
                default: throw context.badParameter(prefix + "argv", "must be a list of strings")
                }
            }
            guard !argv[0].isEmpty else { throw context.badParameter(prefix + "argv", "must not start with an empty string") }
            return CommandInvocation(program: .argv(argv), environment: environment, workingDirectory: workingDirectory,
                runbookDirectory: context.baseDirectory)
        case (nil, .some(let value)):
            guard case .string(let script) = value, !script.isEmpty else {
                throw context.badParameter(prefix + "shell", "must be a non-empty string")
            }
            return CommandInvocation(program: .shell(script), environment: environment, workingDirectory: workingDirectory,
                runbookDirectory: context.baseDirectory)
        }
    }
}
