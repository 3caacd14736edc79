import LifeboatCore

/// An `http.check` step's `with:` block, checked.
struct HTTPCheckParameters: Sendable {
    static let defaultTimeoutMs: Int64 = 10_000

    var target: HTTPTarget
    var url: String { target.url }
    var displayURL: String { target.displayURL }
    var endpoint: String { target.endpoint }
    var tls: HTTPTarget.TLSOptions? { target.tls }
    var method: String
    var headers: [(name: String, value: String)]
    var body: String?
    var expectedStatuses: [Int]
    var bodyContains: String?
    var bodyPattern: String?
    var maxLatencyMs: Int64?
    var timeoutMs: Int64

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    var isReadOnly: Bool { method == "GET" || method == "HEAD" || method == "OPTIONS" }

    init(_ context: ActionContext) throws(LifeboatError) {
        target = try HTTPTarget(context)
        var headers: [(name: String, value: String)] = target.basicAuthorization.map { [$0] } ?? []

        method = (try context.string("method") ?? "GET").uppercased()
        guard Self.methods.contains(method) else {
            throw context.badParameter("method", "must be one of \(Self.methods.sorted().joined(separator: ", "))")
        }
        for (name, value) in (try context.stringMap("headers") ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append((name, value))
        }
        self.headers = headers
        body = try context.string("body")

        let statuses = try context.intList("expect_status") ?? [200]
        guard !statuses.isEmpty, statuses.allSatisfy({ (100...599).contains($0) }) else {
            throw context.badParameter("expect_status", "must list HTTP statuses between 100 and 599")
        }
        expectedStatuses = statuses
        bodyContains = try context.string("body_contains")
        bodyPattern = try context.string("body_matches")
        if let bodyPattern {
            do { _ = try Regex(bodyPattern) } catch {
                throw context.badParameter("body_matches", "is not a valid regular expression")
            }
        }
        maxLatencyMs = try context.durationMs("max_latency")
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
    }
}
