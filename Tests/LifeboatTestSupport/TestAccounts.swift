import Foundation
import Synchronization

/// Real operating system accounts for identity tests: made on first use (`groupadd`, `useradd`),
/// removed when the test process exits. `storeGroup` is the group a shared store is made for
/// (carol has it as a supplementary group only, so the files her SQLite creates start with another
/// group and the store must regroup them); `approverGroup` is what runbooks name `group:lbt-sre`.
public enum TestAccounts {
    public static let storeGroup = "lbt-ops"
    public static let approverGroup = "lbt-sre"
    /// In both groups.
    public static let alice = "lbt-alice"
    public static let bob = "lbt-bob"
    /// In the store group only (as a supplementary group).
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
            // (account, primary group or nil for the system's default, supplementary groups)
            let members: [(String, String?, [String])] = [
                (alice, storeGroup, [approverGroup]), (bob, storeGroup, [approverGroup]), (carol, nil, [storeGroup]),
                (mallory, storeGroup, []), (eve, nil, []),
            ]
            for (account, primary, groups) in members where getpwnam(account) == nil {
                var arguments = ["-M", "-N", "-s", "/usr/sbin/nologin"]
                if let primary { arguments += ["-g", primary] }
                if !groups.isEmpty { arguments += ["-G", groups.joined(separator: ",")] }
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

    /// Makes `directory` usable by the store group's accounts (group-owned, mode 0770; not setgid, so
    /// a file an account creates there has that account's primary group, as in a folder shared
    /// for more than the store).
    public static func share(_ directory: URL) throws {
        try ensure()
        guard let group = getgrnam(storeGroup) else { throw Failure("no group \(storeGroup)") }
        guard chown(directory.path, uid_t.max, group.pointee.gr_gid) == 0, chmod(directory.path, 0o770) == 0 else {
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
