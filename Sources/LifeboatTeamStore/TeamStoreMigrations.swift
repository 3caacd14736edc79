import LifeboatCore
import LifeboatPostgres
import LifeboatStore

/// The team store's schema, `lifeboat`, as named migrations applied in order, each once, in one
/// transaction under an advisory lock (two processes opening a new store do not both migrate).
enum TeamStoreMigrations {
    struct Migration {
        var name: String
        var statements: [String]
    }

    static let all: [Migration] = [
        Migration(name: "v1-event-log", statements: [
            """
            CREATE TABLE lifeboat.chain_head (
                id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL)
            """,
            "INSERT INTO lifeboat.chain_head VALUES (1, 0, '\(EventChain.genesis)')",
            """
            CREATE TABLE lifeboat.runs (
                id text PRIMARY KEY, plan_id text NOT NULL, scenario text NOT NULL, mode text NOT NULL,
                status text NOT NULL, created_at_ms bigint NOT NULL, created_order bigserial, record text NOT NULL)
            """,
            "CREATE INDEX runs_newest ON lifeboat.runs (created_at_ms DESC, created_order DESC)",
            "CREATE INDEX runs_plan ON lifeboat.runs (plan_id, scenario, created_at_ms DESC)",
            """
            CREATE TABLE lifeboat.steps (
                run_id text NOT NULL REFERENCES lifeboat.runs (id), step_id text NOT NULL, position int NOT NULL,
                record text NOT NULL, PRIMARY KEY (run_id, step_id))
            """,
            """
            CREATE TABLE lifeboat.documents (
                run_id text NOT NULL REFERENCES lifeboat.runs (id), ord int NOT NULL, kind text NOT NULL,
                path text NOT NULL, sha256 text NOT NULL, text text NOT NULL, PRIMARY KEY (run_id, ord))
            """,
            """
            CREATE TABLE lifeboat.leases (
                plan_id text NOT NULL, scenario text NOT NULL, run_id text NOT NULL REFERENCES lifeboat.runs (id),
                taken_at_ms bigint NOT NULL, PRIMARY KEY (plan_id, scenario))
            """,
            """
            CREATE TABLE lifeboat.events (
                seq bigint PRIMARY KEY, run_id text NOT NULL REFERENCES lifeboat.runs (id), at_ms bigint NOT NULL,
                mono_ms bigint NOT NULL, session text NOT NULL, kind text NOT NULL, step_id text, payload text NOT NULL,
                prev_hash text NOT NULL, hash text NOT NULL)
            """,
            "CREATE INDEX events_of_run ON lifeboat.events (run_id, seq)",
            """
            CREATE FUNCTION lifeboat.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'lifeboat events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """,
            """
            CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON lifeboat.events
            FOR EACH ROW EXECUTE FUNCTION lifeboat.refuse_event_change()
            """,
            """
            CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON lifeboat.events
            FOR EACH STATEMENT EXECUTE FUNCTION lifeboat.refuse_event_change()
            """,
            """
            CREATE TABLE lifeboat.controls (
                id bigserial PRIMARY KEY, run_id text NOT NULL REFERENCES lifeboat.runs (id), kind text NOT NULL,
                by text NOT NULL, at_ms bigint NOT NULL, consumed_at_ms bigint)
            """,
            "CREATE INDEX controls_pending ON lifeboat.controls (run_id, id) WHERE consumed_at_ms IS NULL",
        ]),
        Migration(name: "v2-executors", statements: [
            """
            CREATE TABLE lifeboat.executors (
                run_id text PRIMARY KEY REFERENCES lifeboat.runs (id), epoch bigint NOT NULL, host text NOT NULL,
                pid int NOT NULL, taken_at_ms bigint NOT NULL, last_write_ms bigint NOT NULL)
            """,
        ]),
        // Who sent a control message, as PostgreSQL authenticated them: stamped by the server, so a
        // client cannot name someone else (the executor takes the sender from here, not the body).
        Migration(name: "v3-control-senders", statements: [
            "ALTER TABLE lifeboat.controls ADD COLUMN sent_by text",
            """
            CREATE FUNCTION lifeboat.stamp_control_sender() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN NEW.sent_by := session_user; ELSE NEW.sent_by := OLD.sent_by; END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER controls_sent_by BEFORE INSERT OR UPDATE ON lifeboat.controls
            FOR EACH ROW EXECUTE FUNCTION lifeboat.stamp_control_sender()
            """,
        ]),
        TeamStoreEventFunctions.migration,
        // Wakes executors (`RunListener`) when a message for their run is queued.
        Migration(name: "v5-control-notifications", statements: [
            """
            CREATE FUNCTION lifeboat.notify_control() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(RunListener.channel(.controls))', NEW.run_id);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER controls_notify AFTER INSERT ON lifeboat.controls
            FOR EACH ROW EXECUTE FUNCTION lifeboat.notify_control()
            """,
        ]),
        // A run's figures (RTO, RPO) beside its row once it has ended, and a step's forced flag, so
        // that history's summary, status and metrics are queries rather than replays. Runs that
        // ended before are filled in by `PostgresStore.open` (replaying their logs).
        Migration(name: "v6-run-figures", statements: [
            """
            ALTER TABLE lifeboat.runs ADD COLUMN ended_at_ms bigint, ADD COLUMN figures text,
                ADD COLUMN rto_achieved_ms bigint, ADD COLUMN rto_objective_ms bigint, ADD COLUMN rto_verdict text,
                ADD COLUMN rpo_achieved_ms bigint, ADD COLUMN rpo_objective_ms bigint, ADD COLUMN rpo_verdict text
            """,
            "UPDATE lifeboat.runs SET ended_at_ms = (record::jsonb ->> 'endedAtMs')::bigint",
            "CREATE INDEX runs_evidence ON lifeboat.runs (plan_id, scenario, mode, created_at_ms DESC)",
            "CREATE INDEX runs_figures_missing ON lifeboat.runs (id) WHERE ended_at_ms IS NOT NULL AND figures IS NULL",
            "ALTER TABLE lifeboat.steps ADD COLUMN forced boolean NOT NULL DEFAULT false",
            "UPDATE lifeboat.steps SET forced = (record::jsonb ->> 'forced') IS NOT NULL",
        ]),
        // A running step's latest output line for viewers elsewhere (`lifeboat serve`): overwritten,
        // not evidence, outside the chain.
        Migration(name: "v7-step-progress", statements: [
            """
            CREATE TABLE lifeboat.step_progress (
                run_id text NOT NULL REFERENCES lifeboat.runs (id), step_id text NOT NULL, line text NOT NULL,
                at_ms bigint NOT NULL, PRIMARY KEY (run_id, step_id))
            """,
        ]),
        // The evidence commands' queries on 100,000 runs within 100 ms: which runs have forced
        // steps (without reading every step row), the newest run of each outcome, history's
        // summary counts from the index alone (`runs_summary`: the rows themselves are wide), the
        // percentiles of each group's figures, and the newest run whose figures hold an outage.
        Migration(name: "v8-evidence-indexes", statements: [
            "CREATE INDEX steps_forced ON lifeboat.steps (run_id) WHERE forced",
            "CREATE INDEX runs_outcomes ON lifeboat.runs (status, plan_id, scenario, mode, ended_at_ms DESC)",
            """
            CREATE INDEX runs_summary ON lifeboat.runs (plan_id, scenario, mode)
                INCLUDE (status, rto_verdict, rpo_verdict, rto_achieved_ms, rpo_achieved_ms, id, created_at_ms)
                WHERE ended_at_ms IS NOT NULL
            """,
            "CREATE INDEX runs_by_rto ON lifeboat.runs (plan_id, scenario, mode, rto_achieved_ms) WHERE rto_achieved_ms IS NOT NULL",
            "CREATE INDEX runs_by_rpo ON lifeboat.runs (plan_id, scenario, mode, rpo_achieved_ms) WHERE rpo_achieved_ms IS NOT NULL",
            """
            CREATE INDEX runs_with_outage ON lifeboat.runs (plan_id, scenario, mode, created_at_ms DESC)
                WHERE (figures::jsonb -> 'outage') IS NOT NULL
            """,
        ]),
    ]

