import LifeboatCore

/// A `notify` step's `with:` block, checked.
struct NotifyParameters: Sendable {
    static let defaultTimeoutMs: Int64 = 10_000

    var target: HTTPTarget
    /// Basic authorization from the URL, then the step's headers by name.
    var headers: [(name: String, value: String)]
    /// The JSON sent: `body` as written (a map, list or scalar), or `{"text": …}` from `text`.
    var json: String
    var timeoutMs: Int64

    init(_ context: ActionContext) throws(LifeboatError) {
        target = try HTTPTarget(context)
        var headers = target.basicAuthorization.map { [$0] } ?? []
        for (name, value) in (try context.stringMap("headers") ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard name.lowercased() != "idempotency-key" else {
                throw context.badParameter("headers.\(name)", "is set by notify itself (RUN/STEP/N, stable across retries and resumes)")
            }
            headers.append((name, value))
        }
        self.headers = headers
        let text = try context.string("text")
        let body = context.params["body"].flatMap { $0 == .null ? nil : $0 }
        switch (text, body) {
        case (let text?, nil): json = Value.map(["text": .string(text)]).jsonText
        case (nil, let body?): json = body.jsonText
        case (nil, nil): throw context.badParameter("text", "or body is required: the message to send")
        case (_?, _?): throw context.badParameter("body", "and text are exclusive: text is short for body: {text: …}")
        }
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
    }

    /// `RUN/STEP/N`: the same for every attempt and resume of one message, so a receiver that keeps
    /// the keys it has seen drops the repeats. N is 1 for the step's own message, 2 for its
    /// rollback's; a plan-level notification is `RUN/notify/N`, N its number in the run.
    static func idempotencyKey(_ context: ActionContext) -> String {
        if let number = context.notificationNumber { return "\(context.runID)/notify/\(number)" }
        return "\(context.runID)/\(context.stepID)/\(context.isCompensation ? 2 : 1)"
    }
}
