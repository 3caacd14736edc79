import AsyncHTTPClient
import LifeboatCore
import NIOCore
import NIOHTTP1

/// One HTTP request and its whole (bounded) response, timed: what `http.check` and `notify` send.
struct HTTPExchange: Sendable {
    var status: Int
    var body: ResponseBody
    /// Request start to the last body byte.
    var latencyMs: Int64

    /// Sends `method` to `target` with `headers` and `body`; failures become one-line errors that
    /// name the URL (`HTTPFailure`).
    static func send(
        _ client: HTTPClient, _ target: HTTPTarget, method: String, headers: [(name: String, value: String)],
        body: String?, timeoutMs: Int64
    ) async throws(LifeboatError) -> HTTPExchange {
        var request = HTTPClientRequest(url: target.url)
        request.method = HTTPMethod(rawValue: method)
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if let tls = target.tls { request.tlsConfiguration = try TLSSettings.configuration(tls) }

        let clock = ContinuousClock()
        let start = clock.now
        var received = ResponseBody()
        do {
            let response = try await client.execute(request, deadline: .now() + .milliseconds(timeoutMs))
            for try await chunk in response.body { received.append(chunk.readableBytesView) }
            return HTTPExchange(status: Int(response.status.code), body: received, latencyMs: (clock.now - start).milliseconds)
        } catch {
            if Task.isCancelled {
                throw LifeboatError(.cancelled, "\(method) \(target.displayURL) was stopped (timeout or abort)")
            }
            throw HTTPFailure.error(error, method: method, displayURL: target.displayURL, timeoutMs: timeoutMs)
        }
    }
}
