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
        // An existing file is tightened by path, never opened: this process may already have it
        // open through SQLite, whose POSIX locks closing another descriptor would drop.
        var info = stat()
        if lstat(path, &info) == 0 {
            let mode = info.st_mode & 0o7777
            if (info.st_mode & S_IFMT) == S_IFREG, mode & 0o077 != 0 { _ = chmod(path, mode & 0o700) }
            return
        }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }  // another process created it a moment ago
            throw StoreErrors.posix(code, "create", path: path)
        }
        close(fd)
    }

    /// Tightens the WAL side files, which SQLite creates with the database file's mode.
    ///
    /// By path (`lstat` + `chmod`), never by opening them: SQLite's locks are POSIX record locks,
    /// which a process loses on a file as soon as it closes *any* descriptor of that file. Opening
    /// and closing `-shm` here once released this process's lock on it, another process then
    /// reinitialised the shared memory, and SQLite died with SIGBUS.
    static func tightenSidecars(of path: String) {
        for suffix in sidecarSuffixes {
            var info = stat()
            guard lstat(path + suffix, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let mode = info.st_mode & 0o7777
            if mode & 0o077 != 0 { _ = chmod(path + suffix, mode & 0o700) }
        }
    }

    /// Runs `body` (the migrations) while holding an exclusive `flock` on `<path>.migrate.lock`, so
    /// that processes opening a new store at the same moment do not both create its tables. A
    /// store whose folder is read-only is migrated without the lock (nothing can write it anyway).
    static func withMigrationLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path + ".migrate.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }  // a separate file from the database: closing it touches no SQLite lock
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
