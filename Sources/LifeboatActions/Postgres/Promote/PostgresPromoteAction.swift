import LifeboatCore
import LifeboatPostgres

/// `postgres.promote`: promote a streaming replica to primary, optionally fencing the old primary
/// first, and measure the data-loss window (the RPO achieved).
///
/// Preflight (read-only) refuses unless the target is a replica, is receiving WAL (or the primary is
/// known to be down and the time since its last replayed commit is within a duration `max_lag`),
/// replay is not paused, and the lag is within `max_lag` — measured against the old primary's
/// `pg_current_wal_lsn()` when it answers, else the replica's own receive/replay gap. `max_lag` has
/// no default here: runbooks pass `${params.max_lag}`, and the scenario's RPO is the natural value.
///
/// Run: see whether the old primary answers; fence it — `soft_fence` (ALTER SYSTEM SET
/// default_transaction_read_only = on + pg_reload_conf(): **soft**, any client can undo it) and/or
/// the `fence` argv (run like a `command` step, never through a shell); with both (`fence:
/// {soft_then: {argv}}`) its final position is read between the soft fence and the stopping one.
/// Then check the fence over a new connection (`FenceCheck`: no answer, in recovery or read-only
/// within 5 s): a fence that exited 0 while the old primary still takes writes makes the step refuse
/// to promote, unless `on_fence_unverified: promote` (the RPO is then "not bounded"). Read the final
/// position if not read yet and it still answers; wait (≤ 10 s) for the replica to replay up to it;
/// `pg_promote(wait => true)`; check it is out of recovery, optionally insert and delete a row in
/// `write_check`, and read the new timeline from `pg_walfile_name(pg_current_wal_lsn())`.
///
/// Data-loss window: see `DataLossWindow` — exact bytes and time when the old primary's final
/// position was read after it stopped taking writes; a bound (`now() − pg_last_xact_replay_timestamp()`
/// on the replica at promotion) when it was unreachable or the fence stopped it first; "not bounded"
/// when it may still take writes. Outputs: `lsn`, `timeline`, `data_loss_window_ms`,
/// `data_loss_bytes`, `rpo_method`, `rpo_exact`, `fenced` (none|soft|command|both), `old_primary`
/// (what the fence check saw), `soft_fence_note`.
///
/// Not idempotent (a second promotion of a promoted server is an error, treated here as success),
/// but verifiable: after a crash `verify` asks the target whether it is out of recovery.
public struct PostgresPromoteAction: ActionHandler {
    public init() {}

    static let softFenceNote =
        "the SQL fence is soft: any client can undo it (SET default_transaction_read_only = off in a session, or ALTER SYSTEM); stop the old primary for a hard fence"

