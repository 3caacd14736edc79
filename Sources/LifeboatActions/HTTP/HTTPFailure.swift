import AsyncHTTPClient
import LifeboatCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns what AsyncHTTPClient / NIO throw into one-line `LifeboatError`s that name the URL and
/// say what to check. Connection problems, timeouts and 5xx are retryable; TLS and 4xx are not.
enum HTTPFailure {
    enum Kind: Equatable {
        case refused, dns, unreachable, timeout, closed
        /// The server's answer is not valid HTTP.
        case malformed
        /// What went wrong in the handshake, and what to do about it.
        case tls(reason: String, hint: String)
        case cancelled
        case other
    }

    static func error(
        _ error: any Error, method: String, displayURL: String, timeoutMs: Int64
    ) -> LifeboatError {
        let target = "\(method) \(displayURL)"
        let detail = String(describing: error)
        switch classify(error) {
        case .refused:
            return LifeboatError(
                .actionFailed, "\(target): connection refused",
                hint: "is the service listening on that host and port?", retryable: true, detail: detail)
        case .dns:
            return LifeboatError(
                .actionFailed, "\(target): the host name could not be resolved",
                hint: "check the host name and this machine's DNS", retryable: true, detail: detail)
        case .unreachable:
            return LifeboatError(
                .actionFailed, "\(target): host or network unreachable",
                hint: "check routing and firewalls between here and the host", retryable: true, detail: detail)
        case .timeout:
            return LifeboatError(
                .actionFailed,
                "\(target): no complete response within \(DurationText.format(milliseconds: timeoutMs))",
                hint: "is the service overloaded? raise the check's timeout if it is just slow", retryable: true,
                detail: detail)
        case .closed:
            return LifeboatError(
                .actionFailed, "\(target): the server closed the connection",
                hint: "check the server's logs; is it restarting?", retryable: true, detail: detail)
        case .malformed:
            return LifeboatError(
                .actionFailed, "\(target): the server sent an invalid HTTP response",
                hint: "is something other than an HTTP server listening there?", retryable: true, detail: detail)
        case .tls(let reason, let hint):
            return LifeboatError(
                .actionFailed, "\(target): TLS failed: \(reason)", hint: hint, retryable: false,
                detail: detail)
        case .cancelled:
            return LifeboatError(.cancelled, "\(target) was stopped (timeout or abort)")
        case .other:
            return LifeboatError(
                .actionFailed, "\(target) failed: \(shortDescription(error))",
                hint: "see the detail with `lifeboat show RUN --verbose`", retryable: true, detail: detail)
        }
    }

    static func classify(_ error: any Error) -> Kind {
        if error is CancellationError { return .cancelled }
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return .timeout
            case .remoteConnectionClosed: return .closed
            case .cancelled: return .cancelled
            default: return .other
            }
        }
        if let e = error as? NIOConnectionError {
            if e.connectionErrors.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil { return .dns }
            let kinds = e.connectionErrors.map { classify($0.error) }
            return kinds.first { $0 != .other } ?? (kinds.isEmpty ? .other : .refused)
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return .refused
            case ECONNRESET, EPIPE: return .closed
            case EHOSTUNREACH, ENETUNREACH: return .unreachable
            case ETIMEDOUT: return .timeout
            default: return .other
            }
        }
        if error is ChannelError {
            if case .connectTimeout = error as! ChannelError { return .timeout }
            return .closed
        }
        if error is HTTPParserError { return .malformed }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost { return .dns }
        if let e = error as? NIOSSLExtraError {
            if e == .failedToValidateHostname || e == .serverHostnameImpossibleToMatch {
                return .tls(
                    reason: "the server's certificate does not name this host",
                    hint: "use a host name the certificate was issued for, or fix the certificate")
            }
            return tlsKind(String(describing: e))
        }
        if error is NIOSSLError || error is BoringSSLError {
            return tlsKind(String(describing: error))
        }
        let text = String(describing: error)
        if text.contains("Connection refused") { return .refused }
        return .other
    }

    /// BoringSSL's reason in words (`CERTIFICATE_VERIFY_FAILED` → "the server's certificate is not
    /// trusted"), with what to check.
    private static func tlsKind(_ text: String) -> Kind {
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return .tls(
                reason: "the server's certificate is not trusted",
                hint: "set tls.ca_file to the CA that signed the server's certificate, or fix the certificate")
        }
        if text.contains("WRONG_VERSION_NUMBER") {
            return .tls(reason: "the server did not answer with TLS", hint: "is it plain http? check the scheme and port")
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") {
            return .tls(
                reason: "the server rejected the handshake",
                hint: "does it require a client certificate? set tls.client_cert and tls.client_key")
        }
        return .tls(reason: "handshake failed", hint: "check the server's TLS setup; the detail is in `lifeboat show RUN --verbose`")
    }

    private static func shortDescription(_ error: any Error) -> String {
        let text = String(describing: error)
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        return firstLine.count > 200 ? String(firstLine.prefix(200)) + "…" : firstLine
    }
}
