import AsyncHTTPClient
import LifeboatCore

/// `notify`: one HTTP POST of a JSON message (a Slack-compatible `{"text": …}` from `text`, or any
/// `body`) with an `Idempotency-Key: RUN/STEP/N` header that stays the same across the step's
/// retries and a resume after a crash, so a receiver that honours the key shows one notification
/// even when the request had to be sent again.
///
/// Declared idempotent on the strength of that key: an attempt a crash interrupted is sent again
/// on `resume` (with the same key) rather than left `unknown`. A receiver that ignores the key may
/// then show the message twice; the step's output names the key so both ends can be compared.
///
/// Success is any 2xx. 5xx, 408, 429 and connection failures are retryable (the step's `retry:`,
/// full jitter by default); other statuses are not. Outputs: `status`, `idempotency_key`,
/// `latency_ms`, `response` (the first and last ~512 bytes of the answer, secrets masked).
public struct NotifyAction: ActionHandler {
    private let ownClient: HTTPClient?

    private var client: HTTPClient { ownClient ?? HTTPCheckAction.processClient }

    /// - Parameter client: as `HTTPCheckAction(client:)`; nil shares its process-wide client.
    public init(client: HTTPClient? = nil) {
        self.ownClient = client
    }

    public var spec: ActionSpec {
        ActionSpec(
            name: "notify",
            summary: "POST a JSON message (Slack-compatible text, or any body) with an Idempotency-Key stable across retries and resumes",
            parameters: [
                ActionParameter("url", .string, required: true, "http:// or https:// URL the message is POSTed to"),
                ActionParameter("text", .string, "the message: sent as {\"text\": …} (Slack, Mattermost, Teams workflows)"),
                ActionParameter("body", .any, "the JSON body as written (a map or list), instead of text"),
                ActionParameter("headers", .map, "request headers, NAME: value (tokens from ${secrets.…})"),
                ActionParameter("timeout", .duration, "give up on the request after this long (default 10s)"),
                ActionParameter("tls", .map, "{ca_file, insecure_skip_verify (default false), client_cert, client_key}"),
            ],
            idempotent: true,
            hasVerify: false,
            check: { LiteralCredentials.url($0, "url") + LiteralCredentials.headers($0, "headers") })
    }

    public func endpoint(for context: ActionContext) -> String? {
        try? NotifyParameters(context).target.endpoint
    }

    /// Checks the parameters and the TLS files; sends nothing.
    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try NotifyParameters(context)
        if let path = p.target.missingTLSFile { return .refused("TLS file \(path) does not exist") }
        return .ok("POST \(p.target.displayURL) (\(p.json.utf8.count) bytes of JSON)")
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try NotifyParameters(context)
        let key = NotifyParameters.idempotencyKey(context)
        let headers = [("Content-Type", "application/json"), ("Idempotency-Key", key)] + p.headers
        let exchange = try await HTTPExchange.send(
            client, p.target, method: "POST", headers: headers, body: p.json, timeoutMs: p.timeoutMs)
        let target = "POST \(p.target.displayURL)"
        let sample = exchange.body.sample
        guard (200...299).contains(exchange.status) else {
            let status = exchange.status
            throw LifeboatError(
                .actionFailed, "\(target) returned \(status) (expected 2xx); the message (key \(key)) was not accepted",
                hint: status >= 500 || status == 429
                    ? "the receiver is failing or throttling; a retry sends the same key"
                    : "check the URL and the token (headers)",
                retryable: status >= 500 || status == 408 || status == 429, detail: sample)
        }
        return ActionResult(
            outputs: [
                "status": .int(exchange.status), "idempotency_key": .string(key),
                "latency_ms": .int(Int(exchange.latencyMs)), "response": .string(sample),
            ],
            summary: "\(target) → \(exchange.status) in \(DurationText.format(milliseconds: exchange.latencyMs)) (Idempotency-Key \(key))")
    }
}
