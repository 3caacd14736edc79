import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import Synchronization
import Testing

/// A `postgres.promote` request run from `/` (so `runuser` fences start in a readable folder).
func promoteRequest(_ params: [String: Value], step: String = "promote", masker: SecretMasker = .none) -> ActionContext {
    ActionContext(runID: "r1", stepID: step, mode: .execute, params: params, masker: masker, baseDirectory: "/")
}

/// `pg_ctl stop -m MODE` of `node` as an argv the action's fence runs (as postgres when we are root).
func stopArgv(_ cluster: PostgresCluster, _ node: PostgresCluster.Node, mode: String) -> Value {
    let pgCtl = [cluster.binDir + "/pg_ctl", "-D", node.dataDir, "-m", mode, "-w", "-t", "60", "stop"]
    let argv = PostgresCommands.isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + pgCtl : pgCtl
    return .map(["argv": .list(argv.map { .string($0) })])
}

/// Inserts timestamped rows into `table` on `node` one autocommit statement at a time, until the
/// server goes away or the task is cancelled. Returns how many inserts succeeded.
/// How many rows the writer has inserted so far.
final class WriteCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func set(_ n: Int) { value.withLock { $0 = n } }
}

func writeUntilGone(_ node: PostgresCluster.Node, table: String, started: WriteCounter) async -> Int {
    guard let connection = try? await PGConnection.connect(node.conninfo, timeout: .seconds(10)) else { return 0 }
    defer { connection.close() }
    var count = 0
    while !Task.isCancelled {
        do {
            _ = try await connection.query("INSERT INTO \(table) (payload) VALUES ($1)", [String(repeating: "x", count: 200)], timeout: .seconds(10))
            count += 1
            started.set(count)
            // A steady writer, not a CPU hog: other suites time things on this 2-core machine.
            try? await Task.sleep(for: .milliseconds(2))
        } catch {
            break
        }
    }
    return count
}

/// `CREATE TABLE name (id bigserial, at timestamptz default clock_timestamp(), payload text)`.
func createTicks(_ cluster: PostgresCluster, _ name: String) async throws {
    try await cluster.admin(
        cluster.primary,
        "CREATE TABLE \(name) (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), payload text)")
    try await cluster.admin(cluster.primary, "GRANT ALL ON \(name), \(name)_id_seq TO lifeboat")
}

/// Waits until the replica has replayed everything the primary has written.
func waitForReplay(_ cluster: PostgresCluster) async throws {
    let replica = try #require(cluster.replica)
    let target = try await cluster.admin(cluster.primary, "SELECT pg_current_wal_lsn()::text").firstValue ?? ""
    let caughtUp = try await eventually(seconds: 60) {
        try await cluster.admin(replica, "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0", [target]).firstValue == "t"
    }
    #expect(caughtUp, "the replica did not replay up to \(target)")
}

/// The newest row of `table` on `node`: its id and `at` (epoch ms), and the row count.
func newestRow(_ cluster: PostgresCluster, _ node: PostgresCluster.Node, _ table: String) async throws -> (id: Int64, atMs: Int64?, count: Int) {
    let r = try await cluster.admin(
        node,
        "SELECT coalesce(max(id), 0), (SELECT (extract(epoch FROM at) * 1000)::bigint FROM \(table) ORDER BY id DESC LIMIT 1), count(*) FROM \(table)")
    let row = r.rows.first ?? []
    return (Int64(row[0] ?? "0") ?? 0, row[1].flatMap { Int64($0) }, Int(row[2] ?? "0") ?? 0)
}

/// Rows of `table` on the old primary the promoted replica lacks (one writer: ids grow in commit
/// order, so they are the ids above the replica's newest). The window is the newest lost `at` minus
/// the newest kept `at`; 0 when nothing was lost.
func lostRows(_ cluster: PostgresCluster, _ table: String, kept: (id: Int64, atMs: Int64?, count: Int)) async throws -> (count: Int, windowMs: Int64) {
    let r = try await cluster.admin(
        cluster.primary,
        "SELECT count(*), (extract(epoch FROM max(at)) * 1000)::bigint FROM \(table) WHERE id > $1::bigint",
        [String(kept.id)])
    let count = Int(r.rows.first?[0] ?? "0") ?? 0
    let newestLost = r.rows.first?[1].flatMap { Int64($0) }
    guard count > 0, let newestLost else { return (0, 0) }
    return (count, max(0, newestLost - (kept.atMs ?? 0)))
}
