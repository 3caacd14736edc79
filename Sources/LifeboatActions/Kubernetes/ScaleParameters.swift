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

    /// Keys that choose explicit credentials instead of a kubeconfig.
    static let explicitKeys = ["server", "token", "ca_file", "ca_data", "client_cert", "client_key", "insecure_skip_tls_verify"]

    init(_ context: ActionContext, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LifeboatError) {
        let kindText = try context.string("kind") ?? "deployment"
        guard let kind = Kind(rawValue: kindText.lowercased()) else {
            throw context.badParameter("kind", "must be deployment or statefulset, not \(kindText)")
        }
        self.kind = kind
        namespace = try context.string("namespace") ?? "default"
        name = try context.requiredString("name")
        for (key, value) in [("namespace", namespace), ("name", name)] where !Self.isObjectName(value) {
            throw context.badParameter(key, "must be a Kubernetes name: lowercase letters, digits, '-' and '.', at most 253 characters")
        }
        guard let replicas = try context.int("replicas") else { throw context.badParameter("replicas", "is required") }
        guard replicas >= 0 else { throw context.badParameter("replicas", "must be 0 or more") }
        self.replicas = replicas
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        pollMs = try context.durationMs("poll") ?? Self.defaultPollMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
        guard pollMs > 0 else { throw context.badParameter("poll", "must be longer than 0ms") }

        if try context.string("server") != nil {
            for key in ["kubeconfig", "context"] where context.params[key] != nil && context.params[key] != .null {
                throw context.badParameter(key, "cannot be combined with server: (give either a kubeconfig or explicit credentials)")
            }
            credentials = try Self.explicit(context)
        } else {
            if let key = Self.explicitKeys.first(where: { context.params[$0] != nil && context.params[$0] != .null }) {
                throw context.badParameter(key, "needs server: as well (explicit credentials), or leave it out and use a kubeconfig")
            }
            let file = try context.string("kubeconfig").map { FilePaths.resolve($0, against: context.baseDirectory) }
            credentials = try KubeConfig.load(
                files: KubeConfig.files(explicit: file, environment: environment), context: try context.string("context"))
        }
    }

    /// `server`, `token`, `ca_file` / `ca_data`, `client_cert` + `client_key`, `insecure_skip_tls_verify`.
    private static func explicit(_ context: ActionContext) throws(LifeboatError) -> KubeCredentials {
        var server = try context.requiredString("server")
        guard let url = URLComponents(string: server), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty, url.user == nil, url.query == nil
        else {
            throw context.badParameter("server", "must be the API server's URL, such as https://10.0.0.1:6443")
        }
        while server.hasSuffix("/") { server.removeLast() }
        let token = try context.string("token")
        if let token, context.masker.mask(token) == token {
            // Only values read through `${secrets.x}` are masked; anything else was written in a
            // document, which every run pins and stores.
            throw context.badParameter("token", "must come from a secret, such as token: ${secrets.k8s_token}, so that it is never stored")
        }
        var credentials = KubeCredentials(
            server: server, caPEM: nil, caSource: nil, insecureSkipVerify: try context.bool("insecure_skip_tls_verify") ?? false,
            token: token, clientCertPEM: nil, clientKeyPEM: nil, origin: "server \(server)")
        if let data = try context.string("ca_data") {
            guard try context.string("ca_file") == nil else { throw context.badParameter("ca_data", "cannot be combined with ca_file") }
            // PEM text, or base64 of it as in a kubeconfig's certificate-authority-data.
            if data.contains("-----BEGIN") {
                credentials.caPEM = Array(data.utf8)
            } else if let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) {
                credentials.caPEM = Array(decoded)
            } else {
                throw context.badParameter("ca_data", "must be PEM text or base64 of it")
            }
            credentials.caSource = "ca_data"
        } else if let file = try context.string("ca_file") {
            let path = FilePaths.resolve(file, against: context.baseDirectory)
            credentials.caPEM = try read(path, "ca_file", context)
            credentials.caSource = "ca_file \(path)"
        }
        let cert = try context.string("client_cert").map { FilePaths.resolve($0, against: context.baseDirectory) }
        let key = try context.string("client_key").map { FilePaths.resolve($0, against: context.baseDirectory) }
        guard (cert == nil) == (key == nil) else { throw context.badParameter("client_cert", "needs client_key as well, or neither") }
        if let cert, let key {
            credentials.clientCertPEM = try read(cert, "client_cert", context)
            credentials.clientKeyPEM = try read(key, "client_key", context)
        }
        return credentials
    }

    private static func read(_ path: String, _ key: String, _ context: ActionContext) throws(LifeboatError) -> [UInt8] {
        guard FilePaths.isRegularFile(path), let data = FileManager.default.contents(atPath: path) else {
            throw context.badParameter(key, "names \(path), which does not exist or cannot be read (paths are relative to the runbook's folder)")
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
