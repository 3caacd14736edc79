/// How to reach one Kubernetes API server and who to be there: read from a kubeconfig context or
/// from a step's explicit `server` / `token` / `ca_file` / `ca_data`.
struct KubeCredentials: Sendable {
    /// `https://host:port` plus any path prefix the cluster is served under, without a trailing slash.
    var server: String
    /// PEM bytes of the CA that signed the API server's certificate (nil: the system's trust roots).
    var caPEM: [UInt8]?
    /// Where the CA came from, for messages (`certificate-authority-data of cluster c`, a file path).
    var caSource: String?
    var insecureSkipVerify: Bool
    /// Bearer token. A secret: never in a message.
    var token: String?
    /// PEM client certificate chain and key. The key is a secret.
    var clientCertPEM: [UInt8]?
    var clientKeyPEM: [UInt8]?
    /// `context prod` or `server https://…`: what a 401 tells the user to check.
    var origin: String
    /// Other secret text to mask (a kubeconfig's `client-key-data` as written).
    var extraSecrets: [String] = []

    /// Values to mask in anything shown: the token and the client key (both as written).
    var secrets: [String] {
        var out: [String] = []
        if let token, token.count >= 4 { out.append(token) }
        if let key = clientKeyPEM {
            let text = String(decoding: key, as: UTF8.self)
            out += text.split(whereSeparator: \.isNewline).map(String.init).filter { $0.count >= 16 && !$0.hasPrefix("-----") }
        }
        return out + extraSecrets.filter { $0.count >= 4 }
    }
}
