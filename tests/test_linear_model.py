"""JSON linear models: save/load round trip, the shipped politeness model and its card, and tampered files."""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from pathlib import Path

import pytest

from transcript_coach.errors import DataFileError
from transcript_coach.linear_model import (
    CARD_SCHEMA,
    MODEL_SCHEMA,
    LinearModel,
    card_path,
    feature_names_sha256,
    load_linear_model,
    save_linear_model,
)
from transcript_coach.politeness import TASK, shipped_model_path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "stanford_politeness"


def _save(folder: Path, **overrides) -> Path:
    arguments = dict(task="toy", feature_names=["a", "b", "c"], coef=[0.5, -1.25, 2.0], intercept=-0.1,
                     card={"name": "toy model", "sklearn_version": "1.0"}, extractor={"feature_set": "toy/v1"})
    arguments.update(overrides)
    path, _ = save_linear_model(folder / "toy.json", **arguments)
    return path


def _edit(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_round_trip_and_prediction_is_a_plain_dot_product(tmp_path):
    path = _save(tmp_path)
    assert card_path(path) == tmp_path / "toy.card.json"
    model = load_linear_model(path, "toy")
    assert model.feature_names == ("a", "b", "c")
    assert model.decision({"a": 1.0, "c": 0.5, "unknown": 9.0}) == pytest.approx(-0.1 + 0.5 + 1.0)
    assert model.predict({"b": 1.0}) == pytest.approx(1 / (1 + math.exp(1.35)))
    card = json.loads(card_path(path).read_text(encoding="utf-8"))
    assert card["schema"] == CARD_SCHEMA and card["task"] == "toy" and card["n_features"] == 3
    assert card["feature_names_sha256"] == hashlib.sha256(b"a\nb\nc").hexdigest() == model.feature_names_sha256
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == MODEL_SCHEMA


def test_saving_twice_gives_identical_bytes(tmp_path):
    first = _save(tmp_path).read_bytes()
    assert _save(tmp_path).read_bytes() == first


def test_extreme_decisions_do_not_overflow():
    model = LinearModel(task="toy", feature_names=("a",), coef=(1000.0,), intercept=0.0)
    assert model.predict({"a": 1.0}) == 1.0 and model.predict({"a": -1.0}) == 0.0


def test_a_different_sklearn_version_is_recorded_not_refused(tmp_path):
    path = _save(tmp_path, card={"name": "toy", "sklearn_version": "0.0.1"})
    model = load_linear_model(path, "toy")
    assert any("0.0.1" in note for note in model.notes)


TAMPERED_MODEL = [
    ("coef not a list", lambda d: d.update(coef="0.5,1,2"), "coef"),
    ("coefficient not a number", lambda d: d["coef"].__setitem__(1, "1.0"), "coef[1]"),
    ("boolean coefficient", lambda d: d["coef"].__setitem__(0, True), "coef[0]"),
    ("coefficient dropped", lambda d: d["coef"].pop(), "coef"),
    ("coefficient added", lambda d: d["coef"].append(0.1), "coef"),
    ("intercept as text", lambda d: d.update(intercept="0"), "intercept"),
    ("feature renamed", lambda d: d["feature_names"].__setitem__(0, "z"), "feature_names_sha256"),
    ("feature name not a string", lambda d: d["feature_names"].__setitem__(2, 3), "feature_names[2]"),
    ("duplicate feature", lambda d: d.update(feature_names=["a", "a", "c"],
                                             feature_names_sha256=feature_names_sha256(["a", "a", "c"])),
     "feature_names"),
    ("wrong schema", lambda d: d.update(schema="someone-else/model/v3"), "schema"),
    ("missing key", lambda d: d.pop("intercept"), "intercept"),
    ("unexpected key", lambda d: d.update(loader="os.system"), "loader"),
    ("wrong link", lambda d: d.update(link="exec"), "link"),
    ("extractor not an object", lambda d: d.update(extractor=["x"]), "extractor"),
]


@pytest.mark.parametrize("change, key", [(c, k) for _, c, k in TAMPERED_MODEL],
                         ids=[name for name, _, _ in TAMPERED_MODEL])
def test_tampered_model_file_is_refused_naming_file_and_key(tmp_path, change, key):
    path = _save(tmp_path)
    _edit(path, change)
    with pytest.raises(DataFileError) as info:
        load_linear_model(path, "toy")
    message = str(info.value)
    assert str(path) in message and key in message


TAMPERED_CARD = [
    ("hash of another model", lambda d: d.update(feature_names_sha256="0" * 64), "feature_names_sha256"),
    ("wrong schema", lambda d: d.update(schema="transcript-coach/model-card/v0"), "schema"),
    ("other task", lambda d: d.update(task="sentiment"), "task"),
    ("n_features as text", lambda d: d.update(n_features="3"), "n_features"),
    ("n_features wrong", lambda d: d.update(n_features=4), "n_features"),
    ("name missing", lambda d: d.pop("name"), "name"),
    ("metrics not an object", lambda d: d.update(metrics=[0.9]), "metrics"),
]


@pytest.mark.parametrize("change, key", [(c, k) for _, c, k in TAMPERED_CARD],
                         ids=[name for name, _, _ in TAMPERED_CARD])
def test_tampered_card_is_refused_naming_file_and_key(tmp_path, change, key):
    path = _save(tmp_path)
    _edit(card_path(path), change)
    with pytest.raises(DataFileError) as info:
        load_linear_model(path, "toy")
    message = str(info.value)
    assert str(card_path(path)) in message and key in message


def test_wrong_task_is_refused(tmp_path):
    path = _save(tmp_path)
    with pytest.raises(DataFileError, match="'task'.*'politeness'.*'toy'"):
        load_linear_model(path, "politeness")


class _Boom:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("content, expected", [
    (b"this is not json", "not valid JSON"),
    (b"[1, 2, 3]", "expected a JSON object"),
    (b'{"schema": "transcript-coach/linear-model/v1", "coef": [NaN]}', "NaN"),
    (b"\xff\xfe{\x00", "not UTF-8"),
    (b"", "not valid JSON"),
], ids=["text", "list", "nan", "utf16", "empty"])
def test_files_that_are_not_our_json_are_refused(tmp_path, content, expected):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=expected) as info:
        load_linear_model(path, "toy")
    assert str(path) in str(info.value)


