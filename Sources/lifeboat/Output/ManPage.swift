import ArgumentParser
import Foundation

/// The man page (man(7) macros), built from ArgumentParser's description of the command tree
/// (`--experimental-dump-help`), so it says what `--help` says and cannot drift from it.
enum ManPage {
    /// The subset of ArgumentParser's ToolInfo (serialization version 0) the page uses.
    struct ToolInfo: Decodable {
        var command: Command
    }

    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var shouldDisplay: Bool
        var isOptional: Bool
        var isRepeating: Bool
        var names: [Name]?
        var valueName: String?
        var defaultValue: String?
        var abstract: String?
    }

    static func render() throws -> String {
        let help = Lifeboat.fullMessage(for: dumpHelpRequest())
        let info = try JSONDecoder().decode(ToolInfo.self, from: Data(help.utf8))
        let root = info.command
        var page = [
            ".TH LIFEBOAT 1 \"\" \"lifeboat \(Lifeboat.configuration.version)\" \"User Commands\"",
            ".SH NAME", "lifeboat \\- " + escape(root.abstract ?? ""),
            ".SH SYNOPSIS", ".B lifeboat", ".I command", "[\\fIoptions\\fR]",
        ]
        if let discussion = root.discussion { page += [".SH DESCRIPTION"] + preformatted(discussion) }
        page.append(".SH COMMANDS")
        for command in root.subcommands ?? [] { page += section(command, path: ["lifeboat"]) }
        page += [".SH SEE ALSO", "lifeboat completions bash|zsh|fish; the README and docs/ of the Lifeboat repository."]
        return page.joined(separator: "\n") + "\n"
    }

    /// ArgumentParser answers `--experimental-dump-help` by throwing an error whose message is the JSON.
    private static func dumpHelpRequest() -> any Error {
        do {
            _ = try Lifeboat.parseAsRoot(["--experimental-dump-help"])
            return ValidationError("no help dump")
        } catch {
            return error
        }
    }

    private static func section(_ command: Command, path: [String]) -> [String] {
        guard command.shouldDisplay ?? true, command.commandName != "help" else { return [] }
        let path = path + [command.commandName]
        var lines = [".SS \"\(escape(path.joined(separator: " ")))\""]
        if let abstract = command.abstract { lines += [escape(abstract)] }
        for argument in command.arguments ?? [] where argument.shouldDisplay {
            let names = argument.names ?? []
            if names.contains(where: { $0.name == "help" || $0.name == "version" }) { continue }
            lines += [".TP", label(argument), escape(description(argument))]
        }
        if let discussion = command.discussion, !discussion.isEmpty { lines += [".PP"] + preformatted(discussion) }
        for sub in command.subcommands ?? [] { lines += section(sub, path: path) }
        return lines
    }

    /// `\fB\-s\fR, \fB\-\-scenario\fR \fIscenario\fR`, or `\fIplan\fR` for a positional argument.
    private static func label(_ argument: Argument) -> String {
        let value = argument.valueName.map { "\\fI\(escape($0))\\fR" }
        if argument.kind == "positional" { return (value ?? "") + (argument.isRepeating ? " ..." : "") }
        let names = (argument.names ?? []).map { name -> String in
            let dashes = name.kind == "long" ? "\\-\\-" : "\\-"
            return "\\fB" + dashes + escape(name.name) + "\\fR"
        }.joined(separator: ", ")
        return argument.kind == "option" ? names + " " + (value ?? "") : names
    }

    private static func description(_ argument: Argument) -> String {
        var text = argument.abstract ?? ""
        if let value = argument.defaultValue, !value.isEmpty { text += " (default: \(value))" }
        if argument.isRepeating && argument.kind != "positional" { text += " (repeatable)" }
        return text
    }

    /// Discussion text as written: line breaks and indentation kept.
    private static func preformatted(_ text: String) -> [String] {
        [".nf"] + text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) } + [".fi"]
    }

    /// Backslashes and hyphens escaped, other than ASCII as `\[uXXXX]`; a line starting with `.` or
    /// `'` is not a macro.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\e"
            case "-": escaped += "\\-"
            case _ where scalar.isASCII: escaped.unicodeScalars.append(scalar)
            default:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                escaped += "\\[u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
            }
        }
        return escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
    }
}
