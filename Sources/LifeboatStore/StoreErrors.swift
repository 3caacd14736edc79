import Foundation
import GRDB
import LifeboatCore

/// Turns SQLite, file-system and encoding failures into one-line `LifeboatError`s that name the
/// store file and say what to do next.
enum StoreErrors {
    /// Maps any error raised while using the store at `path`. `run` names the run being written,
    /// when there is one, so the message can say how to continue it.
    static func map(_ error: any Error, path: String, run: String? = nil) -> LifeboatError {
        if let error = error as? LifeboatError { return error }
        if error is CancellationError {
            return LifeboatError(.cancelled, "cancelled while using store \(path)")
        }
        if let error = error as? StoreDataError { return damaged(path, detail: error.detail) }
        if let error = error as? DatabaseError { return map(error, path: path, run: run) }
        if error is EncodingError || error is DecodingError {
            return damaged(path, detail: "\(error)")
        }
        return LifeboatError(.storeFailure, "store \(path) failed: \(error)", detail: "\(error)")
    }

    static func map(_ error: DatabaseError, path: String, run: String?) -> LifeboatError {
        let detail = "\(error)"
        switch error.resultCode {
        case .SQLITE_FULL:
            let next = run.map { "free space and run `lifeboat resume \($0)`" } ?? "free space and try again"
            return LifeboatError(.storeFailure, "disk full writing \(path); \(next)", detail: detail)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return readOnly(path, detail: detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return LifeboatError(
                .storeFailure, "store \(path) is busy (another process holds a write lock)",
                hint: "try again; if it persists, look for a stuck lifeboat process", retryable: true, detail: detail)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return damaged(path, detail: detail)
        case .SQLITE_CANTOPEN:
            if !writable(path) { return readOnly(path, detail: detail) }
            return LifeboatError(
                .storeFailure, "cannot open store \(path)",
                hint: "check that its folder exists and is writable, or pass another path with --db", detail: detail)
        case .SQLITE_IOERR:
            return LifeboatError(
                .storeFailure, "I/O error on store \(path)",
                hint: "check the disk, then retry\(run.map { " with `lifeboat resume \($0)`" } ?? "")", retryable: true,
                detail: detail)
        case .SQLITE_INTERRUPT:
            return LifeboatError(.cancelled, "interrupted while using store \(path)", detail: detail)
        default:
            return LifeboatError(
                .storeFailure, "store \(path) refused the operation: \(error.message ?? "\(error.resultCode)")",
                detail: detail)
        }
    }

    /// The store file (or its folder) cannot be written.
    static func readOnly(_ path: String, detail: String? = nil) -> LifeboatError {
        LifeboatError(
            .storeFailure, "store \(path) is read-only",
            hint: "make the file and its folder writable by this user, or pass another path with --db", detail: detail)
    }

    /// Whether the store file (when it exists) and its folder, where SQLite keeps the WAL files,
    /// can be written.
    static func writable(_ path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        if access(path, F_OK) == 0, access(path, W_OK) != 0 { return false }
        return access(folder.isEmpty ? "." : folder, W_OK) == 0
    }

    /// The file is not a Lifeboat store or is corrupted.
    static func damaged(_ path: String, detail: String? = nil) -> LifeboatError {
        LifeboatError(
            .storeFailure, "\(path) is not a Lifeboat store or is damaged",
            hint: "check --db / LIFEBOAT_DB; restore the file from a backup if it was a store", detail: detail)
    }

    /// An errno from a file-system call on `path`.
    static func posix(_ errno: Int32, _ what: String, path: String) -> LifeboatError {
        let reason = String(cString: strerror(errno))
        switch errno {
        case EROFS, EACCES, EPERM: return readOnly(path, detail: "\(what): \(reason)")
        case ENOSPC, EDQUOT:
            return LifeboatError(.storeFailure, "disk full creating \(path); free space and try again")
        default: return LifeboatError(.storeFailure, "cannot \(what) \(path): \(reason)")
        }
    }
}

/// Stored data that does not decode: a row written by something else, or damaged.
struct StoreDataError: Error {
    var detail: String
}
