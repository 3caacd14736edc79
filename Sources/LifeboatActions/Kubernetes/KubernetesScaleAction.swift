import AsyncHTTPClient
import Foundation
import LifeboatCore
import NIOHTTP1

/// `kubernetes.scale`: set a deployment's or statefulset's replica count through the `scale`
/// subresource, then wait until the new replicas are ready.
///
/// Run: GET `/apis/apps/v1/namespaces/NS/{deployments|statefulsets}/NAME/scale` (an autoscaling/v1
/// `Scale`: spec.replicas before), PATCH it with `application/merge-patch+json`
/// `{"spec":{"replicas":N}}` (a 409 conflict is retried twice at once), then poll GET of the
/// workload every `poll` until `WorkloadState.isReady(for: N)` or `timeout` passes. Errors while
/// polling that may pass (5xx, connection) are retried until the timeout; others stop the step.
///
/// Outputs: `replicas_before`, `replicas_after`, `ready_replicas`, `time_to_ready_ms` (from the
/// PATCH to the first poll that saw the workload ready).
///
/// Idempotent (setting the same count twice changes nothing), with a `verify` that says done when
/// spec.replicas is N and the workload is ready. Credentials: see `ScaleParameters`, `KubeConfig`.
/// The token and client key never appear in outputs, messages or errors.
public struct KubernetesScaleAction: ActionHandler {
    private let ownClient: HTTPClient?
    private let environment: [String: String]?

    private var client: HTTPClient { ownClient ?? HTTPCheckAction.processClient }

    /// - Parameters:
    ///   - client: the client to send requests with; nil is `HTTPCheckAction.processClient`, which
    ///     needs no shutdown.
    ///   - environment: where `KUBECONFIG` and `HOME` come from; nil is the process environment.
    public init(client: HTTPClient? = nil, environment: [String: String]? = nil) {
        self.ownClient = client
        self.environment = environment
    }

    public var spec: ActionSpec {
        ActionSpec(
            name: "kubernetes.scale",
            summary: "Scale a deployment or statefulset through its scale subresource and wait for ready replicas",
            parameters: [
                ActionParameter("kind", .string, "deployment (default) or statefulset"),
                ActionParameter("namespace", .string, "the workload's namespace (default \"default\")"),
                ActionParameter("name", .string, required: true, "the deployment's or statefulset's name"),
                ActionParameter("replicas", .int, required: true, "the replica count to set"),
                ActionParameter("timeout", .duration, "how long to wait for the replicas to be ready (default 5m)"),
                ActionParameter("poll", .duration, "how often to check readiness (default 1s)"),
                ActionParameter("kubeconfig", .string, "kubeconfig file (default $KUBECONFIG, then ~/.kube/config)"),
                ActionParameter("context", .string, "kubeconfig context (default its current-context)"),
                ActionParameter("server", .string, "explicit API server URL instead of a kubeconfig"),
                ActionParameter("token", .string, "bearer token with server: (use ${secrets.x})"),
                ActionParameter("ca_file", .string, "PEM file of the CA that signed the API server's certificate, with server:"),
                ActionParameter("ca_data", .string, "that CA as PEM text or base64 of it, with server:"),
                ActionParameter("client_cert", .string, "PEM client certificate file, with server:"),
                ActionParameter("client_key", .string, "PEM client key file, with server:"),
                ActionParameter("insecure_skip_tls_verify", .bool, "do not verify the API server's certificate, with server: (default false)"),
            ],
            idempotent: true,
            hasVerify: true,
            check: { LiteralCredentials.wholeValues($0, ["token"]) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        try? parameters(context).credentials.server
    }

    // MARK: Preflight

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try parameters(context)
        do {
            let api = try KubeAPI(client: client, credentials: p.credentials)
            let scale = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
            let current = scale.int("spec", "replicas") ?? 0
            let selector = scale.string("status", "selector").map { ", selector \($0)" } ?? ""
            return .ok("\(p.workload) on \(p.credentials.server): \(current) replica\(current == 1 ? "" : "s") now\(selector); will scale to \(p.replicas)")
        } catch {
            if error.code == .cancelled { throw error }
            return .refused(error.description)
        }
    }

    // MARK: Run

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try parameters(context)
        let api = try KubeAPI(client: client, credentials: p.credentials)
        let deadline = context.deadline(after: .milliseconds(p.timeoutMs))
        let before = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
        let replicasBefore = before.int("spec", "replicas") ?? 0

        let patched = context.clock.monoMs()
        try await patch(api, p)
        let state = try await waitUntilReady(api, p, context, deadline: deadline)
        let elapsedMs = context.clock.monoMs() - patched
        return ActionResult(
            outputs: [
                "replicas_before": .int(replicasBefore), "replicas_after": .int(p.replicas),
                "ready_replicas": .int(state.readyReplicas), "time_to_ready_ms": .int(Int(elapsedMs)),
            ],
            summary: "\(p.workload) scaled \(replicasBefore) → \(p.replicas), \(state.readyReplicas) ready in \(DurationText.format(milliseconds: elapsedMs))")
    }

