"""An offline sales ledger: figures derived from the week, so every run agrees with itself."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from workflows.sdk import define_action

REGIONS = ("emea", "americas", "apac")


class RegionWeek(BaseModel):
    region: str
    week: str


class RegionSales(BaseModel):
    region: str
    revenue: int
    deals: int


def _fetch_region_sales(input: RegionWeek) -> RegionSales:
    digest = int(hashlib.sha256(f"{input.region}:{input.week}".encode()).hexdigest()[:8], 16)
    return RegionSales(region=input.region, revenue=10_000 + digest % 90_000, deals=1 + digest % 40)


fetch_region_sales = define_action(
    slug="fetch-region-sales",
    description="Read one region's sales for a week.",
    input=RegionWeek,
    output=RegionSales,
    run=_fetch_region_sales,
    retries=3,
    timeout="30s",
)
