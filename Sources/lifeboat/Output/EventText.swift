import Foundation
import LifeboatCore
import LifeboatReports

/// One human line per event, shared by the progress view and `lifeboat show --events`.
enum EventText {
    /// The label with the identity beside it ("Alice (account alice)"), or the label of older runs.
    static func who(_ by: String, _ decider: Decider?) -> String { decider?.name ?? by }

    static func describe(_ kind: RunEvent.Kind) -> String {
        switch kind {
        case .runCreated(let h):
            return "run created: \(h.planID) / \(h.scenario) (\(h.mode.rawValue)) by \(h.startedBy)"
        case .executorStarted(let pid, let host, let resumed, let decider):
            let who = decider.map { " as \($0.name)" } ?? ""
            return (resumed ? "resumed" : "started") + " by pid \(pid) on \(host)\(who)"
        case .stepSkipped(let s, let reason, let by, let d): return "\(s): skipped\(by.map { " by \(who($0, d))" } ?? "") (\(reason))"
        case .stepStarted(let s, let attempt): return "\(s): started" + (attempt > 1 ? " (attempt \(attempt))" : "")
        case .stepSucceeded(let s, _, let d, let r):
            return "\(s): succeeded in \(DurationText.format(milliseconds: d)) — \(r.summary)"
        case .stepFailed(let s, let attempt, let d, let e):
            return "\(s): FAILED attempt \(attempt) after \(DurationText.format(milliseconds: d)) — \(e.message)"
        case .stepRetryScheduled(let s, let next, let delay):
            return "\(s): retry (attempt \(next)) in \(DurationText.format(milliseconds: delay))"
        case .stepReleased(let s, let reason): return "\(s): released (\(reason))"
        case .approvalRequested(let s, let prompt): return "\(s): awaiting approval — \(prompt)"
        case .approvalGranted(let s, let by, let via, let wait, let decider):
            return "\(s): approved by \(decider?.description ?? by) via \(via) after \(DurationText.format(milliseconds: wait))"
        case .approvalDenied(let s, let by, let via, let reason, let decider):
            return "\(s): DENIED by \(decider?.description ?? by) via \(via): \(reason)"
        case .approvalRefused(let s, let approve, let via, let why, let decider):
            return "\(s): \(approve ? "approval" : "denial") by \(decider.description) via \(via) REFUSED: \(why)"
        case .approvalTimedOut(let s, let waited, let then):
            return "\(s): no decision within \(DurationText.format(milliseconds: waited)): "
                + (then == .deny ? "denied by its timeout" : "the run pauses; `lifeboat resume` asks again")
        case .stepInterrupted(let s, let attempt, let recovery):
            let what: String
            switch recovery {
            case .rerun: what = "idempotent, will run again"
            case .verify: what = "checking whether it took effect"
            case .unknown: what = "not idempotent and no verify: UNKNOWN, needs `lifeboat resolve`"
            }
            return "\(s): was interrupted during attempt \(attempt) — \(what)"
        case .stepVerified(let s, let outcome):
            switch outcome {
            case .done(let r): return "\(s): verified as done — \(r.summary)"
            case .notDone(let why): return "\(s): verified as not done (\(why)), will run again"
            case .undecidable(let why): return "\(s): verify could not decide (\(why)): UNKNOWN"
            }
        case .stepUnknown(let s, let reason): return "\(s): UNKNOWN — \(reason)"
        case .stepResolved(let s, let resolution, let by, let reason, let d):
            return "\(s): resolved as \(resolution.rawValue) by \(who(by, d))\(reason.map { " (\($0))" } ?? "")"
        case .stepRedriven(let s, let by, let d): return "\(s): failed step redriven by \(who(by, d))"
        case .stepNoted(let s, let note, let by, let d): return "\(s): note by \(who(by, d)): \(note)"
        case .stepAnswered(let s, let answer, let by, let reason, _, let d):
            return "\(s): \(who(by, d)) answered \(answer.rawValue) at --step" + (reason.map { " (\($0))" } ?? "")
        case .stepQueued(let s, let bulkhead, let limit):
            return "\(s): waiting for bulkhead \(bulkhead) (\(limit) step\(limit == 1 ? "" : "s") at a time)"
        case .notificationSent(let number, let trigger, let outcome):
            return "notification \(number) (\(trigger.rawValue)): \(outcome)"
        case .probeSamples(let series):
            return "probe samples: " + series.map { batch in
                let failed = batch.samples.filter { $0.outcome != .passed }.count
                return "\(batch.probe) \(batch.outcomes.count) (\(failed) not passed)" + (batch.problem.map { ": \($0)" } ?? "")
            }.joined(separator: "; ")
        case .probeBreached(let probe, let reason, let then):
            return "probe \(probe) BREACHED its abort criterion: \(reason); \(then.consequence)"
        case .circuitChanged(let endpoint, let state): return "circuit \(state.rawValue) for \(endpoint)"
        case .circuitFailuresCounted(let endpoint, let n):
            return n == 0 ? "circuit for \(endpoint): failures reset" : "circuit for \(endpoint): \(n) consecutive failure\(n == 1 ? "" : "s")"
        case .abortRequested(let by, let reason, let d): return "abort requested by \(who(by, d)): \(reason)"
        case .pauseRequested(let by, let reason, let d): return "pause requested by \(who(by, d)): \(reason)"
        case .runPaused(let reason): return "run paused (\(reason.rawValue))"
        case .runFinished(let outcome): return "run \(outcome.rawValue)"
        case .rollbackStarted(let by, let strategy, let d): return "rollback started by \(who(by, d)) (\(strategy.rawValue))"
        case .compensationStarted(let s): return "\(s): compensation started"
        case .compensationSucceeded(let s, let d, let r):
            return "\(s): compensated in \(DurationText.format(milliseconds: d)) — \(r.summary)"
        case .compensationFailed(let s, _, let e): return "\(s): compensation FAILED — \(e.message)"
        case .rollbackFinished(let outcome): return "rollback \(outcome.rawValue)"
        case .documentsReloaded(let header, let previous, let by, let d):
            return "documents reloaded by \(who(by, d)): \(previous.prefix(12)) → \(header.documentsHash.prefix(12)), \(header.steps.count) steps"
        }
    }

