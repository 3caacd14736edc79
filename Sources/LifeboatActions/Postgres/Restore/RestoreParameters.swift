import LifeboatCore

/// Where recovery stops: a commit time, a WAL position, a transaction id, or the end of the archive.
enum RecoveryTarget: Sendable, Hashable {
    case time(String)
    case lsn(String)
    case xid(String)
    case latest

    /// `time 2026-…`, `lsn 0/3000060`, `xid 1234`, `latest`.
    var display: String {
        switch self {
        case .time(let t): return "time \(t)"
        case .lsn(let l): return "lsn \(l)"
        case .xid(let x): return "xid \(x)"
        case .latest: return "latest"
        }
    }

    /// `{time: "…"} | {lsn: "0/3000060"} | {xid: "1234"} | latest` (also `{latest: true}`).
    static func parse(_ value: Value?, _ context: ActionContext) throws(LifeboatError) -> RecoveryTarget {
        guard let value, value != .null else { return .latest }
        if case .string(let s) = value {
            // `latest`, or a bare timestamp (so that a runbook can pass `"${params.target_time}"`).
            if s == "latest" { return .latest }
            guard RestoreText.isPlausibleTimestamp(s) else {
                throw context.badParameter("target", "must be latest, a timestamp, or one of {time: …}, {lsn: …}, {xid: …} (got \"\(s)\")")
            }
            return .time(s)
        }
        guard case .map(let map) = value, map.count == 1, let entry = map.first else {
            throw context.badParameter("target", "must be latest or exactly one of {time: …}, {lsn: …}, {xid: …}")
        }
        let (key, item) = (entry.key, entry.value)
        let text: String
        switch item {
        case .string(let s): text = s.trimming(" ")
        case .int, .double: text = item.renderedText
        case .bool(true) where key == "latest": return .latest
        default: throw context.badParameter("target.\(key)", "must be a string")
        }
        switch key {
        case "time":
            guard RestoreText.isPlausibleTimestamp(text) else {
                throw context.badParameter(
                    "target.time", "must be a timestamp such as \"2026-03-01 09:14:00.123+00\" (got \"\(text)\")")
            }
            return .time(text)
        case "lsn":
            guard RestoreText.isLSN(text) else {
                throw context.badParameter("target.lsn", "must be a WAL position such as 0/3000060 (got \"\(text)\")")
            }
            return .lsn(text.uppercased())
        case "xid":
            guard !text.isEmpty, text.utf8.count <= 20, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw context.badParameter("target.xid", "must be a transaction id such as 1234 (got \"\(text)\")")
            }
            return .xid(text)
        default:
            throw context.badParameter("target", "has an unknown key '\(key)': use time, lsn, xid or latest")
        }
    }
}

/// A `postgres.restore` step's `with:` block, checked.
struct RestoreParameters: Sendable {
    enum Method: String, Sendable { case archive, pgbackrest }

    static let defaultBinDir = "/usr/lib/postgresql/15/bin"
    static let defaultTimeoutMs: Int64 = 30 * 60 * 1000

    var method: Method
    var baseBackup: String?
    var walArchive: String?
    var stanza: String?
    var repoConfig: String?
    var backupSet: String?
    var target: RecoveryTarget
    var inclusive: Bool
    var dataDir: String
    var overwrite: Bool
    var port: Int
    var binDir: String
    var osUser: String
    /// How Lifeboat connects to the restored server (default: the OS user by 127.0.0.1:port).
    var conninfo: String
    var verifySQL: String?
    var verifyExpect: String?
    var incidentTime: String?
    var timeoutMs: Int64
    /// The server log `pg_ctl -l` writes (default `DATA_DIR/lifeboat-restore.log`).
    var logFile: String
    /// Extra server settings for the restored copy (`listen_addresses`, `unix_socket_directories`,
    /// …), sorted by name; written to `postgresql.auto.conf` quoted.
    var settings: [(name: String, value: String)]

    /// Settings the action writes itself; a step may not override them.
    static let managedSettings: Set<String> = [
        "port", "archive_mode", "restore_command", "recovery_target", "recovery_target_time", "recovery_target_lsn",
        "recovery_target_xid", "recovery_target_name", "recovery_target_inclusive", "recovery_target_action",
        "recovery_target_timeline",
    ]

