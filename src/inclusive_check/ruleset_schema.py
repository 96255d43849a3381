"""The published JSON Schema of a ruleset (`inclusive-check schema ruleset`), derived from the models of
``ruleset_models.py`` and each rule's ``Params``."""

from __future__ import annotations

from typing import Any

from . import rules as registry
from .rules.base import STRENGTHS
from .ruleset import REQUIRED_BLOCKING, RulesetFile, guidance_mandatory
from .ruleset_models import SeverityOverride, SeverityTable

# --- the published JSON Schema -----------------------------------------------------------------------

RULESET_SCHEMA_ID = "urn:inclusive-check:schema:ruleset:1"


def _valued(value: dict[str, Any]) -> dict[str, Any]:
    """A Parameter whose every dated value is present and matches ``value``."""
    return {
        "allOf": [{"$ref": "#/$defs/Parameter"}],
        "properties": {"values": {"items": {"properties": {"value": value}, "required": ["value"]}}},
    }


def ruleset_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a complete ruleset, derived from the pydantic models: the file's
    models, and each rule's ``Params`` for the values of its parameters. A change to a model changes it.

    What a schema cannot say is left to the loader: dates in increasing, non-overlapping order, a value
    present unless ``until`` ends the parameter, rules known to this version (or retired IDs of them), a
    strength and a severity table in force wherever a rule is. A partial ruleset (one
    loaded with --allow-partial-ruleset) does not validate against it.
    """
    schema: dict[str, Any] = RulesetFile.model_json_schema(mode="validation")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    rules: dict[str, Any] = {}
    for rule in registry.ALL_RULES:
        prefix = f"{rule.ID}."
        params = rule.Params.model_json_schema(mode="validation", ref_template=f"#/$defs/{prefix}{{model}}")
        defs.update({prefix + k: v for k, v in params.pop("$defs", {}).items()})
        fields: dict[str, Any] = params.get("properties", {})
        value_of = {
            name: {
                "allOf": [{"$ref": "#/$defs/Parameter"}],
                "properties": {
                    "values": {
                        "items": {
                            "properties": {"value": field},
                            "anyOf": [{"required": ["value"]}, {"required": ["until"]}],
                        }
                    }
                },
            }
            for name, field in fields.items()
        }
        rules[rule.ID] = {
            "type": "object",
            "title": f"{rule.ID} (guidance item {rule.CLAUSE})",
            "additionalProperties": False,
            "required": ["in_force", "strength", *(["params"] if fields else [])],
            "properties": {
                "in_force": {"$ref": "#/$defs/Parameter"},
                "strength": _valued({"enum": list(STRENGTHS)}),
                "severity": _valued({"$ref": "#/$defs/SeverityOverride"}),
                "deactivated": _valued(
                    {
                        "type": "string",
                        "minLength": 1,
                        "description": "why the rule is deactivated, shown in its findings",
                    }
                ),
                "params": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": sorted(fields),
                    "properties": value_of,
                },
            },
        }
    defs.pop("RuleEntry", None)
    defs["SeverityOverride"] = SeverityOverride.model_json_schema(mode="validation")
    defs["SeverityTable"] = SeverityTable.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs.update(defs["SeverityTable"].pop("$defs", {}))
    schema["properties"]["severity"] = {
        **_valued({"$ref": "#/$defs/SeverityTable"}),
        "description": RulesetFile.model_fields["severity"].description,
    }
    schema["properties"]["rules"] = {
        "type": "object",
        "description": "Each rule by ID: when it is in force, and its dated, cited parameters. Mandatory rules of "
        "the guidance are required.",
        "minProperties": 1,
        "additionalProperties": False,
        "required": list(guidance_mandatory()),
        "properties": rules,
    }
    scoring = defs.get("Scoring", {}).get("properties", {})
    if "blocking_rules" in scoring:
        scoring["blocking_rules"]["allOf"] = [{"contains": {"const": rule_id}} for rule_id in REQUIRED_BLOCKING]
    weights = defs.get("StrengthWeights")
    if isinstance(weights, dict) and weights.get("type") == "object":
        positive = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}]}
        weights["properties"] = {
            **{s: positive for s in ("mandatory", "principle", "encouraged")},
            "flag": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
        }
        weights["required"] = ["mandatory", "principle", "encouraged", "flag"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RULESET_SCHEMA_ID,
        "title": "inclusive-check ruleset",
        "description": "A ruleset: the guidance's rules as dated, cited parameters, and the scoring. A value applies "
        "from its `from` date until the next value's `from` or its own `until` (inclusive).",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


OVERLAY_SCHEMA_ID = "urn:inclusive-check:schema:overlay:1"


def overlay_schema() -> dict[str, Any]:
    """The JSON Schema of an overlay file (a regional supplement, docs/overlays.md). What it cannot say is left to
    the loader: rules and parameters known to this version and present in the base, each value within what the
    rule accepts, dates in order, and no cycle of overlays."""
    from .overlay import OverlayFile

    schema: dict[str, Any] = OverlayFile.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": OVERLAY_SCHEMA_ID,
        "title": "inclusive-check ruleset overlay",
        "description": "A regional supplement: an authority's dated, cited values over the ruleset it extends, for "
        "the insurers or regions it supervises.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
