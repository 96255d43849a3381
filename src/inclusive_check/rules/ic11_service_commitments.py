"""Ensure service commitments are published wherever inclusive business is done.

Item 11 requires insurers to publish their service commitments at their business premises, at
agency premises or on their own online platforms. Read as owed where the inclusive business is done
(an interpretation; the channel sets are ruleset parameters): on the premises when an inclusive product
is sold directly, on agency sites when one is sold through an agency-type channel, online when one is
sold online. Only the channels of inclusive products count (dedicated, or naming a target group or risk
area); an online-only insurer need not publish on premises. Whatever the channels (brokers only included),
an insurer selling an inclusive product that publishes its commitments nowhere fails: the item owes them
somewhere. No inclusive product: not applicable.

Non-compliant::

    products: [{dedicated_inclusive: true, channels: [direct, online], ...}]
    service: {commitments_published: {premises: true, agency_sites: false, online: false}}

Compliant::

    service: {commitments_published: {premises: true, agency_sites: false, online: true}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import Connection, and_, case, or_

from ..store import tables as t
from ._service import NONE_SOLD, SOLD
from .base import Params as _Params
from .base import Scope, sells_inclusive, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC11-SERVICE-COMMITMENTS"
CLAUSE = 11
KINDS = ("submission",)
TITLE = {
    "en": "Ensure service commitments are on display wherever inclusive products are sold: premises, agency sites, online",
    "zh": "凡销售普惠保险产品的场所（自有网点、代理网点、线上平台）均须展示服务承诺",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: commitments are on display wherever inclusive products are sold ({actual}).",
        "zh": "{subject}：销售普惠产品的场所均已展示服务承诺（{actual}）。",
    },
    "fail": {
        "en": "{subject}: commitments are missing where inclusive products are sold ({actual}); needed at: {expected}.",
        "zh": "{subject}：部分销售普惠产品的场所未展示服务承诺（{actual}）；应展示于：{expected}。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


SiteChannel = Literal["direct", "agency", "broker", "postal", "bank", "online"]
PLACES = ("premises", "agency_sites", "online")
SOMEWHERE = "published in at least one place (no channel sold through names a place)"


class Params(_Params):
    premises_channels: Annotated[list[SiteChannel], Field(min_length=1)]
    agency_site_channels: Annotated[list[SiteChannel], Field(min_length=1)]
    online_channels: Annotated[list[SiteChannel], Field(min_length=1)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    need = [sells_inclusive(p.premises_channels), sells_inclusive(p.agency_site_channels)]
    need.append(sells_inclusive(p.online_channels))
    have = [s.commitments_premises, s.commitments_agency_sites, s.commitments_online]
    passed = and_(*[or_(~n, h.is_(True)) for n, h in zip(need, have, strict=True)])
    somewhere = or_(*[h.is_(True) for h in have])
    status = case((~sells_inclusive(), "not_applicable"), (passed & somewhere, "pass"), else_="fail").label("status")
    query = submission_scope(scope).with_only_columns(
        s.id, *have, *[n.label(f"need_{place}") for n, place in zip(need, PLACES, strict=True)], status
    )
    for row in conn.execute(query):
        needed = [place for place in PLACES if row._mapping[f"need_{place}"]]
        if row.status == "not_applicable":
            yield finding(row.id, "/service/commitments_published", "not_applicable", SOLD, NONE_SOLD)
            continue
        published = {
            "premises": row.commitments_premises,
            "agency_sites": row.commitments_agency_sites,
            "online": row.commitments_online,
        }
        missing = [place for place in needed if not published[place]]
        actual = "published: " + (", ".join(k for k, v in published.items() if v) or "nowhere")
        if missing:
            actual += "; missing: " + ", ".join(missing)
        # A failure points at the one place it is missing from (several, or none named: the commitments object).
        subject = "/service/commitments_published" + (f"/{missing[0]}" if len(missing) == 1 else "")
        yield finding(row.id, subject, row.status, ", ".join(needed) or SOMEWHERE, actual)
