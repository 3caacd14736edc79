import LifeboatCore
/// Everything a report about one run says, computed from the store's rows and the run's event log;
/// the renderers (HTML, Markdown, JSON, JUnit) only lay it out.
public struct RunReport: Sendable, Hashable, Codable {
    public var run: Facts
    /// The pinned plan and runbook: the plan version is `run.documentsHash` over these.
    public var documents: [Document]
    public var approvals: [Approval]
    /// Answers given at `run --step` (go, skip, pause), in the order they were given.
    public var stepAnswers: [StepAnswer]
    /// Notes people added (tabletop `n TEXT`), in the order they were recorded.
    public var notes: [RunNote]
    /// For a tabletop the verdicts are "not measured": the team's talk time is no recovery.
    public var measurement: RunMeasurement
    public var steps: [Step]
    public var timeline: ReportTimeline

    /// The run's identity and how it went.
    public struct Facts: Sendable, Hashable, Codable {
        public var runID: String
        public var planID: String
        public var scenario: String
        public var runbookID: String
        public var mode: RunMode
        public var status: RunStatus
        public var pauseReason: RunEvent.PauseReason?
        /// One phrase: `succeeded`, `failed at promote-db`, `paused (awaiting-approval)`.
        public var outcome: String
        public var startedBy: String
        public var createdAtMs: Int64
        /// First executor start; nil if the run never started.
        public var startedAtMs: Int64?
        public var endedAtMs: Int64?
        /// Hex SHA-256 of the pinned plan and runbook text.
        public var documentsHash: String
        public var concurrency: Int
        /// The run was started with `--yes`: approvals were given by the flag.
        public var approvedByFlag: Bool
        /// Parameters after merging, as text (secrets are never parameters).
        public var params: [String: String]
        public var abortedBy: String?
        public var abortReason: String?
    }

    public struct Document: Sendable, Hashable, Codable {
        public var kind: String
        public var path: String
        public var sha256: String
    }

    /// One decision on an approval step: counted (approved, denied), refused, or its timeout.
    public struct Approval: Sendable, Hashable, Codable {
        public var step: String
        public var title: String
        public var outcome: Outcome
        /// True for an approval that counted (`outcome` approved).
        public var approved: Bool
        /// The label the person gave (`--by`).
        public var by: String
        /// Who it was, as the system authenticated them (nil in runs recorded before identities
        /// were, and for a timeout).
        public var identity: String?
        public var sudoUser: String?
        public var host: String?
        /// Approvals given of those needed once this one counted ("1 of 2"), for quorum steps.
        public var progress: String?
        /// `terminal`, `--yes`, `lifeboat approve`, `lifeboat approve --deny`.
        public var via: String
        /// True when `--yes` gave it, not a person at the time.
        public var byFlag: Bool
        public var requestedAtMs: Int64?
        public var decidedAtMs: Int64
        /// How long the step waited for the decision (as recorded; nil for denials).
        public var waitMs: Int64?
        /// Why it was denied, why it was refused, or what the timeout did.
        public var reason: String?

        init(
            step: String, title: String, outcome: Outcome, approved: Bool, by: String, decider: Decider?,
            progress: String? = nil, via: String, byFlag: Bool, requestedAtMs: Int64?, decidedAtMs: Int64, waitMs: Int64?,
            reason: String?
        ) {
            self.step = step
            self.title = title
            self.outcome = outcome
            self.approved = approved
            self.by = by
            self.identity = decider?.identity
            self.sudoUser = decider?.sudoUser
            self.host = decider?.host
            self.progress = progress
            self.via = via
            self.byFlag = byFlag
            self.requestedAtMs = requestedAtMs
            self.decidedAtMs = decidedAtMs
            self.waitMs = waitMs
            self.reason = reason
        }

        public enum Outcome: String, Sendable, Hashable, Codable {
            case approved, denied, refused
            case timedOut = "timed-out"
        }

        /// "Alice (account alice on db1)", or the label alone in older runs.
        public var who: String {
            guard let identity else { return by }
            return Decider(identity: identity, sudoUser: sudoUser, label: by, host: host ?? "").description
        }

