#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Path arithmetic for paths a plan writes relative to its own folder.
enum FilePaths {
    /// `path` when absolute, else `base/path`, with `.` components and duplicate slashes removed.
    ///
    /// Read as bytes, as the kernel reads a path: a `/` is a separator even before a combining
    /// mark. (Splitting the `String` by `Character` cost about 12,000 instructions a call, and a
    /// command step resolves its folder twice.)
    static func resolve(_ path: String, against base: String) -> String {
        let slash = UInt8(ascii: "/")
        let joined = path.utf8.first == slash ? path : (base.isEmpty ? "." : base) + "/" + path
        let bytes = Array(joined.utf8)
        let absolute = bytes.first == slash
        var resolved: [UInt8] = []
        resolved.reserveCapacity(bytes.count)
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: slash) ?? bytes.count
            let isDot = end - start == 1 && bytes[start] == UInt8(ascii: ".")
            if end > start && !isDot {
                if absolute || !resolved.isEmpty { resolved.append(slash) }
                resolved += bytes[start..<end]
            }
            start = end + 1
        }
        if resolved.isEmpty { return absolute ? "/" : "." }
        return String(decoding: resolved, as: UTF8.self)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func isExecutableFile(_ path: String) -> Bool {
        // `access` first: for a name that is not there (most of PATH), one call.
        access(path, X_OK) == 0 && isRegularFile(path)
    }
}
