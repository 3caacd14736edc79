import Foundation
import LifeboatCore

/// Whether this account may use a store file another account made, and the store a team shares
/// (`lifeboat store init --group`).
public enum StoreAccess {
    /// Refuses a store file this account cannot reach (a folder on its path is closed to it), read
    /// or write, saying which permission is missing and how to get it, before SQLite answers with
    /// "unable to open database file". A store that does not exist yet passes: it is created on first use.
    public static func check(_ path: String) throws(LifeboatError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == EACCES else { return }
            throw LifeboatError(
                .storeFailure,
                "account \(SystemAccounts.accountName(geteuid())) cannot reach store \(path): a folder on its path is closed to it",
                hint: "ask for the group the store is shared with (`lifeboat store init --group`), or use a store of your own with --db")
        }
        // Permissions only: a read-only file system is reported by the store when it writes.
        let missing = [(R_OK, "read"), (W_OK, "write")].filter { access(path, $0.0) != 0 && errno == EACCES }.map(\.1)
        guard !missing.isEmpty else { return }
        let me = SystemAccounts.accountName(geteuid())
        let owner = SystemAccounts.accountName(info.st_uid)
        let group = SystemAccounts.groupName(info.st_gid)
        let mode = String(info.st_mode & 0o777, radix: 8)
        let hint = info.st_mode & 0o060 == 0o060
            ? "add \(me) to group \(group) (`usermod -aG \(group) \(me)`, then log in again), or use a store of your own with --db"
            : "the store is private to \(owner): have it shared with `lifeboat store init --group GROUP`, or use a store of your own with --db"
        throw LifeboatError(
            .storeFailure,
            "account \(me) cannot \(missing.joined(separator: " or ")) store \(path) (mode \(mode), owner \(owner), group \(group))",
            hint: hint)
    }

    /// Creates the store at `path` shared with `group`: the group and mode 0660 on its file and side
    /// files, never readable by other accounts. An existing store is shared as it is.
    public static func createShared(path: String, group: String) throws(LifeboatError) -> SQLiteStore {
        guard let entry = getgrnam(group) else {
            throw LifeboatError(.invalidInput, "there is no group '\(group)' on this machine", hint: "create it with `groupadd \(group)` and add the operators' accounts")
        }
        let gid = entry.pointee.gr_gid
        try StoreFile.prepare(path)
        try StoreFile.share(path, group: gid)
        let store = try SQLiteStore(path: path)
        try StoreFile.share(path, group: gid)  // the side files opening made
        return store
    }
}
