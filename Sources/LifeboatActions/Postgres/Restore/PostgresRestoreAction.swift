import Foundation
import LifeboatCore

/// `postgres.restore`: point-in-time recovery into a new data dir, from a `pg_basebackup` base
/// backup plus a WAL archive (`method: archive`) or from a pgBackRest repository
/// (`method: pgbackrest`), then start the server and wait until recovery has really ended.
///
/// Recovery settings are written to `postgresql.auto.conf` with `archive_mode=off` and
/// `recovery_target_timeline` pinned to the backup's timeline, so a restored copy never pushes
/// into the shared archive and never follows someone else's timeline (INFRA-NOTES: the timeline
/// trap). `pg_ctl start -w` returns at consistency, so the action polls `pg_is_in_recovery()`.
///
/// Outputs: `target_reached`, `last_replayed_commit`, `copy_ms` and `replay_ms` (reported apart),
/// `timeline` (after promotion), `backup_timeline`, `lsn`, `recovery_stop` (the server's line), and
/// with `incident_time` the RPO achieved: `data_loss_window_ms`, `rpo_method`, `rpo_exact`.
///
/// Resume after a crash (`verify`): a server running on the data dir with Lifeboat's settings is
/// waited for and checked (done); an absent or empty data dir is not done (safe to run); anything
/// else is a half-done restore: not done with `overwrite: true` (the run wipes it), otherwise
/// undecidable with a message telling to wipe the data dir and `lifeboat resolve RUN STEP --as retry --reason …`.
public struct PostgresRestoreAction: ActionHandler {
    /// Written into `postgresql.auto.conf`: how `verify` recognises a restore Lifeboat set up.
    static let marker = "# lifeboat postgres.restore"

    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "postgres.restore",
            summary: "Point-in-time restore: base backup + WAL archive (or pgBackRest) to a time, LSN or xid; start; wait for recovery to end; verify",
            parameters: [
                ActionParameter("method", .string, "archive (default) or pgbackrest"),
                ActionParameter("base_backup", .string, "archive: pg_basebackup -Ft output (base.tar [+ pg_wal.tar], a tar file) or a plain data directory"),
                ActionParameter("wal_archive", .string, "archive: folder of archived WAL segments"),
                ActionParameter("stanza", .string, "pgbackrest: the stanza"),
                ActionParameter("repo_config", .string, "pgbackrest: path to pgbackrest.conf"),
                ActionParameter("set", .string, "pgbackrest: backup label to restore (required for a time target)"),
                ActionParameter("target", .any, "latest (default), a timestamp, or one of {time: \"2026-…+00\"}, {lsn: \"0/3000060\"}, {xid: \"1234\"}"),
                ActionParameter("inclusive", .bool, "keep the transaction at the target (default true)"),
                ActionParameter("data_dir", .string, required: true, "where to restore; must be empty or absent unless overwrite"),
                ActionParameter("overwrite", .bool, "empty a non-empty data_dir first (default false)"),
                ActionParameter("port", .int, required: true, "port of the restored server on 127.0.0.1"),
                ActionParameter("bin_dir", .string, "PostgreSQL programs (default /usr/lib/postgresql/15/bin)"),
                ActionParameter("os_user", .string, "OS user that owns and runs the server (default postgres)"),
                ActionParameter("conninfo", .string, "how to connect to the restored server (default host=127.0.0.1 port=PORT dbname=postgres user=OS_USER)"),
                ActionParameter("verify_sql", .string, "a query run once recovery has ended"),
                ActionParameter("verify_expect", .string, "expected first value of verify_sql"),
                ActionParameter("incident_time", .string, "when the damage happened: RPO achieved = incident_time − last replayed commit"),
                ActionParameter("settings", .map, "extra server settings for the restored copy, e.g. {listen_addresses: 127.0.0.4}"),
                ActionParameter("log_file", .string, "server log (default DATA_DIR/lifeboat-restore.log)"),
                ActionParameter("timeout", .duration, "longest wait for the server to start and finish recovery (default 30m)"),
            ],
            idempotent: false,
            hasVerify: true,
            check: { LiteralCredentials.conninfos($0, ["conninfo"]) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        guard let port = try? context.int("port") else { return nil }
        return "postgres://127.0.0.1:\(port)"
    }

