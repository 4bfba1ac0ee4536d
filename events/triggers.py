"""Database triggers for what a check constraint cannot say about partner shares.

1. The shares of one event never add up to more than 10000 basis points (100%).
2. An event leaves draft only when its shares add up to exactly 10000.

PostgreSQL locks the event row inside the trigger, so two concurrent inserts cannot both pass;
SQLite serializes writers anyway.

On SQLite, Django alters a table by rebuilding it, which drops the table's triggers: every
migration that alters events_event or events_eventpartner must end with
`migrations.RunPython(triggers.install, triggers.install)` (the statements are idempotent).
tests/events/test_constraints.py fails if a trigger goes missing.
"""

from __future__ import annotations

from typing import Any

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION events_eventpartner_shares_check() RETURNS trigger AS $$
DECLARE
    total bigint;
BEGIN
    PERFORM 1 FROM events_event WHERE id = NEW.event_id FOR UPDATE;
    SELECT COALESCE(SUM(share_bp), 0) INTO total FROM events_eventpartner
        WHERE event_id = NEW.event_id AND id IS DISTINCT FROM NEW.id;
    IF total + NEW.share_bp > 10000 THEN
        RAISE EXCEPTION 'partner shares of event % would add up to % basis points, more than 10000',
            NEW.event_id, total + NEW.share_bp
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER events_eventpartner_shares_at_most_whole
    BEFORE INSERT OR UPDATE OF share_bp, event_id ON events_eventpartner
    FOR EACH ROW EXECUTE FUNCTION events_eventpartner_shares_check();

CREATE OR REPLACE FUNCTION events_event_publish_check() RETURNS trigger AS $$
DECLARE
    total bigint;
BEGIN
    IF NEW.status <> 'draft' AND (TG_OP = 'INSERT' OR OLD.status = 'draft') THEN
        SELECT COALESCE(SUM(share_bp), 0) INTO total FROM events_eventpartner
            WHERE event_id = NEW.id;
        IF total <> 10000 THEN
            RAISE EXCEPTION 'event % cannot leave draft: shares add up to % bp, not 10000',
                NEW.id, total
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER events_event_shares_whole_when_published
    BEFORE INSERT OR UPDATE OF status ON events_event
    FOR EACH ROW EXECUTE FUNCTION events_event_publish_check();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS events_event_shares_whole_when_published ON events_event;
DROP FUNCTION IF EXISTS events_event_publish_check();
DROP TRIGGER IF EXISTS events_eventpartner_shares_at_most_whole ON events_eventpartner;
DROP FUNCTION IF EXISTS events_eventpartner_shares_check();
"""

SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS events_eventpartner_shares_insert
    BEFORE INSERT ON events_eventpartner
    WHEN (SELECT COALESCE(SUM(share_bp), 0) FROM events_eventpartner WHERE event_id = NEW.event_id)
         + NEW.share_bp > 10000
    BEGIN
        SELECT RAISE(ABORT, 'partner shares of an event cannot exceed 10000 basis points');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_eventpartner_shares_update
    BEFORE UPDATE OF share_bp, event_id ON events_eventpartner
    WHEN (SELECT COALESCE(SUM(share_bp), 0) FROM events_eventpartner
          WHERE event_id = NEW.event_id AND id <> OLD.id) + NEW.share_bp > 10000
    BEGIN
        SELECT RAISE(ABORT, 'partner shares of an event cannot exceed 10000 basis points');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_event_publish_insert BEFORE INSERT ON events_event
    WHEN NEW.status <> 'draft'
         AND (SELECT COALESCE(SUM(share_bp), 0) FROM events_eventpartner WHERE event_id = NEW.id)
             <> 10000
    BEGIN
        SELECT RAISE(ABORT, 'an event cannot leave draft until its partner shares add up to 10000');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_event_publish_update BEFORE UPDATE OF status ON events_event
    WHEN OLD.status = 'draft' AND NEW.status <> 'draft'
         AND (SELECT COALESCE(SUM(share_bp), 0) FROM events_eventpartner WHERE event_id = NEW.id)
             <> 10000
    BEGIN
        SELECT RAISE(ABORT, 'an event cannot leave draft until its partner shares add up to 10000');
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS events_eventpartner_shares_insert",
    "DROP TRIGGER IF EXISTS events_eventpartner_shares_update",
    "DROP TRIGGER IF EXISTS events_event_publish_insert",
    "DROP TRIGGER IF EXISTS events_event_publish_update",
]


def _run(schema_editor: Any, *, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)
    else:
        raise NotImplementedError(f"Pledgeday supports PostgreSQL and SQLite, not {vendor}.")


def install(apps: Any, schema_editor: Any) -> None:
    """Create (or re-create) the triggers; safe to run again."""
    _run(schema_editor, postgres=POSTGRES_FORWARD, sqlite=SQLITE_FORWARD)


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, postgres=POSTGRES_BACKWARD, sqlite=SQLITE_BACKWARD)
