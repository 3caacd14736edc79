/// Durable run state. The SQLite store (LifeboatStore) is the real one; engine tests use an
/// in-memory double (LifeboatTestSupport).
///
/// Contract: every method is atomic. `append` commits its events, their projections and the
/// consumption of control messages in one transaction, and returns only once that transaction is
/// durable (the engine starts a side effect only after the intent is committed).
public protocol StateStore: Sendable {
    /// Creates a run: pins its documents, takes the plan+scenario lease and records `runCreated`.
    /// Throws `.leaseHeld` (naming the holding run and what to do) when another active run of the
    /// same plan and scenario exists.
    func createRun(id: String, created: RunEvent, documents: [DocumentSource]) async throws

    /// Appends events to a run's log (in order), writes `rows` (the run's row and the step rows the
    /// events change, as the run's machine derives them after the events; nil only with no events),
    /// marks `consumingControls` consumed, and releases the lease when the run becomes terminal; all
    /// in one transaction. A `documentsReloaded` event comes alone, with the `documents` it pins
    /// (their hash is its header's `documentsHash`), and the rows of every step of its header: rows
    /// of steps it no longer has are removed.
    func append(_ events: [RunEvent], rows: RunRows?, consumingControls: [Int64], pinning documents: [DocumentSource])
        async throws

    /// A run's events in log order.
    func events(of runID: String) async throws -> [RunEvent]

    func run(_ runID: String) async throws -> RunRecord?

    /// Newest first.
    func runs(matching filter: RunFilter) async throws -> [RunRecord]

    /// In the order of the run's topological step order.
    func steps(of runID: String) async throws -> [StepRecord]

    func documents(of runID: String) async throws -> [PinnedDocument]

    /// Queues an operator's message (approve, abort) for the process executing the run.
    func postControl(_ message: ControlMessage) async throws

    /// Unconsumed control messages for a run, oldest first.
    func pendingControls(of runID: String) async throws -> [ControlMessage]

    /// Returns true once `news` for `runID` may have arrived (a store whose server tells it, or
    /// after a while as a safety net), or false at once when this store cannot tell: the caller then
    /// polls (the executor every `EngineConfiguration.controlPollMs`).
    func waitFor(_ news: RunNews, of runID: String) async -> Bool
}

/// What a process can wait for on a run: a control message queued for it (the executor), or
/// events recorded (`lifeboat watch`).
public enum RunNews: String, Sendable, Hashable, CaseIterable {
    case controls
    case events
}

extension StateStore {
    /// Stores that cannot be told are polled.
    public func waitFor(_ news: RunNews, of runID: String) async -> Bool { false }
}

extension StateStore {
    /// Appends events whose rows the store derives by replaying the run's whole log through its
    /// machine: for tools and tests. The engine hands its own machine's rows instead.
    public func append(_ events: [RunEvent], consumingControls: [Int64], pinning documents: [DocumentSource] = [])
        async throws
    {
        guard let runID = events.first?.runID else {
            return try await append([], rows: nil, consumingControls: consumingControls, pinning: documents)
        }
        let recorded = try await self.events(of: runID)
        guard !recorded.isEmpty else { throw LifeboatError(.notFound, "run \(runID) not found") }
        var machine: RunStateMachine
        do {
            machine = try RunStateMachine.replay(recorded)
            for event in events { try machine.apply(event) }
        } catch {
            throw LifeboatError(.internalError, "run \(runID): \(error.description)")
        }
        try await append(
            events, rows: machine.rows(changedBy: events.map(\.kind)), consumingControls: consumingControls, pinning: documents)
    }

    /// The rows of a run that only its `runCreated` event has made.
    public func createdRows(_ created: RunEvent) throws -> RunRows {
        do { return try RunStateMachine.replay([created]).rows } catch {
            throw LifeboatError(.internalError, "run \(created.runID): \(error.description)")
        }
    }

