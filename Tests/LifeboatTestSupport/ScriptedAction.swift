import LifeboatCore
import Synchronization

/// An action whose behaviour a test scripts per step: engine tests use it instead of real systems.
public final class ScriptedAction: ActionHandler, Sendable {
    public typealias Behaviour = @Sendable (ActionContext) async throws -> ActionResult
    public typealias VerifyBehaviour = @Sendable (ActionContext) async throws -> VerifyOutcome

    public let spec: ActionSpec
    private let behaviour: Behaviour
    private let verifyBehaviour: VerifyBehaviour?
    private let endpointName: String?
    private let log = Mutex<[Call]>([])

    public struct Call: Sendable, Hashable {
        public var step: String
        public var attempt: Int
        public var kind: Kind
        public enum Kind: Sendable, Hashable { case run, verify, preflight }
    }

    public init(
        name: String = "scripted", idempotent: Bool = false, endpoint: String? = nil,
        behaviour: @escaping Behaviour = { ActionResult(summary: "ok \($0.stepID)") }, verify: VerifyBehaviour? = nil
    ) {
        self.spec = ActionSpec(
            name: name, summary: "scripted test action",
            parameters: [ActionParameter("value", .any, "anything")], idempotent: idempotent,
            hasVerify: verify != nil, strictParameters: false)
        self.behaviour = behaviour
        self.verifyBehaviour = verify
        self.endpointName = endpoint
    }

    public var calls: [Call] { log.withLock { $0 } }

    public func runs(of step: String) -> Int { calls.filter { $0.step == step && $0.kind == .run }.count }

    public func endpoint(for request: ActionContext) -> String? { endpointName }

    public func preflight(_ request: ActionContext) async throws -> PreflightReport {
        if request.params["refuse_preflight"] != nil { return .refused("scripted refusal") }
        return .ok("scripted")
    }

    public func run(_ request: ActionContext) async throws -> ActionResult {
        log.withLock { $0.append(Call(step: request.stepID, attempt: request.attempt, kind: .run)) }
        return try await behaviour(request)
    }

    public func verify(_ request: ActionContext) async throws -> VerifyOutcome {
        log.withLock { $0.append(Call(step: request.stepID, attempt: request.attempt, kind: .verify)) }
        guard let verifyBehaviour else { return .undecidable("no verify") }
        return try await verifyBehaviour(request)
    }
}

/// A counter tests share with scripted behaviours (e.g. "fail twice, then succeed").
public final class Counter: Sendable {
    private let value = Mutex<[String: Int]>([:])
    public init() {}
    /// Increments the count for `key` and returns the new value.
    @discardableResult
    public func next(_ key: String) -> Int { value.withLock { $0[key, default: 0] += 1; return $0[key]! } }
    public func count(_ key: String) -> Int { value.withLock { $0[key, default: 0] } }
}
