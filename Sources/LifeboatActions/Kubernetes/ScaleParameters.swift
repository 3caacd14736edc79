import Foundation
import LifeboatCore

/// A `kubernetes.scale` step's `with:` block, checked, with its credentials resolved.
struct ScaleParameters: Sendable {
    static let defaultTimeoutMs: Int64 = 300_000
    static let defaultPollMs: Int64 = 1_000

    enum Kind: String, Sendable, CaseIterable {
        case deployment, statefulset

        /// The resource's plural in URLs (`deployments`).
        var resource: String { rawValue + "s" }
    }

    var kind: Kind
    var namespace: String
    var name: String
    var replicas: Int
    var timeoutMs: Int64
    var pollMs: Int64
    var credentials: KubeCredentials

    /// `deployment prod/web`: how messages name the workload.
    var workload: String { "\(kind.rawValue) \(namespace)/\(name)" }

    /// `/apis/apps/v1/namespaces/prod/deployments/web`.
    var objectPath: String { "/apis/apps/v1/namespaces/\(namespace)/\(kind.resource)/\(name)" }

    var scalePath: String { objectPath + "/scale" }

    /// The step's own secrets and the credentials' (token, key), masked together.
    func mask(_ text: String, _ request: ActionRequest) -> String {
        request.masker.mask(SecretMasker(secrets: credentials.secrets).mask(text))
    }

    /// Keys that choose explicit credentials instead of a kubeconfig.
    static let explicitKeys = ["server", "token", "ca_file", "ca_data", "client_cert", "client_key", "insecure_skip_tls_verify"]

    init(_ request: ActionRequest, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LifeboatError) {
        let kindText = try request.string("kind") ?? "deployment"
        guard let kind = Kind(rawValue: kindText.lowercased()) else {
            throw request.badParameter("kind", "must be deployment or statefulset, not \(kindText)")
        }
        self.kind = kind
        namespace = try request.string("namespace") ?? "default"
        name = try request.requiredString("name")
        for (key, value) in [("namespace", namespace), ("name", name)] where !Self.isObjectName(value) {
            throw request.badParameter(key, "must be a Kubernetes name: lowercase letters, digits, '-' and '.', at most 253 characters")
        }
        guard let replicas = try request.int("replicas") else { throw request.badParameter("replicas", "is required") }
        guard replicas >= 0 else { throw request.badParameter("replicas", "must be 0 or more") }
        self.replicas = replicas
        timeoutMs = try request.durationMs("timeout") ?? Self.defaultTimeoutMs
        pollMs = try request.durationMs("poll") ?? Self.defaultPollMs
        guard timeoutMs > 0 else { throw request.badParameter("timeout", "must be longer than 0ms") }
        guard pollMs > 0 else { throw request.badParameter("poll", "must be longer than 0ms") }

        if try request.string("server") != nil {
            for key in ["kubeconfig", "context"] where request.params[key] != nil && request.params[key] != .null {
                throw request.badParameter(key, "cannot be combined with server: (give either a kubeconfig or explicit credentials)")
            }
            credentials = try Self.explicit(request)
        } else {
            if let key = Self.explicitKeys.first(where: { request.params[$0] != nil && request.params[$0] != .null }) {
                throw request.badParameter(key, "needs server: as well (explicit credentials), or leave it out and use a kubeconfig")
            }
            let file = try request.string("kubeconfig").map { FilePaths.resolve($0, against: request.baseDirectory) }
            credentials = try KubeConfig.load(
                files: KubeConfig.files(explicit: file, environment: environment), context: try request.string("context"),
                stepID: request.stepID)
        }
    }

    /// `server`, `token`, `ca_file` / `ca_data`, `client_cert` + `client_key`, `insecure_skip_tls_verify`.
    private static func explicit(_ request: ActionRequest) throws(LifeboatError) -> KubeCredentials {
        var server = try request.requiredString("server")
        guard let url = URLComponents(string: server), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty, url.user == nil, url.query == nil
        else {
            throw request.badParameter("server", "must be the API server's URL, such as https://10.0.0.1:6443")
        }
        while server.hasSuffix("/") { server.removeLast() }
        let token = try request.string("token")
        if let token, request.masker.mask(token) == token {
            // Only values read through `${secrets.x}` are masked; anything else was written in a
            // document, which every run pins and stores.
            throw request.badParameter("token", "must come from a secret, such as token: ${secrets.k8s_token}, so that it is never stored")
        }
        var credentials = KubeCredentials(
            server: server, caPEM: nil, caSource: nil, insecureSkipVerify: try request.bool("insecure_skip_tls_verify") ?? false,
            token: token, clientCertPEM: nil, clientKeyPEM: nil, origin: "server \(server)")
        if let data = try request.string("ca_data") {
            guard try request.string("ca_file") == nil else { throw request.badParameter("ca_data", "cannot be combined with ca_file") }
            // PEM text, or base64 of it as in a kubeconfig's certificate-authority-data.
            if data.contains("-----BEGIN") {
                credentials.caPEM = Array(data.utf8)
            } else if let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) {
                credentials.caPEM = Array(decoded)
            } else {
                throw request.badParameter("ca_data", "must be PEM text or base64 of it")
            }
            credentials.caSource = "ca_data"
        } else if let file = try request.string("ca_file") {
            let path = FilePaths.resolve(file, against: request.baseDirectory)
            credentials.caPEM = try read(path, "ca_file", request)
            credentials.caSource = "ca_file \(path)"
        }
        let cert = try request.string("client_cert").map { FilePaths.resolve($0, against: request.baseDirectory) }
        let key = try request.string("client_key").map { FilePaths.resolve($0, against: request.baseDirectory) }
        guard (cert == nil) == (key == nil) else { throw request.badParameter("client_cert", "needs client_key as well, or neither") }
        if let cert, let key {
            credentials.clientCertPEM = try read(cert, "client_cert", request)
            credentials.clientKeyPEM = try read(key, "client_key", request)
        }
        return credentials
    }

    private static func read(_ path: String, _ key: String, _ request: ActionRequest) throws(LifeboatError) -> [UInt8] {
        guard FilePaths.isRegularFile(path), let data = FileManager.default.contents(atPath: path) else {
            throw request.badParameter(key, "names \(path), which does not exist or cannot be read (paths are relative to the runbook's folder)")
        }
        return Array(data)
    }

    /// A DNS-1123 subdomain: what namespaces, deployments and statefulsets are named with. Checked so
    /// that a value can never change the request's path.
    static func isObjectName(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        let allowed = text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
        guard allowed, let first = text.utf8.first, let last = text.utf8.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return alnum(first) && alnum(last)
    }
}