    /// Checks the rule of `append(_:consumingControls:pinning:)` for a `documentsReloaded` event and
    /// returns its header (nil when `events` reload nothing). `hash`: how the store hashes documents,
    /// when it does; called only for a reload, so an ordinary append computes no hash.
    public func reloadedHeader(
        _ events: [RunEvent], pinning documents: [DocumentSource], hash: (([DocumentSource]) -> String)?
    ) throws -> RunHeader? {
        let reloads = events.compactMap { event -> RunHeader? in
            if case .documentsReloaded(let header, _, _, _) = event.kind { return header }
            return nil
        }
        guard let header = reloads.first else {
            guard documents.isEmpty else { throw LifeboatError(.internalError, "documents are pinned only by documentsReloaded") }
            return nil
        }
        guard events.count == 1, hash.map({ header.documentsHash == $0(documents) }) ?? true else {
            throw LifeboatError(.internalError, "documentsReloaded is recorded alone, with the documents its header names")
        }
        return header
    }
}

/// The `runs` projection.
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var planID: String
    public var scenario: String
    public var runbookID: String
    public var mode: RunMode
    public var status: RunStatus
    /// Set while `status == .paused`.
    public var pauseReason: RunEvent.PauseReason?
    public var startedBy: String
    public var documentsHash: String
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
    /// When the run reached a terminal or failed state.
    public var endedAtMs: Int64?
    public var objectives: Objectives

    public init(
        id: String, planID: String, scenario: String, runbookID: String, mode: RunMode, status: RunStatus,
        pauseReason: RunEvent.PauseReason?, startedBy: String, documentsHash: String, createdAtMs: Int64,
        updatedAtMs: Int64, endedAtMs: Int64?, objectives: Objectives
    ) {
        self.id = id
        self.planID = planID
        self.scenario = scenario
        self.runbookID = runbookID
        self.mode = mode
        self.status = status
        self.pauseReason = pauseReason
        self.startedBy = startedBy
        self.documentsHash = documentsHash
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.endedAtMs = endedAtMs
        self.objectives = objectives
    }
}

public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case created, running, paused, succeeded, failed, aborted
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
    case rollbackFailed = "rollback-failed"

    /// Whether the run still holds its plan+scenario lease. A failed run holds it: it can be
    /// redriven with `resume`, or released with `abort`.
    public var holdsLease: Bool {
        switch self {
        case .created, .running, .paused, .failed, .rollingBack, .rollbackFailed: return true
        case .succeeded, .aborted, .rolledBack: return false
        }
    }

    /// The status a run's projection takes after `kind`, or nil when `kind` does not change it.
    public static func after(_ kind: RunEvent.Kind) -> RunStatus? {
        switch kind {
        case .runCreated: return .created
        case .executorStarted: return .running
        case .runPaused: return .paused
        case .runFinished(let outcome):
            switch outcome {
            case .succeeded: return .succeeded
            case .failed: return .failed
            case .aborted: return .aborted
            }
        case .rollbackStarted: return .rollingBack
        case .rollbackFinished(let outcome): return outcome == .succeeded ? .rolledBack : .rollbackFailed
        default: return nil
        }
    }
}

/// The `steps` projection.
public struct StepRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var stepID: String
    /// Index in the run's topological order.
    public var position: Int
    public var title: String
    public var action: String
    public var status: StepStatus
    public var attempts: Int
    /// Start of the first attempt and end of the last, wall clock UTC ms.
    public var startedAtMs: Int64?
    public var endedAtMs: Int64?
    /// Duration of the last attempt (monotonic).
    public var durationMs: Int64?
    public var summary: String?
    public var error: String?
    public var outputs: [String: Value]
    /// The detail of the last failure (a command's output tail, a server's words), secrets masked.
    public var errorDetail: String?
    /// The outcome an operator forced (`succeeded`, `failed`, `compensated` by `resolve`, or
    /// `skipped` by `skip`); nil when the step earned its status.
    public var forced: String?

    public init(
        runID: String, stepID: String, position: Int, title: String, action: String, status: StepStatus,
        attempts: Int = 0, startedAtMs: Int64? = nil, endedAtMs: Int64? = nil, durationMs: Int64? = nil,
        summary: String? = nil, error: String? = nil, outputs: [String: Value] = [:], forced: String? = nil,
        errorDetail: String? = nil
    ) {
        self.runID = runID
        self.stepID = stepID
        self.position = position
        self.title = title
        self.action = action
        self.status = status
        self.attempts = attempts
        self.startedAtMs = startedAtMs
        self.endedAtMs = endedAtMs
        self.durationMs = durationMs
        self.summary = summary
        self.error = error
        self.outputs = outputs
        self.forced = forced
        self.errorDetail = errorDetail
    }
}

