"""The JSON API under /api: bearer tokens only (so no cookie, hence no CSRF), one route per action of
docs/portal.md, each answering with a published model or an RFC 9457 problem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..contract.outputs import DiffResult, SubmissionResult
from . import service
from .decisions import rejudger
from .http import Portal, api_user, read_body

INSURER = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", description="The insurer's code.")]
PERIOD = Annotated[str, Path(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$", description="A year or a quarter.")]
SEQUENCE = Annotated[int, Path(ge=1, le=2**31 - 1, description="The revision's sequence number.")]
FINGERPRINT = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A finding's fingerprint.")]
PERIOD_QUERY = Annotated[str | None, Query(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")]
User = Annotated[service.User, Depends(api_user)]
# The store keeps UTC times without a zone; the API states it (RFC 3339 date-times).
Time = Annotated[datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=UTC))]


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


class LocatedProblem(_Out):
    file: str
    pointer: str
    line: int | None
    column: int | None
    message: str


class Receipt(_Out):
    insurer: str
    period: str
    sequence: int
    sha256: str
    signer: str
    signed_at: Time
    insurer_name: str | None = None  # as the signed document names it
    ruleset_id: str | None = None  # what judged the signed revision
    ruleset_version: str | None = None
    ruleset_sha256: str | None = None
    tool_version: str | None = None


class Response(_Out):
    text: str
    author: str
    at: Time


class Review(_Out):
    action: Literal["accepted", "returned"]
    note: str
    reviewer: str
    at: Time


class DispensationRequest(_Out):
    id: int
    insurer: str
    period: str
    sequence: int
    fingerprint: str
    rule_id: str
    subject: str
    reason: str
    requested_by: str
    requested_at: Time
    state: Literal["pending", "approved", "refused"]
    decided_by: str | None
    decided_at: Time | None
    note: str | None
    expires: date | None
    dispensation_id: str | None


RevisionState = Literal["invalid", "has_errors", "awaiting_signature", "signed"]
Status = Literal["not_filed", "has_errors", "awaiting_signature", "signed", "late", "returned", "accepted"]


class Revision(_Out):
    insurer: str
    period: str
    sequence: int
    latest: bool
    state: RevisionState
    blocking: bool
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: Time
    problems: list[LocatedProblem] = Field(description="Where the document is not valid (empty when it is).")
    document: SubmissionResult | None = Field(
        description="The judged document (results contract; open and waived findings), null when invalid."
    )
    responses: dict[str, Response] = Field(description="The filer's responses by finding fingerprint.")
    requests: list[DispensationRequest]
    dispensed: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        description="The dispensations that waived findings of this revision, by id: approver, reference, expiry.",
    )
    unanswered: list[str] = Field(description="Fingerprints of findings that need a response before signing.")
    receipt: Receipt | None
    reviews: list[Review]


class StatusRow(_Out):
    insurer: str
    status: Status
    late: bool
    sequence: int | None
    compliance: str | None
    blocking: bool | None
    signed_at: Time | None
    due: date
    name_zh: str | None = None  # from the register, when the calendar lists the period
    name_en: str | None = None
    extension: str | None = None  # the reference of an extension that moved the due date


class FilingRow(StatusRow):
    period: str


class RevisionRow(_Out):
    sequence: int
    state: RevisionState
    blocking: bool
    compliance: str | None
    sha256: str
    uploaded_by: str
    uploaded_at: Time


class Filing(_Out):
    status: StatusRow
    revisions: list[RevisionRow]


class ResponseIn(BaseModel):
    text: str = Field(min_length=1, max_length=service.TEXT_LIMIT)


class RequestIn(BaseModel):
    fingerprint: str = Field(pattern=r"^[0-9a-f]{32}$")
    reason: str = Field(min_length=1, max_length=service.TEXT_LIMIT)


class SignIn(BaseModel):
    attest: bool = Field(description="I have verified the data behind these findings.")


class ReviewIn(BaseModel):
    action: Literal["accepted", "returned"]
    note: str = Field("", max_length=service.TEXT_LIMIT)


class ReviewOut(_Out):
    sequence: int
    action: Literal["accepted", "returned"]
    note: str


class DecisionIn(BaseModel):
    approve: bool
    expires: date | None = Field(None, description="The dispensation's last day (required to approve).")
    note: str = Field("", max_length=service.TEXT_LIMIT)


class AuditEntry(_Out):
    id: int
    at: Time
    actor: str
    address: str
    action: str
    insurer: str | None
    period: str | None
    detail: dict[str, Any]


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
def list_filings(request: Request, user: User, period: PERIOD_QUERY = None) -> list[dict[str, Any]]:
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
async def upload(request: Request, insurer: INSURER, period: PERIOD, user: User) -> dict[str, Any]:
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
def get_filing(request: Request, insurer: INSURER, period: PERIOD, user: User) -> dict[str, Any]:
    p = _portal(request)
    return service.filing(p.engine, p.config, user, insurer, period)


@router.get("/filings/{insurer}/{period}/revisions/{sequence}", response_model=Revision)
def get_revision(request: Request, insurer: INSURER, period: PERIOD, sequence: SEQUENCE, user: User) -> dict[str, Any]:
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
) -> dict[str, Any]:
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
) -> dict[str, Any]:
    engine = _portal(request).engine
    request_id = service.request_dispensation(
        engine, user, _address(request), insurer, period, sequence, body.fingerprint, body.reason
    )
    rows = service.revision(engine, user, insurer, period, sequence)["requests"]
    found: dict[str, Any] = next(r for r in rows if r["id"] == request_id)
    return found


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/signature", status_code=201, response_model=Receipt)
def post_signature(
    request: Request, insurer: INSURER, period: PERIOD, sequence: SEQUENCE, body: SignIn, user: User
) -> dict[str, Any]:
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
def post_review(request: Request, insurer: INSURER, period: PERIOD, body: ReviewIn, user: User) -> dict[str, Any]:
    engine = _portal(request).engine
    return service.review(engine, user, _address(request), insurer, period, body.action, body.note)


@router.get("/board", response_model=list[StatusRow])
def get_board(
    request: Request, user: User, period: Annotated[str, Query(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")]
) -> list[dict[str, Any]]:
    p = _portal(request)
    return service.board(p.engine, p.config, user, period)


@router.get("/dispensation-requests", response_model=list[DispensationRequest])
def list_requests(
    request: Request, user: User, state: Literal["pending", "approved", "refused"] | None = None
) -> list[dict[str, Any]]:
    return service.dispensation_requests(_portal(request).engine, user, state)


@router.post("/dispensation-requests/{request_id}/decision", response_model=DispensationRequest)
def post_decision(
    request: Request,
    request_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: User,
    body: Annotated[DecisionIn, Body()],
) -> dict[str, Any]:
    p = _portal(request)
    rejudge = rejudger(p.ruleset, p.as_of)  # an approval applies at once (portal/decisions.py)
    return service.decide(p.engine, user, _address(request), request_id, body.approve, body.expires, body.note, rejudge)


@router.get("/audit", response_model=list[AuditEntry])
def get_audit(request: Request, user: User, limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    return service.audit_log(_portal(request).engine, user, limit)