    public var spec: ActionSpec {
        ActionSpec(
            name: "postgres.promote",
            summary: "Promote a streaming replica (lag gate, optional fence of the old primary), measure the data-loss window",
            parameters: [
                ActionParameter("conninfo", .string, required: true, "the replica to promote (libpq conninfo or URI)"),
                ActionParameter("primary_conninfo", .string, "the old primary: lag is measured against it and it is fenced"),
                ActionParameter("max_lag", .string, "largest lag accepted: a size (16MB) or a duration (30s); usually the scenario's RPO"),
                ActionParameter("fence", .map, "{argv: [...]} run before promotion to fence the old primary (no shell); {soft_then: {argv: [...]}} makes it read-only first and reads its final position before the stop"),
                ActionParameter("on_fence_unverified", .string, "refuse (default) or promote: when the old primary still takes writes after the fence; promote reports the RPO as not bounded"),
                ActionParameter("soft_fence", .bool, "make the old primary read-only by SQL first (soft: any client can undo it)"),
                ActionParameter("wait_seconds", .int, "pg_promote's wait_seconds (default 60)"),
                ActionParameter("write_check", .string, "a table (all columns with defaults) to insert a row into and delete it from"),
                ActionParameter("timeout", .duration, "bound for each connection and query (default 30s; pg_promote gets wait_seconds more)"),
            ],
            idempotent: false,
            hasVerify: true,
            check: { LiteralCredentials.conninfos($0, ["conninfo", "primary_conninfo"]) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        guard let conninfo = try? context.string("conninfo") else { return nil }
        return Conninfo.endpoint(conninfo)
    }

    // MARK: Preflight

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try parameters(context)
        let timeout = Duration.milliseconds(min(p.timeoutMs, 10_000))
        let probed: (ReplicaState, String)
        do {
            probed = try await PGConnection.withConnection(p.conninfo, timeout: timeout) { c in
                (try await PromoteProbes.replica(c, timeout: timeout), c.target)
            }
        } catch {
            let converted = PostgresQueryAction.lifeboatError(error)
            if converted.code == .cancelled { throw converted }
            return .refused(converted.description)
        }
        let (replica, target) = probed
        guard replica.inRecovery else {
            return .refused("\(target) is not a replica (already promoted?): pg_is_in_recovery() is false; point conninfo at the standby")
        }
        guard replica.pauseState == "not paused" else {
            return .refused("\(target): WAL replay is paused (pg_get_wal_replay_pause_state() = '\(replica.pauseState)'); run SELECT pg_wal_replay_resume() on the replica (or find who paused it), then retry")
        }
        var primary: PrimaryState?
        var primaryName = ""
        if let primaryConninfo = p.primaryConninfo {
            let short = Duration.milliseconds(min(p.timeoutMs, 5_000))
            let probe = try? await PGConnection.withConnection(primaryConninfo, timeout: short) { c in
                (try await PromoteProbes.primary(c, timeout: short), c.target)
            }
            if case let (state, name)? = probe {
                if state.inRecovery {
                    return .refused("\(target): primary_conninfo names \(name), which is itself in recovery; point it at the old primary")
                }
                primary = state
                primaryName = name
            }
        }
        if !replica.isReceiving {
            if primary != nil {
                return .refused("\(target) is not receiving WAL from the primary \(primaryName) (no WAL receiver); check primary_conninfo and replication access on the replica")
            }
            if case .milliseconds(let bound) = p.maxLag {
                guard let since = replica.sinceLastReplayMs else {
                    return .refused("\(target) is not receiving WAL and has replayed no transaction since it started: its lag cannot be measured against max_lag \(p.maxLag!)")
                }
                if since > bound {
                    return .refused("\(target) is not receiving WAL; its last replayed commit is \(DurationText.format(milliseconds: since)) old, over max_lag \(DurationText.format(milliseconds: bound)); promoting would lose up to that much: raise max_lag if that is accepted")
                }
            }
        }
        let bytes: Int64
        let against: String
        if let primary, let current = primary.currentLSN {
            bytes = current.bytes(after: replica.replayLSN ?? LSN(0))
            against = "against the primary \(primaryName)"
        } else {
            bytes = replica.receiveLSN.map { $0.bytes(after: replica.replayLSN ?? LSN(0)) } ?? 0
            against = p.primaryConninfo == nil ? "received vs replayed (no primary_conninfo)" : "received vs replayed (primary unreachable)"
        }
        let timeLag: Int64? = bytes == 0 && (primary != nil || replica.isStreaming) ? 0 : replica.sinceLastReplayMs
        switch p.maxLag {
        case .bytes(let bound)? where bytes > bound:
            return .refused("\(target): replication lag is \(LSN.formatBytes(bytes)) (\(bytes) bytes) \(against), over max_lag \(LSN.formatBytes(bound)); wait for the replica to catch up, or raise max_lag if that loss is accepted")
        case .milliseconds(let bound)? where (timeLag ?? Int64.max) > bound:
            let figure = timeLag.map { DurationText.format(milliseconds: $0) } ?? "unknown (no transaction replayed yet)"
            return .refused("\(target): replication lag is \(figure) since the last replayed commit (\(LSN.formatBytes(bytes)) \(against)), over max_lag \(DurationText.format(milliseconds: bound)); wait for the replica to catch up, or raise max_lag")
        default:
            break
        }
        let limit = p.maxLag.map { " (max_lag \($0))" } ?? " (no max_lag)"
        return .ok("\(target) is a replica, \(replica.receiverStatus ?? "not streaming"); lag \(LSN.formatBytes(bytes)) \(against)\(limit)")
    }

    // MARK: Run

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try parameters(context)
        let timeout = Duration.milliseconds(p.timeoutMs)
        let replicaConnection: PGConnection
        do {
            replicaConnection = try await PGConnection.connect(p.conninfo, timeout: timeout)
        } catch {
            throw PostgresQueryAction.lifeboatError(error)
        }
        defer { replicaConnection.close() }
        let target = replicaConnection.target
        do {
            let before = try await PromoteProbes.replica(replicaConnection, timeout: timeout)
            guard before.inRecovery else {
                throw LifeboatError(
                    .actionFailed, "\(target) is not a replica (already promoted?): pg_is_in_recovery() is false",
                    hint: "if this step promoted it before a crash, `lifeboat resume` verifies instead of promoting again")
            }

            // 1. Does the old primary answer before any fence?
            var primaryReachable = false
            if let primaryConninfo = p.primaryConninfo {
                primaryReachable = (try? await Self.readPrimary(primaryConninfo, p)) != nil
            }

            // 2. The soft fence; with a stopping fence after it, the final position is read between the two.
            var softApplied = false
            var final: PrimaryState?
            if p.softFence, let primaryConninfo = p.primaryConninfo, primaryReachable {
                try await Self.applySoftFence(primaryConninfo, p)
                softApplied = true
                if p.fence != nil { final = try await Self.readFinal(primaryConninfo, p, context) }
            }
            var commandApplied = false
            if let fence = p.fence {
                let outcome = try await CommandRunner.run(fence, tailLines: 10)
                guard outcome.exitCode == 0 else {
                    let last = outcome.tail.last(where: { !$0.isEmpty }).map { ": " + $0 } ?? ""
                    throw LifeboatError(
                        .actionFailed,
                        "fence `\(fence.displayName)` \(outcome.terminationText)\(last); the replica was NOT promoted",
                        hint: "fence the old primary by hand (or fix the fence command), then retry the step",
                        retryable: false, detail: outcome.tail.joined(separator: "\n"))
                }
                commandApplied = true
            }
            let fenced = softApplied && commandApplied ? "both" : softApplied ? "soft" : commandApplied ? "command" : "none"

            // 3. Check the fence: a fence's exit status proves nothing about the server. Then the
            //    final position, if it was not read before the stopping fence and still can be.
            var oldPrimary: DataLossWindow.OldPrimary = .mayTakeWrites(
                why: "no primary_conninfo: nothing showed that the old primary stopped taking writes")
            var look: OldPrimaryLook?
            if let primaryConninfo = p.primaryConninfo {
                let seen = try await FenceCheck.settle(primaryConninfo, waitForFence: fenced != "none", p, context)
                look = seen
                if fenced != "none", !seen.takesNoWrites, !p.promoteUnverified {
                    throw LifeboatError(
                        .actionFailed,
                        "fence ran (\(fenced)) but the old primary \(Conninfo.endpoint(primaryConninfo) ?? "") \(seen.text) after \(DurationText.format(milliseconds: FenceCheck.settleMs)); the replica was NOT promoted",
                        hint: "stop the old primary by hand (or fix the fence so that a failure fails), then retry the step; on_fence_unverified: promote promotes anyway with the RPO not bounded",
                        retryable: false)
                }
                if final == nil, seen == .readOnly {
                    final = try await Self.readFinal(primaryConninfo, p, context)
                }
                oldPrimary = Self.oldPrimary(
                    seen, final: final, reachableBefore: primaryReachable, fenced: fenced)
            }

            // 4. Let the replica replay what it has (bounded).
            let caughtUp = try await context.poll(
                every: .milliseconds(50), until: context.deadline(after: .milliseconds(PromoteParameters.catchUpMs))
            ) { _ in
                try await PromoteProbes.replica(replicaConnection, timeout: timeout)
            } isDone: { state in
                guard state.inRecovery, let goal = oldPrimary.finalLSN ?? state.receiveLSN, let replayed = state.replayLSN else { return true }
                return replayed >= goal
            }
            let state = caughtUp.last

            // 5. Promote.
            let promoteStatement: Duration = .seconds(p.waitSeconds) + timeout
            if state.inRecovery {
                do {
                    let r = try await replicaConnection.query(
                        "SELECT pg_promote(wait => true, wait_seconds => $1::int)", [String(p.waitSeconds)],
                        timeout: promoteStatement)
                    if r.firstValue != "t" {
                        throw LifeboatError(
                            .actionFailed,
                            "\(target): pg_promote did not finish within \(p.waitSeconds)s; the server may still complete it",
                            hint: "check the replica's log; `lifeboat resume` verifies whether it got promoted", retryable: true)
                    }
                } catch let error as PGError where error.sqlstate == "55000" {
                    // "recovery is not in progress": promoted meanwhile; the outcome is what we wanted.
                }
            }
            let loss = DataLossWindow.compute(
                oldPrimary: oldPrimary, replayLSN: state.replayLSN, lastReplayCommitMs: state.lastReplayCommitMs,
                replicaNowMs: state.nowMs)

            // 6. Verify: out of recovery, writable, new timeline.
            let promoted = try await context.poll(every: .milliseconds(50), until: context.deadline(after: .seconds(10))) { _ in
                try await PromoteProbes.replica(replicaConnection, timeout: timeout)
            } isDone: {
                !$0.inRecovery
            }
            guard promoted.done else {
                throw LifeboatError(
                    .actionFailed, "\(target) is still in recovery after pg_promote",
                    hint: "check the replica's log", retryable: true)
            }
            var writeText = ""
            if let table = p.writeCheck {
                try await Self.writeCheck(replicaConnection, table: table, timeout: timeout)
                writeText = ", write check on \(table.joined(separator: ".")) passed"
            }
            let position = try await PromoteProbes.position(replicaConnection, timeout: timeout)

            var outputs = loss.outputs
            outputs["lsn"] = .string(position.lsn)
            outputs["timeline"] = .int(position.timeline)
            outputs["fenced"] = .string(fenced)
            outputs["old_primary"] = .string(look?.text ?? "not named (no primary_conninfo)")
            if softApplied { outputs["soft_fence_note"] = .string(Self.softFenceNote) }
            if let table = p.writeCheck { outputs["write_check"] = .string(table.joined(separator: ".")) }
            var summary = "\(target) promoted: timeline \(position.timeline), LSN \(position.lsn)\(writeText); data-loss window \(loss.summary); fenced: \(fenced)"
            if softApplied { summary += " (\(Self.softFenceNote))" }
            return ActionResult(outputs: outputs, summary: summary)
        } catch let error as LifeboatError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw PostgresQueryAction.lifeboatError(error)
        }
    }

    // MARK: Verify

    public func verify(_ context: ActionContext) async throws -> VerifyOutcome {
        let p = try parameters(context)
        let timeout = Duration.milliseconds(min(p.timeoutMs, 10_000))
        do {
            return try await PGConnection.withConnection(p.conninfo, timeout: timeout) { c in
                let state = try await PromoteProbes.replica(c, timeout: timeout)
                if state.inRecovery {
                    return .notDone("\(c.target) is still a replica (in recovery): it was not promoted")
                }
                let position = try await PromoteProbes.position(c, timeout: timeout)
                var outputs: [String: Value] = ["lsn": .string(position.lsn), "timeline": .int(position.timeline), "fenced": .string("unknown")]
                // The promotion's own measurement was lost with the crash: a bound, measured now,
                // if the old primary takes no writes now.
                var oldPrimary = DataLossWindow.OldPrimary.mayTakeWrites(
                    why: "no primary_conninfo: nothing showed that the old primary stopped taking writes")
                if let primaryConninfo = p.primaryConninfo {
                    let seen = await FenceCheck.look(primaryConninfo, timeout: timeout)
                    switch seen {
                    case .noAnswer: oldPrimary = .unreachable
                    case .inRecovery, .readOnly: oldPrimary = .fencedWithoutFinalPosition(how: "(\(seen.text))")
                    case .writable, .unknown: oldPrimary = .mayTakeWrites(why: "the old primary \(seen.text)")
                    }
                }
                var loss = DataLossWindow.compute(
                    oldPrimary: oldPrimary, replayLSN: nil, lastReplayCommitMs: state.lastReplayCommitMs, replicaNowMs: state.nowMs)
                loss.method += "; measured at verification after a resume"
                outputs.merge(loss.outputs) { _, new in new }
                return .done(
                    ActionResult(
                        outputs: outputs,
                        summary: "\(c.target) is already promoted: timeline \(position.timeline), LSN \(position.lsn)"))
            }
        } catch let error as PGError where error.kind == .cancelled {
            throw PostgresQueryAction.lifeboatError(error)
        } catch {
            return .undecidable("cannot tell whether it was promoted: \(PostgresQueryAction.lifeboatError(error).message)")
        }
    }

    // MARK: Helpers

    private static func readPrimary(_ conninfo: String, _ p: PromoteParameters) async throws -> PrimaryState {
        let short = Duration.milliseconds(min(p.timeoutMs, 5_000))
        return try await PGConnection.withConnection(conninfo, timeout: short) { c in
            let state = try await PromoteProbes.primary(c, timeout: short)
            guard !state.inRecovery else { throw PGError.unsupported(target: c.target, "primary_conninfo names a server in recovery") }
            return state
        }
    }

    /// The old primary's position once no write transaction is open on it (writers a soft fence
    /// caught get up to 3 s to end); the last answer when they do not, nil when it stops answering.
    private static func readFinal(_ conninfo: String, _ p: PromoteParameters, _ context: ActionContext) async throws -> PrimaryState? {
        var answered: PrimaryState?
        _ = try await context.poll(every: .milliseconds(50), until: context.deadline(after: .seconds(3))) { _ in
            guard let state = try? await readPrimary(conninfo, p), state.currentLSN != nil else { return true }
            answered = state
            return state.openWriters == 0
        }
        return answered
    }

    /// What the figures can prove about the old primary, from the fence check's look and the final
    /// position read (if any).
    static func oldPrimary(_ seen: OldPrimaryLook, final: PrimaryState?, reachableBefore: Bool, fenced: String) -> DataLossWindow.OldPrimary {
        let how = fenced == "both" ? "soft, then by command" : fenced == "command" ? "by command" : "soft"
        if !seen.takesNoWrites {
            return .mayTakeWrites(
                why: fenced == "none"
                    ? "the old primary was not fenced and \(seen.text)"
                    : "the fence (\(fenced)) did not hold: the old primary \(seen.text); promoted anyway (on_fence_unverified: promote)")
        }
        if let final, let lsn = final.currentLSN {
            if final.openWriters == 0 {
                return .final(DataLossWindow.Final(lsn: lsn, readAtMs: final.nowMs, lastCommitMs: final.lastCommitMs))
            }
            if seen == .readOnly {
                return .mayTakeWrites(
                    why: "\(final.openWriters) write transaction(s) were still open on the old primary after the soft fence; their commits are not bounded")
            }
        }
        guard reachableBefore, fenced != "none" else { return .unreachable }
        return .fencedWithoutFinalPosition(how: how)
    }

    private static func applySoftFence(_ conninfo: String, _ p: PromoteParameters) async throws {
        let timeout = Duration.milliseconds(p.timeoutMs)
        try await PGConnection.withConnection(conninfo, timeout: timeout) { c in
            _ = try await c.query("ALTER SYSTEM SET default_transaction_read_only = on", timeout: timeout)
            _ = try await c.query("SELECT pg_reload_conf()", timeout: timeout)
        }
    }

    /// Inserts a row of defaults into `table` and deletes it again (two commits on the new primary).
    private static func writeCheck(_ c: PGConnection, table: [String], timeout: Duration) async throws {
        var quoted: [String] = []
        for part in table { quoted.append(try await c.escapeIdentifier(part)) }
        let name = quoted.joined(separator: ".")
        let inserted = try await c.query("INSERT INTO \(name) DEFAULT VALUES RETURNING ctid::text", timeout: timeout)
        guard let ctid = inserted.firstValue else { return }
        _ = try await c.query("DELETE FROM \(name) WHERE ctid = $1::tid", [ctid], timeout: timeout)
    }

    /// The step's parameters; both conninfos' passwords are masked from here on.
    private func parameters(_ context: ActionContext) throws(LifeboatError) -> PromoteParameters {
        let p = try PromoteParameters(context)
        context.alsoMask(Conninfo.passwords(in: p.conninfo) + (p.primaryConninfo.map(Conninfo.passwords(in:)) ?? []))
        return p
    }
}