public enum StepStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, running
    case retryWait = "retry-wait"
    case awaitingApproval = "awaiting-approval"
    case verifying
    case succeeded, failed, skipped, unknown
    case compensating, compensated
    case compensationFailed = "compensation-failed"

    public var isTerminal: Bool {
        switch self {
        case .succeeded, .skipped, .compensated: return true
        default: return false
        }
    }
}

public struct RunFilter: Sendable, Hashable {
    public var planID: String?
    public var scenario: String?
    public var mode: RunMode?
    public var status: RunStatus?
    public var limit: Int

    public init(
        planID: String? = nil, scenario: String? = nil, mode: RunMode? = nil, status: RunStatus? = nil,
        limit: Int = 50
    ) {
        self.planID = planID
        self.scenario = scenario
        self.mode = mode
        self.status = status
        self.limit = limit
    }
}

/// A document as a run pinned it.
public struct PinnedDocument: Sendable, Hashable, Codable {
    public var source: DocumentSource
    /// Hex SHA-256 of `source.text`.
    public var sha256: String

    public init(source: DocumentSource, sha256: String) {
        self.source = source
        self.sha256 = sha256
    }
}

/// An operator's instruction to the process executing a run, sent from another terminal.
public struct ControlMessage: Sendable, Hashable, Codable {
    public enum Kind: Sendable, Hashable, Codable {
        /// `caller`: who decided, as `lifeboat approve` authenticated them (nil in messages sent
        /// before identities were: then their label stands for them).
        case approve(step: String, caller: Caller? = nil)
        case deny(step: String, reason: String, caller: Caller? = nil)
        case abort(reason: String, caller: Caller? = nil)
        case pause(reason: String, caller: Caller? = nil)
    }

    /// Assigned by the store.
    public var id: Int64
    public var runID: String
    public var kind: Kind
    public var by: String
    public var atMs: Int64

    public init(id: Int64 = 0, runID: String, kind: Kind, by: String, atMs: Int64) {
        self.id = id
        self.runID = runID
        self.kind = kind
        self.by = by
        self.atMs = atMs
    }

    /// Who decided: the caller the message carries, else its label.
    public func caller(_ carried: Caller?) -> Caller {
        carried ?? .named(by)
    }

    /// Replaces the identity and groups the message body claims with those the store authenticated
    /// (the team store stamps each message with its sender's `session_user`); the label and host
    /// stay as sent.
    public mutating func authenticate(as identity: String, groups: Set<String>) {
        func stamped(_ claimed: Caller?) -> Caller {
            let decider = claimed?.decider
            return Caller(
                decider: Decider(identity: identity, sudoUser: nil, label: decider?.label ?? by, host: decider?.host ?? ""),
                groups: groups)
        }
        switch kind {
        case .approve(let step, let caller): kind = .approve(step: step, caller: stamped(caller))
        case .deny(let step, let reason, let caller): kind = .deny(step: step, reason: reason, caller: stamped(caller))
        case .abort(let reason, let caller): kind = .abort(reason: reason, caller: stamped(caller))
        case .pause(let reason, let caller): kind = .pause(reason: reason, caller: stamped(caller))
        }
    }
}
