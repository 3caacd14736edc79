import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Synchronization
import Testing

/// `postgres.promote` against real primary + replica clusters: each promotion uses a cluster of its own.
@Suite("postgres.promote against real servers", .serialized)
struct PostgresPromoteActionTests {
    let action = PostgresPromoteAction()

    @Test func plannedPromotionWithSoftFenceLosesNothingAndAdvancesTheTimeline() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "probe")
            try await cluster.admin(cluster.primary, "INSERT INTO probe (payload) SELECT 'row ' || g FROM generate_series(1, 100) g")
            try await waitForReplay(cluster)
            let params: [String: Value] = [
                "conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo),
                "soft_fence": true, "write_check": "probe", "max_lag": "1MB",
            ]
            let preflight = try await action.preflight(in: promoteRequest(params))
            guard case .ok(let text) = preflight else { Issue.record("preflight refused: \(preflight)"); return }
            #expect(text.contains("against the primary"))

            let result = try await action.run(in: promoteRequest(params))
            print("MEASURE planned: \(result.summary)")
            #expect(result.outputs["data_loss_window_ms"] == 0)
            #expect(result.outputs["data_loss_bytes"] == 0)
            #expect(result.outputs["rpo_exact"] == true)
            #expect(result.outputs["fenced"] == "soft")
            #expect(result.outputs["timeline"] == 2)
            #expect(result.outputs["lsn"]?.stringValue?.contains("/") == true)
            #expect(result.outputs["soft_fence_note"]?.stringValue?.contains("any client can undo it") == true)
            #expect(result.summary.contains("soft"))
            #expect(result.summary.contains("any client can undo it"))
            #expect(!result.summary.contains(replica.password))
            #expect(try await cluster.admin(replica, "SELECT pg_is_in_recovery()").firstValue == "f")
            // The write check deleted its row again.
            #expect(try await cluster.admin(replica, "SELECT count(*) FROM probe").firstValue == "100")
            // The old primary is read-only for new sessions (softly).
            #expect(try await cluster.admin(cluster.primary, "SHOW default_transaction_read_only").firstValue == "on")

            // verify on the promoted server: done, with the timeline; a second look never promotes again.
            let verified = try await action.verify(in: promoteRequest(params))
            guard case .done(let done) = verified else { Issue.record("verify: \(verified)"); return }
            #expect(done.outputs["timeline"] == 2)
            #expect(done.outputs["rpo_exact"] == false)
            // A promoted target is refused by preflight.
            let again = try await action.preflight(in: promoteRequest(params))
            guard case .refused(let why) = again else { Issue.record("expected a refusal: \(again)"); return }
            #expect(why.contains("is not a replica (already promoted?)"))
        }
    }

    @Test func promotionDuringWritesWithCommandFenceNeverUnderReports() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "ticks")
            try await waitForReplay(cluster)
            let params: [String: Value] = [
                "conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo),
                "fence": stopArgv(cluster, cluster.primary, mode: "fast"), "max_lag": "16MB",
            ]
            let (result, inserts) = try await promoteWhileWriting(cluster, params)
            print("MEASURE command fence: \(result.summary); \(result.outputs["rpo_method"] ?? .null)")
            #expect(result.outputs["fenced"] == "command")
            #expect(result.outputs["rpo_method"] == "bound: time since last replayed commit; fenced by command, final position not readable")
            #expect(result.outputs["old_primary"]?.stringValue?.hasPrefix("no answer") == true)
            #expect(result.outputs["timeline"] == 2)
            let kept = try await newestRow(cluster, replica, "ticks")
            try await cluster.pgCtl(cluster.primary, ["start", "-w", "-t", "60"])
            let old = try await newestRow(cluster, cluster.primary, "ticks")
            let lost = try await lostRows(cluster, "ticks", kept: kept)
            print("MEASURE command fence actual: inserts \(inserts), old primary \(old.count) rows, replica \(kept.count) rows, lost \(lost.count) rows over \(lost.windowMs) ms")
            #expect(old.count >= kept.count)
            let reported = try #require(result.outputs["data_loss_window_ms"]?.intValue)
            #expect(Int64(reported) >= lost.windowMs, "under-reported: \(reported) ms < \(lost.windowMs) ms lost")
            if lost.count > 0 { #expect(reported > 0) }
            if let bytes = result.outputs["data_loss_bytes"]?.intValue, lost.count > 0 { #expect(bytes > 0) }
        }
    }

    /// A fence that exits 0 while the old primary keeps taking writes (a script that swallows
    /// `pg_ctl`'s failure): the step refuses to promote; with `on_fence_unverified: promote` it
    /// promotes and the RPO is "not bounded", never a number — the writer shows why.
    @Test func aFenceThatExitsZeroWhileThePrimaryTakesWritesIsNotBelieved() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "ticks")
            try await waitForReplay(cluster)
            let lying: Value = .map(["argv": .list(["/bin/sh", "-c", "echo primary fenced; exit 0"])])
            var params: [String: Value] = [
                "conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo),
                "fence": lying, "max_lag": "16MB",
            ]
            let written = WriteCounter()
            let (refusal, result, inserts) = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { await writeUntilGone(cluster.primary, table: "ticks", started: written) }
                #expect(try await eventually(seconds: 60) { written.count >= 100 }, "the writer did not get going")
                let refusal = await thrown(LifeboatError.self) { _ = try await action.run(in: promoteRequest(params)) }
                #expect(try await cluster.admin(replica, "SELECT pg_is_in_recovery()").firstValue == "t", "promoted after a lying fence")
                params["on_fence_unverified"] = "promote"
                let result = try await action.run(in: promoteRequest(params))
                let afterPromotion = written.count
                #expect(try await eventually(seconds: 30) { written.count >= afterPromotion + 50 }, "the old primary stopped taking writes")
                group.cancelAll()
                var inserts = 0
                for try await n in group { inserts = n }
                return (refusal, result, inserts)
            }
            let refused = try #require(refusal)
            print("MEASURE lying fence refused: \(refused.message)")
            #expect(refused.message.contains("the replica was NOT promoted"))
            #expect(refused.message.contains("takes writes"))
            #expect(refused.hint?.contains("on_fence_unverified: promote") == true)
            #expect(refused.retryable == false)

            print("MEASURE lying fence promoted anyway: \(result.summary)")
            #expect(result.outputs["data_loss_window_ms"] == .null)
            #expect(result.outputs["rpo_exact"] == false)
            #expect(result.outputs["rpo_method"]?.stringValue?.hasPrefix("not bounded: the fence (command) did not hold") == true)
            #expect(result.outputs["old_primary"]?.stringValue?.hasPrefix("takes writes") == true)
            #expect(result.summary.contains("not bounded"))
            let kept = try await newestRow(cluster, replica, "ticks")
            let lost = try await lostRows(cluster, "ticks", kept: kept)
            print("MEASURE lying fence actual: inserts \(inserts), lost \(lost.count) rows over \(lost.windowMs) ms and counting")
            #expect(lost.count >= 50, "the old primary kept taking writes after the promotion")
        }
    }

    /// `fence: {soft_then: {argv}}` with a writer running: read-only first, the final position read,
    /// then the stop; the figure is exact and nothing acknowledged is missing on the new primary.
    @Test func softThenStopGivesAnExactFigureWhileWritersRun() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "ticks")
            try await waitForReplay(cluster)
            let stop = stopArgv(cluster, cluster.primary, mode: "fast")
            let params: [String: Value] = [
                "conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo),
                "fence": .map(["soft_then": stop]), "max_lag": "16MB",
            ]
            let (result, inserts) = try await promoteWhileWriting(cluster, params)
            print("MEASURE soft then stop: \(result.summary)")
            #expect(result.outputs["fenced"] == "both")
            #expect(result.outputs["rpo_exact"] == true)
            #expect(result.outputs["rpo_method"]?.stringValue?.hasPrefix("exact") == true)
            #expect(result.outputs["old_primary"]?.stringValue?.hasPrefix("no answer") == true)
            let kept = try await newestRow(cluster, replica, "ticks")
            // Every acknowledged insert is on the new primary (one writer: ids 1...inserts).
            #expect(kept.count >= inserts, "acknowledged rows lost: \(inserts) written, \(kept.count) on the new primary")
            try await cluster.pgCtl(cluster.primary, ["start", "-w", "-t", "60"])
            let lost = try await lostRows(cluster, "ticks", kept: kept)
            let reported = try #require(result.outputs["data_loss_window_ms"]?.intValue)
            print("MEASURE soft then stop actual: inserts \(inserts), lost \(lost.count) rows over \(lost.windowMs) ms; reported \(reported) ms")
            #expect(Int64(reported) >= lost.windowMs)
        }
    }

    /// With `cutReplication` the replica stops receiving first (its primary_conninfo is emptied), so
    /// the rows written afterwards are really lost when the primary is killed.
    @Test(arguments: [false, true])
    func promotionAfterPrimaryKilledReportsABound(cutReplication: Bool) async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "ticks")
            try await waitForReplay(cluster)
            let written = WriteCounter()
            let inserts = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { await writeUntilGone(cluster.primary, table: "ticks", started: written) }
                #expect(try await eventually(seconds: 60) { written.count >= 200 })
                if cutReplication {
                    try await cluster.admin(replica, "ALTER SYSTEM SET primary_conninfo = ''")
                    try await cluster.admin(replica, "SELECT pg_reload_conf()")
                    #expect(try await eventually(seconds: 30) {
                        try await cluster.admin(replica, "SELECT count(*) FROM pg_stat_wal_receiver").firstValue == "0"
                    })
                    let cutAt = written.count
                    #expect(try await eventually(seconds: 60) { written.count >= cutAt + 200 })
                }
                try await cluster.pgCtl(cluster.primary, ["stop", "-m", "immediate", "-w", "-t", "60"])
                var n = 0
                for try await count in group { n = count }
                return n
            }
            let params: [String: Value] = [
                "conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo), "max_lag": "1h",
            ]
            let preflight = try await action.preflight(in: promoteRequest(params))
            guard case .ok = preflight else { Issue.record("preflight refused: \(preflight)"); return }
            let result = try await action.run(in: promoteRequest(params))
            print("MEASURE killed primary (cut \(cutReplication)): \(result.summary)")
            #expect(result.outputs["rpo_exact"] == false)
            #expect(result.outputs["rpo_method"] == "bound: time since last replayed commit; primary unreachable")
            #expect(result.outputs["fenced"] == "none")
            #expect(result.outputs["timeline"] == 2)
            let kept = try await newestRow(cluster, replica, "ticks")
            try await cluster.pgCtl(cluster.primary, ["start", "-w", "-t", "60"])
            let lost = try await lostRows(cluster, "ticks", kept: kept)
            let reported = try #require(result.outputs["data_loss_window_ms"]?.intValue)
            print("MEASURE killed primary (cut \(cutReplication)) actual: inserts \(inserts), replica \(kept.count) rows, lost \(lost.count) rows over \(lost.windowMs) ms; reported bound \(reported) ms")
            #expect(Int64(reported) >= lost.windowMs, "under-reported: \(reported) ms < \(lost.windowMs) ms lost")
            if cutReplication { #expect(lost.count >= 200, "the cut should have lost the rows written after it") }
        }
    }

    @Test func refusesLagOverMaxLagAndPausedReplay() async throws {
        try await PostgresCluster.withCluster(replica: true) { cluster in
            let replica = try #require(cluster.replica)
            try await createTicks(cluster, "ticks")
            try await waitForReplay(cluster)
            // Replay held back (not paused): a lag that is only lag.
            try await cluster.admin(replica, "ALTER SYSTEM SET recovery_min_apply_delay = '1h'")
            try await cluster.admin(replica, "SELECT pg_reload_conf()")
            #expect(try await eventually(seconds: 30) {
                try await cluster.admin(replica, "SHOW recovery_min_apply_delay").firstValue == "1h"
            })
            // The delay holds back commit records only: wait until a committed row stays invisible on the
            // replica (the startup process took the setting), then write a big transaction behind it.
            #expect(try await eventually(seconds: 60) {
                try await cluster.admin(cluster.primary, "INSERT INTO ticks (payload) VALUES ('held')")
                try await Task.sleep(for: .milliseconds(500))
                let onPrimary = try await cluster.admin(cluster.primary, "SELECT count(*) FROM ticks").firstValue
                let onReplica = try await cluster.admin(replica, "SELECT count(*) FROM ticks").firstValue
                return onPrimary != onReplica
            })
            try await cluster.admin(cluster.primary, "INSERT INTO ticks (payload) SELECT repeat('x', 500) FROM generate_series(1, 2000)")
            let base: [String: Value] = ["conninfo": .string(replica.conninfo), "primary_conninfo": .string(cluster.primary.conninfo)]
            var params = base
            params["max_lag"] = "8kB"
            let lagged = try await action.preflight(in: promoteRequest(params))
            guard case .refused(let lagText) = lagged else { Issue.record("expected a lag refusal: \(lagged)"); return }
            #expect(lagText.contains("replication lag is"))
            #expect(lagText.contains("over max_lag 8kB"))
            #expect(lagText.contains("wait for the replica to catch up"))
            #expect(!lagText.contains(replica.password))
            params["max_lag"] = "1GB"
            guard case .ok = try await action.preflight(in: promoteRequest(params)) else { Issue.record("1GB should pass"); return }

            try await cluster.admin(replica, "ALTER SYSTEM RESET recovery_min_apply_delay")
            try await cluster.admin(replica, "SELECT pg_reload_conf()")
            try await cluster.admin(replica, "SELECT pg_wal_replay_pause()")
            try await cluster.admin(cluster.primary, "INSERT INTO ticks (payload) VALUES ('after pause')")
            #expect(try await eventually(seconds: 30) {
                try await cluster.admin(replica, "SELECT pg_get_wal_replay_pause_state()").firstValue != "not paused"
            })
            let paused = try await action.preflight(in: promoteRequest(params))
            guard case .refused(let pauseText) = paused else { Issue.record("expected a pause refusal: \(paused)"); return }
            #expect(pauseText.contains("WAL replay is paused"))
            #expect(pauseText.contains("pg_wal_replay_resume()"))
            // Nothing was promoted by the refusals.
            #expect(try await cluster.admin(replica, "SELECT pg_is_in_recovery()").firstValue == "t")
        }
    }

    @Test func refusesAPrimaryAnUnreachableTargetAndABadPassword() async throws {
        let cluster = try await PostgresCluster.shared()
        let replica = try #require(cluster.replica)
        let onPrimary = try await action.preflight(in: promoteRequest(["conninfo": .string(cluster.primary.conninfo)]))
        guard case .refused(let primaryText) = onPrimary else { Issue.record("expected a refusal: \(onPrimary)"); return }
        #expect(primaryText.contains("is not a replica (already promoted?)"))
        #expect(!primaryText.contains(cluster.primary.password))

        let port = PostgresCommands.freePort()
        let nowhere = "host=127.0.0.1 port=\(port) dbname=app user=lifeboat password=nowhere-secret-1 connect_timeout=3"
        let unreachable = try await action.preflight(in: promoteRequest(["conninfo": .string(nowhere)]))
        guard case .refused(let downText) = unreachable else { Issue.record("expected a refusal: \(unreachable)"); return }
        #expect(downText.contains("127.0.0.1:\(port)"))
        #expect(!downText.contains("nowhere-secret-1"))

        let secret = "wrong-Secret-4711"
        let bad = replica.conninfo(password: secret)
        let refused = try await action.preflight(in: promoteRequest(["conninfo": .string(bad)]))
        guard case .refused(let authText) = refused else { Issue.record("expected a refusal: \(refused)"); return }
        #expect(authText.contains("authentication failed"))
        #expect(!authText.contains(secret))
        let error = await thrown(LifeboatError.self) { _ = try await action.run(in: promoteRequest(["conninfo": .string(bad)])) }
        for text in error.map(allTexts) ?? [] { #expect(!text.contains(secret)) }
        let verify = try await action.verify(in: promoteRequest(["conninfo": .string(bad)]))
        guard case .undecidable(let verifyText) = verify else { Issue.record("expected undecidable: \(verify)"); return }
        #expect(!verifyText.contains(secret))
        // The replica was left alone.
        #expect(try await cluster.admin(replica, "SELECT pg_is_in_recovery()").firstValue == "t")
    }

    @Test func verifyTellsReplicaFromUnreachable() async throws {
        let cluster = try await PostgresCluster.shared()
        let replica = try #require(cluster.replica)
        let onReplica = try await action.verify(in: promoteRequest(["conninfo": .string(replica.conninfo)]))
        guard case .notDone(let text) = onReplica else { Issue.record("expected notDone: \(onReplica)"); return }
        #expect(text.contains("still a replica"))
        let nowhere = "host=127.0.0.1 port=\(PostgresCommands.freePort()) dbname=app user=lifeboat connect_timeout=3"
        let unreachable = try await action.verify(in: promoteRequest(["conninfo": .string(nowhere)]))
        guard case .undecidable = unreachable else { Issue.record("expected undecidable: \(unreachable)"); return }
    }

    @Test func writeCheckTableMustBeAPlainIdentifier() async throws {
        for bad in ["probe; DROP TABLE x", "a.b.c", "1probe", "\"probe\"", "pro be", ""] where !bad.isEmpty {
            let error = await thrown(LifeboatError.self) {
                _ = try await action.run(in: promoteRequest(["conninfo": "host=127.0.0.1 port=1", "write_check": .string(bad)]))
            }
            #expect(error?.code == .invalidInput)
            #expect(error?.message.contains("write_check") == true)
        }
    }

    /// Promotes with `params` while a writer inserts into `ticks` on the primary (from 200 rows on,
    /// until the primary stops taking them); returns the result and how many inserts succeeded.
    func promoteWhileWriting(_ cluster: PostgresCluster, _ params: [String: Value]) async throws -> (ActionResult, Int) {
        let written = WriteCounter()
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { await writeUntilGone(cluster.primary, table: "ticks", started: written) }
            #expect(try await eventually(seconds: 60) { written.count >= 200 }, "the writer did not get going")
            let result = try await action.run(in: promoteRequest(params))
            var inserts = 0
            for try await n in group { inserts = n }
            return (result, inserts)
        }
    }
}
