"""On PostgreSQL, a run that stops moving (it leaves queued or running, whichever code path moves
it) sends a notification on the ``keystroke_run_settled`` channel with its uid as the payload, so a
``?wait`` hears it at commit instead of looking at the run again and again (history.listening).

Only a run that someone waits on notifies: a committing NOTIFY takes a lock that serializes the
commits of every notifying transaction on the server, which runs nobody waits on need not pay. A
wait holds a shared advisory lock on its run's key (class 0x4B570002, the hash of its uid); the
trigger's attempt at the exclusive lock fails exactly when one is held. A wait that comes while
the run is settling blocks on that lock until the settle commits, then sees it in its first look.
A transaction that settles many runs (a cancel of a large tree) holds at most 64 such locks, so
the server's lock table cannot fill; its later settles notify whether or not anyone waits. NOTIFY
and advisory locks write no WAL.
"""

from __future__ import annotations

from django.db import migrations

CREATE = [
    """
CREATE FUNCTION history_run_notify_settled() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held integer := coalesce(nullif(current_setting('keystroke.settle_locks', true), ''), '0');
BEGIN
    IF held >= 64 THEN
        PERFORM pg_notify('keystroke_run_settled', NEW.uid::text);
    ELSIF pg_try_advisory_xact_lock(1263992834, hashtext(NEW.uid::text)) THEN
        PERFORM set_config('keystroke.settle_locks', (held + 1)::text, true);
    ELSE
        PERFORM pg_notify('keystroke_run_settled', NEW.uid::text);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER history_run_settled
    AFTER UPDATE OF status ON history_run
    FOR EACH ROW
    WHEN (OLD.status IN ('queued', 'running') AND NEW.status NOT IN ('queued', 'running'))
    EXECUTE FUNCTION history_run_notify_settled()
""",
]
DROP = [
    "DROP TRIGGER IF EXISTS history_run_settled ON history_run",
    "DROP FUNCTION IF EXISTS history_run_notify_settled()",
]


def _run(statements: list[str]):  # noqa: ANN202
    def run(apps, schema_editor) -> None:  # noqa: ANN001
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("history", "0024_fill_run_slugs")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
