"""The JSON Schema of the report contract (shipped as package data) and a validator for it."""

from __future__ import annotations

import functools
from typing import Any

from transcript_coach.data import load_json


def report_schema() -> dict[str, Any]:
    return load_json("report.schema.json")


@functools.cache
def _validator():
    from jsonschema import Draft202012Validator

    schema = report_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every way a report (or error record) breaks the contract, as readable lines; empty when it is valid."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
