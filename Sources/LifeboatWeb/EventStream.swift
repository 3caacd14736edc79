import HTTPTypes
import Hummingbird
import LifeboatCore
import LifeboatStore
import NIOCore

/// `GET /runs/ID/events`: the run's events as server-sent events, from the one after `after` (the
/// page's `data-seen`) or after `Last-Event-ID` (a browser reconnecting says which it saw last),
/// then each new one within `checkMs` of the follower reading it; `event: end` once the run has
/// ended. Each message's `id` is the event's position in the run's log (1 = `runCreated`) and its
/// `data` the event as the store records it (canonical JSON, one line).
enum EventStream {
    static let checkMs: Int64 = 100
    /// A comment line now and then keeps proxies from closing a quiet stream.
    static let heartbeatMs: Int64 = 15_000

    static func response(runID: String, request: Request, feeds: RunFeeds) -> Response {
        let fromHeader = request.headers[.lastEventID].flatMap { Int($0) }
        let fromQuery = request.uri.queryParameters["after"].flatMap { Int(String($0)) }
        let start = max(0, fromHeader ?? fromQuery ?? 0)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var seen = start
            var quietMs: Int64 = 0
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            while !Task.isCancelled {
                let (fresh, ended) = try await feeds.events(of: runID, after: seen)
                for event in fresh {
                    seen += 1
                    try await writer.write(ByteBuffer(string: "id: \(seen)\ndata: \(try CanonicalJSON.encode(event))\n\n"))
                }
                if ended {
                    try await writer.write(ByteBuffer(string: "event: end\ndata: \(seen)\n\n"))
                    break
                }
                quietMs = fresh.isEmpty ? quietMs + checkMs : 0
                if quietMs >= heartbeatMs {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quietMs = 0
                }
                try await Task.sleep(for: .milliseconds(checkMs))
            }
            try await writer.finish(nil)
        })
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
