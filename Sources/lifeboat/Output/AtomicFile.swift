import Foundation
import LifeboatCore

/// Writes files whole: a temp file in the same folder, flushed, then renamed over the target, so a
/// reader (a browser, node_exporter, a CI job) sees the old content or the new, never half a file.
/// The one file writer of the CLI (`report -o`, `history --report -o`, `metrics --textfile`,
/// `audit export -o`).
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LifeboatError(
                .notFound, "cannot write \(path): folder \(folder) does not exist", hint: "create the folder or choose another path")
        }
        let temp = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LifeboatError(
                .invalidInput, "cannot write \(path): \(String(cString: strerror(errno)))", hint: "check the folder's permissions")
        }
        var bytes = Array(text.utf8)[...]
        var failure: Int32 = 0
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            bytes = bytes.dropFirst(n)
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw LifeboatError(
                .invalidInput, "cannot write \(path): \(String(cString: strerror(failure)))",
                hint: "check the disk and the folder's permissions")
        }
    }
}
