import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the harness could not set BIND up; the test fails with this text.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A real BIND 9 (`named -g`) serving one dynamic zone on 127.0.0.1, in a temp dir, for tests.
///
/// The config approach (a sandbox script can copy it; see INFRA-NOTES "DNS"):
/// - a temp dir owned by `bind` (named drops to it with `-u bind` and writes the zone's journal);
/// - `listen-on port N { 127.0.0.1; }` on a free high port, `listen-on-v6 { none; }`;
/// - `recursion no`, empty `controls { }` (no rndc.key needed), no DNSSEC validation;
/// - TSIG keys from `tsig-keygen` (hmac-sha256 and hmac-sha512), granted with
///   `update-policy { grant KEY zonesub ANY; }`;
/// - a zone file with SOA, NS and A records, serial 1.
/// `config` holds the exact text used.
final class BINDServer: @unchecked Sendable {
    static let zone = "example.test."
    static let keyName = "ddns-key"
    static let key512Name = "ddns-key-512"

    let directory: String
    let port: Int
    /// Base64 secrets as tsig-keygen printed them.
    let secret: String
    let secret512: String
    let config: String
    private let process: Process

    var server: String { "127.0.0.1:\(port)" }

    private init(directory: String, port: Int, secret: String, secret512: String, config: String, process: Process) {
        self.directory = directory
        self.port = port
        self.secret = secret
        self.secret512 = secret512
        self.config = config
        self.process = process
    }

    /// Starts BIND, runs `body`, stops BIND and removes its folder.
    static func with<T>(extraRecords: String = "", _ body: (BINDServer) async throws -> T) async throws -> T {
        let bind = try await start(extraRecords: extraRecords)
        defer { bind.stop() }
        return try await body(bind)
    }

    static func start(extraRecords: String = "") async throws -> BINDServer {
        for path in ["/usr/sbin/named", "/usr/sbin/tsig-keygen", "/usr/bin/dig"] where !FileManager.default.isExecutableFile(atPath: path) {
            throw HarnessError("\(path) is missing: run scripts/install-deps (it installs bind9 and bind9-dnsutils)")
        }
        guard let bindUser = getpwnam("bind") else { throw HarnessError("no 'bind' OS user: install the bind9 package (scripts/install-deps)") }
        var template = Array((NSTemporaryDirectory() + "lifeboat-bind-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        chmod(dir, 0o755)

        let key256 = try run(["/usr/sbin/tsig-keygen", "-a", "hmac-sha256", keyName])
        let key512 = try run(["/usr/sbin/tsig-keygen", "-a", "hmac-sha512", key512Name])
        let secret = try Self.secret(in: key256)
        let secret512 = try Self.secret(in: key512)
        try """
            $TTL 300
            @       IN SOA  ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
            @       IN NS   ns1.example.test.
            ns1     IN A    127.0.0.1
            db      IN A    10.0.0.5
            www     IN CNAME db.example.test.
            \(extraRecords)

            """.write(toFile: dir + "/example.test.zone", atomically: true, encoding: .utf8)

        var lastLog = ""
        for _ in 0..<5 {
            let port = try freePort()
            let config = """
                options {
                    directory "\(dir)";
                    pid-file "\(dir)/named.pid";
                    session-keyfile "\(dir)/session.key";
                    managed-keys-directory "\(dir)";
                    listen-on port \(port) { 127.0.0.1; };
                    listen-on-v6 { none; };
                    recursion no;
                    allow-transfer { none; };
                    dnssec-validation no;
                    notify no;
                };
                controls { };
                \(key256)
                \(key512)
                zone "example.test" {
                    type primary;
                    file "\(dir)/example.test.zone";
                    update-policy { grant \(keyName) zonesub ANY; grant \(key512Name) zonesub ANY; };
                };

                """
            try config.write(toFile: dir + "/named.conf", atomically: true, encoding: .utf8)
            for file in ["", "/named.conf", "/example.test.zone"] {
                chown(dir + file, bindUser.pointee.pw_uid, bindUser.pointee.pw_gid)
            }
            chmod(dir + "/named.conf", 0o640)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/named")
            process.arguments = ["-g", "-n", "1", "-u", "bind", "-c", dir + "/named.conf"]
            let log = dir + "/named-\(port).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let server = BINDServer(directory: dir, port: port, secret: secret, secret512: secret512, config: config, process: process)
            // Ready when it answers the zone's SOA over UDP.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, process.isRunning {
                if let out = try? server.dig(["example.test.", "SOA", "+short", "+tries=1", "+time=1"]), out.contains("hostmaster") {
                    return server
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            server.stop(removing: false)
            // Port taken between the probe and named's bind: try another.
            guard lastLog.contains("address in use") else { break }
        }
        try? FileManager.default.removeItem(atPath: dir)
        throw HarnessError("named did not start:\n\(lastLog.split(separator: "\n").suffix(20).joined(separator: "\n"))")
    }

    /// Stops named (SIGTERM, then SIGKILL) and removes the folder.
    func stop(removing: Bool = true) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        if removing { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// `dig @127.0.0.1 -p PORT ARGS...` (the reference client), stdout.
    func dig(_ arguments: [String]) throws -> String {
        try Self.run(["/usr/bin/dig", "@127.0.0.1", "-p", String(port)] + arguments)
    }

    /// The records dig sees, `+short`, sorted.
    func digShort(_ name: String, _ type: String) throws -> [String] {
        try dig([name, type, "+short", "+tries=2", "+time=2"]).split(separator: "\n").map(String.init).sorted()
    }

    /// The zone's SOA serial, as dig sees it.
    func serial() throws -> Int {
        let fields = try dig(["example.test.", "SOA", "+short"]).split(separator: " ")
        guard fields.count >= 3, let serial = Int(fields[2]) else { throw HarnessError("no SOA from named") }
        return serial
    }

    /// named's log so far (for failure messages).
    var log: String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("named-") }) ?? []
        return files.compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }.joined()
    }

    static func secret(in keyClause: String) throws -> String {
        guard let start = keyClause.range(of: "secret \""), let end = keyClause[start.upperBound...].firstIndex(of: "\"") else {
            throw HarnessError("tsig-keygen printed no secret:\n\(keyClause)")
        }
        return String(keyClause[start.upperBound..<end])
    }

    /// Runs a program, returns stdout; throws with stderr on a non-zero exit.
    static func run(_ argv: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("`\(argv.joined(separator: " "))` exited \(process.terminationStatus): \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A port free for both TCP and UDP on 127.0.0.1 right now (the kernel picks it).
func freePort() throws -> Int {
    for _ in 0..<20 {
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(tcp) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, length) }
        }
        guard bound == 0 else { continue }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(tcp, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        guard port >= 1024 else { continue }
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(udp) }
        let udpBound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if udpBound == 0 { return port }
    }
    throw HarnessError("no free port on 127.0.0.1")
}
