import Foundation
import LifeboatTestSupport

/// The binary on a real terminal: a tmux server on a socket of its own, driven as a person would
/// (`send-keys`) and read as they see it (`capture-pane`).
struct TmuxSession {
    let socket = "lifeboat-test-\(UUID().uuidString.prefix(8))"
    let target = "t:run"

    /// Starts `lifeboat ARGUMENTS` in `cli`'s folder with its environment, on a 160x40 terminal.
    /// The window stays after the command ends, so its last screen can be read.
    init(_ cli: CLI, _ arguments: [String]) throws {
        let variables = ["LIFEBOAT_DB", "LIFEBOAT_OPERATOR", "PATH", "HOME"].compactMap { key in
            cli.environment[key].map { "\(key)=\($0)" }
        }
        try startServer()
        try tmux(["set-option", "-g", "remain-on-exit", "on"])
        // More than one word after `--`: tmux executes them directly, no shell between.
        try tmux(["new-window", "-t", "t", "-n", "run", "-c", cli.directory.path, "--", "env"] + variables
            + [LifeboatCLI.binary] + arguments)
    }

    /// The screen's text, blank lines dropped.
    func screen() throws -> String {
        try tmux(["capture-pane", "-p", "-t", target]).output.split(separator: "\n")
            .filter { !$0.allSatisfy(\.isWhitespace) }.joined(separator: "\n")
    }

    /// Polls the screen (every 100 ms, up to `seconds`) until `condition` holds; returns the last screen.
    @discardableResult
    func waitFor(seconds: Double = 15, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = try screen()
        while !condition(text) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            text = try screen()
        }
        return text
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", target] + keys) }

    /// Ends the server and what runs in its panes. `kill-server` alone is not enough: the server
    /// starts with this process's blocked signals, so the SIGTERM it sends itself never arrives
    /// and it stays, with its panes, after the test.
    func kill() {
        let panes = (try? tmux(["list-panes", "-a", "-F", "#{pane_pid}"]).output) ?? ""
        let server = (try? tmux(["display-message", "-p", "#{pid}"]).output) ?? ""
        for pid in (panes + server).split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) {
            Glibc.kill(pid, SIGKILL)
        }
    }

    /// `new-session`, whose client forks the server. The server keeps every descriptor the client
    /// had, one of them how Foundation sees a child end, so that client is not waited for:
    /// `has-session` tells when the session is there.
    private func startServer() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-L", socket, "new-session", "-d", "-s", "t", "-x", "160", "-y", "40"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try tmux(["has-session", "-t", "t"]).status == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "tmux did not start"])
    }

    /// Runs a tmux client against the running server.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-L", socket] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
