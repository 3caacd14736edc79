import AsyncHTTPClient
import Foundation
import LifeboatCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// JSON requests to one Kubernetes API server, authenticated with a bearer token and/or a client
/// certificate, over TLS that trusts the configured CA. Every failure becomes a one-line
/// `LifeboatError` (see `KubeFailure`); the step's context names the step and masks the secrets.
struct KubeAPI: Sendable {
    let client: HTTPClient
    let credentials: KubeCredentials
    private let tls: TLSConfiguration?

    init(client: HTTPClient, credentials: KubeCredentials) throws(LifeboatError) {
        self.client = client
        self.credentials = credentials
        tls = credentials.server.lowercased().hasPrefix("https://") ? try Self.tlsConfiguration(credentials) : nil
    }

    /// A response with a status the caller expected (2xx); its body parsed as a JSON object.
    struct Response: Sendable {
        var status: Int
        var object: JSONObject
    }

    /// Sends `method path` (with `body` as `contentType`) and returns the 2xx response's object, or
    /// throws the API's error (its `Status` message quoted) or the transport's.
    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String? = nil, timeoutMs: Int64,
        workload: String
    ) async throws(LifeboatError) -> Response {
        let url = credentials.server + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "lifeboat")
        if let token = credentials.token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let tls { request.tlsConfiguration = tls }

        var bytes: [UInt8] = []
        let status: Int
        do {
            let response = try await client.execute(request, deadline: .now() + .milliseconds(timeoutMs))
            status = Int(response.status.code)
            for try await chunk in response.body {
                if bytes.count < 4 << 20 { bytes.append(contentsOf: chunk.readableBytesView) }
            }
        } catch {
            if Task.isCancelled {
                throw LifeboatError(.cancelled, "\(method.rawValue) \(url) was stopped (timeout or abort)")
            }
            throw KubeFailure.transport(error, method: method.rawValue, url: url, timeoutMs: timeoutMs, credentials: credentials)
        }
        let object = JSONObject(bytes)
        guard (200..<300).contains(status) else {
            throw KubeFailure.status(
                status, object: object, rawBody: bytes, method: method.rawValue, path: path, workload: workload,
                credentials: credentials)
        }
        guard object.isObject else {
            throw LifeboatError(
                .actionFailed, "\(method.rawValue) \(url) answered \(status) without a JSON object",
                hint: "is \(credentials.server) a Kubernetes API server?", retryable: true)
        }
        return Response(status: status, object: object)
    }

    private static func tlsConfiguration(_ c: KubeCredentials) throws(LifeboatError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let ca = c.caPEM {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            } catch {
                throw LifeboatError(
                    .invalidInput, "\(c.caSource ?? "the CA") is not a PEM certificate",
                    hint: "give the PEM (or base64 of the PEM) of the CA that signed the API server's certificate")
            }
        }
        if c.insecureSkipVerify { configuration.certificateVerification = .none }
        if let cert = c.clientCertPEM, let key = c.clientKeyPEM {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
            } catch {
                throw LifeboatError(
                    .invalidInput, "the client certificate of \(c.origin) is not a PEM certificate",
                    hint: "check client-certificate(-data) / client_cert")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw LifeboatError(
                    .invalidInput, "the client key of \(c.origin) is not a PEM private key",
                    hint: "check client-key(-data) / client_key")
            }
        }
        return configuration
    }
}

/// A parsed JSON value with path lookups (`object["status", "readyReplicas"]`), nil when absent.
struct JSONObject: @unchecked Sendable {
    /// What JSONSerialization produced (immutable Foundation values), or nil when the text was not JSON.
    private let root: Any?

    init(_ bytes: [UInt8]) {
        root = bytes.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    private init(root: Any?) { self.root = root }

    var isObject: Bool { root is [String: Any] }

    func int(_ path: String...) -> Int? {
        var current = root
        for key in path { current = (current as? [String: Any])?[key] }
        if let i = current as? Int { return i }
        if let d = current as? Double, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        return nil
    }

    func string(_ path: String...) -> String? {
        var current = root
        for key in path { current = (current as? [String: Any])?[key] }
        return current as? String
    }
}
