import LifeboatCore
import LifeboatPostgres

/// One libpq connection used by one statement sequence at a time: a transaction's statements are
/// never interleaved with another caller's. Connects on first use and again after the connection
/// broke. The work runs in a task of its own, so a caller's cancellation never abandons a commit.
actor SerialConnection {
    private let conninfo: String
    private var connection: PGConnection?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(conninfo: String) { self.conninfo = conninfo }

    /// Runs `body` with the connection to itself; `body` is not cancelled with the caller.
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        let connection = try await open()
        return try await Task { try await body(connection) }.value
    }

    /// Runs `body` inside BEGIN … COMMIT (ROLLBACK when it throws).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        try await transaction(opening: []) { connection, _ in try await body(connection) }
    }

    /// Sends BEGIN and `opening` in one round trip, runs `body` with the opening statements'
    /// results, then COMMIT (ROLLBACK when anything throws).
    func transaction<T: Sendable>(
        opening statements: [PGStatement], _ body: @escaping @Sendable (PGConnection, [PGResult]) async throws -> T
    ) async throws -> T {
        try await exclusive { connection in
            do {
                let opened = try await connection.pipeline([PGStatement("BEGIN")] + statements)
                let value = try await body(connection, Array(opened.dropFirst()))
                _ = try await connection.query("COMMIT")
                return value
            } catch {
                if connection.isOpen { _ = try? await connection.query("ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs `statements` as one transaction in one round trip and returns their results: the
    /// server runs a pipeline up to its Sync as one implicit transaction, committed at the Sync
    /// (all or nothing: after a failure it skips the rest and rolls back). For a transaction none of
    /// whose statements depends on another's result.
    func transactionInOneRoundTrip(_ statements: [PGStatement]) async throws -> [PGResult] {
        try await exclusive { connection in try await connection.pipeline(statements) }
    }

    func close() {
        connection?.close()
        connection = nil
    }

    private func open() async throws -> PGConnection {
        if let connection, connection.isOpen { return connection }
        connection?.close()
        let fresh = try await PGConnection.connect(conninfo, timeout: .seconds(15))
        connection = fresh
        return fresh
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
