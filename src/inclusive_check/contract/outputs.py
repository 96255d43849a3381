"""The published shapes of what the tool prints: a run's results, a diff of two runs, and a validation report.

Every report renders a ``Results`` (results.run_results); ``--format json`` prints it as is. The models are the
contract: frozen, unknown fields forbidden, marked by their ``schema`` string, published as JSON Schema
(`inclusive-check schema results|diff|validation`, shipped in contract/schemas/, kept equal by a test). Values read
from the database are trusted: the read side builds them with ``model_construct`` (no validation per finding,
which a market's results would feel); tests validate every JSON output against the published schema instead.

Numbers a person reads (scores, margins) are decimal strings, as stored; dates and times are ISO 8601 strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict

from .market_outputs import MARKET_SCHEMA as MARKET_SCHEMA
from .market_outputs import PUBLIC_MARKET_SCHEMA as PUBLIC_MARKET_SCHEMA
from .market_outputs import Market as Market
from .market_outputs import PublicMarket as PublicMarket
from .output_base import LangText as LangText
from .output_base import RulesetRef as RulesetRef
from .output_base import _Model

RESULTS_SCHEMA: Final = "inclusive-check/results/1"
DIFF_SCHEMA: Final = "inclusive-check/diff/1"
VALIDATION_SCHEMA: Final = "inclusive-check/validation/1"
WHATIF_SCHEMA: Final = "inclusive-check/whatif/1"
RULESET_DIFF_SCHEMA: Final = "inclusive-check/ruleset-diff/1"
REPRODUCTION_SCHEMA: Final = "inclusive-check/reproduction/1"

# A finding's status as a run stores it (what the rules judge)...
StoredStatus = Literal["pass", "fail", "indeterminate", "waived", "not_applicable"]
# ...and its outcome in the results: a failure of an encouraged obligation is "not_covered", never "fail" (it
# counts in the score as a failure does, but is no breach). Decided once, where findings become results.
Status = Literal["pass", "fail", "indeterminate", "waived", "not_applicable", "not_covered"]
Severity = Literal["error", "warning", "info"]
Strength = Literal["mandatory", "principle", "encouraged", "flag"]
Band = Literal["good", "fair", "poor", "none"]
Change = Literal["new", "fixed", "waived", "persisting", "not_rechecked"]
DocumentKind = Literal["submission", "product_filing"]


# The small records inside a finding are typed dicts, not models: a market's results hold hundreds of thousands,
# and a dict of strings is one object the garbage collector skips, where a model is three it walks.


@with_config(ConfigDict(extra="forbid"))
class EvidenceText(TypedDict):
    expected: str
    actual: str


@with_config(ConfigDict(extra="forbid"))
class Evidence(TypedDict):
    """A finding's expected and actual values, in each language."""

    en: EvidenceText
    zh: EvidenceText


def in_lang(text: LangText, lang: str) -> str:
    """``text`` in ``lang`` (zh, else en)."""
    return text["zh"] if lang == "zh" else text["en"]


@with_config(ConfigDict(extra="forbid"))
class ProductRef(TypedDict):
    """The product a finding judges, as filed: its stored id, code, name and position in the filed list."""

    id: int
    code: str
    name: str
    position: int


