import Foundation
import LifeboatCore

/// Puts a base backup into the (empty, OS-user-owned) data dir, as the OS user.
enum RestoreCopy {
    /// `pg_basebackup -Ft` output (`base.tar[.gz]` + `pg_wal.tar[.gz]`), one tar file, or a plain data dir.
    static func extract(_ p: RestoreParameters, host: ServerHost) async throws(LifeboatError) {
        guard let source = p.baseBackup else { return }
        if FilePaths.isRegularFile(source) {
            try await untar(source, into: p.dataDir, p, host: host)
        } else if let base = ["base.tar", "base.tar.gz"].map({ source + "/" + $0 }).first(where: FilePaths.isRegularFile) {
            try await untar(base, into: p.dataDir, p, host: host)
            if let wal = ["pg_wal.tar", "pg_wal.tar.gz"].map({ source + "/" + $0 }).first(where: FilePaths.isRegularFile) {
                let walDir = p.dataDir + "/pg_wal"
                if !FilePaths.isDirectory(walDir) {
                    let made = try await host.run(["/bin/mkdir", "-m", "700", walDir])
                    guard made.succeeded else { throw copyFailed(walDir, made.text, p) }
                }
                try await untar(wal, into: walDir, p, host: host)
            }
        } else if FilePaths.isRegularFile(source + "/PG_VERSION") {
            let copied = try await host.run(["/bin/cp", "-R", "--preserve=mode,timestamps", source + "/.", p.dataDir])
            guard copied.succeeded else { throw copyFailed(source, copied.text, p) }
        } else {
            throw LifeboatError(
                .actionFailed,
                "base_backup \(source) is neither a tar from pg_basebackup -Ft (base.tar) nor a data directory (PG_VERSION)",
                hint: "point base_backup at the folder pg_basebackup wrote")
        }
        // A copy of a running server or of a replica carries files a restore must not have.
        for name in ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"] {
            try? FileManager.default.removeItem(atPath: p.dataDir + "/" + name)
        }
        guard FilePaths.isRegularFile(p.dataDir + "/PG_VERSION") else {
            throw LifeboatError(
                .actionFailed, "base_backup \(source) did not produce a data directory in \(p.dataDir) (no PG_VERSION)",
                hint: "check that base_backup is a pg_basebackup backup")
        }
    }

    private static func untar(
        _ file: String, into dir: String, _ p: RestoreParameters, host: ServerHost
    ) async throws(LifeboatError) {
        let flags = file.hasSuffix(".gz") ? "-xzf" : "-xf"
        let output = try await host.run(["/bin/tar", flags, file, "-C", dir])
        guard output.succeeded else { throw copyFailed(file, output.text, p) }
    }

    private static func copyFailed(_ source: String, _ output: String, _ p: RestoreParameters) -> LifeboatError {
        let denied = output.contains("Permission denied")
        return LifeboatError(
            .actionFailed,
            "copying \(source) into \(p.dataDir) as \(p.osUser) failed: \(RestoreText.tail(output, lines: 3))",
            hint: denied
                ? "\(p.osUser) must be able to read the backup and write the data dir: check owners and modes (chown/chmod), then empty \(p.dataDir) and retry"
                : "check the backup and the free space; then empty \(p.dataDir) and retry")
    }

    // MARK: pgBackRest

    static func pgbackrestPath() -> String? {
        ["/usr/bin/pgbackrest", "/usr/local/bin/pgbackrest"].first(where: FilePaths.isExecutableFile)
    }

    /// `pgbackrest restore` into the data dir as the OS user; pgBackRest writes `restore_command`
    /// and the target itself.
    static func pgbackrest(_ p: RestoreParameters, host: ServerHost) async throws(LifeboatError) {
        guard let program = pgbackrestPath(), let config = p.repoConfig, let stanza = p.stanza else { return }
        var argv = [program, "--config=\(config)", "--stanza=\(stanza)", "--pg1-path=\(p.dataDir)", "--log-level-console=warn"]
        if let set = p.backupSet { argv.append("--set=\(set)") }
        switch p.target {
        case .time(let t): argv += ["--type=time", "--target=\(t)"]
        case .lsn(let l): argv += ["--type=lsn", "--target=\(l)"]
        case .xid(let x): argv += ["--type=xid", "--target=\(x)"]
        case .latest: argv.append("--type=default")
        }
        if p.target != .latest {
            argv.append("--target-action=promote")
            if !p.inclusive { argv.append("--target-exclusive") }
        }
        if p.overwrite { argv.append("--delta") }
        argv.append("restore")
        let output = try await host.run(argv)
        guard output.succeeded else {
            throw LifeboatError(
                .actionFailed,
                "pgbackrest restore of stanza \(stanza) into \(p.dataDir) failed: \(RestoreText.tail(output.text, lines: 3))",
                hint: "check the stanza, set and repo with `pgbackrest info` as \(p.osUser); then empty \(p.dataDir) and retry")
        }
    }
}
