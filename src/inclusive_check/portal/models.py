"""The typed models the portal's services return and its API publishes (docs/openapi.json): a user, a revision
with its findings, responses, requests, receipt and reviews, a filing, a status row, an audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..contract.outputs import SubmissionResult

TEXT_LIMIT = 4000  # characters of a response, reason or note
# The store keeps UTC times without a zone; the API states it (RFC 3339 date-times).
Time = Annotated[datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=UTC))]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    insurer: str | None

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    def may_see(self, insurer: str) -> bool:
        return self.supervisor or insurer == self.insurer


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    carried_from: int | None = Field(
        None, description="Carried over from this earlier revision (same finding fingerprint); null: written here."
    )


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
    product_code: str | None = Field(None, description="A product filing's product code (null: a submission).")
    filing_date: date | None = Field(None, description="A product filing's filing date (null: a submission).")
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
    period: str = Field(description="The period, or a product filing's key (its product code and date beside it).")
    product_code: str | None = None
    filing_date: date | None = None


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
    product_code: str | None = None  # a product filing's
    filing_date: date | None = None


class ReviewOut(_Out):
    sequence: int
    action: Literal["accepted", "returned"]
    note: str


class AuditEntry(_Out):
    id: int
    at: Time
    actor: str
    address: str
    action: str
    insurer: str | None
    period: str | None
    detail: dict[str, Any]
