import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the file `argv[0]` names: through `PATH` for a bare name, against the runbook's folder for a
/// name containing `/`.
enum ExecutableLookup {
    enum Failure: Error, Hashable {
        /// Nothing by that name on `PATH`, or no file at that path.
        case notFound(searched: String)
        /// A file exists but is not an executable regular file.
        case notExecutable(path: String)
    }

    static func resolve(
        _ name: String, baseDirectory: String, searchPath: String?
    ) -> Result<String, Failure> {
        if name.contains("/") {
            let path = FilePaths.resolve(name, against: baseDirectory)
            guard FilePaths.exists(path) else { return .failure(.notFound(searched: path)) }
            guard FilePaths.isExecutableFile(path) else { return .failure(.notExecutable(path: path)) }
            return .success(path)
        }
        let searchPath = searchPath ?? Self.inheritedPath ?? "/usr/local/bin:/usr/bin:/bin"
        let key = "\(searchPath)\0\(name)"
        if let remembered = found.withLock({ $0[key] }), FilePaths.isExecutableFile(remembered) {
            return .success(remembered)
        }
        let candidates = searchPath.split(separator: ":", omittingEmptySubsequences: true).map { directory in
            directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
        }
        if let path = candidates.first(where: FilePaths.isExecutableFile) {
            found.withLock { $0[key] = path }
            return .success(path)
        }
        // Nothing to run: say so of the first file by that name that cannot run, if one exists.
        if let file = candidates.first(where: FilePaths.exists) { return .failure(.notExecutable(path: file)) }
        return .failure(.notFound(searched: "PATH"))
    }

    /// Where a name was last found on a search path, as a shell's `hash` remembers it: steps
    /// running the same program search `PATH` once. A remembered file is used while it is still an
    /// executable file; one installed meanwhile in an earlier directory is not seen.
    private static let found = Mutex<[String: String]>([:])

    /// `PATH` of this process.
    static var inheritedPath: String? {
        guard let raw = getenv("PATH") else { return nil }
        return String(cString: raw)
    }
}
