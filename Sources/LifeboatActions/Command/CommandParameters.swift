import LifeboatCore

/// A `command` step's `with:` block, checked and resolved.
struct CommandParameters: Sendable {
    static let defaultTailLines = 20
    static let maxTailLines = 1_000

    var invocation: CommandInvocation
    var expectedExitCodes: [Int32]
    var tailLines: Int
    /// The read-only check behind `verify`, sharing `env` and `cwd`.
    var verify: CommandInvocation?

    init(_ request: ActionRequest) throws(LifeboatError) {
        let params = request.params
        let environment = try request.stringMap("env") ?? [:]
        if let bad = environment.keys.sorted().first(where: { $0.isEmpty || $0.contains("=") || $0.contains("\0") }) {
            throw request.badParameter("env", "has an invalid variable name '\(bad)'")
        }

        let cwd = try request.string("cwd")
        let workingDirectory = FilePaths.resolve(cwd ?? ".", against: request.baseDirectory)

        invocation = try CommandInvocation.parse(
            params, environment: environment, workingDirectory: workingDirectory, field: "", request: request)

        if let codes = try request.intList("expect_exit") {
            guard !codes.isEmpty, codes.allSatisfy({ (0...255).contains($0) }) else {
                throw request.badParameter("expect_exit", "must list exit codes between 0 and 255")
            }
            expectedExitCodes = codes.map { Int32($0) }
        } else {
            expectedExitCodes = [0]
        }

        let tail = try request.int("output_tail") ?? Self.defaultTailLines
        guard (0...Self.maxTailLines).contains(tail) else {
            throw request.badParameter("output_tail", "must be between 0 and \(Self.maxTailLines)")
        }
        tailLines = tail

        if let verifyValue = params["verify"], verifyValue != .null {
            guard case .map(let map) = verifyValue else {
                throw request.badParameter("verify", "must be a map with argv: [...] or shell: \"...\"")
            }
            if let extra = map.keys.sorted().first(where: { $0 != "argv" && $0 != "shell" }) {
                throw request.badParameter("verify.\(extra)", "is not known; verify takes argv or shell")
            }
            verify = try CommandInvocation.parse(
                map, environment: environment, workingDirectory: workingDirectory, field: "verify", request: request)
        } else {
            verify = nil
        }
    }
}
