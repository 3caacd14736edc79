import LifeboatCore
import LifeboatStore

/// How events reach the team store's log: only through functions on the server, so that a
/// modified client cannot record an event in someone else's name.
///
/// - `lifeboat.record_events(run, payloads, control_ids, recorded_at, holder_epoch)` (SECURITY DEFINER,
///   granted to the operators' role) first, for an executor (`holder_epoch` given), notes the write
///   on the run's executors row if the epoch is still the run's, else raises SQLSTATE `LB001` naming
///   the process that took the run over; then consumes the control messages the events answer, and refuses any event
///   whose `decider` is neither the connected role (`session_user`) nor the authenticated sender of
///   one of those messages, of the matching kind and step; approval decisions must name a decider,
///   and no decider on the team store carries a `sudoUser`. It then chains the events (if any: an
///   append that only consumes messages leaves the chain head and watchers alone).
/// - `lifeboat.chain_events(run, payloads)` (the schema owner's only: `store import`, whose events
///   name the people of another store) appends events after the locked chain head: it takes each
///   row's columns from the payload itself, refuses a payload that repeats a key (readers could
///   disagree on which value counts), computes each hash as `EventChain.hash` does, and notifies
///   `lifeboat_events` with the run's id (`lifeboat watch` follows it).
/// - `lifeboat.lock_chain()` takes the chain head's row lock: writers take turns, so one chain runs
///   through every run in one global order.
///
/// Operators' roles keep no INSERT on `events` and no UPDATE on `chain_head` or `controls`; the
/// migration moves roles granted them before to EXECUTE on the two operator functions.
enum TeamStoreEventFunctions {
    static let migration = TeamStoreMigrations.Migration(name: "v4-events-recorded-by-the-server", statements: [
        """
        CREATE FUNCTION lifeboat.keys_are_unique(j json) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            CASE json_typeof(j)
            WHEN 'object' THEN
                RETURN (SELECT count(*) = count(DISTINCT key) FROM json_each(j))
                    AND NOT EXISTS (SELECT 1 FROM json_each(j) e WHERE NOT lifeboat.keys_are_unique(e.value));
            WHEN 'array' THEN
                RETURN NOT EXISTS (SELECT 1 FROM json_array_elements(j) e WHERE NOT lifeboat.keys_are_unique(e));
            ELSE
                RETURN true;
            END CASE;
        END
        $$
        """,
        """
        CREATE FUNCTION lifeboat.lock_chain() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            PERFORM 1 FROM lifeboat.chain_head WHERE id = 1 FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'the team store has no chain head row' USING ERRCODE = 'data_corrupted';
            END IF;
        END
        $$
        """,
        """
        CREATE FUNCTION lifeboat.chain_events(run text, payloads text[]) RETURNS void LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            head_seq bigint; head_hash text; payload text; event jsonb; kind text; kinds int; next_hash text;
        BEGIN
            SELECT seq, hash INTO head_seq, head_hash FROM lifeboat.chain_head WHERE id = 1 FOR UPDATE;
            FOREACH payload IN ARRAY payloads LOOP
                IF NOT lifeboat.keys_are_unique(payload::json) THEN
                    RAISE EXCEPTION 'an event of run % repeats a key', run USING ERRCODE = 'invalid_parameter_value';
                END IF;
                event := payload::jsonb;
                IF event ->> 'runID' IS DISTINCT FROM run THEN
                    RAISE EXCEPTION 'an event of run % names run %', run, event ->> 'runID' USING ERRCODE = 'invalid_parameter_value';
                END IF;
                SELECT min(k), count(*) INTO kind, kinds FROM jsonb_object_keys(event -> 'kind') k;
                IF kinds IS DISTINCT FROM 1 THEN
                    RAISE EXCEPTION 'an event of run % has no single kind', run USING ERRCODE = 'invalid_parameter_value';
                END IF;
                head_seq := head_seq + 1;
                next_hash := encode(sha256(convert_to(
                    head_hash || chr(10) || head_seq::text || chr(10) || run || chr(10) || payload, 'UTF8')), 'hex');
                INSERT INTO lifeboat.events (seq, run_id, at_ms, mono_ms, session, kind, step_id, payload, prev_hash, hash)
                VALUES (head_seq, run, (event ->> 'atMs')::bigint, (event ->> 'monoMs')::bigint, event ->> 'session', kind,
                    event -> 'kind' -> kind ->> 'step', payload, head_hash, next_hash);
                head_hash := next_hash;
            END LOOP;
            UPDATE lifeboat.chain_head SET seq = head_seq, hash = head_hash WHERE id = 1;
            PERFORM pg_notify('\(RunListener.channel(.events))', run);
        END
        $$
        """,
        "REVOKE EXECUTE ON FUNCTION lifeboat.chain_events(text, text[]) FROM PUBLIC",
        """
        CREATE FUNCTION lifeboat.record_events(
            run text, payloads text[], control_ids bigint[], recorded_at bigint, holder_epoch bigint)
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            answered jsonb; payload text; event jsonb; kind text; body jsonb; who text; message text; holder record;
        BEGIN
            IF holder_epoch IS NOT NULL THEN
                UPDATE lifeboat.executors x SET last_write_ms = recorded_at WHERE x.run_id = run AND x.epoch = holder_epoch;
                IF NOT FOUND THEN
                    SELECT x.host, x.pid, x.epoch INTO holder FROM lifeboat.executors x WHERE x.run_id = run;
                    RAISE EXCEPTION 'run % was taken over by %: this process (epoch %) records nothing more and stops', run,
                        coalesce(holder.host || ' pid ' || holder.pid || ' (epoch ' || holder.epoch || ')', 'another process'),
                        holder_epoch USING ERRCODE = 'LB001';
                END IF;
            END IF;
            WITH consumed AS (
                UPDATE lifeboat.controls SET consumed_at_ms = recorded_at
                WHERE id = ANY (control_ids) AND consumed_at_ms IS NULL
                RETURNING run_id, sent_by, lifeboat.controls.kind::jsonb AS sent)
            SELECT coalesce(jsonb_agg(jsonb_build_object('run', run_id, 'sender', sent_by, 'body', sent)), '[]')
            INTO answered FROM consumed;
            FOREACH payload IN ARRAY payloads LOOP
                event := payload::jsonb;
                SELECT min(k) INTO kind FROM jsonb_object_keys(event -> 'kind') k;
                body := event -> 'kind' -> kind;
                CONTINUE WHEN NOT (body ? 'decider' OR kind IN ('approvalGranted', 'approvalDenied', 'approvalRefused'));
                who := body -> 'decider' ->> 'identity';
                IF who IS NULL OR body -> 'decider' ->> 'sudoUser' IS NOT NULL THEN
                    RAISE EXCEPTION 'role % cannot record % without a decider the server authenticated', session_user, kind
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                CONTINUE WHEN who = session_user;
                message := CASE kind
                    WHEN 'approvalGranted' THEN 'approve' WHEN 'approvalDenied' THEN 'deny'
                    WHEN 'approvalRefused' THEN CASE WHEN (body ->> 'approve')::boolean THEN 'approve' ELSE 'deny' END
                    WHEN 'abortRequested' THEN 'abort' WHEN 'pauseRequested' THEN 'pause' END;
                IF message IS NULL OR NOT EXISTS (
                    SELECT 1 FROM jsonb_array_elements(answered) c
                    WHERE c ->> 'run' = run AND c ->> 'sender' = who AND c -> 'body' ? message
                        AND (c -> 'body' -> message ->> 'step') IS NOT DISTINCT FROM (body ->> 'step'))
                THEN
                    RAISE EXCEPTION 'role % cannot record % in the name of %', session_user, kind, who
                        USING ERRCODE = 'insufficient_privilege',
                        HINT = 'an event names the connected role, or the sender of the message it answers';
                END IF;
            END LOOP;
            IF cardinality(payloads) > 0 THEN PERFORM lifeboat.chain_events(run, payloads); END IF;
        END
        $$
        """,
        "REVOKE EXECUTE ON FUNCTION lifeboat.record_events(text, text[], bigint[], bigint, bigint), lifeboat.lock_chain() FROM PUBLIC",
        // Roles given the old grants (INSERT on events) move to the functions; messages queued
        // before senders were stamped cannot be attributed, so they are consumed unanswered.
        """
        DO $$
        DECLARE grantee text;
        BEGIN
            FOR grantee IN
                SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
                FROM pg_class c CROSS JOIN aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE c.oid = 'lifeboat.events'::regclass AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner
            LOOP
                EXECUTE format('REVOKE INSERT ON lifeboat.events FROM %s', grantee);
                EXECUTE format('REVOKE UPDATE ON lifeboat.chain_head, lifeboat.controls FROM %s', grantee);
                EXECUTE format('GRANT EXECUTE ON FUNCTION lifeboat.lock_chain(), '
                    'lifeboat.record_events(text, text[], bigint[], bigint, bigint) TO %s', grantee);
            END LOOP;
        END
        $$
        """,
        "UPDATE lifeboat.controls SET consumed_at_ms = 0 WHERE sent_by IS NULL AND consumed_at_ms IS NULL",
    ])

    /// The operator function's call, its arrays passed as JSON (no array-literal escaping).
    static let recordCall = """
        SELECT lifeboat.record_events($1, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)),
            ARRAY(SELECT jsonb_array_elements_text($3::jsonb)::bigint), $4::bigint, $5::bigint)
        """

    /// The SQLSTATE `record_events` raises when the run was taken over (its message names by whom).
    static let takenOver = "LB001"

    static let chainCall = "SELECT lifeboat.chain_events($1, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))"
}
