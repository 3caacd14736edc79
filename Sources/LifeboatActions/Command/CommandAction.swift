import LifeboatCore

/// `command`: runs a program with an argv (or, only when the author wrote `shell:`, a `/bin/sh -c`
/// script), checks its exit code and reports the tail of its output.
///
/// Outputs: `exit_code`, `output` (the last `output_tail` lines of stdout and stderr together,
/// secrets masked) and one output per `lifeboat-output: KEY=VALUE` line the command prints.
/// Stdout and stderr share one pipe, so such a line is recognised on either.
public struct CommandAction: ActionHandler {
    public init() {}

    /// A command's attempt waits for its child on the thread it runs on.
    public var executor: (any TaskExecutor)? { DetachedThread.executor }

    public var spec: ActionSpec {
        ActionSpec(
            name: "command",
            summary: "Run a program (argv, or an explicit shell: script) and check its exit code",
            parameters: [
                ActionParameter("argv", .stringList, "program and arguments, passed to exec as they are; argv[0] via PATH, or relative to the runbook's folder when it contains a slash"),
                ActionParameter("shell", .string, "a script for /bin/sh -c, used only when written explicitly (exclusive with argv)"),
                ActionParameter("env", .map, "environment variables merged over the inherited environment"),
                ActionParameter("cwd", .string, "working directory, relative to the runbook's folder (default: the runbook's folder)"),
                ActionParameter("expect_exit", .any, "exit code or list of exit codes that mean success (default 0)"),
                ActionParameter("output_tail", .int, "how many lines of output to keep and report (default 20)"),
                ActionParameter("verify", .map, "read-only check {argv: [...]} or {shell: ...}: exit 0 = effect already in place, 1 = not"),
            ],
            idempotent: false,
            hasVerify: true)
    }

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let parameters = try CommandParameters(context)
        let invocation = parameters.invocation
        guard FilePaths.isDirectory(invocation.workingDirectory) else {
            return .refused("working directory \(invocation.workingDirectory) does not exist")
        }
        do {
            let path = try CommandRunner.resolveExecutable(invocation)
            if let verify = parameters.verify { _ = try CommandRunner.resolveExecutable(verify) }
            return .ok("`\(invocation.displayName)` is \(path)")
        } catch {
            return .refused(error.description)
        }
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let parameters = try CommandParameters(context)
        let invocation = parameters.invocation
        let outcome = try await CommandRunner.run(
            invocation, tailLines: parameters.tailLines, onLine: context.progressLines)
        guard let code = outcome.exitCode, parameters.expectedExitCodes.contains(code) else {
            let expected = parameters.expectedExitCodes.map(String.init).joined(separator: ", ")
            let lastLine = outcome.tail.last(where: { !$0.isEmpty }).map { ": " + $0 } ?? ""
            throw LifeboatError(
                .actionFailed,
                "command `\(invocation.displayName)` \(outcome.terminationText) (expected \(expected))\(lastLine)",
                hint: "see the output tail in `lifeboat show \(context.runID)`", retryable: true,
                detail: outcome.tail.joined(separator: "\n"))
        }
        return ActionResult(
            outputs: Self.outputs(outcome),
            summary: "`\(invocation.displayName)` exited \(code) in \(DurationText.format(milliseconds: outcome.elapsedMs))")
    }

    public func verify(_ context: ActionContext) async throws -> VerifyOutcome {
        let parameters = try CommandParameters(context)
        guard let check = parameters.verify else { return .undecidable("no verify command") }
        let outcome: CommandOutcome
        do {
            outcome = try await CommandRunner.run(check, tailLines: parameters.tailLines)
        } catch where error.code == .cancelled {
            throw error
        } catch {
            return .undecidable("verify command could not run: \(error.message)")
        }
        switch outcome.exitCode {
        case 0:
            return .done(
                ActionResult(
                    outputs: Self.outputs(outcome),
                    summary: "verify `\(check.displayName)` says the effect is already in place"))
        case 1:
            return .notDone("verify `\(check.displayName)` exited 1: the effect is not in place")
        default:
            return .undecidable("verify `\(check.displayName)` \(outcome.terminationText): cannot tell")
        }
    }

    /// `exit_code`, `output` and the `lifeboat-output:` values, as the command printed them (the
    /// context masks them).
    static func outputs(_ outcome: CommandOutcome) -> [String: Value] {
        var outputs: [String: Value] = [:]
        for (key, value) in outcome.outputs { outputs[key] = .string(value) }
        outputs["exit_code"] = .int(Int(outcome.exitCode ?? -1))
        outputs["output"] = .string(outcome.tail.joined(separator: "\n"))
        return outputs
    }
}
