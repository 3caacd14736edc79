import Foundation
import LifeboatCore
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The machine a restore runs on: programs started as the database's OS user, files, ports and
/// postmaster processes.
///
/// As root, programs run through `setpriv --reuid --regid --init-groups` (no shell: argv is exec'd
/// as given); as any other user only that user's own restores are possible.
struct ServerHost: Sendable {
    struct User: Sendable {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var home: String
    }

    struct Output: Sendable {
        var status: Int32?
        var text: String
        var succeeded: Bool { status == 0 }
    }

    let user: User

    /// The OS user `name`, or a clear error when it does not exist or we cannot act as it.
    static func forUser(_ name: String) throws(LifeboatError) -> ServerHost {
        guard let entry = getpwnam(name) else {
            throw LifeboatError(
                .actionFailed, "OS user '\(name)' does not exist",
                hint: "set os_user: to the user that owns the PostgreSQL data (usually postgres)")
        }
        let user = User(
            name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir))
        if geteuid() != 0 && geteuid() != user.uid {
            throw LifeboatError(
                .actionFailed, "cannot act as OS user '\(name)' without root",
                hint: "run Lifeboat as root or as \(name)")
        }
        return ServerHost(user: user)
    }

    /// Runs `argv` as the OS user, from `/`, with stdout+stderr combined; never throws for a non-zero
    /// exit (the caller reads `status`). Cancelling the task terminates the program's process group.
    func run(_ argv: [String]) async throws(LifeboatError) -> Output {
        let full = geteuid() == 0 && user.uid != 0
            ? ["/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "--"] + argv : argv
        var updates: [Environment.Key: String?] = ["LC_ALL": "C", "HOME": user.home]
        for name in ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE", "PGDATA", "PGOPTIONS"] {
            updates[Environment.Key(stringLiteral: name)] = .some(nil)
        }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        do {
            let result = try await Subprocess.run(
                .path(FilePath(full[0])), arguments: Arguments(Array(full.dropFirst())),
                environment: .inherit.updating(updates), workingDirectory: FilePath("/"), platformOptions: options,
                input: .none, output: .string(limit: 1 << 20), error: .combinedWithOutput)
            if Task.isCancelled {
                throw LifeboatError(.cancelled, "`\(argv[0])` was stopped (timeout or abort)")
            }
            let status: Int32?
            if case .exited(let code) = result.terminationStatus { status = code } else { status = nil }
            return Output(status: status, text: result.standardOutput)
        } catch let error as LifeboatError {
            throw error
        } catch {
            if Task.isCancelled {
                throw LifeboatError(.cancelled, "`\(argv[0])` was stopped (timeout or abort)")
            }
            throw LifeboatError(
                .actionFailed, "could not run `\(argv[0])`", hint: "check that it is installed",
                detail: "\(error)")
        }
    }

    // MARK: Files

    enum DirState: Sendable, Hashable {
        case absent
        case empty
        case nonEmpty([String])
        case notADirectory
    }

    static func dirState(_ path: String) -> DirState {
        var info = stat()
        guard stat(path, &info) == 0 else { return .absent }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return .notADirectory }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        return entries.isEmpty ? .empty : .nonEmpty(entries)
    }

    static func owner(_ path: String) -> (uid: uid_t, mode: mode_t)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_mode & 0o777)
    }

    /// Creates `path` (0700, owned by the OS user) when absent; checks an existing one's owner and mode.
    func prepareDataDir(_ path: String) throws(LifeboatError) {
        if Self.dirState(path) == .absent {
            guard mkdir(path, 0o700) == 0 else {
                let reason = String(cString: strerror(errno))
                throw LifeboatError(
                    .actionFailed, "cannot create data dir \(path): \(reason)",
                    hint: "create its parent folder, or pick another data_dir")
            }
            if geteuid() == 0 { _ = chown(path, user.uid, user.gid) }
        }
        guard let info = Self.owner(path) else {
            throw LifeboatError(.actionFailed, "data dir \(path) vanished")
        }
        let (uid, mode) = (info.uid, info.mode)
        if uid != user.uid {
            throw LifeboatError(
                .actionFailed, "data dir \(path) is owned by uid \(uid), not by \(user.name) (uid \(user.uid))",
                hint: "chown \(user.name): \(path), or remove it and let Lifeboat create it")
        }
        if mode & 0o077 != 0 && mode != 0o750 {
            _ = chmod(path, 0o700)
            if let now = Self.owner(path)?.mode, now & 0o077 != 0 {
                throw LifeboatError(
                    .actionFailed, "data dir \(path) has mode \(String(mode, radix: 8)); PostgreSQL needs 0700",
                    hint: "chmod 700 \(path)")
            }
        }
    }

    /// Removes everything inside `path` (used with `overwrite: true`).
    func wipe(_ path: String) throws(LifeboatError) {
        guard case .nonEmpty(let entries) = Self.dirState(path) else { return }
        for entry in entries {
            do {
                try FileManager.default.removeItem(atPath: path + "/" + entry)
            } catch {
                throw LifeboatError(
                    .actionFailed, "cannot empty data dir \(path) (overwrite: true): \(entry): \(error)",
                    hint: "empty it by hand")
            }
        }
    }

    /// Appends `text` to a file as root or the user; the file ends up owned by the OS user.
    func append(_ text: String, to path: String) throws(LifeboatError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else {
            throw LifeboatError(
                .actionFailed, "cannot write \(path): \(String(cString: strerror(errno)))",
                hint: "check the data dir's owner and permissions")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if geteuid() == 0 { _ = fchown(fd, user.uid, user.gid) }
        guard written == bytes.count else {
            throw LifeboatError(.actionFailed, "short write to \(path)", hint: "is the disk full?")
        }
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    // MARK: Ports and processes

    /// Whether something already listens on 127.0.0.1:`port` (we try to bind it ourselves, with
    /// SO_REUSEADDR as PostgreSQL does, so that connections in TIME_WAIT do not count).
    static func portInUse(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result != 0 && errno == EADDRINUSE
    }

    /// The pid in `DATA/postmaster.pid` when that process is alive.
    static func livePostmaster(_ dataDir: String) -> pid_t? {
        guard let text = read(dataDir + "/postmaster.pid"), let first = text.split(separator: "\n").first,
            let pid = pid_t(first), pid > 0
        else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }
}
