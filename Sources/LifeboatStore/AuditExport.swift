import GRDB
import LifeboatCore

/// One record of an audit export, in the order `SQLiteStore.exportAudit` emits them: each run
/// with its pinned documents, then the runs' events in log order.
public enum AuditRecord: Sendable {
    case run(RunRecord)
    case document(runID: String, position: Int, PinnedDocument)
    case event(ChainedEvent)
}

/// An event row exactly as stored: enough to recompute its hash (`EventChain`'s formula:
/// SHA-256 of `prevHash \n seq \n runID \n payload`) and check its link to the previous row.
public struct ChainedEvent: Sendable, Hashable, Codable {
    public var seq: Int64
    public var runID: String
    public var atMs: Int64
    public var kind: String
    public var stepID: String?
    /// The canonical JSON the hash covers, byte for byte.
    public var payload: String
    public var prevHash: String
    public var hash: String

    public init(
        seq: Int64, runID: String, atMs: Int64, kind: String, stepID: String?, payload: String, prevHash: String, hash: String
    ) {
        self.seq = seq
        self.runID = runID
        self.atMs = atMs
        self.kind = kind
        self.stepID = stepID
        self.payload = payload
        self.prevHash = prevHash
        self.hash = hash
    }

    /// Whether `hash` is the hash of this row's content and `prevHash`.
    public var hashIsValid: Bool {
        EventChain.hash(prev: prevHash, seq: seq, runID: runID, payload: payload) == hash
    }
}

extension SQLiteStore {
    /// The hash of the newest event (64 zeros for an empty log): what an archive anchors to.
    public func chainHead() async throws -> String {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT hash FROM events ORDER BY seq DESC LIMIT 1") ?? EventChain.genesis
        }
    }

    /// Streams the runs chosen by `runID` or by creation time (`sinceMs` ≤ created < `untilMs`),
    /// their pinned documents and their events to `emit`, in one read transaction. Returns the
    /// number of runs and events emitted. Throws `.notFound` for an unknown `runID`.
    @discardableResult
    public func exportAudit(
        runID: String?, sinceMs: Int64?, untilMs: Int64?, emit: @escaping @Sendable (AuditRecord) throws -> Void
    ) async throws -> (runs: Int, events: Int) {
        let path = self.path
        return try await read { db in
            var conditions: [String] = []
            var values: [(any DatabaseValueConvertible)?] = []
            if let runID { conditions.append("id = ?"); values.append(runID) }
            if let sinceMs { conditions.append("created_at_ms >= ?"); values.append(sinceMs) }
            if let untilMs { conditions.append("created_at_ms < ?"); values.append(untilMs) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let runs = try Row.fetchAll(
                db, sql: "SELECT * FROM runs \(whereClause) ORDER BY created_at_ms, rowid",
                arguments: StatementArguments(values)
            ).map(Rows.runRecord)
            if let runID, runs.isEmpty {
                throw LifeboatError(.notFound, "no run '\(runID)' in \(path)", hint: "list runs with `lifeboat history`")
            }
            for run in runs {
                try emit(.run(run))
                for (position, document) in try Rows.documents(of: run.id, in: db).enumerated() {
                    try emit(.document(runID: run.id, position: position, document))
                }
            }
            var events = 0
            let eventFilter = runID != nil ? "WHERE run_id = ?" : conditions.isEmpty ? "" : "WHERE run_id IN (SELECT id FROM runs \(whereClause))"
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT seq, run_id, at_ms, kind, step_id, payload, prev_hash, hash FROM events \(eventFilter) ORDER BY seq",
                arguments: runID != nil ? [runID!] : StatementArguments(values))
            while let row = try rows.next() {
                try emit(
                    .event(
                        ChainedEvent(
                            seq: row["seq"], runID: row["run_id"], atMs: row["at_ms"], kind: row["kind"],
                            stepID: row["step_id"], payload: row["payload"], prevHash: row["prev_hash"],
                            hash: row["hash"])))
                events += 1
            }
            return (runs.count, events)
        }
    }
}

extension SQLiteStore {
    /// How many runs and events the file holds.
    public func counts() async throws -> (runs: Int, events: Int) {
        try await read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0)
        }
    }

    /// Every run id, oldest first.
    public func allRunIDs() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT id FROM runs ORDER BY created_at_ms, rowid") }
    }
}
