"""The ruleset's market parameters added with region weighting and public disclosure (ruleset_models.py's ``Market``
holds them): which volume a region's or a line's scores weigh by, and the disclosure thresholds k and p."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Measure = Literal["premium_cny", "insured_persons", "policies"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RowWeight(_Model):
    """A region's or a line's score columns: each submission's scores weighted by its volume there."""

    citation: str
    interpretation: bool = False
    start: date = Field(alias="from")
    measure: Measure


class Disclosure(_Model):
    """The public view: a cell is published only with at least ``min_insurers`` insurers and no insurer holding
    more than ``dominance_percent`` of any of its figures."""

    citation: str
    interpretation: bool = False
    start: date = Field(alias="from")
    min_insurers: int = Field(ge=1)
    dominance_percent: Decimal = Field(gt=0, le=100)


DEFAULT_ROW_WEIGHT = RowWeight(
    citation="Default: each submission's scores weigh by its inclusive premium in the row (a ruleset without "
    "market.row_weight)",
    interpretation=True,
    start=date(2024, 5, 29),
    measure="premium_cny",
)
DEFAULT_DISCLOSURE = Disclosure(
    citation="Default: at least 3 insurers per cell, none above 85% of a cell's figure (a ruleset without "
    "market.disclosure)",
    interpretation=True,
    start=date(2024, 5, 29),
    min_insurers=3,
    dominance_percent=Decimal(85),
)
