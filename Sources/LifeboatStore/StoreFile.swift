import Foundation
import LifeboatCore

/// Creates the store file and keeps it and its WAL side files private: to the owner (mode 0600),
/// or, for a store `lifeboat store init --group` shared, to the owner and that group (mode 0660,
/// the group on every file). Never readable by other accounts.
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
            if (info.st_mode & S_IFMT) == S_IFREG, mode != allowed(mode) { _ = chmod(path, allowed(mode)) }
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
    ///
    /// Of a shared store they also take its group: SQLite gives a side file it creates the
    /// creating account's group, which the store's other accounts may not be in.
    static func tightenSidecars(of path: String) {
        let group = sharedGroup(of: path)
        for suffix in sidecarSuffixes {
            var info = stat()
            guard lstat(path + suffix, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if let group, info.st_gid != group { _ = chown(path + suffix, uid_t.max, group) }
            let mode = info.st_mode & 0o7777
            let wanted = group != nil ? 0o660 : allowed(mode)
            if mode != wanted { _ = chmod(path + suffix, wanted) }
        }
    }

    /// What a store file may keep of `mode`: the owner's bits, and the group's read and write
    /// when both are set (a shared store); never another account's.
    static func allowed(_ mode: mode_t) -> mode_t {
        mode & 0o060 == 0o060 ? mode & 0o760 : mode & 0o700
    }

    /// The group the store at `path` is shared with (its file is group read-write), or nil.
    static func sharedGroup(of path: String) -> gid_t? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o060 == 0o060 else { return nil }
        return info.st_gid
    }

    /// Mode for a file or folder beside the store (locks): the owner's, plus the group's when shared.
    static func companionMode(of path: String, directory: Bool) -> mode_t {
        let shared = sharedGroup(of: path) != nil
        switch (directory, shared) {
        case (true, true): return 0o2770  // setgid: files made in it take the store's group
        case (true, false): return 0o700
        case (false, true): return 0o660
        case (false, false): return 0o600
        }
    }

    /// Shares the store at `path` with `group` (its accounts read and write it, nobody else): the
    /// group and mode 0660 on the file and its side files, and the lock folder made ready.
    static func share(_ path: String, group: gid_t) throws(LifeboatError) {
        guard chown(path, uid_t.max, group) == 0 else { throw StoreErrors.posix(errno, "set the group of", path: path) }
        guard chmod(path, 0o660) == 0 else { throw StoreErrors.posix(errno, "set the mode of", path: path) }
        tightenSidecars(of: path)
        let locks = path + ".locks"  // ExecutorLock's folder
        if mkdir(locks, 0o2770) != 0, errno != EEXIST { throw StoreErrors.posix(errno, "create", path: locks) }
        _ = chown(locks, uid_t.max, group)
        _ = chmod(locks, 0o2770)
        if chown(path + ".migrate.lock", uid_t.max, group) == 0 { _ = chmod(path + ".migrate.lock", 0o660) }
    }

    /// Runs `body` (the migrations) while holding an exclusive `flock` on `<path>.migrate.lock`, so
    /// that processes opening a new store at the same moment do not both create its tables. A
    /// store whose folder is read-only is migrated without the lock (nothing can write it anyway).
    static func withMigrationLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path + ".migrate.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, companionMode(of: path, directory: false))
        guard fd >= 0 else { return try body() }
        defer { close(fd) }  // a separate file from the database: closing it touches no SQLite lock
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
