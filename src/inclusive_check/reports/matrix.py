"""The guidance traceability matrix (``traceability.matrix``) as text, one block per item, or as a Markdown table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import N_, Code, cite, render
from .text import pad


def _basis(row: Mapping[str, Any]) -> str:
    if row["rules"]:
        missing = set(row["rules_not_in_ruleset"])
        return ", ".join(f"{r} (not in this ruleset)" if r in missing else r for r in row["rules"])
    if row["scored"]:
        return f"scored: {row['scored']}"
    return f"not checkable: {row['not_checkable']}"


def _header(data: Mapping[str, Any]) -> list[str]:
    g = data["guidance"]
    return [
        f"Guidance: {g['title']} ({g['issuer']}, {g['date']})",
        f"Paraphrases are {data['paraphrases']}.",
        f"Sources and interpretations: {data['basis']} in the inclusive-check repository.",
    ]


SENTENCE_STRENGTH_IDS = {  # a sentence's strength (traceability.SentenceStrength) as the catalogue words it
    "mandatory": N_("matrix.strength.mandatory"),
    "principle": N_("matrix.strength.principle"),
    "encouraged": N_("matrix.strength.encouraged"),
    "permission": N_("matrix.strength.permission"),
    "supervisor_duty": N_("matrix.strength.supervisor_duty"),
    "statement": N_("matrix.strength.statement"),
}


def render_text(data: Mapping[str, Any], lang: str = "en") -> str:
    """One block per item. The notes (scored, reason, reading, note, partly) are English data of the traceability
    file: in Chinese each is named, not quoted, and a closing line says where to read them."""
    if lang == "en":
        return _render_text_en(data)
    g = data["guidance"]
    lines = [
        render("matrix.guidance", lang, title=Code(g["title"]), date=Code(str(g["date"]))),
        render("matrix.paraphrases", lang),
        render("matrix.basis", lang, basis=Code(data["basis"])),
    ]
    by_item: dict[int, list[Mapping[str, Any]]] = {}
    for row in data["sentences"]:
        by_item.setdefault(row["item"], []).append(row)
    sep = render("list.separator", lang)
    for item in data["items"]:
        if item["rules"]:
            summary = sep.join(item["rules"])
        else:
            summary = render(N_("matrix.no_rule_scored") if item["scored"] else N_("matrix.no_rule"), lang)
        lines += ["", f"{cite(item['item'], lang)} — {summary}"]
        for row in by_item.get(item["item"], []):
            marker = "—" if row["marker"] == "none" else row["marker"]
            strength_id = SENTENCE_STRENGTH_IDS[row["strength"]]
            strength = render(strength_id, lang)
            lines.append(f"  {row['ref']:<6} {pad(strength, 12)} {pad(marker, 4)} {row['paraphrase'][lang]}")
            if row["rules"]:
                missing = set(row["rules_not_in_ruleset"])
                shown = [
                    render("matrix.not_in_ruleset", lang, rule=Code(r)) if r in missing else r for r in row["rules"]
                ]
                basis = sep.join(shown) + (render("matrix.partly", lang) if row.get("partly") else "")
            else:
                basis = render(N_("matrix.scored") if row["scored"] else N_("matrix.not_checkable"), lang)
            lines.append(f"         → {basis}")
    lines += ["", render("matrix.notes_in_english", lang)]
    return "\n".join(lines)


def _render_text_en(data: Mapping[str, Any]) -> str:
    lines = _header(data)
    by_item: dict[int, list[Mapping[str, Any]]] = {}
    for row in data["sentences"]:
        by_item.setdefault(row["item"], []).append(row)
    for item in data["items"]:
        if item["rules"]:
            summary = ", ".join(item["rules"])
        elif item["scored"]:
            summary = f"no rule; scored: {item['scored']}"
        else:
            summary = f"no rule: {item['reason']}"
        lines.append("")
        lines.append(f"{cite(item['item'], 'en'):<7} — {summary}")
        for row in by_item.get(item["item"], []):
            marker = "—" if row["marker"] == "none" else row["marker"]
            lines.append(f"  {row['ref']:<6} {row['strength']:<15} {marker:<4} {row['paraphrase']['en']}")
            lines.append(f"         → {_basis(row)}")
            for label in ("reading", "note", "partly"):
                if row.get(label):
                    lines.append(f"           {_LABEL.get(label, label)}: {row[label]}")
    return "\n".join(lines)


_LABEL = {"partly": "partly covered"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(data: Mapping[str, Any]) -> str:
    """One table row per sentence (and per item-level entry of items 1-3)."""
    lines = [
        "# Guidance traceability",
        "",
        *(f"{line}  " for line in _header(data)),
        "",
        "| Ref | Marker | Strength | Addressee | Paraphrase | 释义 | Encoded by | Notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in data["sentences"]:
        marker = "—" if row["marker"] == "none" else row["marker"]
        notes = "; ".join(f"{_LABEL.get(k, k)}: {row[k]}" for k in ("reading", "note", "partly") if row.get(k))
        cells = [
            row["ref"],
            marker,
            row["strength"],
            row["addressee"],
            row["paraphrase"]["en"],
            row["paraphrase"]["zh"],
            _basis(row),
            notes,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)