    /// Read-only: parameters, programs, sources, data dir and port.
    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try RestoreParameters(context)
        do {
            try preflightChecks(p, context)
        } catch {
            return .refused((error as? LifeboatError)?.description ?? "\(error)")
        }
        return .ok("restore to \(p.dataDir) on port \(p.port), target \(p.target.display)")
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try RestoreParameters(context)
        let host = try ServerHost.forUser(p.osUser)
        let clock = context.clock
        let deadline = context.deadline(after: .milliseconds(p.timeoutMs))
        try checkSources(p, context)

        // The data dir: empty or absent, or emptied when overwrite says so.
        switch ServerHost.dirState(p.dataDir) {
        case .notADirectory: throw notADirectory(p, context)
        case .nonEmpty:
            guard p.overwrite else { throw nonEmptyDataDir(p, context) }
            if ServerHost.livePostmaster(p.dataDir) != nil { throw serverRunning(p, context) }
            try host.wipe(p.dataDir)
        case .absent, .empty: break
        }
        if ServerHost.portInUse(p.port) { throw portInUse(p, context) }
        try host.prepareDataDir(p.dataDir)

        // Copy (timed apart from the replay).
        let copyStart = clock.monoMs()
        var gap: RestoreText.Segment?
        switch p.method {
        case .archive:
            try await RestoreCopy.extract(p, host: host)
        case .pgbackrest:
            try await RestoreCopy.pgbackrest(p, host: host)
        }
        let copyMs = clock.monoMs() - copyStart
        let label = RestoreText.parseBackupLabel(ServerHost.read(p.dataDir + "/backup_label") ?? "")
        guard let backupTimeline = try await backupTimeline(label, p, host: host) else {
            throw LifeboatError(
                .actionFailed, "cannot tell the timeline of the backup restored into \(p.dataDir): no backup_label and pg_controldata failed",
                hint: "check that base_backup is a pg_basebackup backup")
        }
        if p.method == .archive, let archive = p.walArchive, let start = label.startSegment.flatMap(RestoreText.Segment.init) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? []
            gap = RestoreText.firstGap(in: names, from: start)
            if let gap, p.target == .latest {
                throw LifeboatError(
                    .actionFailed,
                    "WAL segment \(gap.name) is missing from the archive \(archive) (later segments exist): a restore to latest into \(p.dataDir) would silently stop before it",
                    hint: "put the segment back from another copy of the archive, or restore to a target before it; then empty \(p.dataDir) and retry")
            }
        }
        try writeRecoverySettings(p, context, host: host, timeline: backupTimeline)

        // Start and wait until recovery has ended (pg_ctl -w returns at consistency).
        let replayStart = clock.monoMs()
        try await RestoreServer.start(p, host: host, context, deadline: deadline, gap: gap)
        try await RestoreServer.waitForRecoveryEnd(p, context, deadline: deadline, gap: gap)
        let replayMs = clock.monoMs() - replayStart
        var result = try await RestoreServer.inspect(p, context, backupTimeline: backupTimeline, label: label)
        result.outputs["copy_ms"] = .int(Int(copyMs))
        result.outputs["replay_ms"] = .int(Int(replayMs))
        result.summary += "; copy \(DurationText.format(milliseconds: copyMs)), replay \(DurationText.format(milliseconds: replayMs))"
        return result
    }

    public func verify(_ context: ActionContext) async throws -> VerifyOutcome {
        let p = try RestoreParameters(context)
        let step = context.stepID
        let conf = ServerHost.read(p.dataDir + "/postgresql.auto.conf") ?? ""
        let ours = conf.contains(Self.marker)
        if ServerHost.livePostmaster(p.dataDir) != nil {
            guard ours else {
                return .undecidable(
                    "a server runs on \(p.dataDir) without Lifeboat's recovery settings: check it by hand, then `lifeboat resolve \(context.runID) \(step) --as succeeded|failed --reason …`")
            }
            // Recovery may still be going on: the server outlives Lifeboat. Wait for it as run would.
            do {
                var result = try await finishedRestore(p, context)
                result.summary += " (found after a restart of Lifeboat)"
                return .done(result)
            } catch {
                let message = (error as? LifeboatError)?.message ?? "\(error)"
                return .undecidable("the restore into \(p.dataDir) did not finish cleanly: \(message)")
            }
        }
        switch ServerHost.dirState(p.dataDir) {
        case .absent, .empty:
            return .notDone("nothing was restored into \(p.dataDir) yet")
        case .notADirectory:
            return .undecidable("data_dir \(p.dataDir) is not a directory")
        case .nonEmpty(let entries):
            let log = RestoreText.parseLog(ServerHost.read(p.logFile) ?? "")
            var state = ours ? "recovery settings written" : "copy incomplete (\(entries.count) entries, no recovery settings)"
            if ours && !entries.contains("recovery.signal") { state = "recovery ended but the server is stopped" }
            if let fatal = log.fatal { state += "; server log: \(fatal)" }
            if p.overwrite {
                return .notDone("half-done restore in \(p.dataDir) (\(state)); overwrite: true, so the step empties it and restores again")
            }
            return .undecidable(
                "half-done restore in \(p.dataDir) (\(state)): stop any server on it, empty it (rm -rf \(p.dataDir)/*), then `lifeboat resolve \(context.runID) \(step) --as retry --reason …` and resume (or set overwrite: true)")
        }
    }

    // MARK: Steps

    /// Waits for the end of recovery of a server already running on the data dir, then reads its outputs.
    private func finishedRestore(_ p: RestoreParameters, _ context: ActionContext) async throws -> ActionResult {
        try await RestoreServer.waitForRecoveryEnd(p, context, deadline: context.deadline(after: .milliseconds(p.timeoutMs)), gap: nil)
        let label = RestoreText.parseBackupLabel(ServerHost.read(p.dataDir + "/backup_label.old") ?? "")
        return try await RestoreServer.inspect(p, context, backupTimeline: label.timeline, label: label)
    }

    /// The preflight's checks; throws the refusal.
    private func preflightChecks(_ p: RestoreParameters, _ context: ActionContext) throws {
        _ = try ServerHost.forUser(p.osUser)
        try checkSources(p, context)
        switch ServerHost.dirState(p.dataDir) {
        case .nonEmpty where !p.overwrite: throw nonEmptyDataDir(p, context)
        case .notADirectory: throw notADirectory(p, context)
        default: break
        }
        if ServerHost.livePostmaster(p.dataDir) != nil { throw serverRunning(p, context) }
        if ServerHost.portInUse(p.port) { throw portInUse(p, context) }
    }

    private func checkSources(_ p: RestoreParameters, _ context: ActionContext) throws(LifeboatError) {
        guard FilePaths.isExecutableFile(p.binDir + "/pg_ctl") else {
            throw LifeboatError(
                .actionFailed, "\(p.binDir)/pg_ctl not found",
                hint: "set bin_dir: to the PostgreSQL server's bin folder (e.g. /usr/lib/postgresql/15/bin)")
        }
        switch p.method {
        case .archive:
            if let base = p.baseBackup, !FilePaths.exists(base) {
                throw LifeboatError(.actionFailed, "base_backup \(base) does not exist", hint: "fix base_backup:")
            }
            if let archive = p.walArchive, !FilePaths.isDirectory(archive) {
                throw LifeboatError(.actionFailed, "wal_archive \(archive) is not a directory", hint: "fix wal_archive:")
            }
        case .pgbackrest:
            if let config = p.repoConfig, !FilePaths.isRegularFile(config) {
                throw LifeboatError(.actionFailed, "repo_config \(config) does not exist", hint: "fix repo_config:")
            }
            guard RestoreCopy.pgbackrestPath() != nil else {
                throw LifeboatError(
                    .actionFailed, "pgbackrest is not installed",
                    hint: "install it (apt-get install pgbackrest, or scripts/install-deps)")
            }
        }
    }

    private func backupTimeline(
        _ label: RestoreText.BackupLabel, _ p: RestoreParameters, host: ServerHost
    ) async throws(LifeboatError) -> Int? {
        if let timeline = label.timeline { return timeline }
        let output = try await host.run([p.binDir + "/pg_controldata", p.dataDir])
        return output.succeeded ? RestoreText.controlDataTimeline(output.text) : nil
    }

    /// Appends the recovery settings to `postgresql.auto.conf` (read last, so they win) and touches
    /// `recovery.signal`.
    private func writeRecoverySettings(
        _ p: RestoreParameters, _ context: ActionContext, host: ServerHost, timeline: Int
    ) throws(LifeboatError) {
        var lines = ["", "\(Self.marker): run \(context.runID) step \(context.stepID)"]
        if p.method == .archive {
            if let archive = p.walArchive {
                lines.append("restore_command = " + RestoreText.gucQuote(RestoreText.restoreCommand(archive: archive)))
            }
            switch p.target {
            case .time(let t): lines.append("recovery_target_time = " + RestoreText.gucQuote(t))
            case .lsn(let l): lines.append("recovery_target_lsn = " + RestoreText.gucQuote(l))
            case .xid(let x): lines.append("recovery_target_xid = " + RestoreText.gucQuote(x))
            case .latest: break
            }
            if p.target != .latest {
                lines.append("recovery_target_inclusive = \(p.inclusive ? "on" : "off")")
                lines.append("recovery_target_action = 'promote'")
            }
        }
        // Pinned: a .history file in a shared archive must not lead this restore onto another timeline.
        lines.append("recovery_target_timeline = '\(timeline)'")
        lines.append("archive_mode = off")
        lines.append("port = \(p.port)")
        for setting in p.settings { lines.append("\(setting.name) = " + RestoreText.gucQuote(setting.value)) }
        try host.append(lines.joined(separator: "\n") + "\n", to: p.dataDir + "/postgresql.auto.conf")
        try host.append("", to: p.dataDir + "/recovery.signal")
    }

    // MARK: Errors

    private func nonEmptyDataDir(_ p: RestoreParameters, _ context: ActionContext) -> LifeboatError {
        LifeboatError(
            .actionFailed, "data dir \(p.dataDir) is not empty; refusing to restore over it",
            hint: "pick an empty or new data_dir, or set overwrite: true to empty it first")
    }

    private func notADirectory(_ p: RestoreParameters, _ context: ActionContext) -> LifeboatError {
        LifeboatError(.actionFailed, "data_dir \(p.dataDir) is not a directory", hint: "fix data_dir:")
    }

    private func serverRunning(_ p: RestoreParameters, _ context: ActionContext) -> LifeboatError {
        LifeboatError(
            .actionFailed, "a PostgreSQL server is running on data dir \(p.dataDir)",
            hint: "stop it (pg_ctl stop -D \(p.dataDir)) before restoring over it")
    }

    func portInUse(_ p: RestoreParameters, _ context: ActionContext) -> LifeboatError {
        LifeboatError(
            .actionFailed, "port \(p.port) on 127.0.0.1 is already in use; cannot start the restored server for \(p.dataDir) there",
            hint: "pick a free port:, or stop what listens on \(p.port)", retryable: true)
    }
}
