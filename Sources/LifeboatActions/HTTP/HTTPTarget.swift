import Foundation
import LifeboatCore

/// Where an HTTP step sends its request: the `url` and `tls:` parameters that `http.check` and
/// `notify` share, checked once here.
struct HTTPTarget: Sendable {
    /// The URL to request, without userinfo (that becomes an `Authorization` header).
    var url: String
    /// `scheme://host:port/path` — what messages show: no userinfo, no query.
    var displayURL: String
    /// `scheme://host:port`, for the circuit breaker and bulkheads.
    var endpoint: String
    /// `Authorization: Basic …` from the URL's userinfo, when it has one.
    var basicAuthorization: (name: String, value: String)?
    var tls: TLSOptions?

    /// `tls:` — verification is on unless `insecure_skip_verify: true`.
    struct TLSOptions: Sendable, Hashable {
        var caFile: String?
        var insecureSkipVerify: Bool
        var clientCert: String?
        var clientKey: String?
    }

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
        if let user = components.user {
            let credentials = user + ":" + (components.password ?? "")
            basicAuthorization = ("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())
            components.user = nil
            components.password = nil
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let hostText = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        url = components.string ?? rawURL
        endpoint = "\(scheme)://\(hostText):\(port)"
        displayURL = "\(scheme)://\(hostText)\(components.port.map { ":\($0)" } ?? "")\(components.path)"
        tls = try Self.tlsOptions(context, scheme: scheme)
    }

    private static func tlsOptions(_ context: ActionContext, scheme: String) throws(LifeboatError) -> TLSOptions? {
        guard let tlsValue = context.params["tls"], tlsValue != .null else { return nil }
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
        return options
    }

    /// Preflight: the TLS files exist (nothing is sent).
    var missingTLSFile: String? {
        guard let tls else { return nil }
        return [tls.caFile, tls.clientCert, tls.clientKey].compactMap { $0 }.first { !FilePaths.isRegularFile($0) }
    }
}