    init(_ context: ActionContext) throws(LifeboatError) {
        let base = context.baseDirectory
        func path(_ name: String) throws(LifeboatError) -> String? {
            guard let raw = try context.string(name) else { return nil }
            guard !raw.isEmpty else { throw context.badParameter(name, "is empty") }
            guard RestoreText.isSafePath(raw) else {
                throw context.badParameter(name, "must be a path without control characters, quotes or backslashes (got \"\(raw)\")")
            }
            return FilePaths.resolve(raw, against: base)
        }
        let methodText = try context.string("method") ?? "archive"
        guard let method = Method(rawValue: methodText) else {
            throw context.badParameter("method", "must be archive or pgbackrest (got \"\(methodText)\")")
        }
        self.method = method
        baseBackup = try path("base_backup")
        walArchive = try path("wal_archive")
        stanza = try context.string("stanza")
        repoConfig = try path("repo_config")
        backupSet = try context.string("set").flatMap { $0.isEmpty ? nil : $0 }
        target = try RecoveryTarget.parse(context.params["target"], context)
        inclusive = try context.bool("inclusive") ?? true
        guard let dataDir = try path("data_dir") else { throw context.badParameter("data_dir", "is required") }
        guard dataDir != "/" else { throw context.badParameter("data_dir", "must not be /") }
        self.dataDir = dataDir
        overwrite = try context.bool("overwrite") ?? false
        guard let port = try context.int("port") else { throw context.badParameter("port", "is required") }
        guard (1...65535).contains(port) else { throw context.badParameter("port", "must be between 1 and 65535") }
        self.port = port
        binDir = try path("bin_dir") ?? Self.defaultBinDir
        osUser = try context.string("os_user") ?? "postgres"
        guard !osUser.isEmpty, osUser.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw context.badParameter("os_user", "must be a user name such as postgres")
        }
        conninfo = try context.string("conninfo") ?? "host=127.0.0.1 port=\(port) dbname=postgres user=\(osUser) connect_timeout=5"
        verifySQL = try context.string("verify_sql")
        verifyExpect = try context.string("verify_expect")
        if verifyExpect != nil && verifySQL == nil { throw context.badParameter("verify_expect", "needs verify_sql") }
        incidentTime = try context.string("incident_time").flatMap { $0.isEmpty ? nil : $0 }
        if let incidentTime, !RestoreText.isPlausibleTimestamp(incidentTime) {
            throw context.badParameter("incident_time", "must be a timestamp such as \"2026-03-01 09:14:00+00\"")
        }
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
        logFile = try path("log_file") ?? dataDir + "/lifeboat-restore.log"
        settings = try Self.settings(context)

        switch method {
        case .archive:
            guard baseBackup != nil else { throw context.badParameter("base_backup", "is required for method archive") }
            guard walArchive != nil || target == .latest else {
                throw context.badParameter("wal_archive", "is required for a time, lsn or xid target")
            }
            for name in ["stanza", "repo_config", "set"] where context.params[name].map({ $0 != .null }) == true {
                throw context.badParameter(name, "belongs to method pgbackrest")
            }
        case .pgbackrest:
            guard let stanza, !stanza.isEmpty else { throw context.badParameter("stanza", "is required for method pgbackrest") }
            guard repoConfig != nil else { throw context.badParameter("repo_config", "is required for method pgbackrest") }
            if case .time = target, backupSet == nil {
                throw context.badParameter("set", "is required for a time target (pin the backup: pgbackrest info lists the labels)")
            }
            for name in ["base_backup", "wal_archive"] where context.params[name].map({ $0 != .null }) == true {
                throw context.badParameter(name, "belongs to method archive")
            }
        }
    }

    private static func settings(_ context: ActionContext) throws(LifeboatError) -> [(name: String, value: String)] {
        guard let raw = context.params["settings"], raw != .null else { return [] }
        guard case .map(let entries) = raw else {
            throw context.badParameter("settings", "must be a map of server settings, e.g. {listen_addresses: 127.0.0.4}")
        }
        var out: [(name: String, value: String)] = []
        for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
            guard let first = name.first, first.isLetter || first == "_",
                name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == ".") })
            else { throw context.badParameter("settings", "has '\(name)', which is not a server setting name") }
            guard !managedSettings.contains(name) else {
                throw context.badParameter("settings", "may not set \(name): postgres.restore writes it from the step's other parameters")
            }
            let text: String
            switch value {
            case .string, .int, .double, .bool: text = value.renderedText
            default: throw context.badParameter("settings", "\(name) must be a string, number or boolean")
            }
            guard !text.contains(where: { $0.isNewline || $0 == "\0" }) else {
                throw context.badParameter("settings", "\(name) must be one line")
            }
            out.append((name, text))
        }
        return out
    }
}
