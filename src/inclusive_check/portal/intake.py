"""What the file says, the portal believes: an upload's insurer, period and kind are read from the document.

The filer sends only the file (page ``POST /file``, API ``POST /api/revisions``). A document of another insurer
is refused at ``/insurer/code``; a period the filing calendar does not open is refused with the reason
(``/reporting_period``); a product filing is refused at ``/kind`` (the portal takes submissions). A refusal stores
nothing. A document that is not valid is recorded as an invalid revision when its insurer and period can still be
read from it (its problems are then shown located), and refused with its problems when they cannot.
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
from ..contract.models import Submission
from ..periods import PERIOD
from ..store.board import submission_kind
from ..store.season import calendar_is_empty, calendar_period
from . import service
from .api import User as ApiUser
from .http import problem, read_body, read_upload
from .models import Revision as RevisionOut
from .web import User, _address, _back, _field, _portal, form, render

router = APIRouter()
pages = APIRouter(include_in_schema=False)
SOURCE = "upload"


def _peek(raw: bytes, suffix: str) -> tuple[str | None, str | None]:
    """The insurer code and period an invalid document still states, when it can be read at all."""
    try:
        text = raw.decode("utf-8")  # the contract's loader: no aliases, no absurd numbers
        data = yaml.load(text, Loader=YamlLoader) if suffix in (".yaml", ".yml") else json.loads(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    insurer = data.get("insurer")
    code = insurer.get("code") if isinstance(insurer, dict) else None
    period = data.get("reporting_period")
    ok_period = isinstance(period, str) and PERIOD.match(period) is not None
    return (code if isinstance(code, str) else None), (period if ok_period else None)


def _refuse(raw: bytes, suffix: str, pointer: str, message: str) -> service.Refused:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return service.Refused([Problem(SOURCE + suffix, pointer, message)])
    return service.Refused(locate_messages(SOURCE + suffix, text, suffix in (".yaml", ".yml"), [(pointer, message)]))


def period_closed(engine: Engine, period: str, today: date) -> str | None:
    """Why ``period`` is not open for a submission by the calendar, or None (open; no calendar: every period)."""
    with engine.connect() as conn:
        if calendar_is_empty(conn):
            return None
        entry = calendar_period(conn, period)
    if entry is None:
        return f"{period} is not open for filing: the filing calendar does not list it"
    if today < entry.opens:
        return f"{period} is not open for filing yet: it opens on {entry.opens.isoformat()}"
    kind = submission_kind(period)
    if kind not in entry.due:
        return f"no {kind.replace('_', ' ')} is due for {period} in the filing calendar"
    return None


def read_filing(engine: Engine, user: service.User, raw: bytes, suffix: str, today: date) -> tuple[str, str]:
    """The (insurer, period) the document states, once it passed every check; ``service.Refused`` otherwise."""
    if user.supervisor or user.insurer is None:
        raise service.NotFound("supervisors do not upload")
    loaded = parse_bytes(raw, SOURCE + suffix, suffix)
    doc = loaded.document
    if doc is not None and not isinstance(doc, Submission):
        raise _refuse(
            raw, suffix, "/kind", "the portal takes an insurer's submission; check product filings with `check`"
        )
    if isinstance(doc, Submission):
        insurer, period = doc.insurer.code, doc.reporting_period
    else:
        code, stated = _peek(raw, suffix)
        if code is None or stated is None:  # nothing says whose filing it is: refused with its problems
            raise service.Refused(loaded.problems)
        insurer, period = code, stated
    if insurer != user.insurer:
        raise _refuse(raw, suffix, "/insurer/code", f"the document is insurer {insurer}'s; you file for {user.insurer}")
    reason = period_closed(engine, period, today)
    if reason is not None:
        raise _refuse(raw, suffix, "/reporting_period", reason)
    return insurer, period


def _file(engine: Engine, portal: Any, user: service.User, address: str, raw: bytes, suffix: str) -> tuple[str, int]:
    insurer, period = read_filing(engine, user, raw, suffix, service.now().date())
    sequence = service.upload(engine, portal.ruleset, user, address, insurer, period, raw, suffix, portal.as_of)
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
