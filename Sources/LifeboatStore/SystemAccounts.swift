import Foundation

/// Names of this machine's accounts and groups (the password and group databases): who runs a
/// command, and who a store file belongs to.
public enum SystemAccounts {
    /// The account name of `uid`, or "uid N" when it has none.
    public static func accountName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    /// The name of group `gid`, or "gid N" when it has none.
    public static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return "gid \(gid)" }
        return String(cString: name)
    }

    /// The names of `account`'s groups: `primary` and every group listing it.
    public static func groupNames(of account: String, primary: gid_t) -> Set<String> {
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(account, primary, &ids, &count) == -1 {
            ids = [gid_t](repeating: 0, count: Int(count) * 2)
            count = Int32(ids.count)
        }
        return Set(ids.prefix(Int(count)).map(groupName))
    }
}
