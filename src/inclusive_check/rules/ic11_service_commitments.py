"""Ensure service commitments are published wherever inclusive business is done.

Item 11 requires insurers to publish their service commitments at their business premises, at
agency premises or on their own online platforms. Read as: always on the premises; on agency
sites when any product is sold through an agency-type channel; online when any product is sold
online. Which channels count as agency sites is a ruleset parameter (an interpretation).

Non-compliant::

    products: [{channels: [direct, online], ...}]
    service: {commitments_published: {premises: true, agency_sites: false, online: false}}

Compliant::

    service: {commitments_published: {premises: true, agency_sites: false, online: true}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Final, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Connection, and_, exists, or_, select

from ..store import tables as t
from .base import Params as _Params
from .base import Scope, Verdict, channel_used, status_case, submission_scope

ID = "IC11-SERVICE-COMMITMENTS"
CLAUSE = 11
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {
    "en": "Ensure service commitments are published on premises, agency sites and online wherever business is done",
    "zh": "在营业场所、代理场所或自营网络平台公示服务承诺",
}
MESSAGES = {
    "pass": {"en": "{subject}: commitments published where required ({actual}).",
             "zh": "{subject}：已在要求的场所公示服务承诺（{actual}）。"},
    "fail": {"en": "{subject}: service commitments are not published everywhere business is done: {actual}; "
                   "required {expected}.",
             "zh": "{subject}：未在开展业务的全部场所公示服务承诺：{actual}，要求{expected}。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    agency_site_channels: Annotated[list[Literal["agency", "broker", "postal", "bank"]], Field(min_length=1)]


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    s, pr = t.Submission, t.Product

    def uses(condition: ColumnElement[bool]) -> Any:
        return exists(select(pr.id).where(pr.submission_id == s.id, condition))

    agency, online = uses(channel_used(p.agency_site_channels)), uses(channel_used(["online"]))
    passed = and_(s.commitments_premises.is_(True),
                  or_(~agency, s.commitments_agency_sites.is_(True)),
                  or_(~online, s.commitments_online.is_(True)))
    query = submission_scope(scope).with_only_columns(
        s.id, s.commitments_premises, s.commitments_agency_sites, s.commitments_online,
        agency.label("agency"), online.label("online"), status_case(passed))
    for row in conn.execute(query):
        need = {"premises": True, "agency_sites": bool(row.agency), "online": bool(row.online)}
        have = {"premises": row.commitments_premises, "agency_sites": row.commitments_agency_sites,
                "online": row.commitments_online}
        expected = ", ".join(k for k, v in need.items() if v)
        missing = [k for k, v in need.items() if v and not have[k]]
        actual = "published: " + (", ".join(k for k, v in have.items() if v) or "nowhere")
        if missing:
            actual += "; missing: " + ", ".join(missing)
        # A failure points at the one place it is missing from (several: the commitments object).
        subject = "/service/commitments_published" + (f"/{missing[0]}" if len(missing) == 1 else "")
        yield Verdict(row.id, subject, row.status, expected, actual)
