"""The ASGI application: ``create_app`` for tests and ``app`` (from the environment) for uvicorn's workers."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from fastapi import FastAPI

from .. import __version__
from ..ruleset import Ruleset, load_ruleset
from ..store.db import open_store
from .config import PortalConfig, load_config
from .http import Portal, SecurityHeaders, install_error_handlers

CONFIG_ENV = "INCLUSIVE_CHECK_PORTAL_CONFIG"


def create_app(
    url: str | None = None,
    config: PortalConfig | None = None,
    ruleset: Ruleset | None = None,
    as_of: date | None = None,
) -> FastAPI:
    """The portal on the database at ``url`` (migrated when behind, as the writing commands do)."""
    from . import accounts_api, api, board, bulk, intake, notify_routes, pages, public, review_pages, service

    app = FastAPI(
        title="inclusive-check filing portal",
        version=__version__,
        description="Insurers file and attest; supervisors review, approve and accept (docs/portal.md).",
        docs_url=None,  # the interactive pages fetch scripts from a CDN, which the CSP forbids
        redoc_url=None,
    )
    app.state.portal = Portal(open_store(url), config or PortalConfig(), ruleset or load_ruleset(None), as_of)
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(accounts_api.router)
    app.include_router(pages.router)
    app.include_router(review_pages.router)  # the supervisor's review pages
    app.include_router(bulk.router)  # answers in a workbook, several decisions at once
    app.include_router(public.router)
    app.include_router(board.router)  # the season's board pages (portal/board.py)
    app.include_router(intake.router)  # uploads whose insurer and period the document states (portal/intake.py)
    app.include_router(intake.pages)
    app.add_exception_handler(service.Refused, intake.refused_json)
    notify_routes.install(app)  # the inbox (page and API) and the scheduled sender (portal/notify_routes.py)
    pages.install_page_handlers(app)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` (each worker): database and configuration from the environment."""
    config = os.environ.get(CONFIG_ENV)
    return create_app(os.environ.get("INCLUSIVE_CHECK_DATABASE_URL"), load_config(Path(config) if config else None))
