import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Testing

/// Every `postgres.restore` suite, one test at a time: each starts servers, extracts backups and
/// replays WAL, and the machines these tests run on have two cores shared with the other suites.
@Suite("postgres.restore", .serialized)
enum PostgresRestoreSuites {}

/// PITR material built once from a private harness primary (its own archive, so no other test's
/// promotion can put a timeline into it): a `pg_basebackup -Ft -X stream` of table `pitr`, then four
/// batches of rows committed after the backup, each followed by `pg_switch_wal()`, all archived.
final class PITRMaterial: Sendable {
    /// One committed batch: its ids, its xid, and the time and WAL position right after its commit.
    struct Batch: Sendable {
        let ids: [Int]
        let xid: String
        /// `clock_timestamp()` after the commit, before the next batch began.
        let after: String
        /// `pg_current_wal_lsn()` after the commit.
        let lsn: String
        /// The WAL segment the batch was written to.
        let segment: String
    }

    let cluster: PostgresCluster
    /// Holds `base.tar` and `pg_wal.tar`.
    let backupDir: String
    let batches: [Batch]

    init(cluster: PostgresCluster, backupDir: String, batches: [Batch]) {
        self.cluster = cluster
        self.backupDir = backupDir
        self.batches = batches
    }

    /// `1,2,…` — the ids of the first `count` batches, as the restored server lists them.
    func ids(batches count: Int) -> String {
        batches.prefix(count).flatMap(\.ids).map(String.init).joined(separator: ",")
    }

    static func shared() async throws -> PITRMaterial { try await PITRFixtureStore.instance.material() }

    static func build() async throws -> PITRMaterial {
        let cluster = try await PostgresCluster.start(replica: false)
        let primary = cluster.primary
        try await cluster.admin(primary, "CREATE TABLE pitr (id int PRIMARY KEY, batch int NOT NULL)")
        try await cluster.admin(primary, "INSERT INTO pitr SELECT g, 0 FROM generate_series(1, 3) g")
        let backupDir = try await cluster.makeServerDir("backup")
        try await PostgresCommands.run([
            cluster.binDir + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", backupDir,
            "-Ft", "-X", "stream", "-c", "fast", "--no-sync",
        ])
        var batches: [Batch] = []
        try await PGConnection.withConnection(primary.adminConninfo(), timeout: .seconds(30)) { db in
            for number in 1...4 {
                let first = number * 10
                _ = try await db.query("BEGIN")
                _ = try await db.query(
                    "INSERT INTO pitr SELECT g, $1::int FROM generate_series($2::int, $3::int) g",
                    [String(number), String(first), String(first + 4)])
                let xid = try await db.query("SELECT txid_current()::text").firstValue ?? ""
                _ = try await db.query("COMMIT")
                let row = try await db.query(
                    "SELECT clock_timestamp()::text, pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn())"
                ).rows[0]
                batches.append(
                    Batch(ids: Array(first...first + 4), xid: xid, after: row[0] ?? "", lsn: row[1] ?? "", segment: row[2] ?? ""))
                _ = try await db.query("SELECT pg_switch_wal()")
            }
            // A last commit after batch 4 so that a time target at batch 4 has a later commit.
            _ = try await db.query("CREATE TABLE pitr_end (x int)")
            let last = try await db.query("SELECT pg_walfile_name(pg_current_wal_lsn())").firstValue ?? ""
            _ = try await db.query("SELECT pg_switch_wal()")
            let archived = try await eventually(seconds: 60) {
                let done = try await db.query("SELECT coalesce(last_archived_wal, '') >= $1 FROM pg_stat_archiver", [last])
                return done.firstValue == "t"
            }
            guard archived else { throw HarnessError("segment \(last) was not archived within 60 s") }
        }
        return PITRMaterial(cluster: cluster, backupDir: backupDir, batches: batches)
    }
}

actor PITRFixtureStore {
    static let instance = PITRFixtureStore()
    private var task: Task<PITRMaterial, any Error>?

    func material() async throws -> PITRMaterial {
        if let task { return try await task.value }
        let made = Task { try await PITRMaterial.build() }
        task = made
        return try await made.value
    }
}

/// Restores with `postgres.restore` and always stops the restored server afterwards.
struct Restorer {
    let material: PITRMaterial
    let action = PostgresRestoreAction()

    /// A data dir path under the cluster's folder that does not exist yet.
    func newDataDir(_ name: String) -> String { material.cluster.baseDir + "/" + uniqueName(name) }

    func params(target: Value, dataDir: String, port: Int, extra: [String: Value] = [:]) -> [String: Value] {
        var params: [String: Value] = [
            "base_backup": .string(material.backupDir), "wal_archive": .string(material.cluster.archiveDir),
            "target": target, "data_dir": .string(dataDir), "port": .int(port),
            "bin_dir": .string(material.cluster.binDir), "timeout": "3m",
            "conninfo": .string("host=127.0.0.1 port=\(port) dbname=app user=postgres connect_timeout=10"),
        ]
        for (key, value) in extra { params[key] = value }
        return params
    }

    /// The ids in table `pitr` of the server on `port`, as `1,2,3`.
    static func rows(port: Int) async throws -> String {
        try await PGConnection.withConnection("host=127.0.0.1 port=\(port) dbname=app user=postgres", timeout: .seconds(30)) { db in
            try await db.query("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM pitr").firstValue ?? ""
        }
    }

    /// `pg_ctl stop -m immediate` when a server runs on `dataDir`.
    static func stopServer(_ dataDir: String, binDir: String) async {
        guard ClusterCleanup.postmasterPID(dataDir: dataDir) != nil else { return }
        _ = try? await PostgresCommands.run([binDir + "/pg_ctl", "stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "60"])
    }

    /// Runs the action on a port free right now; when another test took that port in between, tries
    /// again on another one (with overwrite: true, the first attempt may have written the data dir).
    func runOnFreePort(_ make: (Int) -> [String: Value]) async throws -> (ActionResult, Int) {
        var attempt = 0
        while true {
            let port = PostgresCommands.freePort()
            var params = make(port)
            if attempt > 0 { params["overwrite"] = true }
            let outcome: Result<ActionResult, LifeboatError>
            do { outcome = .success(try await action.run(in: request(params, step: "restore"))) } catch { outcome = .failure(error) }
            switch outcome {
            case .success(let result): return (result, port)
            case .failure(let error) where attempt < 3 && error.message.contains("in use"): attempt += 1
            case .failure(let error): throw error
            }
        }
    }

    /// Runs the restore, then `body` with its result and port; the server is stopped either way.
    func restore(
        target: Value, name: String, extra: [String: Value] = [:], _ body: (ActionResult, Int) async throws -> Void
    ) async throws {
        let dataDir = newDataDir(name)
        do {
            let (result, port) = try await runOnFreePort { params(target: target, dataDir: dataDir, port: $0, extra: extra) }
            try await body(result, port)
            await Self.stopServer(dataDir, binDir: material.cluster.binDir)
        } catch {
            await Self.stopServer(dataDir, binDir: material.cluster.binDir)
            throw error
        }
    }
}
