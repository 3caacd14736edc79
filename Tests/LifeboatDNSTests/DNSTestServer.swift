import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the harness could not set a server up; the test fails with this text.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A real DNS server — BIND 9, Knot 3 or PowerDNS 4 — serving two identical dynamic zones on
/// 127.0.0.1, in a temp dir, for tests: `example.test.` for Lifeboat and `twin.test.` for the
/// reference client (`nsupdate`), so that each change can be made by both and the results compared.
///
/// Every server gets the same zone text (SOA serial 1, NS, A, CNAME), three TSIG keys from
/// `tsig-keygen` (hmac-sha256, hmac-sha512, hmac-sha1) allowed to update both zones, a free high
/// port (UDP and TCP), and its own folder; `stop()` ends it and removes the folder. The per-server
/// configuration is in DNSServerSetup.swift; `config` holds the exact text used.
final class DNSTestServer: @unchecked Sendable {
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case bind, knot, powerdns
        var description: String { rawValue }
    }

    /// A TSIG key the servers know.
    struct Key: Sendable {
        var name: String
        var algorithm: String
    }

    static let zone = "example.test."
    static let twinZone = "twin.test."
    static let keyName = "ddns-key"
    static let key512Name = "ddns-key-512"
    static let keys = [
        Key(name: keyName, algorithm: "hmac-sha256"), Key(name: key512Name, algorithm: "hmac-sha512"),
        Key(name: "ddns-key-sha1", algorithm: "hmac-sha1"),
    ]

    let kind: Kind
    let directory: String
    let port: Int
    /// Base64 secrets as tsig-keygen printed them, by key name.
    let secrets: [String: String]
    let config: String
    private let process: Process

    var server: String { "127.0.0.1:\(port)" }
    var secret: String { secrets[Self.keyName]! }
    var secret512: String { secrets[Self.key512Name]! }

    private init(kind: Kind, directory: String, port: Int, secrets: [String: String], config: String, process: Process) {
        self.kind = kind
        self.directory = directory
        self.port = port
        self.secrets = secrets
        self.config = config
        self.process = process
    }

    /// Starts a server, runs `body`, stops it and removes its folder (also when `body` throws).
    static func with<T>(_ kind: Kind = .bind, extraRecords: String = "", _ body: (DNSTestServer) async throws -> T) async throws -> T {
        let server = try await start(kind, extraRecords: extraRecords)
        defer { server.stop() }
        return try await body(server)
    }

    static func start(_ kind: Kind, extraRecords: String = "") async throws -> DNSTestServer {
        let setup = DNSServerSetup.for(kind)
        for path in setup.programs + ["/usr/sbin/tsig-keygen", "/usr/bin/dig", "/usr/bin/nsupdate"]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw HarnessError("\(path) is missing: run scripts/install-deps (it installs \(setup.packages))")
        }
        guard let user = getpwnam(setup.user) else { throw HarnessError("no '\(setup.user)' OS user: install \(setup.packages) (scripts/install-deps)") }
        let uid = user.pointee.pw_uid, gid = user.pointee.pw_gid
        var template = Array((NSTemporaryDirectory() + "lifeboat-\(kind)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        chmod(dir, 0o755)

        var secrets: [String: String] = [:]
        for key in keys {
            secrets[key.name] = try secret(in: try run(["/usr/sbin/tsig-keygen", "-a", key.algorithm, key.name]))
        }
        for zone in [Self.zone, Self.twinZone] {
            try zoneText(extraRecords).write(toFile: "\(dir)/\(zone)zone", atomically: true, encoding: .utf8)
        }

        var lastLog = ""
        for _ in 0..<5 {
            let port = try freePort()
            let launch = try setup.prepare(DNSServerSetup.Layout(directory: dir, port: port, zones: [Self.zone, Self.twinZone], secrets: secrets))
            chownTree(dir, uid, gid)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launch.argv[0])
            process.arguments = Array(launch.argv.dropFirst())
            let log = dir + "/server-\(port).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let server = DNSTestServer(kind: kind, directory: dir, port: port, secrets: secrets, config: launch.config, process: process)
            // Ready when it answers the zone's SOA over UDP.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, process.isRunning {
                if let out = try? server.dig([Self.zone, "SOA", "+short", "+tries=1", "+time=1"]), out.contains("hostmaster") {
                    return server
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            server.stop(removing: false)
            // Port taken between the probe and the server's bind: try another.
            guard lastLog.lowercased().contains("address already in use") || lastLog.contains("address in use") else { break }
        }
        try? FileManager.default.removeItem(atPath: dir)
        throw HarnessError("\(kind) did not start:\n\(lastLog.split(separator: "\n").suffix(20).joined(separator: "\n"))")
    }

    /// The zone file both zones load (names relative to the zone).
    static func zoneText(_ extraRecords: String) -> String {
        """
        $TTL 300
        @       IN SOA  ns1 hostmaster 1 3600 600 86400 60
        @       IN NS   ns1
        ns1     IN A    127.0.0.1
        db      IN A    10.0.0.5
        www     IN CNAME db
        \(extraRecords)

        """
    }

    /// Stops the server (SIGTERM, then SIGKILL) and removes the folder.
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
    func serial(_ zone: String = DNSTestServer.zone) throws -> Int {
        let fields = try dig([zone, "SOA", "+short"]).split(separator: " ")
        guard fields.count >= 3, let serial = Int(fields[2]) else { throw HarnessError("no SOA from \(kind)") }
        return serial
    }

    /// Runs `nsupdate` against this server with `commands` for `zone` (`send` is added), signed
    /// with `key` (nil: unsigned) and `secret` (default: the key's). Returns "NOERROR" or what
    /// nsupdate reports after "update failed: " (`REFUSED`, `NOTAUTH(BADSIG)`).
    func nsupdate(_ commands: [String], zone: String = DNSTestServer.twinZone, key: Key? = DNSTestServer.keys[0], secret: String? = nil) throws -> String {
        var argv = ["/usr/bin/nsupdate", "-t", "5"]
        if let key { argv += ["-y", "\(key.algorithm):\(key.name):\(secret ?? secrets[key.name] ?? "")"] }
        let script = (["server 127.0.0.1 \(port)", "zone \(zone)"] + commands + ["send", ""]).joined(separator: "\n")
        let (status, out) = try Self.run(argv, stdin: script, check: false)
        if status == 0 { return "NOERROR" }
        guard let range = out.range(of: "update failed: ") else { throw HarnessError("nsupdate exited \(status): \(out)") }
        return String(out[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// The server's log so far (for failure messages).
    var log: String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("server-") }) ?? []
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
        let (status, out) = try run(argv, stdin: nil, check: true)
        precondition(status == 0)
        return out
    }

    /// Runs a program with `stdin`; returns its exit status and stdout (stdout and stderr when
    /// `check` is false). With `check`, a non-zero exit throws with stderr.
    static func run(_ argv: [String], stdin: String?, check: Bool) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = check ? err : out
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = check ? err.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        if check, process.terminationStatus != 0 {
            throw HarnessError("`\(argv.joined(separator: " "))` exited \(process.terminationStatus): \(String(decoding: errData, as: UTF8.self))")
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// chown -R: the server drops to its own user and writes journals and databases here.
    private static func chownTree(_ dir: String, _ uid: uid_t, _ gid: gid_t) {
        chown(dir, uid, gid)
        for file in (try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? [] { chown(dir + "/" + file, uid, gid) }
    }
}

/// The tests written against BIND alone.
typealias BINDServer = DNSTestServer

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
