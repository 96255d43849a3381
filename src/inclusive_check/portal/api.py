"""The JSON API under /api: bearer tokens only (so no cookie, hence no CSRF), one route per action of
docs/portal.md, each answering with a published model or an RFC 9457 problem."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..contract.outputs import DiffResult
from . import service
from .decisions import rejudger
from .http import Portal, api_user, read_body
from .models import (
    TEXT_LIMIT,
    AuditEntry,
    DispensationRequest,
    Filing,
    FilingRow,
    Receipt,
    ReviewOut,
    Revision,
    StatusRow,
)

INSURER = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", description="The insurer's code.")]
PERIOD = Annotated[
    str,
    Path(
        pattern=r"^((19|20|21)[0-9]{2}(-Q[1-4])?|P[0-9a-f]{9})$",
        description="A year or a quarter; or a product filing's key (its revisions' `period`).",
    ),
]
SEQUENCE = Annotated[int, Path(ge=1, le=2**31 - 1, description="The revision's sequence number.")]
FINGERPRINT = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A finding's fingerprint.")]
PERIOD_QUERY = Annotated[str | None, Query(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")]
User = Annotated[service.User, Depends(api_user)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details, with the located problems of an invalid document when there are any."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "Bad request",
        401: "No valid bearer token",
        404: "Not found (or not yours)",
        409: "The filing's state refuses it",
        413: "Upload too large",
        422: "Refused content",
        429: "Too many requests",
    }.items()
}


class Me(_Out):
    name: str
    role: Literal["filer", "supervisor"]
    insurer: str | None


class ResponseIn(BaseModel):
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)


class RequestIn(BaseModel):
    fingerprint: str = Field(pattern=r"^[0-9a-f]{32}$")
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)


class SignIn(BaseModel):
    attest: bool = Field(description="I have verified the data behind these findings.")


class ReviewIn(BaseModel):
    action: Literal["accepted", "returned"]
    note: str = Field("", max_length=TEXT_LIMIT)


class DecisionIn(BaseModel):
    approve: bool
    expires: date | None = Field(None, description="The dispensation's last day (required to approve).")
    note: str = Field("", max_length=TEXT_LIMIT)


router = APIRouter(prefix="/api", responses=PROBLEMS)


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


@router.get("/me", response_model=Me)
def me(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "insurer": user.insurer}


@router.get("/filings", response_model=list[FilingRow])
def list_filings(request: Request, user: User, period: PERIOD_QUERY = None) -> list[FilingRow]:
    p = _portal(request)
    return service.filings(p.engine, p.config, user, period)


@router.post(
    "/filings/{insurer}/{period}/revisions",
    status_code=201,
    response_model=Revision,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The submission's bytes (JSON, or YAML with Content-Type application/yaml).",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def upload(request: Request, insurer: INSURER, period: PERIOD, user: User) -> Revision:
    """Upload the next revision: answered with its problems (invalid) or its findings and score."""
    p = _portal(request)
    raw = await read_body(request, p.config.max_upload_bytes)
    suffix = ".yaml" if "yaml" in request.headers.get("content-type", "") else ".json"
    address = _address(request)
    sequence = await run_in_threadpool(
        service.upload, p.engine, p.ruleset, user, address, insurer, period, raw, suffix, p.as_of
    )
    return await run_in_threadpool(service.revision, p.engine, user, insurer, period, sequence)


@router.get("/filings/{insurer}/{period}", response_model=Filing)
def get_filing(request: Request, insurer: INSURER, period: PERIOD, user: User) -> Filing:
    p = _portal(request)
    return service.filing(p.engine, p.config, user, insurer, period)


@router.get("/filings/{insurer}/{period}/revisions/{sequence}", response_model=Revision)
def get_revision(request: Request, insurer: INSURER, period: PERIOD, sequence: SEQUENCE, user: User) -> Revision:
    return service.revision(_portal(request).engine, user, insurer, period, sequence)


@router.put("/filings/{insurer}/{period}/revisions/{sequence}/responses/{fingerprint}", response_model=Revision)
def put_response(
    request: Request,
    insurer: INSURER,
    period: PERIOD,
    sequence: SEQUENCE,
    fingerprint: FINGERPRINT,
    body: ResponseIn,
    user: User,
) -> Revision:
    engine = _portal(request).engine
    service.respond(engine, user, _address(request), insurer, period, sequence, fingerprint, body.text)
    return service.revision(engine, user, insurer, period, sequence)


@router.post(
    "/filings/{insurer}/{period}/revisions/{sequence}/dispensation-requests",
    status_code=201,
    response_model=DispensationRequest,
)
def post_request(
    request: Request, insurer: INSURER, period: PERIOD, sequence: SEQUENCE, body: RequestIn, user: User
) -> DispensationRequest:
    engine = _portal(request).engine
    request_id = service.request_dispensation(
        engine, user, _address(request), insurer, period, sequence, body.fingerprint, body.reason
    )
    rows = service.revision(engine, user, insurer, period, sequence).requests
    return next(r for r in rows if r.id == request_id)


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/signature", status_code=201, response_model=Receipt)
def post_signature(
    request: Request, insurer: INSURER, period: PERIOD, sequence: SEQUENCE, body: SignIn, user: User
) -> Receipt:
    engine = _portal(request).engine
    return service.sign(engine, user, _address(request), insurer, period, sequence, body.attest)


@router.get("/filings/{insurer}/{period}/diff", response_model=DiffResult)
def get_diff(
    request: Request,
    insurer: INSURER,
    period: PERIOD,
    user: User,
    before: Annotated[int, Query(ge=1, le=2**31 - 1)],
    after: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Any:
    return service.diff(_portal(request).engine, user, insurer, period, before, after)


@router.post("/filings/{insurer}/{period}/review", response_model=ReviewOut)
def post_review(request: Request, insurer: INSURER, period: PERIOD, body: ReviewIn, user: User) -> ReviewOut:
    engine = _portal(request).engine
    return service.review(engine, user, _address(request), insurer, period, body.action, body.note)


@router.get("/board", response_model=list[StatusRow])
def get_board(
    request: Request, user: User, period: Annotated[str, Query(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")]
) -> list[StatusRow]:
    p = _portal(request)
    return service.board(p.engine, p.config, user, period)


@router.get("/dispensation-requests", response_model=list[DispensationRequest])
def list_requests(
    request: Request, user: User, state: Literal["pending", "approved", "refused"] | None = None
) -> list[DispensationRequest]:
    return service.dispensation_requests(_portal(request).engine, user, state)


@router.post("/dispensation-requests/{request_id}/decision", response_model=DispensationRequest)
def post_decision(
    request: Request,
    request_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: User,
    body: Annotated[DecisionIn, Body()],
) -> DispensationRequest:
    p = _portal(request)
    rejudge = rejudger(p.ruleset, p.as_of)  # an approval applies at once (portal/decisions.py)
    return service.decide(p.engine, user, _address(request), request_id, body.approve, body.expires, body.note, rejudge)


@router.get("/audit", response_model=list[AuditEntry])
def get_audit(request: Request, user: User, limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[AuditEntry]:
    return service.audit_log(_portal(request).engine, user, limit)
