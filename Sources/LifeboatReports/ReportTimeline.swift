import LifeboatCore
/// A run's timeline, computed from its events alone: one segment per step attempt, backoff gap,
/// approval wait and compensation, each placed in a lane so that overlapping steps never share one,
/// with the RTO window's start, target and achieved marks. Times are milliseconds from `originMs`.
public struct ReportTimeline: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case attempt
        /// The delay between a failed attempt and the next one.
        case backoff
        /// An approval step waiting for a person.
        case approval
        case compensation
    }

    public enum Outcome: String, Sendable, Hashable, Codable {
        case succeeded, failed, unknown
        /// Stopped by a crash or kill; recovered on resume.
        case interrupted
        /// Stopped and put back to pending (tabletop quit, cancelled idempotent step).
        case released
        /// No result recorded yet: still running, or the run is paused.
        case open
        case approved, denied
        /// Backoff segments.
        case waited
    }

    public struct Segment: Sendable, Hashable, Codable {
        public var step: String
        public var kind: Kind
        /// 1-based attempt for `attempt` segments; for `backoff`, the attempt it waits for.
        public var attempt: Int?
        public var startMs: Int64
        public var endMs: Int64
        public var outcome: Outcome
        public var lane: Int

        public var durationMs: Int64 { endMs - startMs }
    }

    /// Wall clock (UTC ms) of time zero: the first executor start, else the run's creation.
    public var originMs: Int64
    /// Length of the axis: covers every segment and RTO mark.
    /// The axis length: the run's events (an RTO target beyond them is not on the axis).
    public var spanMs: Int64
    public var lanes: Int
    /// In lane order, then time order.
    public var segments: [Segment]
    /// Where the RTO clock starts (the window's first step, else the executor start).
    public var rtoStartMs: Int64?
    /// `rtoStartMs` plus the RTO objective.
    public var rtoTargetMs: Int64?
    /// `rtoStartMs` plus the achieved RTO.
    public var rtoAchievedMs: Int64?
    /// What the run's probe saw (the strip under the lanes); nil without probe samples.
    public var availability: ReportAvailability?

    /// Builds the timeline of `events` (a run's log, `runCreated` first) with `measurement`'s RTO.
    public static func build(_ events: [RunEvent], measurement: RunMeasurement?) -> ReportTimeline {
        var header: RunHeader?
        if case .runCreated(let h)? = events.first?.kind { header = h }
        let position = Dictionary(
            (header?.steps ?? []).enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let origin = events.first(where: { if case .executorStarted = $0.kind { return true } else { return false } })?.atMs
            ?? events.first?.atMs ?? 0

        var segments: [Segment] = []
        var openAttempt: [String: (attempt: Int, at: Int64, session: String)] = [:]
        var openApproval: [String: Int64] = [:]
        let quorum = Dictionary((header?.steps ?? []).map { ($0.id, $0.approvalRule.quorum) }, uniquingKeysWith: { a, _ in a })
        var grants: [String: Int] = [:]
        var openCompensation: [String: Int64] = [:]
        var backoffFrom: [String: (at: Int64, next: Int)] = [:]
        var lastAtInSession: [String: Int64] = [:]
        var firstStart: [String: Int64] = [:]

        func add(_ step: String, _ kind: Kind, _ attempt: Int?, _ start: Int64, _ end: Int64, _ outcome: Outcome) {
            segments.append(Segment(
                step: step, kind: kind, attempt: attempt, startMs: start - origin, endMs: max(end, start) - origin,
                outcome: outcome, lane: 0))
        }
        func closeAttempt(_ step: String, at end: Int64, _ outcome: Outcome) {
            guard let open = openAttempt.removeValue(forKey: step) else { return }
            add(step, .attempt, open.attempt, open.at, end, outcome)
        }

        for event in events {
            let at = event.atMs
            switch event.kind {
            case .stepStarted(let step, let attempt):
                if firstStart[step] == nil { firstStart[step] = at }
                if let gap = backoffFrom.removeValue(forKey: step) {
                    add(step, .backoff, attempt, gap.at, at, .waited)
                }
                openAttempt[step] = (attempt, at, event.session)
            case .stepSucceeded(let step, _, _, _), .stepVerified(let step, .done):
                closeAttempt(step, at: at, .succeeded)
            case .stepFailed(let step, _, _, _):
                closeAttempt(step, at: at, .failed)
            case .stepRetryScheduled(let step, let next, _):
                backoffFrom[step] = (at, next)
            case .stepReleased(let step, _):
                closeAttempt(step, at: at, .released)
            case .stepInterrupted(let step, _, _):
                // The attempt ended when its process died: at that process's last recorded event.
                if let open = openAttempt[step] {
                    closeAttempt(step, at: lastAtInSession[open.session] ?? open.at, .interrupted)
                }
            case .stepUnknown(let step, _):
                closeAttempt(step, at: at, .unknown)
            case .approvalRequested(let step, _):
                if firstStart[step] == nil { firstStart[step] = at }
                if openApproval[step] == nil { openApproval[step] = at }
            case .approvalGranted(let step, _, _, _, _):
                // A quorum's earlier approvals leave the step waiting: its bar ends with the last.
                grants[step, default: 0] += 1
                guard grants[step]! >= (quorum[step] ?? 1) else { break }
                grants[step] = nil
                add(step, .approval, nil, openApproval.removeValue(forKey: step) ?? at, at, .approved)
            case .approvalDenied(let step, _, _, _, _), .approvalTimedOut(let step, _, .deny):
                grants[step] = nil
                add(step, .approval, nil, openApproval.removeValue(forKey: step) ?? at, at, .denied)
            case .compensationStarted(let step):
                openCompensation[step] = at
            case .compensationSucceeded(let step, _, _):
                add(step, .compensation, nil, openCompensation.removeValue(forKey: step) ?? at, at, .succeeded)
            case .compensationFailed(let step, _, _):
                add(step, .compensation, nil, openCompensation.removeValue(forKey: step) ?? at, at, .failed)
            default:
                break
            }
            lastAtInSession[event.session] = at
        }
        let end = events.last?.atMs ?? origin
        for (step, open) in openAttempt { add(step, .attempt, open.attempt, open.at, end, .open) }
        for (step, at) in openApproval { add(step, .approval, nil, at, end, .open) }
        for (step, at) in openCompensation { add(step, .compensation, nil, at, end, .open) }

        var rtoStart: Int64?
        if let window = header?.rtoWindow {
            rtoStart = firstStart[window.start].map { $0 - origin }
        } else if events.contains(where: { if case .executorStarted = $0.kind { return true } else { return false } }) {
            rtoStart = 0
        }
        let rto = measurement?.rto
        let target = rtoStart.flatMap { s in rto?.objectiveMs.map { s + $0 } }
        let achieved = rtoStart.flatMap { s in rto?.achievedMs.map { s + $0 } }

        let lanes = assignLanes(&segments, position: position)
        // The axis spans the run, not its objective: a short drill against a long objective stays
        // readable (the renderer marks an objective beyond the run at the edge).
        let span = max([end - origin, achieved ?? 0, segments.map(\.endMs).max() ?? 0].max()!, 1)
        return ReportTimeline(
            originMs: origin, spanMs: span, lanes: lanes, segments: segments, rtoStartMs: rtoStart,
            rtoTargetMs: target, rtoAchievedMs: achieved, availability: ReportAvailability.build(events, originMs: origin))
    }

    /// A step's extent on the axis: from its first segment's start to its last segment's end.
    public struct Span: Sendable, Hashable {
        public var step: String
        public var startMs: Int64
        public var endMs: Int64
        /// Order among spans that start together (the step's topological position).
        public var order: Int
    }

    /// Interval partitioning: each span goes into the lowest-numbered lane that is free when it
    /// starts (a lane is free once its last span, extended by `reserve`, has ended). Spans are taken
    /// by start time, ties by `order`, so the layout is stable. Returns each step's lane and the count.
    public static func partition(_ spans: [Span], reserve: (Span) -> Int64 = { _ in 0 }) -> (lane: [String: Int], count: Int) {
        var laneEnds: [Int64] = []
        var lane: [String: Int] = [:]
        for span in spans.sorted(by: { ($0.startMs, $0.order) < ($1.startMs, $1.order) }) {
            let occupied = max(span.endMs, span.startMs + reserve(span))
            if let free = laneEnds.firstIndex(where: { $0 <= span.startMs }) {
                lane[span.step] = free
                laneEnds[free] = occupied
            } else {
                lane[span.step] = laneEnds.count
                laneEnds.append(occupied)
            }
        }
        return (lane, laneEnds.count)
    }

    /// Each step's span, in the order `partition` wants.
    public func spans(position: [String: Int] = [:]) -> [Span] {
        Self.spans(of: segments, position: position)
    }

    static func spans(of segments: [Segment], position: [String: Int]) -> [Span] {
        var byStep: [String: Span] = [:]
        for s in segments {
            if var span = byStep[s.step] {
                span.startMs = min(span.startMs, s.startMs)
                span.endMs = max(span.endMs, s.endMs)
                byStep[s.step] = span
            } else {
                byStep[s.step] = Span(step: s.step, startMs: s.startMs, endMs: s.endMs, order: position[s.step] ?? Int.max)
            }
        }
        return byStep.values.sorted { ($0.startMs, $0.order, $0.step) < ($1.startMs, $1.order, $1.step) }
    }

    private static func assignLanes(_ segments: inout [Segment], position: [String: Int]) -> Int {
        let (lane, count) = partition(spans(of: segments, position: position))
        for i in segments.indices { segments[i].lane = lane[segments[i].step] ?? 0 }
        segments.sort { ($0.lane, $0.startMs, $0.endMs, $0.step) < ($1.lane, $1.startMs, $1.endMs, $1.step) }
        return count
    }
}
