"""The text view of a diff of two stored runs (results.diff_results computes it; this only renders).

Each finding is shown with its change (new, fixed, waived, persisting, not rechecked), the severity and
status of the state the diff shows, and its message; each document with its score change; then the later
run's dispensations about to expire. The closing line counts each change, and the later run's items not covered
apart (never new, persisting or fixed).
"""

from __future__ import annotations

from ..contract.outputs import DiffResult, ScoreChange, in_lang
from ..safetext import clean

CHANGES = ("new", "fixed", "waived", "persisting", "not_rechecked")
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


WORDS = {
    "new": {"en": "new", "zh": "新增"},
    "fixed": {"en": "fixed", "zh": "已整改"},
    "waived": {"en": "waived", "zh": "已豁免"},
    "persisting": {"en": "persisting", "zh": "仍存在"},
    "not_rechecked": {"en": "not rechecked", "zh": "未复查"},
    # counted apart: encouraged obligations the later run found not met (scored, never a breach)
    "not_covered": {"en": "not covered in the later run", "zh": "后一批次未覆盖"},
}

NOT_SCORED = {"en": "not scored", "zh": "未评分"}

DISPENSATION_WORDS = {"applied": "已适用", "expired": "已过期", "unused": "未使用"}


def render_text(diff: DiffResult, lang: str = "en", changes_only: bool = False) -> str:
    """``changes_only``: leave out persisting findings and the documents where nothing changed (the closing line
    still counts every finding)."""
    b, a = diff.before, diff.after
    c = clean
    lines = [
        f"diff: run {b.id} ({b.started_at[:19]}, {c(b.ruleset.id)} {c(b.ruleset.version)}, "
        f"{b.documents} document(s)) -> run {a.id} ({a.started_at[:19]}, {c(a.ruleset.id)} "
        f"{c(a.ruleset.version)}, {a.documents} document(s))"
    ]
    for score in diff.scores:
        doc = score.document_key if score.kind == "submission" else f"filing {score.document_key}"
        entries = [
            f
            for f in diff.findings
            if (f.insurer, f.kind, f.document_key) == (score.insurer, score.kind, score.document_key)
            and not (changes_only and f.change == "persisting")
        ]
        if changes_only and not entries and not _changed(score):
            continue
        presence = (
            ""
            if score.in_before and score.in_after
            else (" (only in the later run)" if score.in_after else " (not checked in the later run)")
        )
        lines.append(f"== {c(score.insurer)} {c(doc)}{presence}")
        for f in entries:
            subject = (f.subject or "/") + (f" [{f.key}]" if f.key else "")
            message = in_lang(f.message, lang)
            where = "" if message.startswith(f.subject or "\0") else f"{subject}: "
            lines.append(
                f"   {WORDS[f.change][lang]:<13} {f.severity:<7} {f.status:<13} {f.rule_id:<24} {c(where)}{c(message)}"
            )
        parts = []
        unscored = NOT_SCORED[lang]
        for name in DIMENSIONS:
            v = getattr(score, name)
            shown_b = (
                v.before
                if v.before is not None
                else (unscored if name == "compliance" and score.not_scored_before else "—")
            )
            shown_a = (
                v.after
                if v.after is not None
                else (unscored if name == "compliance" and score.not_scored_after else "—")
            )
            if shown_b == "—" and shown_a == "—":
                continue
            change = f" ({v.change})" if v.change is not None else ""
            parts.append(f"{name} {shown_b} -> {shown_a}{change}")
        if score.in_before and score.in_after and score.blocking_before != score.blocking_after:
            parts.append(f"blocking {score.blocking_before} -> {score.blocking_after}")
        if parts:
            lines.append("   score: " + "; ".join(parts))
    if changes_only and diff.summary.persisting:
        lines.append(HIDDEN[lang].format(n=diff.summary.persisting))
    expiring = diff.expiring_dispensations
    if expiring:
        window = diff.expiry_warning_days
        within = (
            ("soon" if window is None else f"within {window} day(s)")
            if lang == "en"
            else ("" if window is None else f"（{window}天内）")
        )
        lines.append(
            f"dispensations of run {a.id} expiring {within}:"
            if lang == "en"
            else f"批次 {a.id} 即将到期的豁免{within}："
        )
        for d in expiring:
            scope = c(", ".join(x for x in (d.rule, d.insurer, d.subject, d.period) if x))
            days = d.expires_in_days
            if lang == "en":
                when = "today" if days == 0 else f"in {days} day(s)"
                lines.append(
                    f"   {c(d.id)} ({scope}): {d.status}, {d.covered} failure(s) covered, "
                    f"expires {d.expires} ({when}); {c(d.reference)}"
                )
            else:
                when = "今日" if days == 0 else f"{days}天后"
                lines.append(
                    f"   {c(d.id)}（{scope}）：{DISPENSATION_WORDS.get(d.status, d.status)}，"
                    f"覆盖 {d.covered} 项未达标，"
                    f"{d.expires}到期（{when}）；{c(d.reference)}"
                )
    lines.append(
        ", ".join(f"{getattr(diff.summary, change)} {WORDS[change][lang]}" for change in (*CHANGES, "not_covered"))
    )
    return "\n".join(lines)


HIDDEN = {
    "en": "({n} persisting finding(s) not listed; --all lists them)",
    "zh": "（{n} 项仍存在的问题未列出；--all 列出全部）",
}


def _changed(score: ScoreChange) -> bool:
    """Whether a document's presence, blocking or any score changed between the runs."""
    if not (score.in_before and score.in_after) or score.blocking_before != score.blocking_after:
        return True
    return any(getattr(score, name).change not in (None, "0") for name in DIMENSIONS)
