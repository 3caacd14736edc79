import Foundation
import LifeboatPostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real PostgreSQL primary (and optionally a streaming replica) on 127.0.0.1, in a temp folder,
/// run as the `postgres` OS user — what the Postgres integration tests talk to.
///
/// Layout under `baseDir` (0755): `primary/` and `replica/` data dirs (0700, postgres), `archive/`
/// (the primary's WAL archive: `archive_mode=on`, `archive_command` copies each segment there),
/// `logs/` (server logs) and `scratch/` (a postgres-owned folder for base backups and restores).
///
/// Auth: `initdb --auth=trust`, then pg_hba.conf asks the `lifeboat` role for its password
/// (scram-sha-256) over TCP, so bad-password tests are real; `postgres` (superuser) and replication
/// connect by trust. `lifeboat` is a superuser too (pg_promote, pg_stat_activity) and owns the
/// database `app`.
///
/// Start: `PostgresCluster.shared()` (one per test process, started on first use, stopped at exit)
/// or `withCluster { }` for a test that breaks its own (stopped afterwards, also on failure).
public final class PostgresCluster: Sendable {
    /// One server of the cluster.
    public struct Node: Sendable {
        public let name: String
        public let dataDir: String
        public let port: Int
        public let logFile: String
        /// The `lifeboat` role's password.
        public let password: String

        /// `lifeboat`, by password, to database `app`.
        public var conninfo: String { conninfo(password: password) }

        public func conninfo(password: String, database: String = "app") -> String {
            "host=127.0.0.1 port=\(port) dbname=\(database) user=lifeboat password=\(password) connect_timeout=10"
        }

        /// The same as a URI.
        public var uri: String { "postgresql://lifeboat:\(password)@127.0.0.1:\(port)/app?connect_timeout=10" }

        /// `postgres` (superuser) by trust, to database `dbname`.
        public func adminConninfo(_ database: String = "app") -> String {
            "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres connect_timeout=10"
        }

        public var hostPort: String { "127.0.0.1:\(port)" }
    }

    public static let replicationSlot = "lifeboat_replica"

    public let baseDir: String
    public let archiveDir: String
    /// A postgres-owned empty folder for base backups and restored data dirs.
    public let scratchDir: String
    public let binDir: String
    public let primary: Node
    public let replica: Node?

    private init(baseDir: String, binDir: String, primary: Node, replica: Node?) {
        self.baseDir = baseDir
        self.binDir = binDir
        archiveDir = baseDir + "/archive"
        scratchDir = baseDir + "/scratch"
        self.primary = primary
        self.replica = replica
    }

    // MARK: Lifecycle

    /// The process-wide cluster (primary + replica), started on first use, stopped at process exit.
    public static func shared() async throws -> PostgresCluster { try await SharedCluster.instance.cluster() }

