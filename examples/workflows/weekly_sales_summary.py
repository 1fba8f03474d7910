from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from workflows.sdk import Context, define_workflow

from ..actions.crm import Post, post_message
from ..actions.sales import REGIONS, RegionWeek, fetch_region_sales


class SummaryIn(BaseModel):
    week: str = Field("2026-W47", description="ISO week, e.g. 2026-W47.")
    settle_seconds: float = Field(2, ge=0, description="Wait for late bookings before summing.")


class SummaryOut(BaseModel):
    week: str
    revenue: int
    deals: int
    text: str


async def run(input: SummaryIn, ctx: Context) -> SummaryOut:
    # Late bookings land after the week closes: wait durably (no worker is held).
    await ctx.sleep(input.settle_seconds)
    regions = await asyncio.gather(
        *(fetch_region_sales.run(RegionWeek(region=r, week=input.week)) for r in REGIONS)
    )
    revenue = sum(r.revenue for r in regions)
    deals = sum(r.deals for r in regions)
    lines = ", ".join(f"{r.region} {r.revenue:,}" for r in regions)
    text = f"Week {input.week}: {revenue:,} from {deals} deals ({lines})."
    await post_message.run(Post(channel="#sales-weekly", text=text))
    return SummaryOut(week=input.week, revenue=revenue, deals=deals, text=text)


weekly_sales_summary = define_workflow(
    slug="weekly-sales-summary",
    name="Weekly sales summary",
    description="Sum the week's sales per region and post the summary.",
    input=SummaryIn,
    output=SummaryOut,
    run=run,
    timeout="1h",
)
