import LifeboatPostgres

/// Tells the executor when a control message for its run arrives: a connection of its own that
/// `LISTEN`s on `lifeboat_controls`, which the server notifies (with the run's id) when a message
/// is inserted and its transaction commits (migration `v5-control-notifications`).
///
/// The notification only wakes the executor, which then reads the queue as before: a missed one
/// costs at most `fallback`. When the connection cannot be made or breaks, `wait` says so (the
/// executor polls meanwhile) and the next call connects again.
actor ControlListener {
    static let channel = "lifeboat_controls"
    /// The longest wait without a notification: a safety net, not the path messages take.
    static let fallback: Duration = .seconds(5)

    private let conninfo: String
    private var connection: PGConnection?

    init(conninfo: String) {
        self.conninfo = conninfo
    }

    /// True once a message for `runID` may have arrived; false at once when not listening.
    func wait(for runID: String) async -> Bool {
        guard let connection, connection.isOpen else {
            do {
                let fresh = try await PGConnection.connect(conninfo, timeout: .seconds(15), defaults: TeamExecutor.connectionDefaults)
                _ = try await fresh.query("LISTEN \(Self.channel)")
                connection = fresh
                return true  // listening from now: the caller reads what was sent before
            } catch {
                return false
            }
        }
        let deadline = ContinuousClock.now + Self.fallback
        while !Task.isCancelled, ContinuousClock.now < deadline {
            do {
                if try await connection.notifications(within: deadline - .now).contains(where: { $0.payload == runID }) { return true }
            } catch {
                connection.close()
                self.connection = nil
                return false
            }
        }
        return true
    }

    func close() {
        connection?.close()
        connection = nil
    }
}
