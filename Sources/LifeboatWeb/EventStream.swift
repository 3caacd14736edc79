import HTTPTypes
import Hummingbird
import LifeboatCore
import NIOCore

/// `GET /runs/ID/events`: the run's events as server-sent events, from the one after `after` (the
/// page's `data-seen`) or after `Last-Event-ID` (a browser reconnecting says which it saw last),
/// then each new one as soon as the follower has read it (`RunFeeds.next`); `event: end` once the
/// run has ended. Each message's `id` is the event's position in the run's log (1 = `runCreated`) and its
/// `data` the event as the store records it (canonical JSON, one line).
enum EventStream {
    /// A comment line now and then keeps proxies from closing a quiet stream.
    static let heartbeat: Duration = .seconds(15)

    static func response(runID: String, request: Request, feeds: RunFeeds) -> Response {
        let fromHeader = request.headers[.lastEventID].flatMap { Int($0) }
        let fromQuery = request.uri.queryParameters["after"].flatMap { Int(String($0)) }
        let start = max(0, fromHeader ?? fromQuery ?? 0)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var seen = start
            var lastWrite = ContinuousClock.now
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            while !Task.isCancelled {
                let batch = try await feeds.next(of: runID, after: seen)
                if let bytes = batch.bytes {
                    try await writer.write(bytes)
                    lastWrite = .now
                }
                seen = batch.seen
                if batch.ended {
                    try await writer.write(ByteBuffer(string: "event: end\ndata: \(seen)\n\n"))
                    break
                }
                if ContinuousClock.now - lastWrite >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    lastWrite = .now
                }
            }
            try await writer.finish(nil)
        })
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