        /// The decision in words: "approved (1 of 2)", "denied: wrong region", "refused: …".
        public var decisionText: String {
            switch outcome {
            case .approved: return "approved" + (progress.map { " (\($0))" } ?? "")
            case .denied: return "denied" + (reason.map { ": " + $0 } ?? "")
            case .refused: return "refused" + (reason.map { ": " + $0 } ?? "")
            case .timedOut: return "timed out" + (reason.map { ": " + $0 } ?? "")
            }
        }
    }

    /// One answer at `run --step`: the operator let the step start, skipped it or paused the run.
    public struct StepAnswer: Sendable, Hashable, Codable {
        public var step: String
        public var title: String
        public var answer: RunEvent.StepAnswer
        public var by: String
        public var reason: String?
        public var atMs: Int64
        /// How long the question waited for the answer.
        public var waitMs: Int64
    }

    public struct Step: Sendable, Hashable, Codable {
        public var position: Int
        public var id: String
        public var title: String
        public var action: String
        public var status: StepStatus
        public var attempts: Int
        /// Start of the first attempt (for an approval, when it was requested).
        public var startedAtMs: Int64?
        public var endedAtMs: Int64?
        /// Duration of the last attempt (for an approval, the wait).
        public var durationMs: Int64?
        /// Sum of all attempts' durations.
        public var totalAttemptMs: Int64
        public var summary: String?
        public var error: String?
        /// The last failure's detail (a command's output tail), secrets masked.
        public var errorDetail: String?
        /// The outcome an operator forced (resolve, skip), if any.
        public var forced: String?
        /// Lane on the timeline; nil if the step never started.
        public var lane: Int?
    }

