import Foundation
import LifeboatCore

/// An `http.check` step's `with:` block, checked.
struct HTTPCheckParameters: Sendable {
    static let defaultTimeoutMs: Int64 = 10_000

    /// The URL to request, without userinfo (that becomes an `Authorization` header).
    var url: String
    /// `scheme://host:port/path` — what messages show: no userinfo, no query.
    var displayURL: String
    /// `scheme://host:port`, for the circuit breaker.
    var endpoint: String
    var method: String
    var headers: [(name: String, value: String)]
    var body: String?
    var expectedStatuses: [Int]
    var bodyContains: String?
    var bodyPattern: String?
    var maxLatencyMs: Int64?
    var timeoutMs: Int64
    var tls: TLSOptions?

    /// `tls:` — verification is on unless `insecure_skip_verify: true`.
    struct TLSOptions: Sendable, Hashable {
        var caFile: String?
        var insecureSkipVerify: Bool
        var clientCert: String?
        var clientKey: String?
    }

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    var isReadOnly: Bool { method == "GET" || method == "HEAD" || method == "OPTIONS" }

    init(_ context: ActionContext) throws(LifeboatError) {
        let rawURL = try context.requiredString("url")
        guard var components = URLComponents(string: rawURL), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw context.badParameter("url", "must be an absolute URL such as http://127.0.0.1:8080/health")
        }
        guard scheme == "http" || scheme == "https" else {
            throw context.badParameter("url", "must use http or https, not \(scheme)")
        }
        var headers: [(name: String, value: String)] = []
        if let user = components.user {
            let credentials = user + ":" + (components.password ?? "")
            headers.append(("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
            components.user = nil
            components.password = nil
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let hostText = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        url = components.string ?? rawURL
        endpoint = "\(scheme)://\(hostText):\(port)"
        displayURL = "\(scheme)://\(hostText)\(components.port.map { ":\($0)" } ?? "")\(components.path)"

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

        if let tlsValue = context.params["tls"], tlsValue != .null {
            guard case .map(let map) = tlsValue else { throw context.badParameter("tls", "must be a map") }
            let known: Set<String> = ["ca_file", "insecure_skip_verify", "client_cert", "client_key"]
            if let extra = map.keys.sorted().first(where: { !known.contains($0) }) {
                throw context.badParameter("tls.\(extra)", "is not known; tls takes \(known.sorted().joined(separator: ", "))")
            }
            let tlsRequest = context.with(params: map)
            func path(_ key: String) throws(LifeboatError) -> String? {
                guard let p = try tlsRequest.string(key) else { return nil }
                return FilePaths.resolve(p, against: context.baseDirectory)
            }
            let options = TLSOptions(
                caFile: try path("ca_file"),
                insecureSkipVerify: try tlsRequest.bool("insecure_skip_verify") ?? false,
                clientCert: try path("client_cert"), clientKey: try path("client_key"))
            guard (options.clientCert == nil) == (options.clientKey == nil) else {
                throw context.badParameter("tls", "needs both client_cert and client_key, or neither")
            }
            guard scheme == "https" else { throw context.badParameter("tls", "applies to https URLs only") }
            tls = options
        } else {
            tls = nil
        }
    }
}
