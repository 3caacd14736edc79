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
                ActionParameter("on_fence_unverified", .string, "refuse or promote."),
                ActionParameter("wait_seconds", .int, "pg_promote's wait."),
                ActionParameter("write_check", .string, "Table for a write check."),
                ActionParameter("timeout", .duration, "Per-call bound."),
            ],
            idempotent: false, hasVerify: true),
        ActionSpec(
            name: "postgres.query", summary: "Runs one parameterized SQL statement and checks it.",
            parameters: [
                ActionParameter("conninfo", .string, required: true, "libpq conninfo or URI."),
                ActionParameter("sql", .string, required: true, "One SQL statement."),
                ActionParameter("params", .any, "Values bound to $1, $2, …"),
                ActionParameter("expect_rows", .int, "Expected row count."),
                ActionParameter("expect_value", .string, "Expected first value."),
                ActionParameter("max_latency", .duration, "Latency ceiling."),
                ActionParameter("timeout", .duration, "Statement timeout."),
            ],
            idempotent: false, hasVerify: false),
        ActionSpec(
            name: "postgres.restore", summary: "Point-in-time restore from a base backup and WAL archive, or pgBackRest.",
            parameters: [
                ActionParameter("method", .string, "archive or pgbackrest."),
                ActionParameter("base_backup", .string, "Base backup (tar or dir)."),
                ActionParameter("wal_archive", .string, "WAL archive folder."),
                ActionParameter("stanza", .string, "pgBackRest stanza."),
                ActionParameter("repo_config", .string, "pgbackrest.conf path."),
                ActionParameter("set", .string, "pgBackRest backup label."),
                ActionParameter("target", .any, "latest, a timestamp, or {time|lsn|xid: …}."),
                ActionParameter("inclusive", .bool, "Keep the transaction at the target."),
                ActionParameter("data_dir", .string, required: true, "Where to restore."),
                ActionParameter("overwrite", .bool, "Empty a non-empty data_dir first."),
                ActionParameter("port", .int, required: true, "Port of the restored server."),
                ActionParameter("bin_dir", .string, "PostgreSQL programs."),
                ActionParameter("os_user", .string, "OS user running the server."),
                ActionParameter("conninfo", .string, "How to connect to the restored server."),
                ActionParameter("verify_sql", .string, "Query run after recovery."),
                ActionParameter("verify_expect", .string, "Expected first value of verify_sql."),
                ActionParameter("incident_time", .string, "When the damage happened."),
                ActionParameter("log_file", .string, "Server log."),
                ActionParameter("timeout", .duration, "Longest wait for recovery."),
            ],
            idempotent: false, hasVerify: true),
        // Loose copies (unknown keys allowed): enough for the example runbooks; the CLI tests
        // validate every example against the real actions.
        ActionSpec(
            name: "dns.update", summary: "RFC 2136 update signed with TSIG.",
            parameters: [ActionParameter("zone", .string, required: true, "The zone.")],
            idempotent: false, hasVerify: true, strictParameters: false),
        ActionSpec(
            name: "dns.check", summary: "Resolve and compare.",
            parameters: [ActionParameter("name", .string, required: true, "The name.")],
            idempotent: true, hasVerify: false, strictParameters: false),
        ActionSpec(
            name: "kubernetes.scale", summary: "Scale a workload and wait for ready replicas.",
            parameters: [ActionParameter("name", .string, required: true, "The workload.")],
            idempotent: true, hasVerify: true, strictParameters: false),
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
