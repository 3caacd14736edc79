import ArgumentParser

struct CompletionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completions",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            Examples:
              source <(lifeboat completions bash)                      # this bash session
              lifeboat completions bash > /etc/bash_completion.d/lifeboat
              lifeboat completions zsh > "${fpath[1]}/_lifeboat"
              lifeboat completions fish > ~/.config/fish/completions/lifeboat.fish
            """)

    enum Shell: String, CaseIterable, ExpressibleByArgument {
        case bash, zsh, fish
    }

    @Argument(help: "The shell: bash, zsh or fish.") var shell: Shell

    func run() throws {
        guard let target = CompletionShell(rawValue: shell.rawValue) else {
            throw ValidationError("no completion script for \(shell.rawValue)")
        }
        Console.out(Lifeboat.completionScript(for: target), terminator: "")
    }
}

struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print the man page (generated from the commands' help).",
        discussion: """
            Examples:
              lifeboat manual | man -l -
              lifeboat manual > /usr/local/share/man/man1/lifeboat.1
            """)

    func run() throws {
        Console.out(try ManPage.render(), terminator: "")
    }
}