class Parameter(_Model):
    """A ruleset parameter a finding used, as in force on the document's binding date."""

    value: Any = Field(description="The value in force (null: none in force on that date).")
    effective_from: str | None
    citation: str
    interpretation: bool = Field(description="True when the value is our reading of the guidance.")
    authority: str | None = Field(None, description="The overlay authority that set it; null: the base ruleset's.")


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True, slots=True)
class Finding:
    """One judgement of one rule on one subject of a document.

    A frozen dataclass that pydantic validates, serializes and publishes like the models around it: a market's
    results hold hundreds of thousands of findings, and one slotted object each costs a fifth of a model's
    building time and a third of its objects for the garbage collector to walk.
    """

    rule_id: str
    clause: Annotated[int, Field(description="The guidance item the rule checks.")]
    strength: Strength
    severity: Severity
    status: Status
    subject: Annotated[str, Field(description="JSON Pointer into the document ('' for the whole document).")]
    line: Annotated[
        int | None,
        Field(
            description="Where the subject (or, when the document has no such value, its nearest ancestor) is "
            "in the document's text: 1-based line; null when not located."
        ),
    ]
    column: Annotated[
        int | None, Field(description="1-based column of that line, in Unicode code points; null when not located.")
    ]
    key: str
    expected: Annotated[str, Field(description="As stored, in English.")]
    actual: Annotated[str, Field(description="As stored, in English.")]
    margin: Annotated[
        str | None,
        Field(
            description="threshold minus value (or the rule's distance to its "
            "threshold), a decimal string in `unit`, or null."
        ),
    ]
    value: Annotated[str | None, Field(description="The filed figure judged, a decimal string in `unit`, or null.")]
    threshold: Annotated[str | None, Field(description="The figure it is held to, in `unit`, or null.")]
    unit: Annotated[
        str,
        Field(
            description="Unit of value, threshold and margin: rate (a fraction shown as %), "
            "pct, count, cny, days, months, or '' for none."
        ),
    ]
    product: Annotated[ProductRef | None, Field(description="The product judged, or null.")]
    dispensation: Annotated[str | None, Field(description="The dispensation that waived it, if any.")]
    title: LangText
    parameters: dict[str, Parameter]
    evidence: Evidence
    message: LangText
    fingerprint: Annotated[
        str, Field(description="Stable across runs: insurer, document, rule, subject (by product code), key.")
    ]


class Score(_Model):
    """A document's score as scoring stored it."""

    compliance: str | None = Field(description="A decimal string, or null: not scored (see not_scored).")
    blocking: bool
    band: Band = Field(description="The display band scoring stored; poor whenever blocking, none when not scored.")
    not_scored: LangText | None = Field(description="Why the document is not scored, when compliance is null.")
    variety: str | None
    coverage: str | None
    protection: str | None
    service: str | None
    breakdown: dict[str, Any]


class Insurer(_Model):
    code: str
    name: str | None = Field(description="The name the document was filed with.")


class SubmissionResult(_Model):
    """One checked document (a submission or a product filing) with its findings and score."""

    submission_id: int
    insurer: Insurer
    kind: DocumentKind
    period: str | None
    document_key: str
    revision: int
    source: str
    sha256: str
    binding_date: str
    context_submission_id: int | None
    warnings: list[str]
    score: Score | None
    findings: list[Finding]


class RuleText(_Model):
    """What the run's reports show of a rule, as the run stored it (``run_texts``): so that a report of an old run
    names its rules as they were, and no report reads the rules of the code."""

    id: str
    clause: int = Field(description="The guidance item the rule checks (0: not known).")
    title: LangText
    help: str = Field(description="The rule's description, in English.")


class RunInfo(_Model):
    id: int | None = Field(description="The stored run; null for `check`, whose in-memory run is not kept.")
    ruleset: RulesetRef
    scoring: dict[str, Any] | None = Field(
        description="The scoring method of the run's stored ruleset (date, weights, bands); null: it no longer loads."
    )
    tool_version: str
    as_of: str
    started_at: str
    finished_at: str | None
    judged: int | None = Field(
        None,
        description="Documents this run judged itself; it took over the findings and score of the others from an "
        "earlier run that judged them on the same inputs (null: not known, as for runs stored before that).",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What a reader of this run should know, e.g. that its stored ruleset could not be re-read.",
    )
    rules: list[RuleText] = Field(
        default_factory=list,
        description="The rules the run judged with, as it stored their texts (runs stored before texts were kept: "
        "as this version words them).",
    )


class Summary(_Model):
    submissions: int
    status: dict[str, int] = Field(
        description="Findings by status, also those a filter left out of the list; `not_covered` (an encouraged "
        "obligation not met) is counted apart from `fail`."
    )
    listed: str
    open_by_severity: dict[str, int] = Field(
        description="Open findings (fail, indeterminate) by severity; not_covered and waived are not open."
    )


class DispensationUse(_Model):
    """A dispensation the run considered, and what became of it."""

    id: str
    rule: str
    insurer: str
    subject: str | None
    period: str | None
    reason: str
    approved_by: str
    reference: str
    expires: str
    status: Literal["applied", "expired", "unused"]
    covered: int = Field(description="Failures it covered.")
    expires_in_days: int
    expiring_soon: bool


