"""Package data: lexicons, role words, the rubric and the report schema, read once per process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from transcript_coach.errors import DataFileError


@functools.cache
def load_json(name: str) -> Any:
    """The parsed content of a JSON file shipped in this package (cached: treat it as read-only)."""
    try:
        text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"package data file {name!r} is missing: reinstall transcript-coach") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def read_json_file(path: str | Path) -> Any:
    """The parsed content of a user's JSON data file (a rubric, a lexicon); problems name the file."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: not valid JSON: {exc}") from None
