import AsyncHTTPClient
import LifeboatCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// `http.check`: one HTTP request, checked for status, body and latency.
///
/// Outputs: `status`, `latency_ms` (request start to last body byte) and `body_tail` (the first and
/// last ~512 bytes of the body, secrets masked). Redirects are not followed (expect a 3xx status to
/// check one), TLS is verified unless `tls.insecure_skip_verify: true`, and a refused connection
/// fails at once instead of being retried inside the client: retries belong to the step's policy or
/// to a `wait` that polls this check.
///
/// The action is declared idempotent because checks are read-only GET/HEAD requests; a step that
/// checks with a method that changes something should say `idempotent: false`.
public struct HTTPCheckAction: ActionHandler {
    /// The client every `HTTPCheckAction()` shares: created on first use, on the NIO singleton event
    /// loop group, and — like `HTTPClient.shared` — alive for the whole process, so nobody shuts it
    /// down.
    public static let processClient: HTTPClient = makeClient()

    /// A client configured the way checks need it (no redirects, no connection retries, no
    /// decompression). Whoever creates one with this must `shutdown()` it when done.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.idleTimeout = .seconds(30)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Nil means `processClient`, created only when the first check runs: commands that never
    /// check anything (`validate`, `schema`, `history`) do not start NIO's threads.
    private let ownClient: HTTPClient?

    private var client: HTTPClient { ownClient ?? Self.processClient }

    /// - Parameter client: the client to send checks with. The default (nil) is `processClient`,
    ///   which needs no shutdown; a caller passing its own client owns its shutdown and must not
    ///   shut it down while a check may still run.
    public init(client: HTTPClient? = nil) {
        self.ownClient = client
    }

    public var spec: ActionSpec {
        ActionSpec(
            name: "http.check",
            summary: "Send one HTTP request and check its status, body and latency",
            parameters: [
                ActionParameter("url", .string, required: true, "http:// or https:// URL to request"),
                ActionParameter("method", .string, "HTTP method (default GET)"),
                ActionParameter("headers", .map, "request headers, NAME: value"),
                ActionParameter("body", .string, "request body"),
                ActionParameter("expect_status", .any, "status or list of statuses that pass (default 200)"),
                ActionParameter("body_contains", .string, "text the response body must contain"),
                ActionParameter("body_matches", .string, "regular expression the response body must match"),
                ActionParameter("max_latency", .duration, "fail when the full response takes longer than this"),
                ActionParameter("timeout", .duration, "give up on the request after this long (default 10s)"),
                ActionParameter("tls", .map, "{ca_file, insecure_skip_verify (default false), client_cert, client_key}"),
            ],
            idempotent: true,
            hasVerify: false,
            check: { LiteralCredentials.url($0, "url") + LiteralCredentials.headers($0, "headers") })
    }

    public func endpoint(for context: ActionContext) -> String? {
        try? HTTPCheckParameters(context).endpoint
    }

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let parameters = try HTTPCheckParameters(context)
        if let path = parameters.target.missingTLSFile { return .refused("TLS file \(path) does not exist") }
        return .ok("\(parameters.method) \(parameters.displayURL)")
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        try await check(try HTTPCheckParameters(context), context)
    }

    private func check(_ p: HTTPCheckParameters, _ context: ActionContext) async throws(LifeboatError) -> ActionResult {
        let exchange = try await HTTPExchange.send(
            client, p.target, method: p.method, headers: p.headers, body: p.body, timeoutMs: p.timeoutMs)
        let status = exchange.status
        let body = exchange.body
        let latencyMs = exchange.latencyMs
        let sample = body.sample
        let outputs: [String: Value] = ["status": .int(status), "latency_ms": .int(Int(latencyMs)), "body_tail": .string(sample)]
        let target = "\(p.method) \(p.displayURL)"

        guard p.expectedStatuses.contains(status) else {
            let expected = p.expectedStatuses.map(String.init).joined(separator: ", ")
            let retryable = status >= 500 || status == 408 || status == 429
            throw LifeboatError(
                .actionFailed, "\(target) returned \(status) (expected \(expected))",
                hint: status >= 500
                    ? "the service answered but is failing; see body_tail in `lifeboat show \(context.runID)`"
                    : "check the URL, method and headers", retryable: retryable, detail: sample)
        }
        if let needle = p.bodyContains, !body.text.contains(needle) {
            throw LifeboatError(
                .actionFailed, "\(target) returned \(status) but the body does not contain \"\(needle)\"",
                hint: body.truncated ? "only the first 1 MiB of the body is searched" : "see body_tail in `lifeboat show \(context.runID)`",
                retryable: true, detail: sample)
        }
        if let pattern = p.bodyPattern, let regex = try? Regex(pattern), !body.text.contains(regex) {
            throw LifeboatError(
                .actionFailed, "\(target) returned \(status) but the body does not match /\(pattern)/",
                hint: "see body_tail in `lifeboat show \(context.runID)`", retryable: true, detail: sample)
        }
        if let maxLatency = p.maxLatencyMs, latencyMs > maxLatency {
            throw LifeboatError(
                .actionFailed,
                "\(target) took \(DurationText.format(milliseconds: latencyMs)), over max_latency \(DurationText.format(milliseconds: maxLatency))",
                hint: "the service is slow; check its load", retryable: true, detail: sample)
        }
        return ActionResult(
            outputs: outputs,
            summary: "\(p.method) \(p.displayURL) → \(status) in \(DurationText.format(milliseconds: latencyMs))")
    }
}