    /// A cluster of its own for `body`, stopped and removed afterwards even when `body` throws.
    public static func withCluster<T: Sendable>(replica: Bool = true, _ body: (PostgresCluster) async throws -> T) async throws -> T {
        let cluster = try await start(replica: replica)
        do {
            let value = try await body(cluster)
            await cluster.stop()
            return value
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// initdb, configure, start the primary, create `lifeboat` and `app`; then, with `replica`,
    /// `pg_basebackup -R -C -S … -X stream` and start the replica streaming from the primary.
    public static func start(replica withReplica: Bool = true) async throws -> PostgresCluster {
        let binDir = try PostgresCommands.binDir()
        let owner = try await PostgresCommands.serverUser()
        var template = Array("/tmp/lifeboat-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        let base = String(cString: made)
        ClusterCleanup.register(base)
        do {
            chmod(base, 0o755)
            for (name, mode) in [("primary", 0o700), ("replica", 0o700), ("archive", 0o700), ("logs", 0o755), ("scratch", 0o700)] {
                let path = base + "/" + name
                guard mkdir(path, mode_t(mode)) == 0, chown(path, owner.uid, owner.gid) == 0 else {
                    throw HarnessError("cannot prepare \(path): errno \(errno)")
                }
            }
            try await ClusterCleanup.startWatchdog(base)
            let password = "lb" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let primary = try await startPrimary(base: base, binDir: binDir, password: password)
            try await createRoleAndDatabase(primary)
            let replica = withReplica ? try await startReplica(base: base, binDir: binDir, primary: primary) : nil
            return PostgresCluster(baseDir: base, binDir: binDir, primary: primary, replica: replica)
        } catch {
            ClusterCleanup.unregister(base)
            ClusterCleanup.stopNow(base)
            throw error
        }
    }

    /// Stops every server at once (`pg_ctl stop -m immediate`) and removes the folder.
    public func stop() async {
        for node in [primary, replica].compactMap({ $0 }) where ClusterCleanup.postmasterPID(dataDir: node.dataDir) != nil {
            _ = try? await pgCtl(node, ["stop", "-m", "immediate", "-w", "-t", "30"])
        }
        ClusterCleanup.unregister(baseDir)
        ClusterCleanup.stopNow(baseDir)
    }

    private static func startPrimary(base: String, binDir: String, password: String) async throws -> Node {
        let dataDir = base + "/primary"
        try await PostgresCommands.run([
            binDir + "/initdb", "-D", dataDir, "--no-sync", "--auth=trust", "-U", "postgres", "--encoding=UTF8",
            "--locale=C",
        ])
        let archive = base + "/archive"
        try append(
            to: dataDir + "/postgresql.conf",
            """

            # Lifeboat test harness
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = 60
            shared_buffers = 32MB
            fsync = off
            wal_level = replica
            wal_log_hints = on
            archive_mode = on
            archive_command = 'test ! -f \(archive)/%f && cp %p \(archive)/%f'
            max_wal_senders = 10
            max_replication_slots = 10
            hot_standby = on
            log_min_messages = warning
            log_connections = off

            """)
        try write(
            dataDir + "/pg_hba.conf",
            """
            # Lifeboat test harness: the lifeboat role needs its password; the rest is trusted on loopback.
            host all lifeboat 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust
            host replication all 127.0.0.1/32 trust

            """)
        return try await startOnFreePort(name: "primary", dataDir: dataDir, base: base, binDir: binDir, password: password)
    }

    private static func startReplica(base: String, binDir: String, primary: Node) async throws -> Node {
        let dataDir = base + "/replica"
        try await PostgresCommands.run([
            binDir + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", dataDir,
            "-R", "-C", "-S", replicationSlot, "-X", "stream", "-c", "fast", "--no-sync",
        ])
        let replica = try await startOnFreePort(
            name: "replica", dataDir: dataDir, base: base, binDir: binDir, password: primary.password, autoConf: true)
        try await waitForStreaming(primary: primary)
        return replica
    }

    /// Sets `port` and starts the server; on "could not bind" (a port taken since we picked it)
    /// tries again with another port.
    private static func startOnFreePort(
        name: String, dataDir: String, base: String, binDir: String, password: String, autoConf: Bool = false
    ) async throws -> Node {
        var lastError: (any Error)?
        for _ in 0..<4 {
            let node = Node(
                name: name, dataDir: dataDir, port: PostgresCommands.freePort(), logFile: base + "/logs/\(name).log",
                password: password)
            // postgresql.auto.conf is read last: the replica's copy of the primary's port is overridden there.
            try append(to: dataDir + (autoConf ? "/postgresql.auto.conf" : "/postgresql.conf"), "port = \(node.port)\n")
            do {
                try await PostgresCommands.run([
                    binDir + "/pg_ctl", "-D", dataDir, "-l", node.logFile, "-w", "-t", "60", "start",
                ])
                return node
            } catch {
                lastError = HarnessError("\(error)\n--- \(node.logFile) ---\n\(PostgresCommands.tail(node.logFile))")
                guard PostgresCommands.tail(node.logFile).contains("could not bind") else { break }
            }
        }
        throw lastError ?? HarnessError("could not start \(name)")
    }

    private static func createRoleAndDatabase(_ primary: Node) async throws {
        try await PGConnection.withConnection(primary.adminConninfo("postgres"), timeout: .seconds(30)) { admin in
            // Utility statements take no parameters; the password is our own [a-z0-9] text.
            _ = try await admin.query("CREATE ROLE lifeboat LOGIN SUPERUSER PASSWORD '\(primary.password)'")
            _ = try await admin.query("CREATE DATABASE app OWNER lifeboat")
        }
    }

    /// Waits (up to 60 s) until the primary reports a streaming standby.
    public static func waitForStreaming(primary: Node) async throws {
        try await PGConnection.withConnection(primary.adminConninfo("postgres"), timeout: .seconds(30)) { admin in
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let result = try await admin.query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                if result.firstValue != "0" { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw HarnessError("the replica did not start streaming within 60 s")
        }
    }

    // MARK: Helpers for tests

    /// `pg_ctl ARGS -D node` as the server user, e.g. `["stop", "-m", "fast"]`.
    @discardableResult
    public func pgCtl(_ node: Node, _ arguments: [String]) async throws -> String {
        try await PostgresCommands.run([binDir + "/pg_ctl", "-D", node.dataDir, "-l", node.logFile] + arguments)
    }

    /// Runs `sql` as `postgres` (superuser, trust) on `node` and returns the rows.
    @discardableResult
    public func admin(_ node: Node, _ sql: String, _ params: [String?] = [], database: String = "app") async throws -> PGResult {
        try await PGConnection.withConnection(node.adminConninfo(database), timeout: .seconds(30)) { connection in
            try await connection.query(sql, params, timeout: .seconds(30))
        }
    }

    /// A new empty folder under `baseDir`, owned by the server user with mode 0700: a data dir for a
    /// restore, or a target for `pg_basebackup`. Removed with the cluster.
    public func makeServerDir(_ name: String) async throws -> String {
        let owner = try await PostgresCommands.serverUser()
        let path = baseDir + "/" + name
        guard mkdir(path, 0o700) == 0, chown(path, owner.uid, owner.gid) == 0 else {
            throw HarnessError("cannot prepare \(path): errno \(errno)")
        }
        return path
    }

    /// The last lines of a node's server log.
    public func logTail(_ node: Node, lines: Int = 20) -> String { PostgresCommands.tail(node.logFile, lines: lines) }

    // MARK: Files

    private static func append(to path: String, _ text: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw HarnessError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    private static func write(_ path: String, _ text: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw HarnessError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
    }
}

/// The process-wide cluster: started once by whichever test asks first; the others wait for it.
actor SharedCluster {
    static let instance = SharedCluster()

    private enum State {
        case idle
        case starting([CheckedContinuation<Result<PostgresCluster, HarnessError>, Never>])
        case ready(Result<PostgresCluster, HarnessError>)
    }

    private var state = State.idle

    func cluster() async throws -> PostgresCluster {
        switch state {
        case .ready(let result):
            return try result.get()
        case .starting(let waiters):
            let result = await withCheckedContinuation { continuation in
                state = .starting(waiters + [continuation])
            }
            return try result.get()
        case .idle:
            state = .starting([])
            let result: Result<PostgresCluster, HarnessError>
            do {
                result = .success(try await PostgresCluster.start(replica: true))
            } catch {
                result = .failure(HarnessError("could not start the shared PostgreSQL cluster: \(error)"))
            }
            if case .starting(let waiters) = state { waiters.forEach { $0.resume(returning: result) } }
            state = .ready(result)
            return try result.get()
        }
    }
}
