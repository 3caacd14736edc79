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
            hasVerify: true)
    }

    public func endpoint(for request: ActionRequest) -> String? {
        try? parameters(request).credentials.server
    }

    // MARK: Preflight

    public func preflight(_ request: ActionRequest) async throws -> PreflightReport {
        let p = try parameters(request)
        do {
            let api = try KubeAPI(client: client, credentials: p.credentials, stepID: request.stepID)
            let scale = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
            let current = scale.int("spec", "replicas") ?? 0
            let selector = scale.string("status", "selector").map { ", selector \($0)" } ?? ""
            return .ok(p.mask("\(p.workload) on \(p.credentials.server): \(current) replica\(current == 1 ? "" : "s") now\(selector); will scale to \(p.replicas)", request))
        } catch {
            if error.code == .cancelled { throw masked(error, p, request) }
            return .refused(masked(error, p, request).description)
        }
    }

    // MARK: Run

    public func run(_ request: ActionRequest) async throws -> ActionResult {
        let p = try parameters(request)
        do {
            return try await scale(p, request)
        } catch {
            throw masked(error, p, request)
        }
    }

    private func scale(_ p: ScaleParameters, _ request: ActionRequest) async throws(LifeboatError) -> ActionResult {
        let api = try KubeAPI(client: client, credentials: p.credentials, stepID: request.stepID)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(p.timeoutMs)
        let before = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
        let replicasBefore = before.int("spec", "replicas") ?? 0

        let patched = clock.now
        try await patch(api, p)
        let state = try await waitUntilReady(api, p, request, clock: clock, deadline: deadline)
        let elapsedMs = (clock.now - patched).milliseconds
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
                do { try await Task.sleep(for: .milliseconds(100 * attempt)) } catch { throw cancelled(api.stepID, p) }
            }
        }
    }

    /// Polls the workload until it is ready for `p.replicas`; retryable failures are retried until
    /// the deadline and named in the timeout error.
    private func waitUntilReady(
        _ api: KubeAPI, _ p: ScaleParameters, _ request: ActionRequest, clock: ContinuousClock, deadline: ContinuousClock.Instant
    ) async throws(LifeboatError) -> WorkloadState {
        var last: WorkloadState?
        var lastFailure: LifeboatError?
        while true {
            if Task.isCancelled { throw cancelled(request.stepID, p) }
            let left = max(1, clock.now.duration(to: deadline).milliseconds)
            do {
                let object = try await api.send(.GET, p.objectPath, timeoutMs: min(requestTimeout(p), left), workload: p.workload).object
                let state = WorkloadState(object)
                if state.isReady(for: p.replicas) { return state }
                last = state
                lastFailure = nil
            } catch {
                if error.code == .cancelled || !error.retryable { throw error }
                lastFailure = error
            }
            let now = clock.now
            if now >= deadline { break }
            do { try await clock.sleep(for: min(.milliseconds(p.pollMs), now.duration(to: deadline))) } catch {
                throw cancelled(request.stepID, p)
            }
            if clock.now >= deadline {
                // One last look, so that a rollout finishing just now still counts.
                if let object = try? await api.send(.GET, p.objectPath, timeoutMs: min(requestTimeout(p), 2_000), workload: p.workload).object {
                    let state = WorkloadState(object)
                    if state.isReady(for: p.replicas) { return state }
                    last = state
                }
                break
            }
        }
        let reached = last.map { $0.progress(toward: p.replicas) } ?? "readiness never read"
        let failure = lastFailure.map { "; last error: \(Poller.withoutStepPrefix($0.message, stepID: request.stepID))" } ?? ""
        throw LifeboatError(
            .actionFailed,
            "step '\(request.stepID)': \(p.workload) did not become ready within \(DurationText.format(milliseconds: p.timeoutMs)): \(reached) (target \(p.replicas))\(failure)",
            hint: "the scale was applied; check the pods (kubectl -n \(p.namespace) describe \(p.kind.rawValue) \(p.name)) or raise timeout",
            retryable: true)
    }

    // MARK: Verify

    public func verify(_ request: ActionRequest) async throws -> VerifyOutcome {
        let p = try parameters(request)
        do {
            let api = try KubeAPI(client: client, credentials: p.credentials, stepID: request.stepID)
            let scale = try await api.send(.GET, p.scalePath, timeoutMs: requestTimeout(p), workload: p.workload).object
            let current = scale.int("spec", "replicas") ?? 0
            guard current == p.replicas else {
                return .notDone(p.mask("\(p.workload) has spec.replicas \(current), not \(p.replicas)", request))
            }
            let state = WorkloadState(try await api.send(.GET, p.objectPath, timeoutMs: requestTimeout(p), workload: p.workload).object)
            guard state.isReady(for: p.replicas) else {
                return .notDone(p.mask("\(p.workload) is scaled to \(p.replicas) but not ready: \(state.progress(toward: p.replicas))", request))
            }
            return .done(
                ActionResult(
                    outputs: [
                        "replicas_before": .null, "replicas_after": .int(p.replicas), "ready_replicas": .int(state.readyReplicas),
                        "time_to_ready_ms": .null,
                    ],
                    summary: p.mask("\(p.workload) is already at \(p.replicas) replicas, \(state.readyReplicas) ready", request)))
        } catch {
            if error.code == .cancelled { throw masked(error, p, request) }
            return .undecidable(p.mask("cannot tell whether \(p.workload) was scaled: \(error.message)", request))
        }
    }

    // MARK: Helpers

    private func parameters(_ request: ActionRequest) throws(LifeboatError) -> ScaleParameters {
        do {
            return try ScaleParameters(request, environment: environment ?? ProcessInfo.processInfo.environment)
        } catch {
            // A kubeconfig's token may have reached a message through a parse problem: mask the step's secrets.
            var e = error
            e.message = request.masker.mask(e.message)
            e.hint = e.hint.map(request.masker.mask)
            throw e
        }
    }

    /// Bound for one request: 30 s, or the step's timeout when shorter.
    private func requestTimeout(_ p: ScaleParameters) -> Int64 { min(30_000, p.timeoutMs) }

    private func cancelled(_ stepID: String, _ p: ScaleParameters) -> LifeboatError {
        LifeboatError(.cancelled, "step '\(stepID)': scaling \(p.workload) was stopped (timeout or abort)")
    }

    private func masked(_ error: LifeboatError, _ p: ScaleParameters, _ request: ActionRequest) -> LifeboatError {
        var e = error
        e.message = p.mask(e.message, request)
        e.hint = e.hint.map { p.mask($0, request) }
        e.detail = e.detail.map { p.mask($0, request) }
        return e
    }
}
