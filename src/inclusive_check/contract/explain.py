"""Why a document is not valid, as catalogue messages: JSON Schema's errors by keyword and arguments (never the
validator's English ``message``), the JSON parser's, the models' when the schema finds nothing, and the echo of a
value inside a message. ``contract/load.py`` builds its problems from these."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ..i18n import N_, Code, Message, Param
from .locate import pointer
from .models import written_errors

EXCERPT_CHARS = 40  # of a value echoed in a message
MAX_MODEL_PROBLEMS = 101  # load.MAX_PROBLEMS + 1: the models' errors read at most
_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


def absurd_message(literal: str) -> Message:
    return Message("problem.absurd_number", value=shown_value(literal), limit=10**16)


def shown_value(value: Any, chars: int = EXCERPT_CHARS) -> Message | Code | int | Decimal:
    """A short, printable echo of a value for a message: long text is cut, long lists and objects are counted
    (in the reader's language); null, true and false as JSON writes them."""
    if isinstance(value, (list, tuple, dict)) and len(value) > 5:
        return Message(N_("value.array") if isinstance(value, (list, tuple)) else N_("value.object"), n=len(value))
    if isinstance(value, str) and len(value) > chars:
        return Message("value.long_text", start=Code(printable(repr(value[:chars]))[:-1] + "…'"), n=len(value))
    if value is None or isinstance(value, bool):
        return Code(json.dumps(value))
    if (isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite())) and len(str(value)) <= 2 * chars:
        return value  # a number: shown grouped by thousands (i18n.number)
    text = _DECIMAL_REPR.sub(r"\1", printable(str(value) if isinstance(value, Decimal) else repr(value)))
    if len(text) > 2 * chars:
        return Message("value.long_text", start=Code(text[: 2 * chars] + "…"), n=len(text))
    return Code(text)


def printable(text: str) -> str:
    """Lone surrogates (never UTF-8) as escapes, so that a message can always be stored and shown."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


_TYPE_IDS = {  # JSON Schema's type names, as the catalogue words them
    "string": N_("type.string"),
    "number": N_("type.number"),
    "integer": N_("type.integer"),
    "boolean": N_("type.boolean"),
    "object": N_("type.object"),
    "array": N_("type.array"),
    "null": N_("type.null"),
}
_OTHER_TYPE = N_("type.other")
_FORMATS = {"date": N_("format.date")}  # the formats the published schemas use
_LIMITS = {  # keyword -> message id; each takes the value and the keyword's limit
    "minimum": N_("schema.minimum"),
    "maximum": N_("schema.maximum"),
    "exclusiveMinimum": N_("schema.exclusive_minimum"),
    "exclusiveMaximum": N_("schema.exclusive_maximum"),
    "minLength": N_("schema.min_length"),
    "minItems": N_("schema.min_items"),
    "maxItems": N_("schema.max_items"),
    "minProperties": N_("schema.min_properties"),
    "maxProperties": N_("schema.max_properties"),
    "multipleOf": N_("schema.multiple_of"),
    "const": N_("schema.const"),
    "pattern": N_("schema.pattern"),
    "format": N_("schema.format"),
}
_JSON_ERRORS = {  # json.JSONDecodeError's few messages, in the catalogue's words
    "Expecting value": N_("json.expecting_value"),
    "Expecting property name enclosed in double quotes": N_("json.expecting_name"),
    "Expecting ',' delimiter": N_("json.expecting_comma"),
    "Expecting ':' delimiter": N_("json.expecting_colon"),
    "Unterminated string starting at": N_("json.unterminated_string"),
    "Invalid control character at": N_("json.control_character"),
    "Extra data": N_("json.extra_data"),
    "Invalid \\escape": N_("json.bad_escape"),
    "Invalid \\uXXXX escape": N_("json.bad_escape"),
}


def json_detail(msg: str) -> Message | Code:
    return Message(_JSON_ERRORS[msg]) if msg in _JSON_ERRORS else Code(msg)


def json_type(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    if isinstance(value, int | Decimal | float):
        return "integer" if isinstance(value, int) else "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "")


def type_name(name: Any) -> Message:
    return Message(_TYPE_IDS.get(str(name), _OTHER_TYPE))


def explain(error: Any) -> Message:
    """A JSON Schema error (jsonschema's ``ValidationError``) as a catalogue message: its keyword and arguments,
    never the validator's English ``message``."""
    keyword, instance, expected = error.validator, error.instance, error.validator_value
    value = shown_value(instance)
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        if isinstance(instance, str) and instance.strip().endswith("%"):
            return Message("schema.percent_string", value=value)
        quoted = isinstance(instance, str) and any(t in ("number", "integer", "boolean") for t in types)
        return Message(
            N_("schema.type_quoted") if quoted else N_("schema.type"),
            value=value,
            expected=[type_name(t) for t in types if t != "null" or len(types) == 1],
        )
    if keyword == "required" and isinstance(instance, dict):
        missing = [name for name in expected if name not in instance]
        named = [name for name in missing if error.message == f"{name!r} is a required property"]
        return Message("schema.required", names=[Param(name) for name in named or missing])
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [Code(printable(repr(k))) for k in instance if k not in known][:5]
        return Message("schema.additional", names=extra)
    if keyword == "enum":
        return Message("schema.enum", value=value, allowed=[shown_value(v) for v in expected][:12])
    if keyword == "pattern" and isinstance(instance, str) and "\x00" in instance:
        return Message("schema.nul", at=instance.index(chr(0)) + 1, value=value)
    if keyword == "maxLength" and isinstance(instance, str):
        return Message("schema.max_length", value=value, n=len(instance), limit=expected)
    if keyword == "uniqueItems":
        return Message("schema.unique_items")
    if keyword in ("oneOf", "anyOf"):
        return Message("schema.no_alternative", value=value)
    if keyword == "format" and expected in _FORMATS:
        return Message("schema.format", value=value, limit=Message(_FORMATS[expected]))
    if keyword in _LIMITS:
        limit = expected if isinstance(expected, int | Decimal) else Code(str(expected))
        return Message(_LIMITS[keyword], value=value, limit=limit)
    return Message("schema.invalid", value=value, keyword=Code(str(keyword)))


def model_messages(error: ValidationError) -> list[tuple[str, str | Message]]:
    """The models' errors, when the schema found none: by pydantic's error type, its English words as a detail."""
    out: list[tuple[str, str | Message]] = []
    for item in written_errors(error.errors(include_url=False))[:MAX_MODEL_PROBLEMS]:
        loc = [part for part in item["loc"] if not (isinstance(part, str) and "[" in part)]  # union steps
        if item["type"] == "missing":
            message = Message("schema.required", names=[Param(str(loc[-1]))])
        elif item["type"] == "extra_forbidden":
            message = Message("schema.additional", names=[Code(str(loc[-1]))])
        else:
            message = Message("schema.model", detail=Code(item["msg"]))
        out.append((pointer(loc), message))
    return out
