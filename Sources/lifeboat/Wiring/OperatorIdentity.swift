import Foundation
import LifeboatCore

/// Who runs this command, as the operating system knows them: the account of the effective uid
/// (and, when that is root reached through `sudo`, the account that ran `sudo`) and the groups
/// of that account. What the SQLite store records as identity; `--by` is only a label beside it.
enum OperatorIdentity {
    /// The account of the effective uid.
    static var account: String { accountName(geteuid()) ?? "uid \(geteuid())" }

    static func caller(label: String, host: String = ProcessInfo.processInfo.hostName) -> Caller {
        let uid = geteuid()
        let account = self.account
        // SUDO_USER is believed only from root: any other account could set it.
        let sudoUser = uid == 0 ? ProcessInfo.processInfo.environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 } : nil
        let decider = Decider(identity: account, sudoUser: sudoUser, label: label, host: host)
        return Caller(decider: decider, groups: groups(of: account, primary: getegid()))
    }

    private static func accountName(_ uid: uid_t) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// The names of the account's groups (its primary group and every group listing it).
    private static func groups(of account: String, primary: gid_t) -> Set<String> {
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(account, primary, &ids, &count) == -1 {
            ids = [gid_t](repeating: 0, count: Int(count) * 2)
            count = Int32(ids.count)
        }
        return Set(ids.prefix(Int(count)).compactMap { gid in
            guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return nil }
            return String(cString: name)
        })
    }
}
