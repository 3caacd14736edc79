import Crypto
import GRDB
import LifeboatCore

/// The global hash chain over the `events` table.
///
/// Each row's `hash` is the hex SHA-256 of the UTF-8 bytes of
/// `prev_hash + "\n" + seq + "\n" + run_id + "\n" + payload`, where `payload` is the row's stored
/// canonical JSON and `prev_hash` is the previous row's `hash` (64 zeros for the first row). One
/// chain runs through all runs; rows are appended inside the IMMEDIATE write transaction, so
/// processes sharing the file extend the chain one after another.
package enum EventChain {
    package static let genesis = String(repeating: "0", count: 64)

    /// The hash of one event row.
    package static func hash(prev: String, seq: Int64, runID: String, payload: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("\(prev)\n\(seq)\n\(runID)\n".utf8))
        hasher.update(data: Array(payload.utf8))
        return Digests.hex(hasher.finalize())
    }

    /// The enum case name of an event kind, stored in `events.kind` for SQL filtering. (A switch
    /// rather than `Mirror`, whose reflection cost showed up on every append; the test
    /// `kindNamesAreTheCaseNames` checks the two agree.)
    package static func kindName(_ kind: RunEvent.Kind) -> String {
        switch kind {
        case .runCreated: return "runCreated"
        case .executorStarted: return "executorStarted"
        case .stepSkipped: return "stepSkipped"
        case .stepStarted: return "stepStarted"
        case .stepSucceeded: return "stepSucceeded"
        case .stepFailed: return "stepFailed"
        case .stepRetryScheduled: return "stepRetryScheduled"
        case .stepReleased: return "stepReleased"
        case .approvalRequested: return "approvalRequested"
        case .approvalGranted: return "approvalGranted"
        case .approvalDenied: return "approvalDenied"
        case .approvalRefused: return "approvalRefused"
        case .approvalTimedOut: return "approvalTimedOut"
        case .stepInterrupted: return "stepInterrupted"
        case .stepVerified: return "stepVerified"
        case .stepUnknown: return "stepUnknown"
        case .stepResolved: return "stepResolved"
        case .stepRedriven: return "stepRedriven"
        case .stepNoted: return "stepNoted"
        case .stepAnswered: return "stepAnswered"
        case .stepQueued: return "stepQueued"
        case .notificationSent: return "notificationSent"
        case .probeSamples: return "probeSamples"
        case .probeBreached: return "probeBreached"
        case .circuitChanged: return "circuitChanged"
        case .circuitFailuresCounted: return "circuitFailuresCounted"
        case .abortRequested: return "abortRequested"
        case .pauseRequested: return "pauseRequested"
        case .runPaused: return "runPaused"
        case .runFinished: return "runFinished"
        case .rollbackStarted: return "rollbackStarted"
        case .compensationStarted: return "compensationStarted"
        case .compensationSucceeded: return "compensationSucceeded"
        case .compensationFailed: return "compensationFailed"
        case .rollbackFinished: return "rollbackFinished"
        case .documentsReloaded: return "documentsReloaded"
        }
    }

    /// Appends one event row, extending the chain. Call inside a write transaction.
    @discardableResult
    static func append(_ event: RunEvent, payload: String, in db: Database) throws -> Int64 {
        try append([(event, payload)], in: db)[0]
    }

    /// Where the chain ends: the last seq given out and the last row's hash.
    struct Head {
        var seq: Int64
        var hash: String
    }

    /// The chain's head, in one statement.
    static func head(in db: Database) throws -> Head {
        let head = try DirectStatement("""
                SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events'),
                       (SELECT hash FROM events ORDER BY seq DESC LIMIT 1)
                """, in: db).first { Head(seq: $0.integer(0) ?? 0, hash: $0.text(1) ?? genesis) }
        return head ?? Head(seq: 0, hash: genesis)
    }

    /// Appends event rows in order after `head` (read here if not given: it must have been read in
    /// the same write transaction), extending the chain; returns their seqs.
    static func append(_ events: [(event: RunEvent, payload: String)], after head: Head? = nil, in db: Database) throws -> [Int64] {
        let head = try head ?? Self.head(in: db)
        var seq = head.seq
        var prev = head.hash
        let insert = try DirectStatement("""
                INSERT INTO events (seq, run_id, at_ms, mono_ms, session, kind, step_id, payload, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, in: db)
        var seqs: [Int64] = []
        for (event, payload) in events {
            seq += 1
            let hash = hash(prev: prev, seq: seq, runID: event.runID, payload: payload)
            try insert.execute([
                .integer(seq), .text(event.runID), .integer(event.atMs), .integer(event.monoMs), .text(event.session),
                .text(kindName(event.kind)), .text(event.kind.stepID), .text(payload), .text(prev), .text(hash),
            ])
            seqs.append(seq)
            prev = hash
        }
        return seqs
    }

    /// Walks the whole chain in one read transaction (see `ChainWalk`).
    static func verify(_ db: Database) throws -> ChainVerification {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT seq, run_id, at_ms, kind, step_id, payload, prev_hash, hash FROM events ORDER BY seq")
        var walk = ChainWalk()
        while let row = try rows.next() {
            let stored = ChainWalk.Row(
                seq: row["seq"], runID: row["run_id"], atMs: row["at_ms"], kind: row["kind"], stepID: row["step_id"],
                payload: row["payload"], prevHash: row["prev_hash"], hash: row["hash"])
            let broken = try walk.take(stored) { seq in
                try Row.fetchOne(db, sql: "SELECT run_id, hash FROM events WHERE seq = ?", arguments: [seq])
                    .map { (runID: $0["run_id"] as String, hash: $0["hash"] as String) }
            }
            if let broken { return broken }
        }
        let recorded = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
        return walk.finish(lastRecordedSeq: recorded)
    }
}

/// The check of a stored event chain, row by row in `seq` order, whatever store holds it: it
/// reports the first row whose content, link or position is not what the chain recorded, with its
/// run.
///
/// When a row does not link to its predecessor the neighbours tell what happened: a row whose
/// `prev_hash` is the hash of the row two back means the row between was inserted; a row that
/// links to its successor means the two were swapped; a row whose own hash does not match is the
/// altered one; otherwise the predecessor was rewritten with a recomputed hash.
package struct ChainWalk {
    /// An event row as stored.
    package typealias Row = ChainedEvent

    private var expected: Int64 = 1
    private var prev = EventChain.genesis
    private var prevPrev: String?
    private var prevRun: String?
    private var checked = 0

    package init() {}

    /// Checks the next row; returns the verdict when the chain breaks here. `next(seq)` reads the
    /// run and hash of the row with that `seq` (to tell a swap from a rewrite).
    package mutating func take(_ row: Row, next: (Int64) throws -> (runID: String, hash: String)?) rethrows
        -> ChainVerification?
    {
        let (seq, runID) = (row.seq, row.runID)
        let selfConsistent = EventChain.hash(prev: row.prevHash, seq: seq, runID: runID, payload: row.payload) == row.hash
        if seq != expected {
            let missing = expected == seq - 1 ? "event \(expected) is" : "events \(expected)…\(seq - 1) are"
            return broken(
                expected, nil, .gap,
                "\(missing) missing (deleted): the log jumps from event \(expected - 1)\(of(prevRun)) to event \(seq) (run \(runID))")
        }
        if row.prevHash != prev {
            if seq > 1, let prevPrev, row.prevHash == prevPrev {
                blamePrevious()
                return broken(
                    seq - 1, prevRun, .inserted,
                    "event \(seq - 1)\(of(prevRun)) was inserted: event \(seq) (run \(runID)) links to event \(seq - 2)")
            }
            if let following = try next(seq + 1), row.prevHash == following.hash {
                return broken(
                    seq, runID, .reordered,
                    "events \(seq) (run \(runID)) and \(seq + 1) (run \(following.runID)) were reordered: event \(seq) links to the event after it")
            }
            if !selfConsistent {
                return broken(seq, runID, .hashMismatch, "event \(seq) (run \(runID)) was altered (its hash does not match its content)")
            }
            blamePrevious()
            return broken(
                seq - 1, prevRun, .brokenLink,
                "event \(seq - 1)\(of(prevRun)) was rewritten with a recomputed hash: event \(seq) (run \(runID)) recorded a different hash for it")
        }
        if !selfConsistent {
            return broken(seq, runID, .hashMismatch, "event \(seq) (run \(runID)) was altered (its hash does not match its content)")
        }
        guard let event = try? CanonicalJSON.decode(RunEvent.self, from: row.payload, what: "event \(seq)") else {
            return broken(seq, runID, .columnMismatch, "event \(seq) (run \(runID))'s payload is not a readable event")
        }
        if event.runID != runID || event.atMs != row.atMs || EventChain.kindName(event.kind) != row.kind
            || event.kind.stepID != row.stepID
        {
            return broken(seq, runID, .columnMismatch, "event \(seq) (run \(runID))'s columns disagree with its payload")
        }
        prevPrev = prev
        prev = row.hash
        prevRun = runID
        checked += 1
        expected += 1
        return nil
    }

    /// The verdict once every row was taken; `lastRecordedSeq` is the highest `seq` the store ever
    /// gave (rows after the last one present were truncated).
    package func finish(lastRecordedSeq: Int64) -> ChainVerification {
        if lastRecordedSeq >= expected {
            return broken(expected, nil, .gap, "events \(expected)…\(lastRecordedSeq) are missing (the log was truncated)")
        }
        return ChainVerification(eventsChecked: checked, head: prev, firstBreak: nil)
    }

    /// Blamed on the row before: it no longer counts as verified.
    private mutating func blamePrevious() {
        checked -= 1
        prev = prevPrev ?? EventChain.genesis
    }

    private func broken(_ seq: Int64, _ run: String?, _ reason: ChainVerification.Reason, _ detail: String)
        -> ChainVerification
    {
        ChainVerification(eventsChecked: checked, head: prev, firstBreak: .init(seq: seq, runID: run, reason: reason, detail: detail))
    }

    private func of(_ run: String?) -> String { run.map { " (run \($0))" } ?? "" }
}

/// The outcome of `SQLiteStore.verifyChain()`: every event row checked, or the first that breaks
/// the chain and why.
public struct ChainVerification: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// The row's content no longer matches its hash: it was edited.
        case hashMismatch = "hash-mismatch"
        /// The row's `prev_hash` is not the previous row's hash: a row before it was replaced.
        case brokenLink = "broken-link"
        /// Sequence numbers are missing: rows were deleted.
        case gap
        /// The queryable columns (run, time, kind, step) disagree with the hashed payload.
        case columnMismatch = "column-mismatch"
        /// A row was added between two rows of the chain.
        case inserted
        /// Two rows exchanged places.
        case reordered
    }

    public struct Break: Sendable, Hashable {
        /// The first sequence number at which the chain is broken (for a gap, the first missing one).
        public var seq: Int64
        /// The run of that event, when the row is there to say (nil for a deleted row).
        public var runID: String?
        public var reason: Reason
        /// One line for a person.
        public var detail: String

        public init(seq: Int64, runID: String? = nil, reason: Reason, detail: String) {
            self.seq = seq
            self.runID = runID
            self.reason = reason
            self.detail = detail
        }
    }

    /// Rows verified before the first break (all rows when the chain is intact).
    public var eventsChecked: Int
    /// Hash of the last verified row (64 zeros for an empty log).
    public var head: String
    public var firstBreak: Break?

    public init(eventsChecked: Int, head: String, firstBreak: Break?) {
        self.eventsChecked = eventsChecked
        self.head = head
        self.firstBreak = firstBreak
    }

    public var isOK: Bool { firstBreak == nil }

    public var description: String {
        if let firstBreak { return "chain broken at event \(firstBreak.seq): \(firstBreak.detail)" }
        return "chain ok: \(eventsChecked) events, head \(head.prefix(16))…"
    }
}
