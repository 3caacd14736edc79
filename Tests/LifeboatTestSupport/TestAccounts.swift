import Foundation
import Synchronization

/// Real operating system accounts for identity tests: made on first use (`groupadd`, `useradd`),
/// removed when the test process exits. Every account's primary group is `storeGroup`, the group a
/// shared store is made for; `approverGroup` is the group runbooks name as `group:lbt-sre`.
public enum TestAccounts {
    public static let storeGroup = "lbt-ops"
    public static let approverGroup = "lbt-sre"
    /// In both groups.
    public static let alice = "lbt-alice"
    public static let bob = "lbt-bob"
    /// In the store group only.
    public static let carol = "lbt-carol"
    public static let mallory = "lbt-mallory"
    /// In neither group: cannot open a shared store.
    public static let eve = "lbt-eve"

    private static let made = Mutex<(ready: Bool, accounts: [String], groups: [String])>((false, [], []))

    /// Makes the groups and accounts that are missing (once per process).
    public static func ensure() throws {
        try made.withLock { state in
            if state.ready { return }
            for group in [storeGroup, approverGroup] where getgrnam(group) == nil {
                try command("/usr/sbin/groupadd", group)
                state.groups.append(group)
            }
            let members: [(String, [String])] = [
                (alice, [storeGroup, approverGroup]), (bob, [storeGroup, approverGroup]), (carol, [storeGroup]),
                (mallory, [storeGroup]), (eve, []),
            ]
            for (account, groups) in members where getpwnam(account) == nil {
                var arguments = ["-M", "-N", "-s", "/usr/sbin/nologin"]
                if let primary = groups.first { arguments += ["-g", primary] }
                if groups.count > 1 { arguments += ["-G", groups.dropFirst().joined(separator: ",")] }
                try command("/usr/sbin/useradd", arguments + [account])
                state.accounts.append(account)
            }
            if state.accounts.isEmpty && state.groups.isEmpty { state.ready = true; return }
            atexit {
                let (accounts, groups) = TestAccounts.made.withLock { ($0.accounts, $0.groups) }
                for account in accounts { try? TestAccounts.command("/usr/sbin/userdel", account) }
                for group in groups { try? TestAccounts.command("/usr/sbin/groupdel", group) }
            }
            state.ready = true
        }
    }

    /// `setpriv` arguments that run a program as `account`, with its primary group and groups.
    static func setprivArguments(_ account: String) throws -> [String] {
        try ensure()
        guard let entry = getpwnam(account) else { throw Failure("no account \(account)") }
        return ["--reuid", account, "--regid", String(entry.pointee.pw_gid), "--init-groups", "--"]
    }

    /// Makes `directory` usable by the store group's accounts (group-owned, mode 2770).
    public static func share(_ directory: URL) throws {
        try ensure()
        guard let group = getgrnam(storeGroup) else { throw Failure("no group \(storeGroup)") }
        guard chown(directory.path, uid_t.max, group.pointee.gr_gid) == 0, chmod(directory.path, 0o2770) == 0 else {
            throw Failure("cannot share \(directory.path) with \(storeGroup)")
        }
    }

    static func command(_ program: String, _ arguments: String...) throws { try command(program, arguments) }

    static func command(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\(program) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
