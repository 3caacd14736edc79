import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PostgresRestoreSuites {
    /// `postgres.restore` against real base backups and WAL archives (PITRMaterial).
    @Suite("postgres.restore: PITR against real servers")
    struct PostgresRestoreActionTests {
        @Test func restoresToATimeWithExactlyTheRowsCommittedBefore() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            try await restorer.restore(
                target: ["time": .string(material.batches[1].after)], name: "time",
                extra: ["incident_time": .string(material.batches[3].after), "verify_sql": "SELECT count(*) FROM pitr", "verify_expect": "13"]
            ) { result, port in
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 2))
                #expect(result.outputs["target_reached"] == true)
                #expect(result.outputs["backup_timeline"] == 1)
                #expect(result.outputs["timeline"] == 2, "promotion at the target starts timeline 2")
                #expect(result.outputs["copy_ms"]?.intValue.map { $0 >= 0 } == true)
                #expect(result.outputs["replay_ms"]?.intValue.map { $0 > 0 } == true)
                #expect(result.outputs["recovery_stop"]?.stringValue?.contains("recovery stopping before commit") == true)
                let lastCommit = try #require(result.outputs["last_replayed_commit"]?.stringValue)
                #expect(lastCommit < material.batches[1].after && lastCommit > material.batches[0].after, "\(lastCommit)")
                let loss = try #require(result.outputs["data_loss_window_ms"]?.intValue)
                #expect(loss > 0)
                #expect(result.outputs["rpo_exact"] == true)
                #expect(result.outputs["rpo_method"]?.stringValue?.contains("last replayed commit") == true)
                print("postgres.restore time target: copy_ms=\(result.outputs["copy_ms"]!) replay_ms=\(result.outputs["replay_ms"]!) loss_ms=\(loss)")
            }
        }

        @Test func restoresToAnLSN() async throws {
            let material = try await PITRMaterial.shared()
            try await Restorer(material: material).restore(target: ["lsn": .string(material.batches[1].lsn)], name: "lsn") { result, port in
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 2))
                #expect(result.outputs["target_reached"] == true)
                #expect(result.outputs["recovery_stop"]?.stringValue?.contains("WAL location") == true)
                print("postgres.restore lsn target: copy_ms=\(result.outputs["copy_ms"]!) replay_ms=\(result.outputs["replay_ms"]!)")
            }
        }

        @Test func restoresToAnXidInclusiveOrNot() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            try await restorer.restore(target: ["xid": .string(material.batches[2].xid)], name: "xidin") { result, port in
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 3))
                #expect(result.outputs["recovery_stop"]?.stringValue?.contains("after commit of transaction \(material.batches[2].xid)") == true)
            }
            try await restorer.restore(target: ["xid": .string(material.batches[2].xid)], name: "xidex", extra: ["inclusive": false]) { _, port in
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 2))
            }
        }

        @Test func restoresToLatest() async throws {
            let material = try await PITRMaterial.shared()
            try await Restorer(material: material).restore(target: "latest", name: "latest") { result, port in
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 4))
                #expect(result.outputs["target_reached"] == true)
            }
        }

        @Test func aTimePastTheEndOfTheArchiveFailsWithTheServersReason() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            let dataDir = restorer.newDataDir("pastend")
            let port = PostgresCommands.freePort()
            let error = await thrown(LifeboatError.self) {
                _ = try await restorer.action.run(in:
                    request(restorer.params(target: ["time": "2999-01-01 00:00:00+00"], dataDir: dataDir, port: port), step: "restore"))
            }
            await Restorer.stopServer(dataDir, binDir: material.cluster.binDir)
            #expect(error?.message.contains("recovery ended before configured recovery target was reached") == true, "\(String(describing: error))")
            #expect(error?.message.contains(dataDir) == true)
            #expect(error?.message.contains("not reached") == true)
            #expect(ClusterCleanup.postmasterPID(dataDir: dataDir).map { kill($0, 0) != 0 } ?? true)
        }

        @Test func aMissingWALSegmentIsNamed() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            let archive = try await material.cluster.makeServerDir(uniqueName("gap"))
            try await PostgresCommands.run(["/bin/cp", "-R", material.cluster.archiveDir + "/.", archive])
            let missing = material.batches[1].segment
            try FileManager.default.removeItem(atPath: archive + "/" + missing)
            let dataDir = restorer.newDataDir("gap")
            let port = PostgresCommands.freePort()
            let error = await thrown(LifeboatError.self) {
                var params = restorer.params(target: ["time": .string(material.batches[2].after)], dataDir: dataDir, port: port)
                params["wal_archive"] = .string(archive)
                _ = try await restorer.action.run(in: request(params, step: "restore"))
            }
            await Restorer.stopServer(dataDir, binDir: material.cluster.binDir)
            #expect(error?.message.contains("WAL segment \(missing) is missing from the archive \(archive)") == true, "\(String(describing: error))")
            // Latest would silently stop at the gap: refused before the server starts.
            let latestDir = restorer.newDataDir("gaplatest")
            let latest = await thrown(LifeboatError.self) {
                var params = restorer.params(target: "latest", dataDir: latestDir, port: port)
                params["wal_archive"] = .string(archive)
                _ = try await restorer.action.run(in: request(params, step: "restore"))
            }
            #expect(latest?.message.contains("WAL segment \(missing) is missing") == true, "\(String(describing: latest))")
            #expect(ClusterCleanup.postmasterPID(dataDir: latestDir) == nil)
        }

        @Test func aNonEmptyDataDirIsRefused() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            let dataDir = try await material.cluster.makeServerDir(uniqueName("busy"))
            try "keep me".write(toFile: dataDir + "/precious", atomically: false, encoding: .utf8)
            let params = restorer.params(target: "latest", dataDir: dataDir, port: PostgresCommands.freePort())
            let error = await thrown(LifeboatError.self) { _ = try await restorer.action.run(in: request(params, step: "restore")) }
            #expect(error?.message == "step 'restore': data dir \(dataDir) is not empty; refusing to restore over it")
            #expect(error?.hint?.contains("overwrite: true") == true)
            #expect(FileManager.default.fileExists(atPath: dataDir + "/precious"))
            guard case .refused(let why) = try await restorer.action.preflight(in: request(params, step: "restore")) else {
                Issue.record("preflight should refuse")
                return
            }
            #expect(why.contains("is not empty"))
        }

        @Test func aPortInUseIsRefused() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            // Hold a listening socket on a port.
            let (fd, port) = PostgresCommands.boundSocket(listening: true)
            defer { close(fd) }
            let dataDir = restorer.newDataDir("port")
            let error = await thrown(LifeboatError.self) {
                _ = try await restorer.action.run(in: request(restorer.params(target: "latest", dataDir: dataDir, port: port), step: "restore"))
            }
            #expect(error?.message == "step 'restore': port \(port) on 127.0.0.1 is already in use; cannot start the restored server for \(dataDir) there")
            #expect(ServerState.isAbsentOrEmpty(dataDir))
        }

        @Test func verifyTellsDoneNotDoneAndHalfDone() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            // Nothing yet: not done.
            let fresh = restorer.newDataDir("vfresh")
            let freshParams = restorer.params(target: "latest", dataDir: fresh, port: PostgresCommands.freePort())
            guard case .notDone = try await restorer.action.verify(in: request(freshParams, step: "restore")) else {
                Issue.record("an absent data dir is not done")
                return
            }
            // Half-done: an extracted base backup without recovery settings.
            let half = try await material.cluster.makeServerDir(uniqueName("vhalf"))
            try await PostgresCommands.run(["/bin/tar", "-xf", material.backupDir + "/base.tar", "-C", half])
            let halfParams = restorer.params(target: "latest", dataDir: half, port: PostgresCommands.freePort())
            let outcome = try await restorer.action.verify(in: request(halfParams, step: "restore"))
            guard case .undecidable(let message) = outcome else {
                Issue.record("a half-done restore must be undecidable, got \(outcome)")
                return
            }
            #expect(message.contains("half-done restore in \(half)"))
            #expect(message.contains("lifeboat resolve r1 restore --as retry"))
            var overwrite = halfParams
            overwrite["overwrite"] = true
            guard case .notDone = try await restorer.action.verify(in: request(overwrite, step: "restore")) else {
                Issue.record("with overwrite: true a half-done restore can be redone")
                return
            }
            // …and redoing it with overwrite: true works.
            let redone = try await restorer.action.run(in: request(overwrite, step: "restore"))
            #expect(redone.outputs["target_reached"] == true)
            // Done: a finished restore is recognised, with its outputs.
            let done = try await restorer.action.verify(in: request(overwrite, step: "restore"))
            await Restorer.stopServer(half, binDir: material.cluster.binDir)
            guard case .done(let result) = done else {
                Issue.record("a finished restore is done, got \(done)")
                return
            }
            #expect(result.outputs["target_reached"] == true)
            #expect(result.outputs["timeline"] == 2)
        }
    }
}