class Results(_Model):
    """A stored run read back: what every report renders."""

    schema_: Literal["inclusive-check/results/1"] = Field(RESULTS_SCHEMA, alias="schema")
    run: RunInfo
    summary: Summary
    submissions: list[SubmissionResult]
    dispensations: list[DispensationUse]
    validation: Validation | None = Field(
        None, description="`check` over several files: every file read, those not valid left unjudged; else null."
    )


# --- diff ----------------------------------------------------------------------------------------------


class DiffRun(_Model):
    id: int | None = Field(description="The stored run; null for results of `check` (not stored).")
    ruleset: RulesetRef
    as_of: str
    started_at: str
    documents: int


class DiffSummary(_Model):
    new: int
    fixed: int
    waived: int
    persisting: int
    not_rechecked: int
    not_covered: int = Field(
        0,
        description="Findings of the later run that are not covered (an encouraged obligation not met), over the "
        "documents it checked: counted apart, never new, persisting or fixed.",
    )


class DiffFinding(_Model):
    """A finding's change; ``severity``, ``status`` and ``message`` are of the state shown: the earlier run's for
    fixed and not_rechecked, the later run's otherwise."""

    change: Change
    fingerprint: str
    insurer: str
    kind: DocumentKind
    document_key: str
    rule_id: str
    clause: int
    subject: str
    key: str
    severity: Severity
    status: Status
    status_before: Status | None
    status_after: Status | None
    expected: str
    actual_before: str | None
    actual_after: str | None
    dispensation_before: str | None
    dispensation_after: str | None
    message: LangText


class DimensionChange(_Model):
    before: str | None
    after: str | None
    change: str | None = Field(description="after - before, signed ('+2.5', '-1', '0'); null when either is null.")


class ScoreChange(_Model):
    insurer: str
    kind: DocumentKind
    document_key: str
    in_before: bool
    in_after: bool
    blocking_before: bool | None
    blocking_after: bool | None
    not_scored_before: LangText | None
    not_scored_after: LangText | None
    compliance: DimensionChange
    variety: DimensionChange
    coverage: DimensionChange
    protection: DimensionChange
    service: DimensionChange


class DiffResult(_Model):
    """What changed between two stored runs (results.diff_results)."""

    schema_: Literal["inclusive-check/diff/1"] = Field(DIFF_SCHEMA, alias="schema")
    before: DiffRun
    after: DiffRun
    summary: DiffSummary
    findings: list[DiffFinding]
    scores: list[ScoreChange]
    expiry_warning_days: int | None
    expiring_dispensations: list[DispensationUse]


# --- impact analysis: ruleset diff, what-if, reproduction ------------------------------------------------

_PolicyKind = Literal["ruleset", "severity_table", "rule", "in_force", "strength", "severity", "deactivated"]
ChangeKind = _PolicyKind | Literal["parameter", "scoring", "market", "overlay"]
Flip = Literal["newly_fails", "newly_passes", "changes"]


class RulesetChange(_Model):
    """One thing two rulesets state differently, with what each states."""

    path: str = Field(description="Where in the ruleset, e.g. rules/IC10-KPI-WEIGHT/params/min_weight.")
    rule_id: str | None = Field(description="The rule the change is about; null for the ruleset's own sections.")
    kind: ChangeKind
    before: Any = Field(
        description="What the first ruleset states: dated values ({from, until, value}) for dated policy, the "
        "section's value for scoring and the ruleset's own fields; null when it states nothing there."
    )
    after: Any = Field(description="What the second ruleset states, in the same form.")
    citation_before: str | None
    citation_after: str | None


class RulesetDiff(_Model):
    """What differs between two rulesets (`inclusive-check ruleset diff A B`)."""

    schema_: Literal["inclusive-check/ruleset-diff/1"] = Field(RULESET_DIFF_SCHEMA, alias="schema")
    before: RulesetRef
    after: RulesetRef
    changes: list[RulesetChange]


class FindingState(_Model):
    """A finding as one of two runs stored it (texts in English, figures written out)."""

    status: StoredStatus
    severity: Severity
    strength: Strength
    expected: str
    actual: str
    threshold: str | None
    margin: str | None
    unit: str
    dispensation: str | None


