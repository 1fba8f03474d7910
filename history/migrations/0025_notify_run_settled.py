"""On PostgreSQL, a run that stops moving (it leaves queued or running, whichever code path moves
it) sends a notification on the ``keystroke_run_settled`` channel with its uid as the payload, so a
``?wait`` hears it at commit instead of looking at the run again and again (history.listening).
NOTIFY writes no WAL; a status change that stays within queued and running fires nothing.
"""

from __future__ import annotations

from django.db import migrations

CREATE = """
CREATE FUNCTION history_run_notify_settled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keystroke_run_settled', NEW.uid::text);
    RETURN NULL;
END $$;
CREATE TRIGGER history_run_settled
    AFTER UPDATE OF status ON history_run
    FOR EACH ROW
    WHEN (OLD.status IN ('queued', 'running') AND NEW.status NOT IN ('queued', 'running'))
    EXECUTE FUNCTION history_run_notify_settled();
"""
DROP = """
DROP TRIGGER IF EXISTS history_run_settled ON history_run;
DROP FUNCTION IF EXISTS history_run_notify_settled();
"""


def _run(sql: str):  # noqa: ANN202
    def run(apps, schema_editor) -> None:  # noqa: ANN001
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("history", "0024_fill_run_slugs")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