enum ServerState {
    static func isAbsentOrEmpty(_ path: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).isEmpty
    }
}

extension PostgresRestoreSuites {
    /// INFRA-NOTES' timeline trap: a restored copy that archived a `.history` file and timeline-2 WAL
    /// into the shared archive must not lead a later restore onto timeline 2.
    @Suite("postgres.restore: the timeline trap")
    struct RestoreTimelineTrapTests {
        @Test func aForeignTimelineInTheArchiveIsNotFollowed() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            let binDir = material.cluster.binDir
            let archive = try await material.cluster.makeServerDir(uniqueName("shared"))
            try await PostgresCommands.run(["/bin/cp", "-R", material.cluster.archiveDir + "/.", archive])

            // A first restore (to batch 2), then turned into a careless copy that archives into the shared archive.
            let first = restorer.newDataDir("careless")
            do {
                let (result, firstPort) = try await restorer.runOnFreePort { port in
                    var params = restorer.params(target: ["time": .string(material.batches[1].after)], dataDir: first, port: port)
                    params["wal_archive"] = .string(archive)
                    return params
                }
                #expect(result.outputs["timeline"] == 2)
                try await PostgresCommands.run(["/bin/cp", first + "/pg_wal/00000002.history", archive + "/"])
                let conninfo = "host=127.0.0.1 port=\(firstPort) dbname=app user=postgres"
                try await PGConnection.withConnection(conninfo, timeout: .seconds(30)) { db in
                    _ = try await db.query("ALTER SYSTEM SET archive_mode = on")
                    _ = try await db.query("ALTER SYSTEM SET archive_command = 'test ! -f \(archive)/%f && cp %p \(archive)/%f'")
                }
                try await PostgresCommands.run([binDir + "/pg_ctl", "restart", "-w", "-t", "60", "-D", first, "-l", first + "/lifeboat-restore.log"])
                try await PGConnection.withConnection(conninfo, timeout: .seconds(30)) { db in
                    _ = try await db.query("INSERT INTO pitr VALUES (999, 99)")
                    let segment = try await db.query("SELECT pg_walfile_name(pg_current_wal_lsn())").firstValue ?? ""
                    _ = try await db.query("SELECT pg_switch_wal()")
                    let archived = try await eventually(seconds: 60) {
                        try await db.query("SELECT coalesce(last_archived_wal, '') >= $1 FROM pg_stat_archiver", [segment]).firstValue == "t"
                    }
                    #expect(archived, "the careless copy did not archive \(segment)")
                }
                await Restorer.stopServer(first, binDir: binDir)
            } catch {
                await Restorer.stopServer(first, binDir: binDir)
                throw error
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: archive)
            #expect(names.contains("00000002.history"))
            #expect(names.contains { $0.hasPrefix("00000002") && $0.count == 24 }, "timeline-2 WAL in the archive: \(names.sorted())")

