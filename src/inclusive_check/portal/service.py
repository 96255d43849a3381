"""The portal's services by resource, under one name for the callers that take them together (the API, the pages,
the CLI). Each lives in its own module:

- errors.py: what a service refuses with (NotFound, Conflict, Unprocessable, Refused, RateLimited, BadLogin);
- models.py: the typed models the services return (User, Revision, Filing, Receipt, StatusRow, ...);
- security.py: accounts' password hashing, sessions, login rate limits, the pages' CSRF check;
- audit.py: the audit log (written in each change's transaction) and the clock;
- revisions.py: uploads judged by the engine, a revision and a filing read back, the filer's filings;
- answers.py: responses and dispensation requests; signing.py: signature, review, diff;
- dispensation_requests.py: the supervisor's requests and decisions; supervision.py: the board and the market.
"""

from __future__ import annotations

from .answers import request_dispensation, respond
from .audit import audit, audit_log, now
from .dispensation_requests import decide, dispensation_requests
from .errors import BadLogin, Conflict, NotFound, RateLimited, Refused, Unprocessable
from .models import TEXT_LIMIT, User
from .revisions import blocking_finding, filing, filings, needs_response, revision, state_of, upload
from .security import ROLES, create_user, login, logout, session_user
from .signing import diff, review, sign
from .supervision import board, market, product_filings

__all__ = [
    "ROLES",
    "TEXT_LIMIT",
    "BadLogin",
    "Conflict",
    "NotFound",
    "RateLimited",
    "Refused",
    "Unprocessable",
    "User",
    "audit",
    "audit_log",
    "blocking_finding",
    "board",
    "create_user",
    "decide",
    "diff",
    "dispensation_requests",
    "filing",
    "filings",
    "login",
    "logout",
    "market",
    "needs_response",
    "now",
    "product_filings",
    "request_dispensation",
    "respond",
    "review",
    "revision",
    "session_user",
    "sign",
    "state_of",
    "upload",
]
