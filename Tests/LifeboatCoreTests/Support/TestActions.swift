import Foundation
import LifeboatCore

/// Action specs shaped like the built-in ones, so document tests do not depend on LifeboatActions.
enum TestActions {
    static let specs: [ActionSpec] = [
        ActionSpec(
            name: "command", summary: "Runs a program (argv) or an explicit shell command.",
            parameters: [
                ActionParameter("argv", .stringList, "Program and arguments."),
                ActionParameter("shell", .string, "A shell command line, run with /bin/sh -c."),
                ActionParameter("env", .map, "Extra environment variables."),
                ActionParameter("cwd", .string, "Working directory."),
                ActionParameter("expect_exit", .intList, "Exit codes that count as success."),
                ActionParameter("verify", .map, "A command that tells whether the effect happened."),
            ],
            idempotent: false, hasVerify: true),
        ActionSpec(
            name: "approval", summary: "Waits for a person to approve.",
            parameters: [
                ActionParameter("prompt", .string, "What the approver is asked."),
                ActionParameter("approvers", .stringList, "Who may approve."),
            ],
            idempotent: true, hasVerify: false),
        ActionSpec(
            name: "wait", summary: "Waits a fixed time, or until a check passes.",
            parameters: [
                ActionParameter("duration", .duration, "How long to wait."),
                ActionParameter("until", .map, "A check to poll."),
                ActionParameter("interval", .duration, "Time between polls."),
            ],
            idempotent: true, hasVerify: false),
        ActionSpec(
            name: "http.check", summary: "Checks an HTTP endpoint.",
            parameters: [
                ActionParameter("url", .string, required: true, "The URL to request."),
                ActionParameter("method", .string, "HTTP method (GET)."),
                ActionParameter("expect_status", .int, "Expected status code."),
                ActionParameter("body_contains", .string, "Text the body must contain."),
                ActionParameter("max_latency", .duration, "Latency ceiling."),
                ActionParameter("headers", .map, "Request headers."),
                ActionParameter("tls", .map, "TLS options."),
                ActionParameter("timeout", .duration, "Request timeout."),
            ],
            idempotent: true, hasVerify: false),
        ActionSpec(
            name: "postgres.promote", summary: "Promotes a streaming replica.",
            parameters: [
                ActionParameter("conninfo", .string, required: true, "The replica."),
                ActionParameter("primary_conninfo", .string, "The old primary."),
                ActionParameter("max_lag", .string, "Size or duration."),
                ActionParameter("fence", .map, "{argv: [...]}"),
                ActionParameter("soft_fence", .bool, "SQL read-only fence."),
                ActionParameter("wait_seconds", .int, "pg_promote's wait."),
                ActionParameter("write_check", .string, "Table for a write check."),
                ActionParameter("timeout", .duration, "Per-call bound."),
            ],
            idempotent: false, hasVerify: true),
    ]

    static let loader = DocumentLoader(actions: specs)
}

/// Paths of test fixtures and of the repository's example documents.
enum FixturePaths {
    static var fixtures: String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path
    }

    static func fixture(_ relative: String) -> String { fixtures + "/" + relative }

    /// The repository root (for `plans/` and `runbooks/`).
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func example(_ relative: String) -> String { repository + "/" + relative }
}