    /// Applies the migrations `connection`'s database lacks (the first `count` of them: tests build
    /// an older store); returns the names applied now.
    @discardableResult
    static func migrate(_ connection: PGConnection, first count: Int = all.count) async throws(PGError) -> [String] {
        let wanted = all.prefix(count)
        // A store that is up to date is only read: the role the CLI uses need not own the schema.
        if try await connection.query("SELECT to_regclass('lifeboat.migrations') IS NOT NULL").firstValue == "t" {
            let applied = Set(try await connection.query("SELECT name FROM lifeboat.migrations").rows.compactMap { $0[0] })
            if wanted.allSatisfy({ applied.contains($0.name) }) { return [] }
        }
        _ = try await connection.query("BEGIN")
        do {
            // "already exists, skipping" notices would reach the terminal through libpq's default handler.
            _ = try await connection.query("SET LOCAL client_min_messages TO warning")
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext('lifeboat.migrations'))")
            _ = try await connection.query("CREATE SCHEMA IF NOT EXISTS lifeboat")
            _ = try await connection.query("""
                CREATE TABLE IF NOT EXISTS lifeboat.migrations (
                    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = Set(try await connection.query("SELECT name FROM lifeboat.migrations").rows.compactMap { $0[0] })
            var now: [String] = []
            for migration in wanted where !applied.contains(migration.name) {
                for statement in migration.statements { _ = try await connection.query(statement) }
                _ = try await connection.query("INSERT INTO lifeboat.migrations (name) VALUES ($1)", [migration.name])
                now.append(migration.name)
            }
            _ = try await connection.query("COMMIT")
            return now
        } catch {
            if connection.isOpen { _ = try? await connection.query("ROLLBACK") }
            throw error
        }
    }
}
