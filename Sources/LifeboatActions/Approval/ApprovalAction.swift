import LifeboatCore

/// `approval`: a person must approve before the run goes on. The engine runs these steps itself
/// (this terminal, or `lifeboat approve` from another); this handler only describes them.
public struct ApprovalAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "approval",
            summary: "Wait for a person to approve (this terminal, or `lifeboat approve` from another)",
            parameters: [
                ActionParameter("prompt", .string, "the question shown to the approver"),
                ActionParameter("approvers", .stringList, "who may approve (default: anyone)"),
            ],
            idempotent: true,
            hasVerify: false)
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        throw LifeboatError(
            .internalError, "approval steps are run by the engine",
            hint: "step '\(context.stepID)' reached the approval handler; this is a bug")
    }
}
