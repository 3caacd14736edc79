import GRDB
import LifeboatCore

/// The store's schema as named, append-only migrations. Never edit or reorder a registered
/// migration: add a new one.
enum Migrations {
    /// `PRAGMA application_id` of a Lifeboat store ("LBOT"), so another SQLite file is refused.
    static let applicationID: Int32 = 0x4C42_4F54

    /// Migration names, in order.
    static let names = [
        "v1-runs-events-steps", "v2-documents", "v3-leases-controls", "v4-run-measurements", "v5-forced-outcomes-error-details",
        "v6-observed-outage", "v7-step-progress", "v8-evidence-indexes", "v9-no-events-by-kind",
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(names[0]) { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(
                sql: """
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
                    );
                    CREATE INDEX runs_by_plan ON runs(plan_id, scenario, created_at_ms);
                    CREATE INDEX runs_by_created ON runs(created_at_ms);
                    CREATE INDEX runs_by_status ON runs(status);

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
                        outputs TEXT NOT NULL DEFAULT '{}',
                        PRIMARY KEY (run_id, step_id)
                    );
                    CREATE INDEX steps_by_position ON steps(run_id, position);

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
                    );
                    CREATE INDEX events_by_run ON events(run_id, seq);
                    CREATE INDEX events_by_kind ON events(kind);
                    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                    """)
        }
        migrator.registerMigration(names[1]) { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        position INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        path TEXT NOT NULL,
                        text TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        PRIMARY KEY (run_id, position)
                    );
                    CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
                        BEGIN SELECT RAISE(ABORT, 'pinned documents are immutable'); END;
                    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
                        BEGIN SELECT RAISE(ABORT, 'pinned documents are immutable'); END;
                    """)
        }
        migrator.registerMigration(names[2]) { db in
            try db.execute(
                sql: """
                    CREATE TABLE leases (
                        plan_id TEXT NOT NULL,
                        scenario TEXT NOT NULL,
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        taken_at_ms INTEGER NOT NULL,
                        PRIMARY KEY (plan_id, scenario)
                    );
                    CREATE UNIQUE INDEX leases_by_run ON leases(run_id);

                    CREATE TABLE controls (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        payload TEXT NOT NULL,
                        "by" TEXT NOT NULL,
                        at_ms INTEGER NOT NULL,
                        consumed_at_ms INTEGER
                    );
                    CREATE INDEX controls_pending ON controls(run_id, consumed_at_ms, id);
                    """)
        }
        migrator.registerMigration(names[3]) { db in
            // The figures `RunMeasurement` computes when a run ends, so that history, status and
            // metrics never re-read events (see `MeasurementColumns`).
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN rto_achieved_ms INTEGER;
                    ALTER TABLE runs ADD COLUMN rto_objective_ms INTEGER;
                    ALTER TABLE runs ADD COLUMN rto_verdict TEXT;
                    ALTER TABLE runs ADD COLUMN rto_method TEXT;
                    ALTER TABLE runs ADD COLUMN human_wait_ms INTEGER;
                    ALTER TABLE runs ADD COLUMN rpo_achieved_ms INTEGER;
                    ALTER TABLE runs ADD COLUMN rpo_objective_ms INTEGER;
                    ALTER TABLE runs ADD COLUMN rpo_verdict TEXT;
                    ALTER TABLE runs ADD COLUMN rpo_exact INTEGER;
                    CREATE INDEX runs_evidence ON runs(
                        plan_id, scenario, mode, created_at_ms, ended_at_ms, status, rto_achieved_ms, rpo_achieved_ms,
                        rto_verdict, rpo_verdict, rto_objective_ms, rpo_objective_ms);
                    CREATE INDEX runs_outcomes ON runs(status, plan_id, scenario, mode, ended_at_ms, id);
                    CREATE INDEX runs_by_rto ON runs(plan_id, scenario, mode, rto_achieved_ms, created_at_ms)
                        WHERE rto_achieved_ms IS NOT NULL;
                    CREATE INDEX runs_by_rpo ON runs(plan_id, scenario, mode, rpo_achieved_ms, created_at_ms)
                        WHERE rpo_achieved_ms IS NOT NULL;
                    """)
            try MeasurementColumns.backfill(in: db)
        }
        migrator.registerMigration(names[4]) { db in
            // The outcome an operator forced on a step (resolve, skip), so that history, show and the
            // reports can say "succeeded, 1 forced" (older runs could only be forced by resolve); and
            // the detail of a step's last failure (older events kept none).
            try db.execute(sql: "ALTER TABLE steps ADD COLUMN forced TEXT; ALTER TABLE steps ADD COLUMN error_detail TEXT")
            let resolutions = try Row.fetchAll(
                db, sql: "SELECT payload FROM events WHERE kind IN ('stepResolved', 'stepRedriven') ORDER BY seq")
            for row in resolutions {
                let event = try CanonicalJSON.decode(RunEvent.self, from: row["payload"], what: "a resolution event")
                var forced: String?
                switch event.kind {
                case .stepResolved(_, let resolution, _, _, _): forced = resolution == .retry ? nil : resolution.rawValue
                default: forced = nil
                }
                try db.execute(
                    sql: "UPDATE steps SET forced = ? WHERE run_id = ? AND step_id = ?",
                    arguments: [forced, event.runID, event.kind.stepID])
            }
        }
        migrator.registerMigration(names[5]) { db in
            // The outage a probe that `measures: outage` saw (runs recorded before probes have none).
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN outage_ms INTEGER; ALTER TABLE runs ADD COLUMN outage_lower_bound INTEGER")
        }
        migrator.registerMigration(names[6]) { db in
            // A running step's latest output line for viewers elsewhere: overwritten, not evidence.
            try db.execute(sql: """
                CREATE TABLE step_progress (
                    run_id TEXT NOT NULL REFERENCES runs(id), step_id TEXT NOT NULL, line TEXT NOT NULL,
                    at_ms INTEGER NOT NULL, PRIMARY KEY (run_id, step_id))
                """)
        }
        migrator.registerMigration(names[7]) { db in
            // history's summary on 100,000 runs: whether a run has a forced step (without it every
            // ended run's step rows were read: 0.9 s), and each group's newest observed outage
            // (without it a group with none was scanned whole).
            try db.execute(sql: """
                CREATE INDEX steps_forced ON steps(run_id) WHERE forced IS NOT NULL;
                CREATE INDEX runs_with_outage ON runs(plan_id, scenario, mode, created_at_ms) WHERE outage_lower_bound IS NOT NULL;
                """)
        }
        migrator.registerMigration(names[8]) { db in
            // No query reads events by kind (v5's one-off rewrite did, before this); the index only
            // added two pages to every step's commit (a stepStarted and a stepSucceeded entry).
            try db.execute(sql: "DROP INDEX events_by_kind")
        }
        return migrator
    }

    /// Refuses files that are not Lifeboat stores or were written by a newer Lifeboat, then applies
    /// the migrations this build knows and the store lacks. An empty file gets `FrozenSchema` first
    /// (unless `frozen` is false: the tests that compare the two).
    static func migrate(_ writer: some DatabaseWriter, path: String, frozen: Bool = true) throws {
        let migrator = self.migrator
        try writer.read { db in
            let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            // GRDB creates its grdb_migrations table in a transaction of its own before the first
            // migration: a store whose creation was killed in between has that table and nothing else.
            let tables = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM sqlite_master WHERE name NOT IN ('grdb_migrations', 'sqlite_autoindex_grdb_migrations_1')") ?? 0
            if appID != applicationID, tables > 0 || appID != 0 {
                throw StoreErrors.damaged(path, detail: "application_id \(appID), \(tables) schema objects")
            }
            if try migrator.hasBeenSuperseded(db) {
                throw LifeboatError(
                    .storeFailure, "store \(path) was written by a newer lifeboat",
                    hint: "upgrade lifeboat to read it")
            }
        }
        let complete = try writer.read { db in try migrator.hasCompletedMigrations(db) }
        if !complete {
            // Each migration commits on its own; with `synchronous = NORMAL` those commits are not
            // flushed one by one (nine flushes of a new store, 2.3 ms). In WAL mode that risks no
            // damage: a power loss can only undo the last migrations, each with its grdb_migrations
            // row, and the next open applies them again. The store's first transition, at FULL,
            // flushes the log with all of them in it.
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            if frozen, try writer.read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }) == 0 {
                try writer.write { db in try FrozenSchema.create(in: db) }  // an empty file
            }
            try migrator.migrate(writer)  // those registered after the frozen schema's
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
    }
}
