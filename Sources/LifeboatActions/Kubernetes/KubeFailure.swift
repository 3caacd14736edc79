import LifeboatCore

/// Turns Kubernetes API answers and transport failures into one-line `LifeboatError`s that say
/// what to check. 409, 429, 5xx and connection problems are retryable; 401, 403, 404, TLS are not.
enum KubeFailure {
    /// The error for a non-2xx answer, quoting the `Status` object's `message` when there is one.
    static func status(
        _ status: Int, object: JSONObject, rawBody: [UInt8], method: String, path: String, workload: String,
        credentials: KubeCredentials
    ) -> LifeboatError {
        let apiMessage = object.string("message") ?? shortText(rawBody)
        let quoted = apiMessage.isEmpty ? "" : ": \(apiMessage)"
        let prefix = "\(method) \(workload)"
        let resource = path.split(separator: "/").dropFirst(5).first.map(String.init) ?? "deployments"
        let namespace = path.split(separator: "/").dropFirst(4).first.map(String.init) ?? "default"
        switch status {
        case 401:
            return LifeboatError(
                .actionFailed,
                "the API server rejected the credentials (401 Unauthorized): check the token / client certificate for \(credentials.origin)",
                hint: "the token may have expired or belong to another cluster", detail: apiMessage)
        case 403:
            return LifeboatError(
                .actionFailed, "\(prefix): forbidden (403)\(quoted)",
                hint: "RBAC: the identity needs get and patch on \(resource)/scale and get on \(resource) in namespace \(namespace)",
                detail: apiMessage)
        case 404:
            return LifeboatError(
                .actionFailed, "\(prefix): not found (404)\(quoted)",
                hint: "check the namespace and name (kubectl get \(resource) -n \(namespace))", detail: apiMessage)
        case 409:
            return LifeboatError(
                .actionFailed, "\(prefix): conflict (409)\(quoted)",
                hint: "someone changed it at the same time; a retry reads it again", retryable: true, detail: apiMessage)
        case 429:
            return LifeboatError(
                .actionFailed, "\(prefix): the API server is throttling requests (429)\(quoted)",
                hint: "retry later", retryable: true, detail: apiMessage)
        case 500...599:
            return LifeboatError(
                .actionFailed, "\(prefix): the API server failed (\(status))\(quoted)",
                hint: "the control plane may be unhealthy; a retry may help", retryable: true, detail: apiMessage)
        default:
            return LifeboatError(
                .actionFailed, "\(prefix): the API server answered \(status)\(quoted)",
                hint: "see the message; check the step's parameters", detail: apiMessage)
        }
    }

    /// The error for a request that got no HTTP answer (refused, TLS, timeout, …).
    static func transport(
        _ error: any Error, method: String, url: String, timeoutMs: Int64, credentials: KubeCredentials
    ) -> LifeboatError {
        let target = "\(method) \(url)"
        switch HTTPFailure.classify(error) {
        case .tls(let reason, _) where reason.contains("not trusted"):
            let trusted = credentials.caSource.map { "the CA in \($0)" } ?? "the system's trust roots (no CA configured)"
            return LifeboatError(
                .actionFailed, "\(target): server certificate not trusted: check certificate-authority",
                hint: "\(credentials.server)'s certificate is not signed by \(trusted); set certificate-authority(-data) in the kubeconfig or ca_file/ca_data",
                detail: String(describing: error))
        case .tls(let reason, _) where reason.contains("rejected the handshake"):
            return LifeboatError(
                .actionFailed, "\(target): TLS failed: the server rejected the handshake",
                hint: "does it require a client certificate? check client-certificate / client-key for \(credentials.origin)",
                detail: String(describing: error))
        case .tls(let reason, let hint):
            return LifeboatError(
                .actionFailed, "\(target): TLS failed: \(reason)", hint: hint, detail: String(describing: error))
        default:
            var converted = HTTPFailure.error(error, method: method, displayURL: url, timeoutMs: timeoutMs)
            if converted.message.hasSuffix("connection refused") {
                converted.hint = "is the API server at \(credentials.server) up? check the server URL of \(credentials.origin)"
            }
            return converted
        }
    }

    /// The first 200 characters of a non-JSON body, on one line.
    private static func shortText(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(400), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