    /// The lines a batch of probe samples is worth in the progress view: one per change of a
    /// probe's outcome (passing, failing, not runnable), at the sample's own time (a batch is
    /// recorded up to a second later, so its line may follow later steps' lines), given each
    /// probe's last outcome and when it began.
    static func probeChanges(_ series: [ProbeSeries], last: inout [String: (outcome: ProbeOutcome, sinceMs: Int64)]) -> [String] {
        var lines: [String] = []
        for batch in series {
            for sample in batch.samples where last[sample.probe]?.outcome != sample.outcome {
                let before = last[sample.probe]
                let at = ReportText.timeOfDay(sample.atMs)
                let what: String
                switch sample.outcome {
                case .passed:
                    what = before == nil
                        ? "passing at \(at)"
                        : "passing again at \(at) (after \(DurationText.format(milliseconds: sample.atMs - before!.sinceMs)))"
                case .failed: what = "FAILING from \(at)"
                case .notRunnable: what = "NOT RUNNABLE from \(at) (this is the probe, not the service)"
                }
                last[sample.probe] = (sample.outcome, sample.atMs)
                let problem = sample.outcome == .passed ? nil : (sample.problem ?? batch.problem)
                lines.append("probe \(sample.probe): \(what)" + (problem.map { " — \($0)" } ?? ""))
            }
        }
        return lines
    }

    /// `2026-11-29T03:15:02.123Z`: UTC with milliseconds.
    static func timestamp(_ ms: Int64) -> String { ReportText.timestamp(ms) }
}
