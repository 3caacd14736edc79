import LifeboatCore
import LifeboatStore
import NIOCore

/// The runs the server's viewers follow, each read from the store by one follower however many
/// viewers it has: a viewer's stream only reads the follower's copy. The follower starts with the
/// first viewer, wakes on the store's news (LISTEN/NOTIFY on the team store) or every `pollMs`
/// (SQLite), reads at most every `batchMs` while events keep coming (one read then serves a batch),
/// wakes the viewers waiting for news after each read, and stops once the run has ended and been
/// read to its end, or when nobody has asked for a minute.
actor RunFeeds {
    private struct Feed {
        /// Each event as the stream sends it (`id: N`, `data:` its canonical JSON), made once for
        /// every viewer.
        var events: [String] = []
        /// The last batch handed out: viewers who have seen the same events get the same bytes.
        var lastBatch: Batch?
        var ended = false
        var failure: String?
        var lastAsked = ContinuousClock.now
        var following = false
    }

    private let store: any EvidenceStore
    private let pollMs: Int64
    private var feeds: [String: Feed] = [:]
    /// The viewers waiting for the follower's next read, per run.
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    private static let idle: Duration = .seconds(60)
    static let batchMs: Int64 = 50

    init(store: any EvidenceStore, pollMs: Int64) {
        self.store = store
        self.pollMs = pollMs
    }

    /// The stream's messages for the run's events after its first `count` (nil when the follower
    /// has read none yet), how many events the viewer has seen with them, and whether the run has
    /// ended with them (no more will come); throws when the store cannot be read.
    struct Batch {
        var after: Int
        var bytes: ByteBuffer?
        var seen: Int
        var ended: Bool
    }

    func events(of runID: String, after count: Int) throws(WarRoomFailure) -> Batch {
        var feed = feeds[runID] ?? Feed()
        feed.lastAsked = .now
        if let failure = feed.failure {
            feeds[runID] = nil
            throw WarRoomFailure(failure)
        }
        if !feed.following && !feed.ended {
            feed.following = true
            Task { await self.follow(runID) }
        }
        if let batch = feed.lastBatch, batch.after == count, batch.seen == feed.events.count, batch.ended == feed.ended {
            feeds[runID] = feed
            return batch
        }
        let fresh = feed.events.dropFirst(count)
        let batch = Batch(
            after: count, bytes: fresh.isEmpty ? nil : ByteBuffer(string: fresh.joined()), seen: max(count, feed.events.count),
            ended: feed.ended)
        feed.lastBatch = batch
        feeds[runID] = feed
        return batch
    }

    /// `events(of:after:)`, once there is something after `count` or the follower has read again
    /// (at least every few seconds: the caller can keep its connection alive meanwhile).
    func next(of runID: String, after count: Int) async throws(WarRoomFailure) -> Batch {
        let now = try events(of: runID, after: count)
        if now.bytes != nil || now.ended { return now }
        await withCheckedContinuation { waiting[runID, default: []].append($0) }
        return try events(of: runID, after: count)
    }

    private func wakeViewers(of runID: String) {
        for viewer in waiting.removeValue(forKey: runID) ?? [] { viewer.resume() }
    }

    private func follow(_ runID: String) async {
        defer { wakeViewers(of: runID) }
        while let feed = feeds[runID], ContinuousClock.now - feed.lastAsked < Self.idle {
            do {
                let fresh = try await store.events(of: runID, after: feed.events.count)
                // Ended once the run says so and nothing came since the read before.
                let ended = fresh.isEmpty ? try await store.run(runID)?.endedAtMs != nil : false
                if ended, try await store.events(of: runID, after: feed.events.count).isEmpty {
                    feeds[runID]?.ended = true
                    break
                }
                let first = feed.events.count
                feeds[runID]?.events += try fresh.enumerated().map { offset, event in
                    "id: \(first + offset + 1)\ndata: \(try CanonicalJSON.encode(event))\n\n"
                }
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
}

/// The store could not be read for a viewer.
struct WarRoomFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
