"""The published shapes of the market picture (``inclusive-check market``) and of its public view
(``market --public`` and the portal's ``/public/market``); outputs.py lists them with the other outputs."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

from .output_base import LangText, RulesetRef, _Model

MARKET_SCHEMA: Final = "inclusive-check/market/2"
PUBLIC_MARKET_SCHEMA: Final = "inclusive-check/public-market/1"

Dimension = Literal["variety", "coverage", "protection", "service"]
Position = Literal["leading", "middle", "lagging"]
Series = Literal["annual", "quarterly"]
Decimal_ = Annotated[str | None, Field(description="A decimal string, or null when there is nothing to count.")]


class MarketRow(_Model):
    """One group's figures in one period: sums of what its submissions filed for it, and their latest scores."""

    period: str
    series: Series = Field(description="annual (YYYY) or quarterly (YYYY-Qn): two series, never mixed.")
    key: str = Field(
        description="Province or prefecture code (region, prefecture), line, institution group id, "
        "state_owned|other, insurer."
    )
    name: LangText
    parent: str | None = Field(description="The province a prefecture-level row lies in (null otherwise).")
    separately_listed: bool = Field(
        description="A separately listed city (计划单列市: Dalian, Qingdao, Ningbo, Xiamen, Shenzhen): a row of "
        "its own, and part of its province's row too."
    )
    insurers: int
    submissions: int
    inclusive_products: int | None = Field(description="Inclusive products (by line only; null otherwise).")
    policies: int | None = Field(description="Policies (the inclusive products' policies in force, or by region).")
    insured_persons: int | None
    premium_cny: Decimal_
    claims_paid_cny: Decimal_
    loss_ratio: Decimal_ = Field(
        description="claims_paid_cny / premium_cny of the row's own figures, rounded as the protection indicator."
    )
    scores_basis: Literal["mean", "weighted"] = Field(
        description="weighted: each submission's scores weigh by its volume in the row (`weight`), because the "
        "contract carries no score per region or line; mean: each submission counts once."
    )
    weight: str | None = Field(description="The volume scores weigh by (the ruleset's market.row_weight).")
    scored: int = Field(description="Submissions with a compliance score (from the latest run that scored each).")
    blocking: int = Field(description="Submissions whose latest score is blocking.")
    compliance: Decimal_ = Field(description="Mean (or weighted mean) compliance score of the scored submissions.")
    variety: Decimal_
    coverage: Decimal_
    protection: Decimal_
    service: Decimal_
    index: Decimal_ = Field(description="The market index: the four indicators' means weighted by the ruleset.")
    depth: Decimal_ = Field(description="Inclusive premium / the region's GDP (annual rows with reference data).")
    density: Decimal_ = Field(description="Inclusive premium per resident, CNY (annual rows with reference data).")
    market_depth: Decimal_ = Field(description="The whole insurance market's premium income / GDP, same year.")
    market_density: Decimal_ = Field(description="The whole insurance market's premium income per resident, CNY.")


class CrossCell(_Model):
    """Region x line: each submission's regional figures shared out over its inclusive lines in proportion to each
    line's part of the same figure (the contract carries no figure per region and line)."""

    period: str
    series: Series
    region: str
    line: str
    name: LangText
    insurers: int
    policies: Decimal_
    insured_persons: Decimal_
    premium_cny: Decimal_
    claims_paid_cny: Decimal_
    basis: Literal["allocated"]


class PanelFigures(_Model):
    policies: int | None
    insured_persons: int | None
    premium_cny: Decimal_
    claims_paid_cny: Decimal_


class YearOnYear(_Model):
    """The same period a year apart over a fixed panel: the insurers that filed for both."""

    period: str
    previous: str
    series: Series
    panel: list[str] = Field(description="The panel's insurer codes (empty in the public view).")
    panel_size: int
    current: PanelFigures
    before: PanelFigures
    change: dict[str, str | None] = Field(description="Per figure: current / before - 1, rounded as ratios.")


