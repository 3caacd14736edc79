import LifeboatCore
import LifeboatPostgres

/// Tells a process when news for a run arrives: a connection of its own that `LISTEN`s on one
/// channel, which the server notifies with the run's id when the transaction that queued a control
/// message (`lifeboat_controls`, migration `v5-control-notifications`) or recorded events
/// (`lifeboat_events`, in `lifeboat.chain_events`) commits.
///
/// A notification only wakes the process, which then reads the store as before: a missed one costs
/// at most `fallback`. When the connection cannot be made or breaks, `wait` says so (the caller
/// polls meanwhile) and the next call connects again.
actor RunListener {
    /// The longest wait without a notification: a safety net, not the path news takes.
    static let fallback: Duration = .seconds(5)

    /// The channel the server notifies for `news`.
    static func channel(_ news: RunNews) -> String { "lifeboat_\(news.rawValue)" }

    private let conninfo: String
    private let channel: String
    private var connection: PGConnection?
    /// Set by `close`: a connection that is made afterwards is closed at once.
    private var closed = false

    init(conninfo: String, news: RunNews) {
        self.conninfo = conninfo
        self.channel = Self.channel(news)
    }

    /// True once news for `runID` may have arrived; false at once when not listening.
    func wait(for runID: String) async -> Bool {
        guard let connection, connection.isOpen else {
            do {
                let fresh = try await PGConnection.connect(
                    conninfo, timeout: .seconds(15), defaults: TeamExecutor.connectionDefaults("lifeboat listener"))
                guard !closed else {
                    fresh.close()
                    return false
                }
                _ = try await fresh.query("LISTEN \(channel)")
                connection = fresh
                return true  // listening from now: the caller reads what came before
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
        closed = true
        connection?.close()
        connection = nil
    }
}
