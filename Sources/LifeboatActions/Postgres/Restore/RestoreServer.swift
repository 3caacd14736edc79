import Foundation
import LifeboatCore
import LifeboatPostgres

/// Starting the restored server, waiting for the end of recovery, and reading what it replayed.
enum RestoreServer {
    static let poll: Duration = .milliseconds(100)

    /// `pg_ctl start -w` (returns at consistency); a failure is explained from the server log.
    static func start(
        _ p: RestoreParameters, host: ServerHost, _ context: ActionContext, deadline: Deadline, gap: RestoreText.Segment?
    ) async throws(LifeboatError) {
        let seconds = max(5, Int(context.timeLeft(until: deadline).milliseconds / 1000))
        let output = try await host.run(
            [p.binDir + "/pg_ctl", "start", "-w", "-t", String(seconds), "-D", p.dataDir, "-l", p.logFile])
        if output.succeeded { return }
        // pg_ctl -w also fails when the server exits before consistency (missing WAL, target not reached).
        throw failure(p, gap: gap, fallback: "pg_ctl start failed: \(RestoreText.tail(output.text, lines: 2))")
    }

    /// Polls `pg_is_in_recovery()` until false; the postmaster exiting or the deadline passing fail.
    static func waitForRecoveryEnd(
        _ p: RestoreParameters, _ context: ActionContext, deadline: Deadline, gap: RestoreText.Segment?
    ) async throws(LifeboatError) {
        var lastError = ""
        let polled: Polled<Bool>
        do {
            polled = try await context.poll(every: poll, until: deadline) { _ in
                if ServerHost.livePostmaster(p.dataDir) == nil {
                    throw failure(p, gap: gap, fallback: "the server stopped during recovery")
                }
                do {
                    let inRecovery = try await PGConnection.withConnection(p.conninfo, timeout: .seconds(5)) { connection in
                        try await connection.query("SELECT pg_is_in_recovery()", timeout: .seconds(5)).firstValue
                    }
                    return inRecovery == "f"
                } catch {
                    lastError = "\(error)"
                    return false
                }
            } isDone: {
                $0
            }
        } catch let error as LifeboatError {
            throw error
        } catch {
            throw LifeboatError(.cancelled, "stopped while waiting for recovery of \(p.dataDir) (the server keeps running)")
        }
        guard polled.done else {
            throw LifeboatError(
                .timedOut,
                "recovery of \(p.dataDir) has not ended within \(DurationText.format(milliseconds: p.timeoutMs)) (target \(p.target.display))\(lastError.isEmpty ? "" : "; last check: \(lastError)")",
                hint: "the server keeps replaying: watch \(p.logFile); stop it with pg_ctl stop -D \(p.dataDir) to give up")
        }
    }

    /// The error for a server that stopped or did not start, from its log: target not reached,
    /// missing WAL, port taken, permissions, or the log's tail.
    static func failure(_ p: RestoreParameters, gap: RestoreText.Segment?, fallback: String) -> LifeboatError {
        let text = ServerHost.read(p.logFile) ?? ""
        let log = RestoreText.parseLog(text)
        let redo = "empty \(p.dataDir) (or set overwrite: true) before retrying"
        let prefix = "restore into \(p.dataDir)"
        if let bind = log.couldNotBind {
            return LifeboatError(
                .actionFailed, "\(prefix): port \(p.port) is in use: \(bind)", hint: "pick a free port:, then \(redo)")
        }
        if let problem = log.permissionProblem {
            return LifeboatError(
                .actionFailed, "\(prefix): wrong owner or permissions: \(problem)",
                hint: "the data dir must belong to \(p.osUser) with mode 0700; then \(redo)")
        }
        if let gap {
            return LifeboatError(
                .actionFailed,
                "\(prefix): WAL segment \(gap.name) is missing from the archive \(p.walArchive ?? "?"), so recovery could not reach target \(p.target.display)\(log.fatal.map { " (\($0))" } ?? "")",
                hint: "put the segment back from another copy of the archive, or choose an earlier target; then \(redo)")
        }
        if let fatal = log.fatal, fatal.contains("recovery ended before configured recovery target was reached") {
            return LifeboatError(
                .actionFailed, "\(prefix): target \(p.target.display) not reached: \(fatal)",
                hint: "the archive ends before the target (a time target needs a later commit in the archive); choose an earlier target or add the missing WAL, then \(redo)")
        }
        if let fatal = log.fatal {
            let missing = log.missingSegments.last.map { "; restore_command could not find \($0)" } ?? ""
            let walHint = fatal.contains("WAL") || fatal.contains("checkpoint") || !log.missingSegments.isEmpty
            return LifeboatError(
                .actionFailed, "\(prefix): the server stopped: \(fatal)\(missing); log: \(RestoreText.tail(text, lines: 3))",
                hint: walHint ? "a WAL segment is missing from the backup or the archive; \(redo)" : "see \(p.logFile); \(redo)",
                detail: RestoreText.tail(text, lines: 20))
        }
        return LifeboatError(
            .actionFailed, "\(prefix): \(fallback); server log: \(RestoreText.tail(text, lines: 4))",
            hint: "see \(p.logFile); \(redo)", detail: RestoreText.tail(text, lines: 20))
    }

