/// The operator's ways out: for every state a stopped run can be in, the commands that lead it on
/// towards an end state. Messages name them, and the exploration test checks that each one offered
/// is accepted and that every reachable state has one leading to an end.
extension RunStateMachine {
    /// An operator command, as `lifeboat` spells it.
    public enum Command: Sendable, Hashable, CustomStringConvertible {
        case resume
        case resumeRedriving(String)
        case abort
        case rollback
        case rollbackRerunningInterrupted
        case resolve(String, RunEvent.Resolution)
        case skip(String)

        public var description: String {
            switch self {
            case .resume: return "lifeboat resume RUN"
            case .resumeRedriving(let step): return "lifeboat resume RUN --redrive \(step)"
            case .abort: return "lifeboat abort RUN --reason …"
            case .rollback: return "lifeboat rollback RUN"
            case .rollbackRerunningInterrupted: return "lifeboat rollback RUN --rerun-interrupted"
            case .resolve(let step, let resolution): return "lifeboat resolve RUN \(step) --as \(resolution.rawValue) --reason …"
            case .skip(let step): return "lifeboat skip RUN \(step) --reason …"
            }
        }

        /// The machine input this command gives.
        public func input(by: String) -> Input {
            switch self {
            case .resume: return .resume(pid: 0, host: "", by: by)
            case .resumeRedriving(let step): return .resume(pid: 0, host: "", by: by, redrive: [step])
            case .abort: return .abort(by: by, reason: "operator")
            case .rollback: return .rollback(by: by, strategy: .stopOnFailure, rerunInterrupted: false)
            case .rollbackRerunningInterrupted: return .rollback(by: by, strategy: .stopOnFailure, rerunInterrupted: true)
            case .resolve(let step, let resolution): return .resolve(step: step, resolution: resolution, by: by, reason: "checked")
            case .skip(let step): return .skipStep(step, by: by)
            }
        }
    }

    /// The commands an operator can give a run that no process is executing, most useful first.
    /// Empty for an end state (a rolled-back, succeeded or aborted run may still be rolled back,
    /// which is listed when it has something to undo).
    public var waysOut: [Command] {
        var out: [Command] = []
        let steps = header.steps.map(\.id)
        let plan = compensationPlan
        let rollback: [Command] = plan.isEmpty
            ? [] : [plan.contains { states[$0] == .compensating } ? .rollbackRerunningInterrupted : .rollback]
        switch phase {
        case .created, .paused, .executing:
            let unknown = steps.filter { states[$0] == .unknown }
            for id in unknown { out += [.resolve(id, .succeeded), .resolve(id, .failed), .resolve(id, .retry), .skip(id)] }
            if unknown.isEmpty || phase == .executing { out.append(.resume) }
            out.append(.abort)
        case .finished(.failed):
            let failed = steps.filter { states[$0] == .failed }
            out.append(.resume)
            for id in failed where forced[id] == .resolved(.failed) { out.append(.resumeRedriving(id)) }
            for id in failed { out.append(.skip(id)) }
            out.append(.abort)
            out += rollback
        case .finished(.succeeded), .finished(.aborted):
            out += rollback
        case .rollingBack, .rolledBack(.failed):
            let stuck = steps.filter { states[$0] == .compensating || (states[$0] == .compensationFailed && forced[$0] != .resolved(.failed)) }
            out += rollback.isEmpty ? [.rollback] : rollback
            for id in stuck { out += [.resolve(id, .compensated), .resolve(id, .failed)] }
            out.append(.abort)
        case .rolledBack(.succeeded):
            break
        }
        return out
    }

    /// One line for a message's hint: what the operator can do now.
    var waysOutHint: String? {
        guard !isLive else { return nil }
        let commands = waysOut
        guard !commands.isEmpty else { return nil }
        return "ways out: " + commands.prefix(4).map { "`\($0)`" }.joined(separator: ", ")
    }
}

extension RunStateMachine.Input {
    static func skipStep(_ step: String, by: String) -> Self { .operatorSkip(step: step, by: by, reason: "operator") }
}