class FindingChange(_Model):
    """A finding that two runs judged differently, matched by document, rule, subject and key.

    ``newly_fails``: open (fail, indeterminate) now and not before (or absent before); ``newly_passes``: open
    before and not now (or absent now); ``changes``: anything else that differs (status or severity; for a
    reproduction any stored field)."""

    flip: Flip
    fingerprint: str
    insurer: str
    kind: DocumentKind
    document_key: str
    rule_id: str
    clause: int
    subject: str
    key: str
    product_code: str | None
    before: FindingState | None = Field(description="The base run's finding; null when it had none.")
    after: FindingState | None = Field(description="The re-evaluated finding; null when there is none.")


class RuleImpact(_Model):
    """What a change does to one rule over the market."""

    rule_id: str
    clause: int
    newly_fails: int
    newly_passes: int
    changes: int
    insurers_judged: int = Field(description="Insurers with a finding of the rule that is not not_applicable, after.")
    insurers_failing_before: int
    insurers_failing_after: int
    summary: LangText = Field(description="One sentence on the rule's market impact.")


class ImpactSummary(_Model):
    newly_fails: int
    newly_passes: int
    changes: int
    scores_changed: int


class WhatIf(_Model):
    """The stored submissions of a run evaluated under a changed ruleset, compared with the run
    (`inclusive-check whatif`). The evaluation is never stored: it is rolled back."""

    schema_: Literal["inclusive-check/whatif/1"] = Field(WHATIF_SCHEMA, alias="schema")
    base: DiffRun
    ruleset: RulesetRef = Field(description="The what-if ruleset (its text is not stored anywhere).")
    tool_version: str = Field(description="The version that evaluated the what-if.")
    effective_from: str | None = Field(description="The date the --set values apply from; null without --set.")
    period: str | None
    policy: list[RulesetChange] = Field(description="What the what-if ruleset states differently from the base run's.")
    rules_evaluated: list[str] = Field(
        description="Rules evaluated again (their policy differs); every other rule's findings are the base run's."
    )
    summary: ImpactSummary
    rules: list[RuleImpact]
    findings: list[FindingChange]
    scores: list[ScoreChange] = Field(description="Documents whose score or blocking state would change.")
    warnings: list[str]


class Reproduction(_Model):
    """A stored run evaluated again with its stored ruleset, as-of date, documents and dispensations
    (`inclusive-check run --reproduce`), compared finding by finding and score by score."""

    schema_: Literal["inclusive-check/reproduction/1"] = Field(REPRODUCTION_SCHEMA, alias="schema")
    run: DiffRun
    identical: bool
    tool_version_then: str
    tool_version_now: str
    findings_compared: int
    findings: list[FindingChange] = Field(description="Every finding that differs.")
    scores: list[ScoreChange] = Field(description="Every document whose score differs.")
    notes: list[str] = Field(description="Other differences, each named: a stored document failing its hash or parse.")


# --- validation ----------------------------------------------------------------------------------------


class Problem(_Model):
    """Why an input is not valid, located in its file when the position is known."""

    file: str
    pointer: str
    line: int | None
    column: int | None
    message: str


class FileValidation(_Model):
    file: str
    valid: bool
    sha256: str | None = Field(description="Of the bytes read; null when the file could not be read.")
    problems: list[Problem]


class Validation(_Model):
    """The outcome of validating input files: `validate`, and `check` or `run` when input was not valid (then
    nothing was checked)."""

    schema_: Literal["inclusive-check/validation/1"] = Field(VALIDATION_SCHEMA, alias="schema")
    valid: int = Field(description="Files that are valid.")
    invalid: int = Field(description="Files that are not.")
    files: list[FileValidation]


PUBLISHED: dict[str, type[_Model]] = {
    "results": Results,
    "diff": DiffResult,
    "validation": Validation,
    "whatif": WhatIf,
    "ruleset-diff": RulesetDiff,
    "reproduction": Reproduction,
    "market": Market,
    "public-market": PublicMarket,
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a published output, generated from its model."""
    model = PUBLISHED[kind]
    schema = model.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:inclusive-check:schema:{kind}:1",
        **schema,
    }


def schema_json(kind: str) -> str:
    """``json_schema`` as the text `inclusive-check schema KIND` prints and contract/schemas/ ships."""
    return json.dumps(json_schema(kind), ensure_ascii=False, indent=2) + "\n"


def dump_json(model: BaseModel) -> str:
    """An output as printed: indented JSON, Chinese as is, fields in declaration order."""
    return json.dumps(model.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2)
