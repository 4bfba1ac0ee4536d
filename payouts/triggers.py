"""What the database itself refuses about payouts, whatever the code above it does.

1. A paid payout never changes and is never deleted: a correction is a new entry.
2. The audit trail is only ever added to.

On SQLite, Django rebuilds a table it alters, which drops its triggers: a migration that alters
payouts_payout or payouts_auditentry must end with RunPython(install, install) (the statements are
idempotent). tests/payouts/test_models.py fails if a trigger goes missing.
"""

from __future__ import annotations

from typing import Any

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION payouts_payout_paid_is_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'paid' THEN
        RAISE EXCEPTION 'payout % is paid: it cannot change (record a correction instead)', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER payouts_payout_paid_is_final
    BEFORE UPDATE OR DELETE ON payouts_payout
    FOR EACH ROW EXECUTE FUNCTION payouts_payout_paid_is_final();

CREATE OR REPLACE FUNCTION payouts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is only ever added to' USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER payouts_auditentry_append_only
    BEFORE UPDATE OR DELETE ON payouts_auditentry
    FOR EACH ROW EXECUTE FUNCTION payouts_auditentry_append_only();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS payouts_auditentry_append_only ON payouts_auditentry;
DROP FUNCTION IF EXISTS payouts_auditentry_append_only();
DROP TRIGGER IF EXISTS payouts_payout_paid_is_final ON payouts_payout;
DROP FUNCTION IF EXISTS payouts_payout_paid_is_final();
"""

SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS payouts_payout_paid_update
    BEFORE UPDATE ON payouts_payout WHEN OLD.status = 'paid'
    BEGIN
        SELECT RAISE(ABORT, 'a paid payout cannot change (record a correction instead)');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS payouts_payout_paid_delete
    BEFORE DELETE ON payouts_payout WHEN OLD.status = 'paid'
    BEGIN
        SELECT RAISE(ABORT, 'a paid payout cannot be deleted');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS payouts_auditentry_no_update
    BEFORE UPDATE ON payouts_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is only ever added to');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS payouts_auditentry_no_delete
    BEFORE DELETE ON payouts_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is only ever added to');
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS payouts_payout_paid_update",
    "DROP TRIGGER IF EXISTS payouts_payout_paid_delete",
    "DROP TRIGGER IF EXISTS payouts_auditentry_no_update",
    "DROP TRIGGER IF EXISTS payouts_auditentry_no_delete",
]


def _run(schema_editor: Any, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)
    else:  # pragma: no cover - PostgreSQL in production, SQLite embedded
        raise NotImplementedError(f"no payout triggers for {vendor}")


def install(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, POSTGRES_FORWARD, SQLITE_FORWARD)


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, POSTGRES_BACKWARD, SQLITE_BACKWARD)