    /// PATCHes spec.replicas; a 409 conflict is tried again twice before it is reported.
    private func patch(_ api: KubeAPI, _ p: ScaleParameters) async throws(LifeboatError) {
        let body = #"{"spec":{"replicas":\#(p.replicas)}}"#
        var attempt = 1
        while true {
            do {
                _ = try await api.send(
                    .PATCH, p.scalePath, body: body, contentType: "application/merge-patch+json", timeoutMs: requestTimeout(p),
                    workload: p.workload)
                return
            } catch let error where error.message.contains("conflict (409)") && attempt < 3 {
                attempt += 1
                do { try await Task.sleep(for: .milliseconds(100 * attempt)) } catch { throw cancelled(p) }
            }
        }
    }

    /// Polls the workload until it is ready for `p.replicas`; retryable failures are retried until
    /// the deadline and named in the timeout error. The last look, at the deadline, gets 2 s.
    private func waitUntilReady(
        _ api: KubeAPI, _ p: ScaleParameters, _ context: ActionContext, deadline: Deadline
    ) async throws(LifeboatError) -> WorkloadState {
        var last: WorkloadState?
        var lastFailure: LifeboatError?
        let polled: Polled<WorkloadState?>
        do {
            polled = try await context.poll(every: .milliseconds(p.pollMs), until: deadline) { left in
                guard left > .zero else {
                    // One last look, so that a rollout finishing just now still counts.
                    let object = try? await api.send(.GET, p.objectPath, timeoutMs: min(requestTimeout(p), 2_000), workload: p.workload).object
                    return object.map(WorkloadState.init)
                }
                do throws(LifeboatError) {
                    let object = try await api.send(
                        .GET, p.objectPath, timeoutMs: min(requestTimeout(p), max(1, left.milliseconds)), workload: p.workload
                    ).object
                    lastFailure = nil
                    return WorkloadState(object)
                } catch {
                    if error.code == .cancelled || !error.retryable { throw error }
                    lastFailure = error
                    return nil
                }
            } isDone: { state in
                if let state { last = state }
                return state?.isReady(for: p.replicas) == true
            }
        } catch let error as LifeboatError {
            throw error
        } catch {
            throw cancelled(p)
        }
        if polled.done, let state = polled.last ?? nil { return state }
        let reached = last.map { $0.progress(toward: p.replicas) } ?? "readiness never read"
        let failure = lastFailure.map { "; last error: \($0.message)" } ?? ""
        throw LifeboatError(
            .actionFailed,
            "\(p.workload) did not become ready within \(DurationText.format(milliseconds: p.timeoutMs)): \(reached) (target \(p.replicas))\(failure)",
            hint: "the scale was applied; check the pods (kubectl -n \(p.namespace) describe \(p.kind.rawValue) \(p.name)) or raise timeout",
            retryable: true)
    }

    // MARK: Verify

    public func verify(_ context: ActionContext) async throws -> VerifyOutcome {
        let p = try parameters(context)
        do {
            let api = try KubeAPI(client: client, credentials: p.credentials)
            let scale = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
            let current = scale.int("spec", "replicas") ?? 0
            guard current == p.replicas else {
                return .notDone("\(p.workload) has spec.replicas \(current), not \(p.replicas)")
            }
            let state = WorkloadState(try await api.send(.GET, p.objectPath, timeoutMs: requestTimeout(p), workload: p.workload).object)
            guard state.isReady(for: p.replicas) else {
                return .notDone("\(p.workload) is scaled to \(p.replicas) but not ready: \(state.progress(toward: p.replicas))")
            }
            return .done(
                ActionResult(
                    outputs: [
                        "replicas_before": .null, "replicas_after": .int(p.replicas), "ready_replicas": .int(state.readyReplicas),
                        "time_to_ready_ms": .null,
                    ],
                    summary: "\(p.workload) is already at \(p.replicas) replicas, \(state.readyReplicas) ready"))
        } catch {
            if error.code == .cancelled { throw error }
            return .undecidable("cannot tell whether \(p.workload) was scaled: \(error.message)")
        }
    }

    // MARK: Helpers

    /// The step's parameters; the credentials' token and client key are masked from here on.
    private func parameters(_ context: ActionContext) throws(LifeboatError) -> ScaleParameters {
        let p = try ScaleParameters(context, environment: environment ?? ProcessInfo.processInfo.environment)
        context.alsoMask(p.credentials.secrets)
        return p
    }

    /// Bound for one request: 30 s, or the step's timeout when shorter.
    private func requestTimeout(_ p: ScaleParameters) -> Int64 { min(30_000, p.timeoutMs) }

    private func cancelled(_ p: ScaleParameters) -> LifeboatError {
        LifeboatError(.cancelled, "scaling \(p.workload) was stopped (timeout or abort)")
    }
}