def test_a_pickle_is_never_unpickled(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.json"
    path.write_bytes(pickle.dumps(_Boom(marker)))
    with pytest.raises(DataFileError, match="pickle") as info:
        load_linear_model(path, "toy")
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_missing_card_is_refused(tmp_path):
    path = _save(tmp_path)
    card_path(path).unlink()
    with pytest.raises(DataFileError, match=r"toy\.card\.json: model file is missing"):
        load_linear_model(path, "toy")


def test_save_refuses_mismatched_lengths(tmp_path):
    with pytest.raises(DataFileError, match="coef"):
        _save(tmp_path, coef=[1.0, 2.0])
    assert not (tmp_path / "toy.json").exists()


# --- the shipped politeness model ------------------------------------------------------------------------------

def test_shipped_politeness_model_and_card():
    path = shipped_model_path()
    model = load_linear_model(path, TASK)
    card = model.card
    assert card["schema"] == CARD_SCHEMA
    assert card["feature_names_sha256"] == feature_names_sha256(model.feature_names)
    assert len(model.feature_names) == len(model.coef) == card["n_features"]
    assert "Danescu-Niculescu-Mizil" in card["training_data"]["citation"]
    assert "CC BY-SA" in card["licence"]["attribution"] and "derived work" in card["licence"]["derived_work"]
    assert "CC BY-SA" in json.loads(path.read_text(encoding="utf-8"))["description"]
    assert card["sklearn_version"] and card["numpy_version"]
    assert card["metrics"]["folds"] >= 5 and 0.5 < card["metrics"]["roc_auc"] <= 1
    assert "quartile" in card["label"]["definition"]
    assert len(card["training_data"]["sha256"]) == 64
    # strategies, sentiment words and an n-gram vocabulary; the model leans the expected way on clear cues
    weights = dict(zip(model.feature_names, model.coef, strict=True))
    assert weights["strategy:gratitude.thanks"] > 0 and weights["strategy:direct_question"] < 0


@pytest.mark.skipif(not DATA.exists(), reason="the shared Stanford Politeness data is not next to the repository")
def test_card_describes_the_training_files():
    card = load_linear_model(shipped_model_path(), TASK).card
    files = card["training_data"]["files"]
    for entry in files:
        data = (DATA.parent / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    combined = hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    assert card["training_data"]["sha256"] == combined
