"""Linear models stored as JSON, each with a model card: loading reads data only, so it can never run code.

A model file ``<name>.json`` holds::

    {"schema": "transcript-coach/linear-model/v1", "task": "politeness", "link": "logistic",
     "feature_names": ["...", ...], "coef": [0.12, ...], "intercept": -0.3,
     "feature_names_sha256": "<sha256 of the names joined by newlines>",
     "extractor": {...how the features are computed, for the code that computes them...},
     "description": "..."}

and its card ``<name>.card.json`` (``schema: "transcript-coach/model-card/v1"``) says what it was trained on, under
which licence, with which library versions and how well it did. ``load_linear_model`` validates every key, type and
length of both files, checks that the card belongs to the model (same task, same feature-names hash) and raises
``DataFileError`` naming the file and the key on anything unexpected. Prediction is a plain dot product over a
``{feature name: value}`` map: no scikit-learn object exists at run time. Never pickle or joblib a model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from transcript_coach.errors import DataFileError

MODEL_SCHEMA = "transcript-coach/linear-model/v1"
CARD_SCHEMA = "transcript-coach/model-card/v1"
LINKS = ("logistic", "identity")
MAX_FILE_BYTES = 50_000_000  # far above any model we ship; a guard against being handed something else

_MODEL_REQUIRED = {"schema": str, "task": str, "link": str, "feature_names": list, "coef": list,
                   "intercept": (int, float), "feature_names_sha256": str}
_MODEL_OPTIONAL = {"extractor": dict, "description": str}
_CARD_REQUIRED = {"schema": str, "name": str, "task": str, "feature_names_sha256": str, "n_features": int}
_CARD_TYPED = {"description": str, "created": str, "training_data": dict, "licence": (str, dict),
               "sklearn_version": str, "numpy_version": str, "python_version": str, "metrics": dict,
               "label": (str, dict), "n": int, "hyperparameters": dict, "intended_use": str, "limitations": str,
               "libraries": dict, "training_code": str}


def feature_names_sha256(names: Sequence[str]) -> str:
    """The hash that ties a card to its model: sha256 of the feature names joined by newlines."""
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def card_path(path: str | os.PathLike[str]) -> Path:
    """``models/politeness.json`` -> ``models/politeness.card.json``."""
    path = Path(path)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    return path.with_name(stem + ".card.json")


@dataclass(frozen=True)
class LinearModel:
    """A validated linear model. ``card`` is empty for a model that only lives in memory (e.g. a cross-validation
    fold); ``notes`` records harmless differences found when loading (such as another scikit-learn version)."""

    task: str
    feature_names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    link: str = "logistic"
    extractor: Mapping[str, Any] = field(default_factory=dict)
    card: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    _weights: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.coef) != len(self.feature_names):
            raise ValueError(f"{len(self.coef)} coefficients for {len(self.feature_names)} features")
        if self.link not in LINKS:
            raise ValueError(f"unknown link {self.link!r}")
        object.__setattr__(self, "_weights", dict(zip(self.feature_names, self.coef, strict=True)))

    def decision(self, features: Mapping[str, float]) -> float:
        """Intercept plus the dot product of the coefficients with ``features`` (names the model lacks count 0)."""
        weights = self._weights
        total = self.intercept
        for name, value in features.items():
            weight = weights.get(name)
            if weight is not None:
                total += weight * value
        return total

    def predict(self, features: Mapping[str, float]) -> float:
        """The probability of the positive class (logistic link) or the raw decision value (identity link)."""
        z = self.decision(features)
        if self.link == "identity":
            return z
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    @property
    def feature_names_sha256(self) -> str:
        return feature_names_sha256(self.feature_names)


def save_linear_model(
    path: str | os.PathLike[str],
    *,
    task: str,
    feature_names: Sequence[str],
    coef: Sequence[float],
    intercept: float,
    card: Mapping[str, Any],
    link: str = "logistic",
    extractor: Mapping[str, Any] | None = None,
    description: str | None = None,
    digits: int = 8,
) -> tuple[Path, Path]:
    """Write ``path`` and its card atomically, after checking that they load back. Coefficients are rounded to
    ``digits`` decimals so that retraining on the same data gives the same bytes. Returns (model path, card path)."""
    path = Path(path)
    names = [str(n) for n in feature_names]
    digest = feature_names_sha256(names)
    model: dict[str, Any] = {
        "schema": MODEL_SCHEMA,
        "task": task,
        "link": link,
        "description": description,
        "feature_names_sha256": digest,
        "intercept": round(float(intercept), digits),
        "extractor": dict(extractor or {}),
        "feature_names": names,
        "coef": [round(float(c), digits) for c in coef],
    }
    if description is None:
        del model["description"]
    full_card = {"schema": CARD_SCHEMA, **card, "task": task, "feature_names_sha256": digest,
                 "n_features": len(names)}
    _validate_model(model, str(path), task)
    _validate_card(full_card, str(card_path(path)), model)
    model_text = _dumps(model)
    card_text = json.dumps(full_card, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write_atomic(path, model_text)
    _write_atomic(card_path(path), card_text)
    return path, card_path(path)


def load_linear_model(path: str | os.PathLike[str], expected_task: str) -> LinearModel:
    """The model at ``path`` with its card, after validating both; ``DataFileError`` on anything wrong."""
    path = Path(path)
    model = _read_json(path)
    _validate_model(model, str(path), expected_task)
    cpath = card_path(path)
    card = _read_json(cpath)
    _validate_card(card, str(cpath), model)
    notes = []
    # A JSON linear model does not depend on the scikit-learn that fitted it (prediction is a dot product done
    # here), so another installed version is fine; it is only recorded.
    trained_with = card.get("sklearn_version")
    installed = _installed_version("scikit-learn")
    if trained_with and installed and trained_with != installed:
        notes.append(f"trained with scikit-learn {trained_with}, installed {installed} (harmless for a JSON model)")
    return LinearModel(
        task=model["task"],
        feature_names=tuple(model["feature_names"]),
        coef=tuple(float(c) for c in model["coef"]),
        intercept=float(model["intercept"]),
        link=model["link"],
        extractor=model.get("extractor", {}),
        card=card,
        notes=tuple(notes),
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DataFileError(f"{path}: model file is missing") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise DataFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes: not a model file of ours")
    if raw[:1] == b"\x80" or raw[:2] in (b"PK", b"\x1f\x8b"):
        raise DataFileError(f"{path}: binary data (a pickle, joblib or archive file?): only JSON models are loaded")
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not UTF-8 text: only JSON models are loaded") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise DataFileError(f"{path}: {exc}") from None
    except RecursionError:
        raise DataFileError(f"{path}: not valid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise DataFileError(f"{path}: expected a JSON object, found {_kind(document)}")
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not valid JSON: {name} is not a number")


def _validate_model(model: Mapping[str, Any], where: str, expected_task: str) -> None:
    _check_keys(model, where, _MODEL_REQUIRED, _MODEL_OPTIONAL, closed=True)
    if model["schema"] != MODEL_SCHEMA:
        raise DataFileError(f"{where}: key 'schema': expected {MODEL_SCHEMA!r}, found {model['schema']!r}: "
                            "not a transcript-coach linear model")
    if model["task"] != expected_task:
        raise DataFileError(f"{where}: key 'task': expected {expected_task!r}, found {model['task']!r}")
    if model["link"] not in LINKS:
        raise DataFileError(f"{where}: key 'link': expected one of {list(LINKS)}, found {model['link']!r}")
    names = model["feature_names"]
    if not names:
        raise DataFileError(f"{where}: key 'feature_names': empty")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise DataFileError(f"{where}: key 'feature_names[{i}]': expected a non-empty string, found {_kind(name)}")
    if len(set(names)) != len(names):
        duplicate = next(n for i, n in enumerate(names) if n in names[:i])
        raise DataFileError(f"{where}: key 'feature_names': duplicate name {duplicate!r}")
    coef = model["coef"]
    if len(coef) != len(names):
        raise DataFileError(f"{where}: key 'coef': {len(coef)} coefficients for {len(names)} feature names")
    for i, value in enumerate(coef):
        _check_number(value, where, f"coef[{i}]")
    _check_number(model["intercept"], where, "intercept")
    digest = feature_names_sha256(names)
    if model["feature_names_sha256"] != digest:
        raise DataFileError(f"{where}: key 'feature_names_sha256': does not match the feature names "
                            f"(expected {digest}): the file was edited or is damaged")
    try:
        json.dumps(model.get("extractor", {}), allow_nan=False)
    except ValueError as exc:
        raise DataFileError(f"{where}: key 'extractor': {exc}") from None


def _validate_card(card: Mapping[str, Any], where: str, model: Mapping[str, Any]) -> None:
    _check_keys(card, where, _CARD_REQUIRED, _CARD_TYPED, closed=False)
    if card["schema"] != CARD_SCHEMA:
        raise DataFileError(f"{where}: key 'schema': expected {CARD_SCHEMA!r}, found {card['schema']!r}")
    if card["task"] != model["task"]:
        raise DataFileError(f"{where}: key 'task': the card is for {card['task']!r}, the model for {model['task']!r}")
    if card["feature_names_sha256"] != model["feature_names_sha256"]:
        raise DataFileError(f"{where}: key 'feature_names_sha256': does not match the model's feature names: "
                            "this card belongs to another model (or one of the files was edited)")
    if card["n_features"] != len(model["feature_names"]):
        raise DataFileError(f"{where}: key 'n_features': {card['n_features']}, but the model has "
                            f"{len(model['feature_names'])} features")


def _check_keys(document: Mapping[str, Any], where: str, required: Mapping[str, Any], optional: Mapping[str, Any],
                *, closed: bool) -> None:
    for key, kind in required.items():
        if key not in document:
            raise DataFileError(f"{where}: missing key {key!r}")
        _check_type(document[key], kind, where, key)
    for key, value in document.items():
        if key in required:
            continue
        if key in optional:
            _check_type(value, optional[key], where, key)
        elif closed:
            raise DataFileError(f"{where}: unexpected key {key!r}: not a transcript-coach linear model")


def _check_type(value: Any, kind: Any, where: str, key: str) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise DataFileError(f"{where}: key {key!r}: expected {names}, found {_kind(value)}")


def _check_number(value: Any, where: str, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFileError(f"{where}: key '{key}': expected a number, found {_kind(value)}")
    if not math.isfinite(value):
        raise DataFileError(f"{where}: key '{key}': expected a finite number, found {value!r}")


_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", int: "an integer", float: "a number"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _dumps(model: Mapping[str, Any]) -> str:
    """Readable JSON: header keys indented, then one feature per line (name and coefficient side by side would be
    nicer, but two parallel lists keep the format simple to validate)."""
    head = {k: v for k, v in model.items() if k not in ("feature_names", "coef")}
    lines = json.dumps(head, indent=2, ensure_ascii=False, allow_nan=False)[:-2].rstrip("\n")
    names = ",\n    ".join(json.dumps(n, ensure_ascii=False) for n in model["feature_names"])
    coef = ",\n    ".join(repr(float(c)) for c in model["coef"])
    return f'{lines},\n  "feature_names": [\n    {names}\n  ],\n  "coef": [\n    {coef}\n  ]\n}}\n'


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # package data: readable by everyone, like any other installed file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
