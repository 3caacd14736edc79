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
        var firstNonExecutable: String?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
            if FilePaths.isExecutableFile(candidate) { return .success(candidate) }
            if firstNonExecutable == nil, FilePaths.exists(candidate) { firstNonExecutable = candidate }
        }
        if let firstNonExecutable { return .failure(.notExecutable(path: firstNonExecutable)) }
        return .failure(.notFound(searched: "PATH"))
    }

    /// `PATH` of this process.
    static var inheritedPath: String? {
        guard let raw = getenv("PATH") else { return nil }
        return String(cString: raw)
    }
}
