import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real webhook receiver (python3's http.server on 127.0.0.1 and a free port) that records every
/// request and honours `Idempotency-Key` as a chat service would: the first request with a key is a
/// notification, later ones with the same key are answered 200 and marked duplicates.
///
/// Paths: `/hook` answers 200; `/fail-first/N` answers 503 to its first N requests, then 200;
/// `/slow-first/S` records its first request and answers it only after S seconds (a client killed
/// meanwhile never sees the answer), later ones at once; `/slow/S` answers every request after S
/// seconds. Each request is recorded with its arrival time. `GET /health` is a service's health
/// check for probes: 200, or 503 while `setDown(true)` (not recorded). Stopped by `stop()` or on deinit.
public final class WebhookReceiver: @unchecked Sendable {
    public struct Request: Sendable, Hashable {
        public var path: String
        public var key: String?
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: String
        public var status: Int
        public var duplicate: Bool
        /// Arrival, seconds since 1970.
        public var at: Double
    }

    static let script = #"""
        import json, os, sys, threading, time
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

        log = open(sys.argv[1], "a")
        lock = threading.Lock()
        seen = set()
        counts = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_GET(self):
                status = 503 if os.path.exists(sys.argv[1] + ".down") else 200
                data = b"down" if status == 503 else b"up"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                key = self.headers.get("Idempotency-Key")
                with lock:
                    counts[self.path] = counts.get(self.path, 0) + 1
                    n = counts[self.path]
                    status = 200
                    if self.path.startswith("/fail-first/") and n <= int(self.path.split("/")[2]):
                        status = 503
                    duplicate = key is not None and key in seen
                    if status == 200 and key is not None:
                        seen.add(key)
                    log.write(json.dumps({"path": self.path, "key": key, "status": status, "duplicate": duplicate, "at": time.time(),
                                          "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}) + "\n")
                    log.flush()
                if self.path.startswith("/slow-first/") and n == 1:
                    time.sleep(float(self.path.split("/")[2]))
                if self.path.startswith("/slow/"):
                    time.sleep(float(self.path.split("/")[2]))
                data = json.dumps({"ok": status == 200, "duplicate": duplicate}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    public let port: Int
    private let process: Process
    private let logPath: String

    public var url: String { "http://127.0.0.1:\(port)" }

    public init() throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString).jsonl").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, logPath]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the webhook receiver printed no port: \(line)"])
        }
        self.port = port
    }

    /// Every request so far, in arrival order.
    public func requests() -> [Request] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(
                path: object["path"] as? String ?? "", key: object["key"] as? String,
                headers: object["headers"] as? [String: String] ?? [:], body: object["body"] as? String ?? "",
                status: object["status"] as? Int ?? 0, duplicate: object["duplicate"] as? Bool ?? false,
                at: object["at"] as? Double ?? 0)
        }
    }

    /// Makes `GET /health` answer 503 (true) or 200 (false) from now on.
    public func setDown(_ down: Bool) {
        if down {
            FileManager.default.createFile(atPath: logPath + ".down", contents: nil)
        } else {
            try? FileManager.default.removeItem(atPath: logPath + ".down")
        }
    }

    /// The notifications a person would see: accepted requests that were not duplicates.
    public func notifications() -> [Request] { requests().filter { $0.status == 200 && !$0.duplicate } }

    /// Kills the receiver (no wait: `Process.waitUntilExit` spins when called from a task on Linux).
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
        try? FileManager.default.removeItem(atPath: logPath + ".down")
    }

    deinit { stop() }
}
