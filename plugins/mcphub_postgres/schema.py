"""The PostgreSQL schema, as numbered migrations applied once under an advisory lock.

Every write to ``mcphub_documents`` raises a notification on ``mcphub_changes`` from a row
trigger, inside the writing transaction: PostgreSQL delivers it at commit, so an instance
hears of exactly the committed writes, in commit order, whoever made them (the API of any
instance, ``mcphub import``, ``mcphub migrate``). The payload names the record (collection,
key, action, origin instance, change number), never the document, so it stays far under
NOTIFY's 8,000-byte limit; a key too long for it is sent as "reload that collection".
"""

from __future__ import annotations

CHANNEL = "mcphub_changes"
"""The LISTEN/NOTIFY channel change records travel on."""

LOCK_ID = 0x6D637068_7562  # "mcphub": the advisory lock migrations run under
"""The advisory lock key every instance takes before it migrates."""

REPLACE_LOCK_ID = LOCK_ID + 1
"""The advisory lock key a whole-store replacement (an import, a first-start seed) holds."""

MIGRATIONS: list[str] = [
    # 1: documents with their change trigger, the activity log, shared sessions, rate hits.
    """
    CREATE TABLE mcphub_documents (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        collection text NOT NULL,
        key text NOT NULL,
        doc jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (collection, key)
    );
    CREATE INDEX mcphub_documents_order ON mcphub_documents (collection, seq);
    CREATE SEQUENCE mcphub_change_seq;
    CREATE FUNCTION mcphub_document_changed() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
        changed record;
        action text;
        payload text;
    BEGIN
        IF current_setting('mcphub.bulk', true) = 'on' THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
            changed := OLD; action := 'delete';
        ELSIF TG_OP = 'INSERT' THEN
            changed := NEW; action := 'create';
        ELSE
            changed := NEW; action := 'update';
        END IF;
        payload := json_build_object(
            'seq', nextval('mcphub_change_seq'),
            'collection', changed.collection,
            'key', changed.key,
            'action', action,
            'origin', coalesce(current_setting('mcphub.origin', true), '')
        )::text;
        IF octet_length(payload) > 7000 THEN
            payload := json_build_object(
                'seq', currval('mcphub_change_seq'),
                'collection', changed.collection,
                'key', NULL,
                'action', 'replace',
                'origin', ''
            )::text;
        END IF;
        PERFORM pg_notify('mcphub_changes', payload);
        RETURN NULL;
    END
    $body$;
    CREATE TRIGGER mcphub_documents_changed
        AFTER INSERT OR UPDATE OR DELETE ON mcphub_documents
        FOR EACH ROW EXECUTE FUNCTION mcphub_document_changed();
    CREATE TABLE mcphub_activities (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        timestamp double precision NOT NULL,
        server text,
        tool text,
        status text,
        principal text,
        doc jsonb NOT NULL
    );
    CREATE INDEX mcphub_activities_timestamp ON mcphub_activities (timestamp);
    CREATE TABLE mcphub_sessions (
        id text PRIMARY KEY,
        doc jsonb NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE mcphub_rate_hits (
        name text NOT NULL,
        key text NOT NULL,
        at double precision NOT NULL
    );
    CREATE INDEX mcphub_rate_hits_lookup ON mcphub_rate_hits (name, key, at);
    """,
    # 2: a session ended on one instance ends on all (its record's deletion is announced).
    """
    CREATE FUNCTION mcphub_session_ended() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        PERFORM pg_notify('mcphub_changes', json_build_object(
            'seq', nextval('mcphub_change_seq'),
            'collection', 'mcp_sessions',
            'key', OLD.id,
            'action', 'delete',
            'origin', coalesce(current_setting('mcphub.origin', true), '')
        )::text);
        RETURN NULL;
    END
    $body$;
    CREATE TRIGGER mcphub_sessions_ended
        AFTER DELETE ON mcphub_sessions
        FOR EACH ROW EXECUTE FUNCTION mcphub_session_ended();
    CREATE INDEX mcphub_sessions_seen ON mcphub_sessions (seen_at);
    """,
    # 3: activity columns for MCPHub's filters (group, key, user) and the duration stats, as
    # in the SQLite plugin's migration 2; records written before are filled from their doc.
    """
    ALTER TABLE mcphub_activities
        ADD COLUMN grp text,
        ADD COLUMN key_id text,
        ADD COLUMN key_name text,
        ADD COLUMN usr text,
        ADD COLUMN duration double precision;
    UPDATE mcphub_activities SET
        grp = doc->>'group',
        key_id = doc->>'keyId',
        key_name = doc->>'keyName',
        usr = doc->>'user',
        duration = CASE WHEN jsonb_typeof(doc->'duration') = 'number'
            THEN (doc->>'duration')::double precision END;
    CREATE INDEX mcphub_activities_server ON mcphub_activities (server);
    """,
]
