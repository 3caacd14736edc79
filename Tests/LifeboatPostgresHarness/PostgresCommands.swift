import Foundation
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Why the harness could not set PostgreSQL up; the test fails with this text.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs PostgreSQL's programs the way INFRA-NOTES says they must run on these machines: as the
/// `postgres` OS user when we are root (`runuser -u postgres --`, from `/`), directly otherwise.
public enum PostgresCommands {
    /// The `bin` folder of the newest PostgreSQL server installed (`$LIFEBOAT_PG_BINDIR` wins).
    public static func binDir() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["LIFEBOAT_PG_BINDIR"] {
            guard FileManager.default.isExecutableFile(atPath: explicit + "/initdb") else {
                throw HarnessError("LIFEBOAT_PG_BINDIR=\(explicit) has no initdb")
            }
            return explicit
        }
        for version in (12...18).reversed() {
            let dir = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: dir + "/initdb"),
                FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl")
            {
                return dir
            }
        }
        throw HarnessError(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin: "
                + "run scripts/install-deps (it installs the postgresql package), or set LIFEBOAT_PG_BINDIR")
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// The uid and gid the servers run as: `postgres` when we are root (created if missing), else us.
    public static func serverUser() async throws -> (uid: uid_t, gid: gid_t) {
        guard isRoot else { return (geteuid(), getegid()) }
        if let entry = getpwnam("postgres") { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        _ = try await run(
            ["/usr/sbin/useradd", "--system", "--user-group", "--home-dir", "/var/lib/postgresql", "--shell", "/bin/sh", "postgres"],
            asServerUser: false)
        guard let entry = getpwnam("postgres") else { throw HarnessError("could not create the postgres OS user") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Runs `argv` (as the server user when `asServerUser`) from `/` and returns stdout+stderr;
    /// throws with that output when it exits non-zero.
    @discardableResult
    public static func run(_ argv: [String], asServerUser: Bool = true) async throws -> String {
        let full = asServerUser && isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + argv : argv
        var environment: [Environment.Key: String?] = ["LC_ALL": "C"]
        for name in ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE", "PGDATA", "PGOPTIONS"] {
            environment[Environment.Key(stringLiteral: name)] = .some(nil)
        }
        let result = try await Subprocess.run(
            .path(FilePath(full[0])), arguments: Arguments(Array(full.dropFirst())),
            environment: .inherit.updating(environment), workingDirectory: FilePath("/"),
            output: .string(limit: 1 << 20), error: .combinedWithOutput)
        let output = result.standardOutput
        guard case .exited(0) = result.terminationStatus else {
            throw HarnessError("`\(argv.joined(separator: " "))` failed (\(result.terminationStatus)):\n\(output)")
        }
        return output
    }

    /// The last `lines` lines of a server log, for failure messages.
    public static func tail(_ path: String, lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() -> Int {
        let (fd, port) = boundSocket()
        close(fd)
        return port
    }

    /// A TCP socket bound to a free port on 127.0.0.1 (listening when asked: connections then
    /// complete and nothing ever answers them); the caller closes `fd`.
    public static func boundSocket(listening: Bool = false) -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        if listening { _ = listen(fd, 8) }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