    /// Builds the report. Throws when `events` does not start with `runCreated` (a damaged store).
    public static func build(
        run: RunRecord, steps: [StepRecord], events: [RunEvent], documents: [PinnedDocument]
    ) throws -> RunReport {
        guard case .runCreated(let header)? = events.first?.kind, var measurement = RunMeasurement.compute(events) else {
            throw LifeboatError(
                .storeFailure, "run \(run.id) has no runCreated event", hint: "check the store with `lifeboat audit verify`")
        }
        let timeline = ReportTimeline.build(events, measurement: measurement)
        let titles = Dictionary(header.steps.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        let lanes = Dictionary(timeline.segments.map { ($0.step, $0.lane) }, uniquingKeysWith: { a, _ in a })
        var attemptTotal: [String: Int64] = [:]
        var requested: [String: Int64] = [:]
        var approvals: [Approval] = []
        let quorums = Dictionary(header.steps.map { ($0.id, $0.approvalRule.quorum) }, uniquingKeysWith: { a, _ in a })
        var granted: [String: Int] = [:]
        var stepAnswers: [StepAnswer] = []
        var abort: (by: String, reason: String)?
        for event in events {
            switch event.kind {
            case .stepSucceeded(let s, _, let d, _), .stepFailed(let s, _, let d, _):
                attemptTotal[s, default: 0] += d
            case .approvalRequested(let s, _):
                if requested[s] == nil { requested[s] = event.atMs }
            case .approvalGranted(let s, let by, let via, let wait, let decider):
                granted[s, default: 0] += 1
                let quorum = quorums[s] ?? 1
                approvals.append(Approval(
                    step: s, title: titles[s] ?? s, outcome: .approved, approved: true, by: by, decider: decider,
                    progress: quorum > 1 ? "\(granted[s]!) of \(quorum)" : nil, via: via, byFlag: via == "--yes",
                    requestedAtMs: requested[s], decidedAtMs: event.atMs, waitMs: wait, reason: nil))
            case .approvalDenied(let s, let by, let via, let reason, let decider):
                approvals.append(Approval(
                    step: s, title: titles[s] ?? s, outcome: .denied, approved: false, by: by, decider: decider, via: via,
                    byFlag: via == "--yes", requestedAtMs: requested[s], decidedAtMs: event.atMs,
                    waitMs: requested[s].map { event.atMs - $0 }, reason: reason))
            case .approvalRefused(let s, let approve, let via, let why, let decider):
                approvals.append(Approval(
                    step: s, title: titles[s] ?? s, outcome: .refused, approved: false, by: decider.label, decider: decider,
                    via: via, byFlag: via == "--yes", requestedAtMs: requested[s], decidedAtMs: event.atMs, waitMs: nil,
                    reason: (approve ? "to approve: " : "to deny: ") + why))
            case .approvalTimedOut(let s, let waited, let then):
                approvals.append(Approval(
                    step: s, title: titles[s] ?? s, outcome: .timedOut, approved: false, by: "its timeout", decider: nil,
                    via: "timeout", byFlag: false, requestedAtMs: requested[s], decidedAtMs: event.atMs, waitMs: waited,
                    reason: then == .deny ? "no decision in time: denied" : "no decision in time: the run paused"))
            case .stepRedriven(let s, _, _):
                granted[s] = nil
            case .abortRequested(let by, let reason, _):
                abort = (by, reason)
            case .probeBreached(let probe, let reason, .abort):
                abort = ("probe \(probe) (abort_when)", reason)
            case .stepAnswered(let s, let answer, let by, let reason, let wait, _):
                stepAnswers.append(StepAnswer(
                    step: s, title: titles[s] ?? s, answer: answer, by: by, reason: reason, atMs: event.atMs, waitMs: wait))
            default:
                break
            }
        }
        if run.mode == .tabletop {
            measurement.rto.verdict = .notMeasured
            measurement.rpo.verdict = .notMeasured
        }
        let started = events.first { if case .executorStarted = $0.kind { return true } else { return false } }?.atMs
        let facts = Facts(
            runID: run.id, planID: run.planID, scenario: run.scenario, runbookID: run.runbookID, mode: run.mode,
            status: run.status, pauseReason: run.pauseReason,
            outcome: outcome(run, steps: steps), startedBy: run.startedBy,
            createdAtMs: run.createdAtMs, startedAtMs: started, endedAtMs: run.endedAtMs, documentsHash: run.documentsHash,
            concurrency: header.concurrency, approvedByFlag: header.approvedByFlag,
            params: header.params.mapValues(\.renderedText), abortedBy: abort?.by, abortReason: abort?.reason)
        let rows = steps.sorted { $0.position < $1.position }.map { s in
            Step(
                position: s.position, id: s.stepID, title: s.title, action: s.action, status: s.status,
                attempts: s.attempts, startedAtMs: s.startedAtMs ?? requested[s.stepID], endedAtMs: s.endedAtMs, durationMs: s.durationMs,
                totalAttemptMs: attemptTotal[s.stepID] ?? s.durationMs ?? 0, summary: s.summary, error: s.error,
                errorDetail: s.errorDetail, forced: s.forced, lane: lanes[s.stepID])
        }
        return RunReport(
            run: facts,
            documents: documents.map { Document(kind: $0.source.kind.rawValue, path: $0.source.path, sha256: $0.sha256) },
            approvals: approvals, stepAnswers: stepAnswers, notes: RunNote.all(in: events), measurement: measurement, steps: rows, timeline: timeline)
    }

    /// The run's outcome, with how many steps an operator forced (`succeeded, 1 forced`).
    private static func outcome(_ run: RunRecord, steps: [StepRecord]) -> String {
        let forced = steps.filter { $0.forced != nil }.count
        return earnedOutcome(run, steps: steps) + (forced > 0 ? ", \(forced) forced" : "")
    }

    private static func earnedOutcome(_ run: RunRecord, steps: [StepRecord]) -> String {
        switch run.status {
        case .failed:
            let failed = steps.filter { $0.status == .failed || $0.status == .unknown }.map(\.stepID)
            return failed.isEmpty ? "failed" : "failed at " + failed.joined(separator: ", ")
        case .paused:
            return "paused" + (run.pauseReason.map { " (\($0.rawValue))" } ?? "")
        default:
            return run.status.rawValue
        }
    }
}
