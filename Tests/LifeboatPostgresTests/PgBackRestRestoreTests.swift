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
    /// `postgres.restore` with `method: pgbackrest` against a real stanza in a local repo.
    @Suite("postgres.restore: pgBackRest")
    struct PgBackRestRestoreTests {
        @Test func restoresAStanzaBackupToATime() async throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pgbackrest") else {
                Issue.record("pgbackrest is not installed: run scripts/install-deps (it installs the pgbackrest package)")
                return
            }
            try await PostgresCluster.withCluster(replica: false) { cluster in
                let primary = cluster.primary
                let home = try await cluster.makeServerDir("pgbr")
                let socketDir = try await cluster.makeServerDir("sock")
                try await PostgresCommands.run(["/bin/mkdir", "-p", home + "/repo", home + "/log", home + "/lock"])
                let config = home + "/pgbackrest.conf"
                try """
                    [global]
                    repo1-path=\(home)/repo
                    log-path=\(home)/log
                    lock-path=\(home)/lock
                    log-level-file=off
                    log-level-console=warn
                    start-fast=y

                    [lb]
                    pg1-path=\(primary.dataDir)
                    pg1-port=\(primary.port)
                    pg1-socket-path=\(socketDir)
                    pg1-user=postgres

                    """.write(toFile: config, atomically: false, encoding: .utf8)
                let owner = try await PostgresCommands.serverUser()
                chown(config, owner.uid, owner.gid)
                // pgBackRest talks to the server by its Unix socket, and archives through archive-push.
                try await cluster.admin(primary, "ALTER SYSTEM SET unix_socket_directories = '\(socketDir)'")
                try await cluster.admin(
                    primary, "ALTER SYSTEM SET archive_command = '/usr/bin/pgbackrest --config=\(config) --stanza=lb archive-push %p'")
                let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: primary.dataDir + "/pg_hba.conf"))
                try hba.seekToEnd()
                try hba.write(contentsOf: Data("local all postgres trust\n".utf8))
                try hba.close()
                try await cluster.pgCtl(primary, ["restart", "-w", "-t", "60"])
                let pgbackrest = ["/usr/bin/pgbackrest", "--config=\(config)", "--stanza=lb"]
                try await PostgresCommands.run(pgbackrest + ["stanza-create"])
                try await cluster.admin(primary, "CREATE TABLE pitr (id int PRIMARY KEY, batch int NOT NULL)")
                try await PostgresCommands.run(pgbackrest + ["--type=full", "backup"])
                let info = try await PostgresCommands.run(pgbackrest + ["--output=json", "info"])
                let json = try #require(try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [[String: Any]])
                let backups = try #require(json.first?["backup"] as? [[String: Any]])
                let label = try #require(backups.last?["label"] as? String)

                var after: [String] = []
                try await PGConnection.withConnection(primary.adminConninfo(), timeout: .seconds(30)) { db in
                    for batch in 1...3 {
                        _ = try await db.query(
                            "INSERT INTO pitr SELECT g, $1::int FROM generate_series($2::int, $3::int) g",
                            [String(batch), String(batch * 10), String(batch * 10 + 2)])
                        after.append(try await db.query("SELECT clock_timestamp()::text").firstValue ?? "")
                    }
                    let last = try await db.query("SELECT pg_walfile_name(pg_current_wal_lsn())").firstValue ?? ""
                    _ = try await db.query("SELECT pg_switch_wal()")
                    let archived = try await eventually(seconds: 60) {
                        try await db.query("SELECT coalesce(last_archived_wal, '') >= $1 FROM pg_stat_archiver", [last]).firstValue == "t"
                    }
                    guard archived else { throw HarnessError("pgbackrest archive-push did not archive \(last) within 60 s") }
                }

                let dataDir = cluster.baseDir + "/restored"
                let port = PostgresCommands.freePort()
                do {
                    let result = try await PostgresRestoreAction().run(in:
                        request(
                            [
                                "method": "pgbackrest", "stanza": "lb", "repo_config": .string(config), "set": .string(label),
                                "target": ["time": .string(after[1])], "data_dir": .string(dataDir), "port": .int(port),
                                "bin_dir": .string(cluster.binDir), "timeout": "3m",
                                "conninfo": .string("host=127.0.0.1 port=\(port) dbname=app user=postgres"),
                            ], step: "restore"))
                    let rows = try await Restorer.rows(port: port)
                    #expect(rows == "10,11,12,20,21,22")
                    #expect(result.outputs["target_reached"] == true)
                    #expect(result.outputs["timeline"] == 2)
                    print("postgres.restore pgbackrest: copy_ms=\(result.outputs["copy_ms"]!) replay_ms=\(result.outputs["replay_ms"]!)")
                    await Restorer.stopServer(dataDir, binDir: cluster.binDir)
                } catch {
                    await Restorer.stopServer(dataDir, binDir: cluster.binDir)
                    throw error
                }
            }
        }
    }
}
