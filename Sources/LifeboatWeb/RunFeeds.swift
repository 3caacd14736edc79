import LifeboatCore
import LifeboatStore

/// The runs the server's viewers follow, each read from the store by one follower however many
/// viewers it has: a viewer's stream only reads the follower's copy. The follower starts with the
/// first viewer, wakes on the store's news (LISTEN/NOTIFY on the team store) or every `pollMs`
/// (SQLite), reads at most every `batchMs` while events keep coming (one read then serves a batch),
/// wakes the viewers waiting for news after each read, and stops once the run has ended and been
/// read to its end, or when nobody has asked for a minute.
actor RunFeeds {
    private struct Feed {
        /// Each event as the stream sends it (canonical JSON), encoded once for every viewer.
        var events: [String] = []
        var ended = false
        var failure: String?
        var lastAskedMs: Int64 = 0
        var following = false
    }

    private let store: any EvidenceStore
    private let pollMs: Int64
    private let clock = ContinuousClock()
    private var feeds: [String: Feed] = [:]
    /// The viewers waiting for the follower's next read, per run.
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    private static let idleMs: Int64 = 60_000
    static let batchMs: Int64 = 50

    init(store: any EvidenceStore, pollMs: Int64) {
        self.store = store
        self.pollMs = pollMs
    }

    /// The run's events after its first `count` that the follower has read (as canonical JSON), and
    /// whether the run has ended with them (no more will come); throws when the store cannot be read.
    func events(of runID: String, after count: Int) throws(WarRoomFailure) -> (events: ArraySlice<String>, ended: Bool) {
        var feed = feeds[runID] ?? Feed()
        feed.lastAskedMs = nowMs()
        if let failure = feed.failure {
            feeds[runID] = nil
            throw WarRoomFailure(failure)
        }
        if !feed.following && !feed.ended {
            feed.following = true
            Task { await self.follow(runID) }
        }
        feeds[runID] = feed
        return (feed.events.dropFirst(count), feed.ended)
    }

    /// `events(of:after:)`, once there is something after `count` or the follower has read again
    /// (at least every few seconds: the caller can keep its connection alive meanwhile).
    func next(of runID: String, after count: Int) async throws(WarRoomFailure) -> (events: ArraySlice<String>, ended: Bool) {
        let now = try events(of: runID, after: count)
        if !now.events.isEmpty || now.ended { return now }
        await withCheckedContinuation { waiting[runID, default: []].append($0) }
        return try events(of: runID, after: count)
    }

    private func wakeViewers(of runID: String) {
        for viewer in waiting.removeValue(forKey: runID) ?? [] { viewer.resume() }
    }

    private func follow(_ runID: String) async {
        defer { wakeViewers(of: runID) }
        while let feed = feeds[runID], nowMs() - feed.lastAskedMs < Self.idleMs {
            do {
                let fresh = try await store.events(of: runID, after: feed.events.count)
                // Ended once the run says so and nothing came since the read before.
                let ended = fresh.isEmpty ? try await store.run(runID)?.endedAtMs != nil : false
                if ended, try await store.events(of: runID, after: feed.events.count).isEmpty {
                    feeds[runID]?.ended = true
                    break
                }
                feeds[runID]?.events += try fresh.map { try CanonicalJSON.encode($0) }
                wakeViewers(of: runID)
                if !fresh.isEmpty {
                    try await Task.sleep(for: .milliseconds(Self.batchMs))
                } else if !(await store.waitFor(.events, of: runID)) {
                    try await Task.sleep(for: .milliseconds(pollMs))
                }
            } catch {
                feeds[runID]?.failure = "cannot read run \(runID) from \(store.name): \(error)"
                break
            }
        }
        feeds[runID]?.following = false
        if let feed = feeds[runID], !feed.ended, feed.failure == nil { feeds[runID] = nil }
    }

    private func nowMs() -> Int64 {
        let elapsed = clock.now - Self.origin
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private static let origin = ContinuousClock.now
}

/// The store could not be read for a viewer.
struct WarRoomFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