    /// Outputs once recovery has ended: timeline, LSN, last replayed commit, the stop line, the
    /// verification query and the RPO against `incident_time`.
    static func inspect(
        _ p: RestoreParameters, _ context: ActionContext, backupTimeline: Int?, label: RestoreText.BackupLabel
    ) async throws(LifeboatError) -> ActionResult {
        let log = RestoreText.parseLog(ServerHost.read(p.logFile) ?? "")
        do {
            return try await PGConnection.withConnection(p.conninfo, timeout: .seconds(10)) { connection in
                let row = try await connection.query(
                    "SELECT pg_walfile_name(pg_current_wal_lsn()), pg_current_wal_lsn()::text, pg_last_xact_replay_timestamp()::text",
                    timeout: .seconds(10)
                ).rows.first ?? []
                let walfile = row.first.flatMap { $0 } ?? ""
                let timeline = Int(walfile.prefix(8), radix: 16)
                let lsn = row.count > 1 ? row[1] : nil
                // The server's own value; the log's lines when it has none.
                let lastCommit = (row.count > 2 ? row[2] : nil) ?? log.lastCompletedTransaction ?? log.stopCommitTimeReplayed
                var outputs: [String: Value] = [
                    "target_reached": true,
                    "target": .string(p.target.display),
                    "last_replayed_commit": lastCommit.map { .string($0) } ?? .null,
                    "recovery_stop": log.stopLine.map { .string($0) } ?? .null,
                    "timeline": timeline.map { .int($0) } ?? .null,
                    "backup_timeline": backupTimeline.map { .int($0) } ?? .null,
                    "lsn": lsn.map { .string($0) } ?? .null,
                    "data_dir": .string(p.dataDir),
                    "port": .int(p.port),
                ]
                if let sql = p.verifySQL {
                    let result = try await connection.query(sql, timeout: .seconds(60))
                    let first = result.firstValue
                    outputs["verify_value"] = first.map { .string($0) } ?? .null
                    if let expected = p.verifyExpect, first != expected {
                        throw LifeboatError(
                            .actionFailed,
                            "the restored server on port \(p.port) (\(p.dataDir)) answered \(first.map { "\"\($0)\"" } ?? "no value") to verify_sql (expected \"\(expected)\")",
                            hint: "the data at target \(p.target.display) is not what was expected: check the target; the server is left running")
                    }
                }
                if let incident = p.incidentTime {
                    // The loss window: incident − last replayed commit (or − backup start when nothing was replayed: a bound).
                    let since = lastCommit ?? label.startTime
                    if let since {
                        let diff = try await connection.query(
                            "SELECT greatest(0, round(extract(epoch FROM ($1::timestamptz - $2::timestamptz)) * 1000))::bigint",
                            [incident, since], timeout: .seconds(10)
                        ).firstValue
                        if let ms = diff.flatMap({ Int($0) }) {
                            outputs["data_loss_window_ms"] = .int(ms)
                            outputs["rpo_exact"] = .bool(lastCommit != nil)
                            outputs["rpo_method"] = .string(
                                lastCommit != nil
                                    ? "restore: incident_time − last replayed commit"
                                    : "restore: incident_time − backup start (no commit replayed; a bound)")
                        }
                    }
                }
                let commitText = lastCommit.map { ", last replayed commit \($0)" } ?? ""
                return ActionResult(
                    outputs: outputs,
                    summary: "restored \(p.dataDir) to \(p.target.display) on port \(p.port), timeline \(timeline.map(String.init) ?? "?")\(commitText)")
            }
        } catch let error as LifeboatError {
            throw error
        } catch {
            throw PostgresQueryAction.lifeboatError(error)
        }
    }
}
