import Foundation

/// A DNS server as a step names it: `127.0.0.1:5353`, `[::1]:53`, `ns1.example.test` (port 53).
struct DNSServerAddress: Sendable, Hashable, CustomStringConvertible {
    var host: String
    var port: Int

    /// Nil when the text is not `host`, `host:port` or `[v6]:port`.
    init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        if t.hasPrefix("[") {
            guard let close = t.firstIndex(of: "]") else { return nil }
            host = String(t[t.index(after: t.startIndex)..<close])
            let rest = t[t.index(after: close)...]
            if rest.isEmpty {
                port = 53
            } else {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if t.filter({ $0 == ":" }).count > 1 {
            host = t  // a bare IPv6 address
            port = 53
        } else if let colon = t.lastIndex(of: ":") {
            host = String(t[..<colon])
            guard let p = Int(t[t.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = t
            port = 53
        }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
