import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small python UDP/TCP relay in front of BIND that holds every request `delay` seconds before
/// forwarding it, and logs each request it receives (`recv OPCODE`) and forwards (`fwd OPCODE`):
/// it makes "the middle of a dns.update" last long enough to kill the CLI in, and counts the
/// UPDATEs that really reached the server.
final class DNSRelay: @unchecked Sendable {
    static let script = #"""
        import socket, sys, threading, time
        upstream_port, delay, log_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
        drop_update_answers = [int(sys.argv[4])]
        forge_update_macs = sys.argv[5] == "1"
        drop_updates = sys.argv[6] == "1"
        lock = threading.Lock()
        def log(line):
            with lock:
                with open(log_path, "a") as f:
                    f.write(line + "\n")
        def opcode(msg):
            return (msg[2] >> 3) & 0x0F if len(msg) > 2 else -1
        def forged(msg, answer):
            # The TSIG record ends the answer: MAC, original id (2), error (2), other length (2, zero
            # on success). Flipping the MAC's last byte makes a signed answer that does not verify.
            if opcode(msg) != 5 or not forge_update_macs or len(answer) < 7:
                return answer
            log("forged answer %d" % opcode(msg))
            return answer[:-7] + bytes([answer[-7] ^ 0xFF]) + answer[-6:]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))
        tcp.listen(16)
        def relay_udp(msg, client):
            log("recv %d" % opcode(msg))
            if drop_updates and opcode(msg) == 5:
                log("dropped update")
                return
            time.sleep(delay)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(msg, ("127.0.0.1", upstream_port))
            log("fwd %d" % opcode(msg))
            try:
                answer, _ = s.recvfrom(65535)
                with lock:
                    drop = opcode(msg) == 5 and drop_update_answers[0] > 0
                    if drop:
                        drop_update_answers[0] -= 1
                if drop:
                    log("dropped answer %d" % opcode(msg))
                else:
                    udp.sendto(forged(msg, answer), client)
            except OSError:
                pass
            s.close()
        def read_exact(conn, n):
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                if not chunk:
                    raise OSError("closed")
                data += chunk
            return data
        def relay_tcp(conn):
            try:
                length = int.from_bytes(read_exact(conn, 2), "big")
                msg = read_exact(conn, length)
                log("recv %d" % opcode(msg))
                if drop_updates and opcode(msg) == 5:
                    log("dropped update")
                    time.sleep(60)
                    raise OSError("dropped")
                time.sleep(delay)
                up = socket.create_connection(("127.0.0.1", upstream_port), timeout=5)
                up.sendall(length.to_bytes(2, "big") + msg)
                log("fwd %d" % opcode(msg))
                n = int.from_bytes(read_exact(up, 2), "big")
                conn.sendall(n.to_bytes(2, "big") + forged(msg, read_exact(up, n)))
                up.close()
            except OSError:
                pass
            conn.close()
        def serve_tcp():
            while True:
                conn, _ = tcp.accept()
                threading.Thread(target=relay_tcp, args=(conn,), daemon=True).start()
        threading.Thread(target=serve_tcp, daemon=True).start()
        print(port, flush=True)
        while True:
            msg, client = udp.recvfrom(65535)
            threading.Thread(target=relay_udp, args=(msg, client), daemon=True).start()
        """#

    let port: Int
    let logPath: String
    private let process: Process

    /// `dropUpdateAnswers`: how many UPDATE answers (over UDP) to swallow after forwarding the
    /// UPDATE, as a lossy network would. `forgeUpdateMACs`: hand back every UPDATE answer with its
    /// TSIG MAC altered, as a spoofer without the key would. `dropUpdates`: never forward an
    /// UPDATE (queries pass), as a server that ignores updates from here would.
    init(
        upstreamPort: Int, delay: Double, directory: String, dropUpdateAnswers: Int = 0, forgeUpdateMACs: Bool = false,
        dropUpdates: Bool = false
    ) throws {
        let scriptPath = directory + "/relay.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        logPath = directory + "/relay.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, String(upstreamPort), String(delay), logPath, String(dropUpdateAnswers),
                             forgeUpdateMACs ? "1" : "0", dropUpdates ? "1" : "0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The first line is the port it listens on (UDP and TCP).
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw HarnessError("the relay did not start")
        }
        port = p
    }

    /// The log lines so far.
    var lines: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// How many UPDATEs (opcode 5) were received / forwarded to the server.
    var updatesReceived: Int { lines.filter { $0 == "recv 5" }.count }
    var updatesForwarded: Int { lines.filter { $0 == "fwd 5" }.count }

    /// SIGKILL: python in a blocking recvfrom may not act on SIGTERM promptly.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