class ReferenceValue(_Model):
    region: str
    year: int
    indicator: Literal["population", "gdp_cny", "market_premium_cny"]
    value: str
    source: str
    version: int


class TargetGap(_Model):
    region: str
    name: LangText
    indicator: str
    year: int = Field(description="The target's year.")
    target: str
    value: Decimal_ = Field(description="The latest value at or before the target's year (null: none stored).")
    value_year: int | None
    gap: Decimal_ = Field(description="target - value (positive: still to go).")
    unit: Literal["cny", "ratio", "cny_per_person", "persons"]
    citation: str


class GroupDef(_Model):
    id: str
    categories: list[str]
    name: LangText


class PeerPosition(_Model):
    """One insurer in one period, with its percentile among the period's scored insurers on each indicator."""

    period: str
    insurer: str
    name: str | None
    category: str | None
    group: str | None = Field(description="Its institution group (item 9), by the ruleset.")
    state_owned: bool
    run_id: int | None = Field(description="The latest run that scored the submission; null: never scored.")
    compliance: Decimal_
    blocking: bool | None
    variety: Decimal_
    coverage: Decimal_
    protection: Decimal_
    service: Decimal_
    index: Decimal_
    percentiles: dict[Dimension, str | None] = Field(
        description="Per indicator: 100 x the share of the period's scored insurers scoring at or below it."
    )
    positions: dict[Dimension, Position | None]


class MarketMethod(_Model):
    ruleset: RulesetRef
    from_: str = Field(alias="from")
    citation: str
    interpretation: bool
    index_weights: dict[Dimension, str]
    index_citation: str
    leading_at_least: str
    lagging_at_most: str
    peer_citation: str
    groups: list[GroupDef]
    groups_citation: str
    row_weight: str = Field(description="The volume a region's or line's scores weigh by.")
    row_weight_citation: str
    row_weight_interpretation: bool


class Market(_Model):
    """`inclusive-check market --format json`: the breakdown asked for, the market's trend and peer positions."""

    schema_: Literal["inclusive-check/market/2"] = Field(MARKET_SCHEMA, alias="schema")
    by: Literal["region", "prefecture", "line", "category", "ownership", "insurer"]
    period: str | None = Field(description="As `run --period`: a year holds its annual and quarterly periods.")
    insurer: str | None
    method: MarketMethod
    periods: list[str] = Field(description="The stored periods shown: the annual series, then the quarterly.")
    rows: list[MarketRow]
    market: list[MarketRow] = Field(description="The whole market, one row per period: its trend, per series.")
    crosstab: list[CrossCell] = Field(description="Region (province) x line.")
    year_on_year: list[YearOnYear]
    reference: list[ReferenceValue] = Field(description="The reference figures used, each with its source.")
    targets: list[TargetGap] | None = Field(description="With --targets: value, target and gap.")
    peers: list[PeerPosition]


class DisclosureMethod(_Model):
    ruleset: RulesetRef
    from_: str = Field(alias="from")
    min_insurers: int
    dominance_percent: str
    citation: str
    interpretation: bool


class PublicCell(_Model):
    """One published aggregate; a suppressed cell carries no figure."""

    period: str
    series: Series
    table: Literal["market", "region", "city", "line"]
    key: str = Field(description="Province or city code, line, `market`, or `other` (not broken down).")
    name: LangText
    parent: str | None
    insurers: int | None
    policies: int | None
    insured_persons: int | None
    premium_cny: Decimal_
    claims_paid_cny: Decimal_
    loss_ratio: Decimal_
    suppressed: Literal["primary", "complementary"] | None = Field(
        description="primary: fewer insurers than the threshold, or one holds more than the dominance share; "
        "complementary: withheld so that the published totals cannot reveal a primary cell."
    )


class PublicMarket(_Model):
    """`inclusive-check market --public --format json` and the portal's /public/market: no insurer named."""

    schema_: Literal["inclusive-check/public-market/1"] = Field(PUBLIC_MARKET_SCHEMA, alias="schema")
    period: str | None
    method: DisclosureMethod
    periods: list[str]
    cells: list[PublicCell]