            // The next restore to latest stays on the backup's timeline: all four batches, no row 999.
            let second = restorer.newDataDir("pinned")
            do {
                let (result, secondPort) = try await restorer.runOnFreePort { port in
                    var pinned = restorer.params(target: "latest", dataDir: second, port: port)
                    pinned["wal_archive"] = .string(archive)
                    return pinned
                }
                let rows = try await Restorer.rows(port: secondPort)
                #expect(rows == "1,2,3," + material.ids(batches: 4))
                #expect(result.outputs["backup_timeline"] == 1)
                #expect(result.outputs["timeline"] == 3, "a new timeline past the one already in the archive")
                await Restorer.stopServer(second, binDir: binDir)
            } catch {
                await Restorer.stopServer(second, binDir: binDir)
                throw error
            }
        }
    }
}

extension PostgresRestoreSuites {
    @Suite("postgres.restore: owners and servers that do not start")
    struct RestoreRefusalTests {
        @Test func aDataDirOwnedBySomeoneElseIsRefused() async throws {
            guard PostgresCommands.isRoot else { return }
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            let dataDir = restorer.newDataDir("rootowned")
            #expect(mkdir(dataDir, 0o700) == 0)
            let error = await thrown(LifeboatError.self) {
                _ = try await restorer.action.run(in:
                    request(restorer.params(target: "latest", dataDir: dataDir, port: PostgresCommands.freePort()), step: "restore"))
            }
            #expect(error?.message == "step 'restore': data dir \(dataDir) is owned by uid 0, not by postgres (uid \(getpwnam("postgres")!.pointee.pw_uid))")
            #expect(error?.hint?.contains("chown postgres:") == true)
        }

        @Test func aServerThatDoesNotStartReportsItsLog() async throws {
            let material = try await PITRMaterial.shared()
            let restorer = Restorer(material: material)
            // A plain-directory base backup whose configuration the server rejects.
            let plain = try await material.cluster.makeServerDir(uniqueName("plain"))
            try await PostgresCommands.run(["/bin/tar", "-xf", material.backupDir + "/base.tar", "-C", plain])
            try await PostgresCommands.run(["/bin/sh", "-c", "echo 'shared_buffers = lots' >> \"$0\"", plain + "/postgresql.conf"])
            let dataDir = restorer.newDataDir("nostart")
            var params = restorer.params(target: "latest", dataDir: dataDir, port: PostgresCommands.freePort())
            params["base_backup"] = .string(plain)
            let error = await thrown(LifeboatError.self) { _ = try await restorer.action.run(in: request(params, step: "restore")) }
            await Restorer.stopServer(dataDir, binDir: material.cluster.binDir)
            #expect(error?.message.contains("restore into \(dataDir)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("the server stopped: FATAL:") == true, "\(String(describing: error))")
            #expect(error?.message.contains("invalid value for parameter \"shared_buffers\": \"lots\"") == true, "\(String(describing: error))")
        }
    }
}
