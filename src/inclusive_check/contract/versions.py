"""Which schema version introduced which optional field: a document may use only the fields of the version
it declares (``schema_version``). A field from a later version is a located problem at the field itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from .models import Document, ProductFiling, Submission

INTRODUCED = {"risk_areas": "1.1", "regions": "1.2"}  # optional field -> the schema version that added it


def _later(declared: str, field: str) -> bool:
    return tuple(map(int, INTRODUCED[field].split("."))) > tuple(map(int, declared.split(".")))


def _message(field: str, declared: str) -> str:
    return (
        f"{field} was introduced in schema_version {INTRODUCED[field]}; this document declares {declared}: "
        f"declare {INTRODUCED[field]} or later, or leave {field} out"
    )


def newer_fields(document: Document) -> Iterator[tuple[str, str]]:
    """(pointer, message) for each field the document uses that its declared schema_version does not have."""
    declared = document.schema_version
    if isinstance(document, ProductFiling):
        products = [("/product", document.product)]
    else:
        products = [(f"/products/{i}", p) for i, p in enumerate(document.products)]
    for ptr, product in products:
        if "risk_areas" in product.model_fields_set and _later(declared, "risk_areas"):
            yield f"{ptr}/risk_areas", _message("risk_areas", declared)
    if isinstance(document, Submission) and "regions" in document.model_fields_set and _later(declared, "regions"):
        yield "/regions", _message("regions", declared)
