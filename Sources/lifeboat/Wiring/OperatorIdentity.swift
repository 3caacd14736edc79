import Foundation
import LifeboatCore
import LifeboatStore

/// Who runs this command, as the operating system knows them: the account of the effective uid
/// (and, when that is root reached through `sudo`, the account that ran `sudo`) and the groups
/// of that account. What the SQLite store records as identity; `--by` is only a label beside it.
enum OperatorIdentity {
    static func caller(label: String, host: String = ProcessInfo.processInfo.hostName) -> Caller {
        let uid = geteuid()
        let account = SystemAccounts.accountName(uid)
        // SUDO_USER is believed only from root: any other account could set it.
        let sudoUser = uid == 0 ? ProcessInfo.processInfo.environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 } : nil
        let decider = Decider(identity: account, sudoUser: sudoUser, label: label, host: host)
        return Caller(decider: decider, groups: SystemAccounts.groupNames(of: account, primary: getegid()))
    }
}
