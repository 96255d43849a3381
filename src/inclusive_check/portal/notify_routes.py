"""The notifications in the portal: each account's inbox (page ``/inbox``, API ``/api/notifications``), read and
unread, and the server's scheduled sender. ``install(app)`` is the one line app.py has for all of it.

The inbox is brought up to date when it is opened (store.notify.enqueue: idempotent), so it shows every event
whether or not anything sends e-mail. The scheduled sender runs every ``[notify] interval_seconds`` (off when 0,
the default) in each worker of each node: the outbox's claims keep every message to one delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..store import notify as outbox
from ..store.db import fault_message
from . import notify_mail, notify_service
from . import notify_texts as texts
from .api import PROBLEMS
from .api import User as ApiUser
from .http import Portal
from .models import Time
from .pages import User, _back, _lang, _portal, form, render

log = logging.getLogger("inclusive_check.portal.notify")
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", responses=PROBLEMS)
NOTIFICATION = Annotated[int, Path(ge=1, le=2**31 - 1, description="A notification's id.")]


class Notification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    event_key: str = Field(description="The event's stable key (one notification per event and recipient).")
    kind: Literal[
        "revision_received",
        "revision_signed",
        "filing_returned",
        "filing_accepted",
        "dispensation_decided",
        "due_soon",
        "overdue",
    ]
    insurer: str | None
    period: str | None
    detail: dict[str, Any]
    at: Time
    read: bool
    read_at: Time | None
    email: Literal["pending", "sending", "sent", "failed", "unknown", "no_address"] = Field(
        description="The e-mail's state."
    )
    title: str = Field(description="What happened, in the language asked for (?lang=zh|en, default zh).")
    lines: list[str]
    link: str | None = Field(description="The portal page it is about (a path).")


class Marked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marked: int = Field(description="How many notifications were unread and are now read.")


def _refresh(portal: Portal) -> None:
    """Enqueue what happened since the last step (idempotent), so that the inbox is current."""
    now = notify_mail._now()
    outbox.enqueue(portal.engine, now.date(), portal.config.notify.due_days, now)


async def _listing(request: Request, user: Any, unread: bool, lang: str) -> list[dict[str, Any]]:
    portal = _portal(request)
    await run_in_threadpool(_refresh, portal)
    return await run_in_threadpool(notify_service.inbox, portal.engine, user, unread, lang)


@pages.get("/inbox")
async def inbox_page(request: Request, user: User) -> HTMLResponse:
    lang = _lang(request)
    unread = request.query_params.get("unread") == "1"
    rows = await _listing(request, user, unread, lang)
    return render(
        request, "inbox.html.j2", user=user, rows=rows, unread=unread, n=lambda key: texts.page_text(key, lang)
    )


@pages.post("/inbox/read-all")
async def read_all_page(request: Request, user: User) -> Response:
    await form(request)
    await run_in_threadpool(notify_service.mark_read, _portal(request).engine, user, None)
    return _back("/inbox")


@pages.post("/inbox/{notification}/read")
async def read_page(request: Request, notification: int, user: User) -> Response:
    await form(request)
    await run_in_threadpool(notify_service.mark_read, _portal(request).engine, user, notification)
    return _back(f"/inbox#n-{notification}")


@api.get("/notifications", response_model=list[Notification])
async def list_notifications(
    request: Request,
    user: ApiUser,
    unread: bool = False,
    lang: Annotated[Literal["zh", "en"], Query(description="The titles' language.")] = "zh",
) -> list[dict[str, Any]]:
    """The caller's notifications, newest first (at most 200): a filer's are its insurer's only."""
    return await _listing(request, user, unread, lang)


@api.post("/notifications/{notification}/read", response_model=Marked)
async def read_notification(request: Request, notification: NOTIFICATION, user: ApiUser) -> dict[str, int]:
    """Mark one of the caller's notifications read (another's answers 404)."""
    engine = _portal(request).engine
    return {"marked": await run_in_threadpool(notify_service.mark_read, engine, user, notification)}


@api.post("/notifications/read", response_model=Marked)
async def read_all(request: Request, user: ApiUser) -> dict[str, int]:
    """Mark every notification of the caller read."""
    return {"marked": await run_in_threadpool(notify_service.mark_read, _portal(request).engine, user, None)}


async def _schedule(portal: Portal, interval: int) -> None:
    """Every ``interval`` seconds: enqueue and deliver (notify_mail.send_once); problems are logged plainly."""
    node = notify_mail.node_name()
    while True:
        await asyncio.sleep(interval)
        try:
            out = await run_in_threadpool(notify_mail.send_once, portal.engine, portal.config.notify, node)
        except Exception as exc:  # logged (a bug with its traceback, in the server's log only); serving goes on
            fault = fault_message(exc)
            log.error("notifications: %s", fault or "internal error", exc_info=None if fault else exc)
            continue
        for problem in out.problems:
            log.warning("notifications: %s", problem)
        if out.sent or out.enqueued:
            log.info("notifications: %s", out.summary())


def install(app: FastAPI) -> None:
    """The inbox's routes, and the scheduled sender in the app's lifespan (when interval_seconds > 0)."""
    app.include_router(pages)
    app.include_router(api)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        portal: Portal = application.state.portal
        interval = portal.config.notify.interval_seconds
        task = asyncio.create_task(_schedule(portal, interval)) if interval > 0 else None
        try:
            async with inner(application) as state:
                yield state
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
