import LifeboatCore

/// A `StateStore` in memory, with the SQLite store's semantics (the plan+scenario lease,
/// rows derived by the run's machine, control consumption, all-or-nothing appends), for engine
/// tests. `failNextAppend(with:)` simulates a store failure such as a full disk.
public actor InMemoryStore: StateStore {
    private var runRecords: [String: RunRecord] = [:]
    private var runOrder: [String] = []
    private var stepRecords: [String: [StepRecord]] = [:]
    private var log: [RunEvent] = []
    private var pinned: [String: [PinnedDocument]] = [:]
    private var controls: [(message: ControlMessage, consumedAtMs: Int64?)] = []
    private var nextControlID: Int64 = 1
    private var pendingFailures: [any Error] = []
    private let hashText: @Sendable (String) -> String

    /// `hashText` computes `PinnedDocument.sha256`; the double has no SHA-256 of its own, so it
    /// records an empty digest unless given one.
    public init(hashText: @escaping @Sendable (String) -> String = { _ in "" }) {
        self.hashText = hashText
    }

    // MARK: Test controls

    /// Makes the next `append` throw `error` (a `.storeFailure` "disk full" one by default) without
    /// changing anything. Calls queue up: each failure is used by one append.
    public func failNextAppend(with error: any Error = LifeboatError(.storeFailure, "disk full writing <memory>")) {
        pendingFailures.append(error)
    }

    /// Every event of every run, in commit order.
    public var allEvents: [RunEvent] { log }

    /// Every control message with its consumption time.
    public var allControls: [(message: ControlMessage, consumedAtMs: Int64?)] { controls }

    /// Who holds the lease of a plan and scenario, if anyone.
    public func leaseHolder(planID: String, scenario: String) -> String? {
        holder(planID: planID, scenario: scenario, excluding: nil)?.id
    }

    // MARK: StateStore

    public func createRun(id: String, created: RunEvent, documents: [DocumentSource]) async throws {
        guard case .runCreated(let header) = created.kind, created.runID == id else {
            throw LifeboatError(.internalError, "createRun(\(id)) needs the runCreated event of run \(id)")
        }
        guard runRecords[id] == nil else { throw LifeboatError(.invalidState, "run \(id) already exists") }
        if let other = holder(planID: header.planID, scenario: header.scenario, excluding: id) {
            throw leaseHeld(header.planID, header.scenario, other)
        }
        let rows = try createdRows(created)
        let (run, steps) = (rows.run, rows.steps)
        runRecords[id] = run
        runOrder.append(id)
        stepRecords[id] = steps
        pinned[id] = documents.map { PinnedDocument(source: $0, sha256: hashText($0.text)) }
        log.append(created)
    }

    public func append(_ events: [RunEvent], rows: RunRows?, consumingControls ids: [Int64], pinning documents: [DocumentSource])
        async throws
    {
        if !pendingFailures.isEmpty { throw pendingFailures.removeFirst() }
        let reloaded = try reloadedHeader(events, pinning: documents, hash: nil)
        // Change copies first so a refused append changes nothing.
        var runs = runRecords
        var steps = stepRecords
        if let id = events.first?.runID {
            guard runs[id] != nil else { throw LifeboatError(.notFound, "run \(id) not found") }
            guard let rows, rows.run.id == id, events.allSatisfy({ $0.runID == id }) else {
                throw LifeboatError(.internalError, "run \(id): an append carries one run's events with that run's rows")
            }
            if events.contains(where: { if case .runCreated = $0.kind { return true }; return false }) {
                throw LifeboatError(.internalError, "run \(id): runCreated is recorded by createRun only")
            }
            if reloaded != nil {
                pinned[id, default: []] += documents.map { PinnedDocument(source: $0, sha256: hashText($0.text)) }
                steps[id] = rows.steps
            } else {
                for row in rows.steps {
                    guard let index = steps[id]?.firstIndex(where: { $0.stepID == row.stepID }) else {
                        throw LifeboatError(.internalError, "run \(id) has no step \(row.stepID)")
                    }
                    steps[id]![index] = row
                }
            }
            runs[id] = rows.run
        }
        for id in Set(events.map(\.runID)) {
            let run = runs[id]!
            if run.status.holdsLease, let other = holderIn(runs, planID: run.planID, scenario: run.scenario, excluding: id) {
                throw leaseHeld(run.planID, run.scenario, other)
            }
        }
        runRecords = runs
        stepRecords = steps
        log += events
        let at = events.last?.atMs ?? 0
        for i in controls.indices where ids.contains(controls[i].message.id) && controls[i].consumedAtMs == nil {
            controls[i].consumedAtMs = at
        }
    }

    public func events(of runID: String) async throws -> [RunEvent] {
        log.filter { $0.runID == runID }
    }

    public func run(_ runID: String) async throws -> RunRecord? { runRecords[runID] }

    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        let matching = runOrder.reversed().compactMap { runRecords[$0] }.filter { run in
            (filter.planID.map { $0 == run.planID } ?? true) && (filter.scenario.map { $0 == run.scenario } ?? true)
                && (filter.mode.map { $0 == run.mode } ?? true) && (filter.status.map { $0 == run.status } ?? true)
        }
        // Stable sort keeps creation order (newest first) among equal timestamps.
        let sorted = matching.enumerated().sorted { a, b in
            a.element.createdAtMs != b.element.createdAtMs
                ? a.element.createdAtMs > b.element.createdAtMs : a.offset < b.offset
        }.map(\.element)
        return Array(sorted.prefix(max(filter.limit, 0)))
    }

    public func steps(of runID: String) async throws -> [StepRecord] {
        (stepRecords[runID] ?? []).sorted { $0.position < $1.position }
    }

    public func documents(of runID: String) async throws -> [PinnedDocument] { pinned[runID] ?? [] }

    public func postControl(_ message: ControlMessage) async throws {
        guard runRecords[message.runID] != nil else { throw LifeboatError(.notFound, "run \(message.runID) not found") }
        var stored = message
        stored.id = nextControlID
        nextControlID += 1
        controls.append((stored, nil))
    }

    public func pendingControls(of runID: String) async throws -> [ControlMessage] {
        controls.filter { $0.message.runID == runID && $0.consumedAtMs == nil }.map(\.message)
    }

    // MARK: Lease

    private func holder(planID: String, scenario: String, excluding id: String?) -> RunRecord? {
        holderIn(runRecords, planID: planID, scenario: scenario, excluding: id)
    }

    private func holderIn(_ runs: [String: RunRecord], planID: String, scenario: String, excluding id: String?)
        -> RunRecord?
    {
        runOrder.lazy.compactMap { runs[$0] }.first {
            $0.id != id && $0.planID == planID && $0.scenario == scenario && $0.status.holdsLease
        }
    }

    private func leaseHeld(_ planID: String, _ scenario: String, _ other: RunRecord) -> LifeboatError {
        LifeboatError(
            .leaseHeld, "plan \(planID) scenario \(scenario) already has an active run \(other.id) (\(other.status.rawValue))",
            hint: "resume it with `lifeboat resume \(other.id)` or end it with `lifeboat abort \(other.id)`")
    }
}
