import LifeboatCore
import NIOSSL

/// Builds the per-request TLS configuration for `tls:`. Verification stays on unless the step says
/// `insecure_skip_verify: true`; `ca_file` replaces the system trust roots (like `curl --cacert`).
enum TLSSettings {
    static func configuration(_ options: HTTPTarget.TLSOptions) throws(LifeboatError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            let roots = try load(caFile, what: "tls.ca_file") { try NIOSSLCertificate.fromPEMFile($0) }
            configuration.trustRoots = .certificates(roots)
        }
        if options.insecureSkipVerify {
            configuration.certificateVerification = .none
        }
        if let certFile = options.clientCert, let keyFile = options.clientKey {
            let chain = try load(certFile, what: "tls.client_cert") { try NIOSSLCertificate.fromPEMFile($0) }
            let key = try load(keyFile, what: "tls.client_key") { try NIOSSLPrivateKey(file: $0, format: .pem) }
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
        }
        return configuration
    }

    private static func load<T>(
        _ path: String, what: String, _ body: (String) throws -> T
    ) throws(LifeboatError) -> T {
        guard FilePaths.isRegularFile(path) else {
            throw LifeboatError(
                .invalidInput, "\(what) \(path) does not exist",
                hint: "paths are relative to the runbook's folder")
        }
        do {
            return try body(path)
        } catch {
            throw LifeboatError(
                .invalidInput, "\(what) \(path) is not a PEM file this can read",
                hint: "give a PEM-encoded certificate or key", detail: "\(error)")
        }
    }
}
