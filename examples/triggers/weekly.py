"""The weekly sales summary, every Friday at 09:00 in Berlin (summer and winter time alike)."""

from __future__ import annotations

from workflows.sdk import define_schedule

from ..workflows.weekly_sales_summary import weekly_sales_summary

weekly = define_schedule(
    slug="weekly",
    cron="0 9 * * FRI",
    timezone="Europe/Berlin",
    payload={"settle_seconds": 2},
    description="Friday morning sales summary.",
).attach(weekly_sales_summary)
