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

    init(_ context: ActionContext) throws(LifeboatError) {
        let params = context.params
        let environment = try context.stringMap("env") ?? [:]
        if let bad = environment.keys.sorted().first(where: { $0.isEmpty || $0.contains("=") || $0.contains("\0") }) {
            throw context.badParameter("env", "has an invalid variable name '\(bad)'")
        }

        let cwd = try context.string("cwd")
        let workingDirectory = FilePaths.resolve(cwd ?? ".", against: context.baseDirectory)

        invocation = try CommandInvocation.parse(
            params, environment: environment, workingDirectory: workingDirectory, field: "", context: context)

        if let codes = try context.intList("expect_exit") {
            guard !codes.isEmpty, codes.allSatisfy({ (0...255).contains($0) }) else {
                throw context.badParameter("expect_exit", "must list exit codes between 0 and 255")
            }
            expectedExitCodes = codes.map { Int32($0) }
        } else {
            expectedExitCodes = [0]
        }

        let tail = try context.int("output_tail") ?? Self.defaultTailLines
        guard (0...Self.maxTailLines).contains(tail) else {
            throw context.badParameter("output_tail", "must be between 0 and \(Self.maxTailLines)")
        }
        tailLines = tail

        if let verifyValue = params["verify"], verifyValue != .null {
            guard case .map(let map) = verifyValue else {
                throw context.badParameter("verify", "must be a map with argv: [...] or shell: \"...\"")
            }
            if let extra = map.keys.sorted().first(where: { $0 != "argv" && $0 != "shell" }) {
                throw context.badParameter("verify.\(extra)", "is not known; verify takes argv or shell")
            }
            verify = try CommandInvocation.parse(
                map, environment: environment, workingDirectory: workingDirectory, field: "verify", context: context)
        } else {
            verify = nil
        }
    }
}
