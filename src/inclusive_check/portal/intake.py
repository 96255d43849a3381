"""What the file says, the portal believes: an upload's insurer, period and kind are read from the document.

The filer sends only the file (page ``POST /file``, API ``POST /api/revisions``). A document of another insurer
is refused at ``/insurer/code`` (``/insurer_code``); a period the filing calendar does not open is refused with
the reason (``/reporting_period``; a product filing's: ``/filing_date``, by its quarter's product filings). A
product filing's revisions are numbered per insurer, product code and filing date (revisions.product_key). A
refusal stores nothing. A document that is not valid is recorded as an invalid revision when its insurer and
period can still be read from it (its problems are then shown located), and refused with its problems when they
cannot.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..contract.load import Problem, YamlLoader, locate_messages, parse_bytes
from ..contract.models import ProductFiling, Submission
from ..periods import PERIOD, quarter_of
from ..store.board import submission_kind
from ..store.season import calendar_is_empty, calendar_period
from . import service
from .api import User as ApiUser
from .http import problem, read_body, read_upload
from .models import Revision as RevisionOut
from .revisions import product_key
from .web import User, _address, _back, _field, _portal, form, render

router = APIRouter()
pages = APIRouter(include_in_schema=False)
SOURCE = "upload"


def _peek(raw: bytes, suffix: str) -> tuple[str | None, str | None, tuple[str, date] | None]:
    """The insurer code and period (a product filing's key, with its code and date) an invalid document still
    states, when they can be read at all."""
    try:
        text = raw.decode("utf-8")  # the contract's loader: no aliases, no absurd numbers
        data = yaml.load(text, Loader=YamlLoader) if suffix in (".yaml", ".yml") else json.loads(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    if data.get("kind") == "product_filing":
        code, product = data.get("insurer_code"), data.get("product")
        product_code = product.get("code") if isinstance(product, dict) else None
        try:
            filed = date.fromisoformat(str(data.get("filing_date")))
        except ValueError:
            return None, None, None
        if not isinstance(code, str) or not isinstance(product_code, str) or not product_code:
            return None, None, None
        return code, product_key(product_code, filed), (product_code, filed)
    insurer = data.get("insurer")
    code = insurer.get("code") if isinstance(insurer, dict) else None
    period = data.get("reporting_period")
    ok_period = isinstance(period, str) and PERIOD.match(period) is not None
    return (code if isinstance(code, str) else None), (period if ok_period else None), None


def _refuse(raw: bytes, suffix: str, pointer: str, message: str) -> service.Refused:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return service.Refused([Problem(SOURCE + suffix, pointer, message)])
    return service.Refused(locate_messages(SOURCE + suffix, text, suffix in (".yaml", ".yml"), [(pointer, message)]))


def period_closed(engine: Engine, period: str, today: date, kind: str | None = None) -> str | None:
    """Why ``period`` is not open for a submission (or ``kind``) by the calendar, or None (open; no calendar:
    every period)."""
    with engine.connect() as conn:
        if calendar_is_empty(conn):
            return None
        entry = calendar_period(conn, period)
    if entry is None:
        return f"{period} is not open for filing: the filing calendar does not list it"
    if today < entry.opens:
        return f"{period} is not open for filing yet: it opens on {entry.opens.isoformat()}"
    kind = kind or submission_kind(period)
    if kind not in entry.due:
        return f"no {kind.replace('_', ' ')} is due for {period} in the filing calendar"
    return None


def read_filing(
    engine: Engine, user: service.User, raw: bytes, suffix: str, today: date
) -> tuple[str, str, tuple[str, date] | None]:
    """The (insurer, period, product) the document states, once it passed every check; ``service.Refused``
    otherwise. A product filing's period is its key (revisions.product_key), product its code and filing date."""
    if user.supervisor or user.insurer is None:
        raise service.NotFound("supervisors do not upload")
    loaded = parse_bytes(raw, SOURCE + suffix, suffix)
    doc, product = loaded.document, None
    if isinstance(doc, Submission):
        insurer, period, where = doc.insurer.code, doc.reporting_period, "/insurer/code"
    elif isinstance(doc, ProductFiling):
        product = (doc.product.code, doc.filing_date)
        insurer, period, where = doc.insurer_code, product_key(*product), "/insurer_code"
    else:
        code, stated, product = _peek(raw, suffix)
        if code is None or stated is None:  # nothing says whose filing it is: refused with its problems
            raise service.Refused(loaded.problems)
        insurer, period = code, stated
        where = "/insurer_code" if product else "/insurer/code"
    if insurer != user.insurer:
        raise _refuse(raw, suffix, where, f"the document is insurer {insurer}'s; you file for {user.insurer}")
    if product is not None:
        quarter = quarter_of(product[1])
        reason = period_closed(engine, quarter, today, "product_filings")
        if reason is not None:
            raise _refuse(raw, suffix, "/filing_date", reason)
        return insurer, period, product
    reason = period_closed(engine, period, today)
    if reason is not None:
        raise _refuse(raw, suffix, "/reporting_period", reason)
    return insurer, period, None


def _file(engine: Engine, portal: Any, user: service.User, address: str, raw: bytes, suffix: str) -> tuple[str, int]:
    insurer, period, product = read_filing(engine, user, raw, suffix, service.now().date())
    sequence = service.upload(
        engine, portal.ruleset, user, address, insurer, period, raw, suffix, portal.as_of, product
    )
    return period, sequence


@router.post(
    "/api/revisions",
    status_code=201,
    response_model=RevisionOut,
    summary="Upload a submission; its insurer and period are read from it",
    responses={422: {"description": "refused, nothing stored: `errors` locate why (pointer, line, column)"}},
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
async def post_revision(request: Request, user: ApiUser) -> Any:
    """Upload the next revision of the filing the document names (its insurer and reporting period): answered
    with the revision (its problems, or its findings and score), or refused (422, nothing stored) when it is
    another insurer's document or its period is not open in the filing calendar."""
    p = _portal(request)
    raw = await read_body(request, p.config.max_upload_bytes)
    suffix = ".yaml" if "yaml" in request.headers.get("content-type", "") else ".json"
    period, sequence = await run_in_threadpool(_file, p.engine, p, user, _address(request), raw, suffix)
    assert user.insurer is not None
    revision = await run_in_threadpool(service.revision, p.engine, user, user.insurer, period, sequence)
    return JSONResponse(revision.model_dump(mode="json"), 201)


async def refused_json(request: Request, exc: Exception) -> JSONResponse:
    """A refused upload (any API route): 422 with each located problem in ``errors``; nothing was stored."""
    assert isinstance(exc, service.Refused)
    errors = [x.as_dict() for x in exc.problems]
    return problem(422, "Unprocessable content", f"refused; nothing was stored: {exc}", request, errors=errors)


@pages.post("/file")
async def file_page(request: Request, user: User) -> Response:
    """The filer's upload form: only the file; its insurer and period are the document's."""
    data = await form(request, max_files=1)
    file = data.get("file")
    if not isinstance(file, UploadFile):
        return render(request, "message.html.j2", status=422, message="choose a file", back="/")
    p = _portal(request)
    raw = await read_upload(file, p.config.max_upload_bytes)
    suffix = ".yaml" if (file.filename or "").lower().endswith((".yaml", ".yml")) else ".json"
    _field(data, "csrf")
    try:
        period, sequence = await run_in_threadpool(_file, p.engine, p, user, _address(request), raw, suffix)
    except service.Refused as exc:
        return render(request, "refused.html.j2", status=422, problems=exc.problems, user=user)
    except service.Conflict as exc:
        return render(request, "message.html.j2", status=409, message=str(exc), back="/", user=user)
    return _back(f"/filings/{user.insurer}/{period}/revisions/{sequence}")
