import GRDB

/// A new store's whole schema in one transaction: the schema the migrations up to
/// `v9-no-events-by-kind` leave, as SQLite keeps it after them (the `ALTER TABLE`s' columns on
/// their own line), with their nine `grdb_migrations` rows. Nine migrations cost a new store about
/// 14 ms (27 M instructions, a third of them SQLite re-reading the schema after each `ALTER TABLE`).
///
/// Only a speed-up, never the schema's definition: `Migrations` stays that. GRDB applies any
/// migration registered after these on top, and `FrozenSchemaTests` checks that a store made this
/// way has the same schema objects, texts and migration rows as one the migrations made. To
/// refresh it after new migrations: a migrated store's
/// `SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence' ORDER BY rowid`
/// and `Migrations.names` up to the last one it includes.
enum FrozenSchema {
    /// The migrations it stands for.
    static let migrations = Array(Migrations.names.prefix(9))

    /// Creates the schema in `db` (an empty file, inside a write transaction).
    static func create(in db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(Migrations.applicationID)")
        for statement in statements { try db.execute(sql: statement) }
        for name in migrations {
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [name])
        }
    }

    private static let statements = [
        """
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)
        """,
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY NOT NULL,
            plan_id TEXT NOT NULL,
            scenario TEXT NOT NULL,
            runbook_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            pause_reason TEXT,
            started_by TEXT NOT NULL,
            documents_hash TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            ended_at_ms INTEGER,
            objectives TEXT NOT NULL
        , rto_achieved_ms INTEGER, rto_objective_ms INTEGER, rto_verdict TEXT, rto_method TEXT, human_wait_ms INTEGER, rpo_achieved_ms INTEGER, rpo_objective_ms INTEGER, rpo_verdict TEXT, rpo_exact INTEGER, outage_ms INTEGER, outage_lower_bound INTEGER)
        """,
        """
        CREATE INDEX runs_by_plan ON runs(plan_id, scenario, created_at_ms)
        """,
        """
        CREATE INDEX runs_by_created ON runs(created_at_ms)
        """,
        """
        CREATE INDEX runs_by_status ON runs(status)
        """,
        """
        CREATE TABLE steps (
            run_id TEXT NOT NULL REFERENCES runs(id),
            step_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            action TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            started_at_ms INTEGER,
            ended_at_ms INTEGER,
            duration_ms INTEGER,
            summary TEXT,
            error TEXT,
            outputs TEXT NOT NULL DEFAULT '{}', forced TEXT, error_detail TEXT,
            PRIMARY KEY (run_id, step_id)
        )
        """,
        """
        CREATE INDEX steps_by_position ON steps(run_id, position)
        """,
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            at_ms INTEGER NOT NULL,
            mono_ms INTEGER NOT NULL,
            session TEXT NOT NULL,
            kind TEXT NOT NULL,
            step_id TEXT,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """,
        """
        CREATE INDEX events_by_run ON events(run_id, seq)
        """,
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
        """
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
        """
        CREATE TABLE documents (
            run_id TEXT NOT NULL REFERENCES runs(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (run_id, position)
        )
        """,
        """
        CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
            BEGIN SELECT RAISE(ABORT, 'pinned documents are immutable'); END
        """,
        """
        CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
            BEGIN SELECT RAISE(ABORT, 'pinned documents are immutable'); END
        """,
        """
        CREATE TABLE leases (
            plan_id TEXT NOT NULL,
            scenario TEXT NOT NULL,
            run_id TEXT NOT NULL REFERENCES runs(id),
            taken_at_ms INTEGER NOT NULL,
            PRIMARY KEY (plan_id, scenario)
        )
        """,
        """
        CREATE UNIQUE INDEX leases_by_run ON leases(run_id)
        """,
        """
        CREATE TABLE controls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            payload TEXT NOT NULL,
            "by" TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            consumed_at_ms INTEGER
        )
        """,
        """
        CREATE INDEX controls_pending ON controls(run_id, consumed_at_ms, id)
        """,
        """
        CREATE INDEX runs_evidence ON runs(
            plan_id, scenario, mode, created_at_ms, ended_at_ms, status, rto_achieved_ms, rpo_achieved_ms,
            rto_verdict, rpo_verdict, rto_objective_ms, rpo_objective_ms)
        """,
        """
        CREATE INDEX runs_outcomes ON runs(status, plan_id, scenario, mode, ended_at_ms, id)
        """,
        """
        CREATE INDEX runs_by_rto ON runs(plan_id, scenario, mode, rto_achieved_ms, created_at_ms)
            WHERE rto_achieved_ms IS NOT NULL
        """,
        """
        CREATE INDEX runs_by_rpo ON runs(plan_id, scenario, mode, rpo_achieved_ms, created_at_ms)
            WHERE rpo_achieved_ms IS NOT NULL
        """,
        """
        CREATE TABLE step_progress (
            run_id TEXT NOT NULL REFERENCES runs(id), step_id TEXT NOT NULL, line TEXT NOT NULL,
            at_ms INTEGER NOT NULL, PRIMARY KEY (run_id, step_id))
        """,
        """
        CREATE INDEX steps_forced ON steps(run_id) WHERE forced IS NOT NULL
        """,
        """
        CREATE INDEX runs_with_outage ON runs(plan_id, scenario, mode, created_at_ms) WHERE outage_lower_bound IS NOT NULL
        """,
    ]
}
