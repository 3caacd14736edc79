import LifeboatCore

/// `approval`: a person must approve before the run goes on. The engine runs these steps itself
/// (this terminal, or `lifeboat approve` from another) under the step's `ApprovalRule`; this
/// handler only describes them and checks their rule.
public struct ApprovalAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        typealias Key = ApprovalRule.Key
        return ActionSpec(
            name: "approval",
            summary: "Wait for a person to approve (this terminal, or `lifeboat approve` from another)",
            parameters: [
                ActionParameter("prompt", .string, "the question shown to the approver"),
                ActionParameter(Key.approvers, .stringList, "who may decide: accounts, and groups as group:NAME (default: anyone)"),
                ActionParameter(Key.quorum, .int, "how many different people must approve (default 1)"),
                ActionParameter(
                    Key.separationOfDuties, .bool,
                    "whether the people who started or resumed the run are kept from approving (default: true for a real failover, false in drills)"),
                ActionParameter(Key.onTimeout, .string, "pause (default: the run stops, resumable) or deny, once the step's timeout passes"),
            ],
            idempotent: true,
            hasVerify: false,
            check: { Self.problems($0) })
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        throw LifeboatError(
            .internalError, "approval steps are run by the engine",
            hint: "step '\(context.stepID)' reached the approval handler; this is a bug")
    }

    /// A quorum the approvers can never reach, an `on_timeout` that is not a choice, an empty entry.
    static func problems(_ with: [String: Value]) -> [ParameterProblem] {
        typealias Key = ApprovalRule.Key
        var out: [ParameterProblem] = []
        let approvers = with[Key.approvers]?.listValue?.compactMap(\.stringValue) ?? []
        for (index, entry) in approvers.enumerated()
        where entry.allSatisfy(\.isWhitespace) || entry == ApprovalRule.groupPrefix {
            out.append(ParameterProblem(path: [Key.approvers, String(index)], problem: "names nobody: write an account, or group:NAME"))
        }
        if let quorum = with[Key.quorum]?.intValue {
            if quorum < 1 {
                out.append(ParameterProblem(path: [Key.quorum], problem: "must be at least 1"))
            } else if !approvers.isEmpty, !approvers.contains(where: { $0.hasPrefix(ApprovalRule.groupPrefix) }),
                      Set(approvers).count < quorum {
                out.append(ParameterProblem(
                    path: [Key.quorum], problem: "is \(quorum) but only \(Set(approvers).count) accounts may approve: it could never be met"))
            }
        }
        if let value = with[Key.onTimeout], value.stringValue.flatMap(ApprovalRule.TimeoutOutcome.init(rawValue:)) == nil {
            out.append(ParameterProblem(path: [Key.onTimeout], problem: "must be pause or deny"))
        }
        return out
    }
}
