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
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise DataFileError(f"{name}: {exc}") from None


def lexicon_names() -> list[str]:
    """The names of the shipped lexicons (``lexicons/<name>.json``)."""
    folder = resources.files(__name__).joinpath("lexicons")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


@functools.cache
def lexicon_entry_ids() -> frozenset[str]:
    """The ids of every shipped lexicon's entries (what an evidence rule names after '#')."""
    return frozenset(str(entry.get("id")) for name in lexicon_names()
                     for entry in load_json(f"lexicons/{name}.json").get("entries", ()) if isinstance(entry, dict))


def read_json_file(path: str | Path) -> Any:
    """The parsed content of a user's JSON data file (a rubric, a lexicon); problems name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON: {exc}") from None
    return parse_json_text(text, str(path))


def parse_json_text(text: str, where: str, what: str = "") -> Any:
    """JSON from a user's file, strictly: ``NaN`` and ``Infinity`` (which Python's json accepts) are refused, and
    so are integers over Python's digit limit and nesting deep enough to exhaust the stack, each with a
    ``DataFileError`` naming the file (``where``; ``what`` may say what it is) instead of a traceback. A key given
    twice in one object is refused too: JSON would keep the second silently, and a lexicon entry's second "exclude"
    list would drop the first."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{where}:{exc.lineno}: {what}not valid JSON: {exc.msg}") from None
    except ValueError as exc:  # NaN / Infinity, or an integer of more than 4300 digits
        raise DataFileError(f"{where}: {what}not valid JSON: {exc}") from None
    except RecursionError:
        raise DataFileError(f"{where}: {what}not valid JSON: nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once (``json.loads``' ``object_pairs_hook``)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is given twice in one object")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
