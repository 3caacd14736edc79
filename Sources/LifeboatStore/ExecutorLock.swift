import Foundation
import LifeboatCore
import Synchronization

/// An exclusive lock on one run, held by the process executing or modifying it, so two
/// `lifeboat` processes never drive the same run at once.
///
/// It is a non-blocking `flock(2)` on `<store path>.locks/<run id>.lock` (mode 0600), which the
/// kernel releases when the process exits, even on `kill -9`. The holder writes its pid into the
/// file so a refused process can name it, and deletes the file when it releases the lock, so the
/// folder keeps no file per ended run. A process that opened the file just before it was deleted
/// may then lock a file that is no longer the run's: after locking, `acquire` checks that the
/// path still names the file it locked, and opens it again if not.
public final class ExecutorLock: Sendable {
    /// The lock file.
    public let path: String
    public let runID: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, runID: String, descriptor: Int32) {
        self.path = path
        self.runID = runID
        self.descriptor = Mutex(descriptor)
    }

    /// The lock file of `runID` for the store at `storePath`.
    public static func lockPath(storePath: String, runID: String) -> String {
        "\(storePath).locks/\(runID).lock"
    }

    /// Takes the lock without waiting. Throws `.leaseHeld` naming the holder's pid when another
    /// process (or another `ExecutorLock` in this one) holds it.
    public static func acquire(storePath: String, runID: String) throws(LifeboatError) -> ExecutorLock {
        guard !runID.isEmpty, !runID.contains("/"), runID != ".", runID != ".." else {
            throw LifeboatError(.invalidInput, "'\(runID)' is not a run id")
        }
        let folder = "\(storePath).locks"
        let folderMode = StoreFile.companionMode(of: storePath, directory: true)
        if mkdir(folder, folderMode) == 0 {
            _ = chmod(folder, folderMode)  // past the umask: a shared store's accounts all lock here
        } else if errno != EEXIST {
            throw StoreErrors.posix(errno, "create the lock folder", path: folder)
        }
        let path = lockPath(storePath: storePath, runID: runID)
        let mode = StoreFile.companionMode(of: storePath, directory: false)
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)
            guard fd >= 0 else { throw StoreErrors.posix(errno, "open the lock file", path: path) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = readPID(fd)
                close(fd)
                guard code == EWOULDBLOCK || code == EAGAIN else {
                    throw StoreErrors.posix(code, "lock", path: path)
                }
                let who = holder.map { "pid \($0)" } ?? "pid unknown"
                throw LifeboatError(
                    .leaseHeld, "run \(runID) is being executed by another lifeboat process (\(who))",
                    hint: "wait for it or stop it; the lock is released as soon as that process exits")
            }
            // Its last holder deleted it between this open and this lock: it is not the run's any more.
            guard isFile(at: path, fd) else {
                close(fd)
                continue
            }
            _ = fchmod(fd, mode)
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return ExecutorLock(path: path, runID: runID, descriptor: fd)
        }
    }

    /// Whether `path` names the file open on `fd` (not deleted, not replaced by another).
    static func isFile(at path: String, _ fd: Int32) -> Bool {
        var named = stat()
        var opened = stat()
        guard lstat(path, &named) == 0, fstat(fd, &opened) == 0 else { return false }
        return named.st_dev == opened.st_dev && named.st_ino == opened.st_ino
    }

    /// Releases the lock; later calls do nothing.
    public func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            // Deleted while still locked, so no process can lock it as the run's file after this.
            // Where this account may not delete it, it is left empty, which `liveHolder` reads as free.
            if unlink(path) != 0 { _ = ftruncate(open, 0) }
            _ = flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    /// The pid of the live process that holds `runID`'s lock, read from the lock file without
    /// touching the lock (so a reader never makes an executor's `acquire` fail). Nil when nobody
    /// holds it: no file, an empty one (released), or a pid whose process is gone (`kill -9`).
    public static func liveHolder(storePath: String, runID: String) -> Int32? {
        let fd = open(lockPath(storePath: storePath, runID: runID), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let pid = readPID(fd), pid > 0 else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }

    /// Whether this object still holds the lock.
    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
