import Foundation
import LifeboatCore

/// Creates the store file and keeps it and its WAL side files private to the owner (mode 0600).
enum StoreFile {
    /// Suffixes of the files SQLite keeps next to a WAL database.
    static let sidecarSuffixes = ["-wal", "-shm"]

    /// Creates missing parent folders (mode 0700) and the database file itself (mode 0600) before
    /// SQLite opens it, and tightens an existing file that is readable by others.
    ///
    /// A file that exists but cannot be opened for writing is left for SQLite to open read-only, so
    /// reading commands still work on it; writes then fail with a read-only error.
    static func prepare(_ path: String) throws(LifeboatError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw LifeboatError(
                    .storeFailure, "cannot create the folder of store \(path)",
                    hint: "create it or pass another path with --db", detail: "\(error)")
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if (code == EROFS || code == EACCES || code == EPERM), access(path, F_OK) == 0 { return }
            throw StoreErrors.posix(code, "create", path: path)
        }
        defer { close(fd) }
        tighten(fd: fd)
    }

    /// Tightens the WAL side files, which SQLite creates with the database file's mode.
    static func tightenSidecars(of path: String) {
        for suffix in sidecarSuffixes {
            let fd = open(path + suffix, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            tighten(fd: fd)
            close(fd)
        }
    }

    /// Removes group and other permission bits; best effort (a file owned by someone else stays).
    private static func tighten(fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        let mode = info.st_mode & 0o7777
        if mode & 0o077 != 0 { _ = fchmod(fd, mode & 0o700) }
    }
}
