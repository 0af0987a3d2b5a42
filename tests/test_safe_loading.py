"""Rubric, glossary and model files from users are validated; nothing in them or in an input can run code or make
the program read another file."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach import Coach
from transcript_coach.cli import cli
from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.linear_model import load_linear_model
from transcript_coach.scoring import load_rubric
from transcript_coach.signals.jargon import read_glossary

SRC = Path(__file__).resolve().parent.parent / "src" / "transcript_coach"
CHAT = "Customer: my order is late and I am upset\nAgent: Sorry about that, let me check it for you.\n"

HOSTILE_JSON = {
    "nested arrays": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "integer of 5000 digits": '{"version": ' + "9" * 5000 + "}",
    "NaN": '{"version": NaN}',
    "Infinity": '{"version": -Infinity}',
    "not UTF-8": "{\"version\": \"caf\xe9\"}".encode("latin-1"),
    "binary": bytes(range(256)),
    "empty": "",
    "a list": "[1, 2]",
    "a key twice": '{"version": 1, "skills": {}, "version": 2}',
}


def _write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _rubric(change) -> str:
    document = copy.deepcopy(load_json("rubric.json"))
    change(document)
    return json.dumps(document)


def _signal(key, value):
    return lambda r: r["skills"]["empathy"]["signals"][0].__setitem__(key, value)


RUBRIC_CHANGES = {
    "target is text": (_signal("target", "abc"), "signals[0].target: expected int or float"),
    "target is a list": (_signal("target", [1]), "signals[0].target: expected int or float"),
    "target is zero": (_signal("target", 0), "signals[0].target: must not be 0"),
    "weight is text": (_signal("weight", "5"), "signals[0].weight: expected int or float"),
    "weight is true": (_signal("weight", True), "signals[0].weight: expected int or float, got bool"),
    "when is an object": (_signal("when", {"a": 1}), "signals[0].when: unknown condition"),
    "requires holds an object": (lambda r: r["skills"]["empathy"].__setitem__("requires", [{"a": 1}]),
                                 "requires[0]: unknown condition"),
    "base is text": (lambda r: r["skills"]["empathy"].__setitem__("base", "50"), "empathy.base: expected int or float"),
    "a skill is missing": (lambda r: r["skills"].pop("empathy"), "skills.empathy: missing"),
    "an unknown skill": (lambda r: r["skills"].__setitem__("juggling", {}), "skills.juggling: not a skill"),
    "conditions hold text": (lambda r: r.__setitem__("conditions", {"x": "1"}), "conditions: expected an object"),
    "flags is a list": (lambda r: r.__setitem__("flags", [1]), "flags: expected Mapping"),
    "flag kinds is a list": (lambda r: r["flags"]["TC116"].__setitem__("kinds", ["money"]),
                             "flags.TC116.kinds: expected an object of names by evidence rule"),
    "a flag kind names a number": (lambda r: r["flags"]["TC116"].__setitem__("kinds", {"lexicon:customer#x": 1}),
                                   "flags.TC116.kinds: expected an object"),
}


@pytest.mark.parametrize("name", HOSTILE_JSON)
def test_hostile_rubric_file_is_refused_naming_it(tmp_path, name):
    path = _write(tmp_path / "rubric.json", HOSTILE_JSON[name])
    with pytest.raises(DataFileError, match=str(path).replace(".", r"\.")):
        load_rubric(path)


def test_a_key_given_twice_is_refused_naming_it(tmp_path):
    path = _write(tmp_path / "rubric.json", _rubric(lambda r: None).replace('"skills":', '"flags": {}, "skills":', 1))
    with pytest.raises(DataFileError, match="key 'flags' is given twice in one object") as caught:
        load_rubric(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("name", RUBRIC_CHANGES)
def test_rubric_with_wrong_types_is_refused_naming_the_key(tmp_path, name):
    change, message = RUBRIC_CHANGES[name]
    path = _write(tmp_path / "rubric.json", _rubric(change))
    with pytest.raises(DataFileError) as caught:
        load_rubric(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_rubric_with_huge_finite_numbers_still_gives_scores_in_range(tmp_path, assert_valid):
    def huge(r):
        for spec in r["skills"].values():
            spec["base"] = 1e308
            for signal in spec["signals"]:
                signal["weight"], signal["target"] = -1e308, 1e-308
    path = _write(tmp_path / "rubric.json", _rubric(huge))
    coach = Coach(rubric=path)
    (report,) = [r.to_dict() for r in coach.score([_write(tmp_path / "c.txt", CHAT)])]
    assert_valid(report)
    assert all(s["score"] is None or 0 <= s["score"] <= 100 for s in report["skills"].values())


@pytest.mark.parametrize("name", HOSTILE_JSON)
def test_hostile_glossary_file_is_refused_naming_it(tmp_path, name):
    path = _write(tmp_path / "glossary.json", HOSTILE_JSON[name])
    with pytest.raises(DataFileError, match=str(path).replace(".", r"\.")):
        read_glossary(path)


@pytest.mark.parametrize("content", [
    '{"terms": [{"term": 5, "plain": "x"}]}',
    '{"terms": [{"term": "SLA", "plain": ["x"]}]}',
    '{"terms": [{"term": "SLA", "plain": "x", "aliases": {"a": 1}}]}',
    '{"terms": "SLA"}',
    '{"SLA": {"term": "other", "plain": "x"}}',
    "term,plain\nSLA,\n",
])
def test_glossary_with_wrong_types_is_refused(tmp_path, content):
    path = _write(tmp_path / ("g.csv" if content.startswith("term") else "g.json"), content)
    with pytest.raises(DataFileError, match=str(path).replace(".", r"\.")):
        read_glossary(path)


@pytest.mark.parametrize("name", ["nested arrays", "integer of 5000 digits", "NaN", "not UTF-8", "binary"])
def test_hostile_model_file_is_refused_naming_it(tmp_path, name):
    path = _write(tmp_path / "empathy.json", HOSTILE_JSON[name])
    with pytest.raises(DataFileError, match=str(path).replace(".", r"\.")):
        load_linear_model(path, "skill:empathy")


@pytest.mark.parametrize("option, name", [("--rubric", "rubric.json"), ("--glossary", "glossary.json")])
def test_cli_refuses_hostile_files_as_usage_errors_without_a_traceback(tmp_path, option, name):
    chat = _write(tmp_path / "c.txt", CHAT)
    for content in HOSTILE_JSON.values():
        path = _write(tmp_path / name, content)
        result = CliRunner().invoke(cli, ["score", str(chat), option, str(path)])
        assert result.exit_code == 2, (content[:20], result.output)
        assert str(path) in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_refuses_a_hostile_model_folder(tmp_path):
    chat = _write(tmp_path / "c.txt", CHAT)
    models = tmp_path / "models"
    models.mkdir()
    _write(models / "empathy.json", "[" * 100_000)
    result = CliRunner().invoke(cli, ["score", str(chat), "--model", str(models)])
    assert result.exit_code == 2 and "empathy.json" in result.stderr


# --- nothing executes code -----------------------------------------------------------------------------------------

DANGEROUS_CALLS = {
    ("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"), ("marshal", "load"), ("marshal", "loads"),
    ("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"), ("shelve", "open"), ("joblib", "load"),
    ("dill", "load"), ("dill", "loads"), ("torch", "load"), ("os", "system"), ("os", "popen"),
}
DANGEROUS_NAMES = {"eval", "exec", "compile", "__import__"}
DANGEROUS_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "joblib", "yaml", "subprocess"}


def _dangerous(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in DANGEROUS_NAMES:
                found.append(func.id)
            elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                  and (func.value.id, func.attr) in DANGEROUS_CALLS):
                found.append(f"{func.value.id}.{func.attr}")
            for keyword in node.keywords:
                if keyword.arg == "allow_pickle" and not (isinstance(keyword.value, ast.Constant)
                                                         and keyword.value.value is False):
                    found.append("allow_pickle")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [n for n in names if n.split(".")[0] in DANGEROUS_MODULES]
    return found


def test_no_code_in_the_package_can_execute_data():
    offenders = {str(path.relative_to(SRC)): _dangerous(ast.parse(path.read_text(encoding="utf-8")))
                 for path in sorted(SRC.rglob("*.py"))}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_check_finds_what_it_looks_for():
    sample = "import pickle\nimport yaml\nx = eval('1')\npickle.loads(b'')\nyaml.load(s)\nnp.load(f, allow_pickle=True)"
    assert sorted(_dangerous(ast.parse(sample))) == ["allow_pickle", "eval", "pickle", "pickle.loads", "yaml",
                                                       "yaml.load"]


# --- paths inside inputs are never followed ------------------------------------------------------------------------

SECRET = "zebra-quartz-secret-7731"


@pytest.fixture
def secret(tmp_path) -> Path:
    return _write(tmp_path / "secret.txt", f"Customer: {SECRET}\nAgent: {SECRET}\n")


def test_paths_named_inside_inputs_are_never_read(tmp_path, secret):
    folder = tmp_path / "in"
    folder.mkdir()
    uri = secret.as_uri()
    _write(folder / "export.json", json.dumps({"turns": [
        {"role": "customer", "text": f"See {secret}", "attachment": str(secret), "file": uri, "path": str(secret)},
        {"role": "agent", "text": "Thanks, I will look.", "include": str(secret)},
    ]}))
    _write(folder / "message.eml", (
        "From: Dana <dana@example.com>\nTo: support@example.com\nSubject: files\nDate: Mon, 3 Mar 2026 09:00:00 +0000\n"
        "Message-ID: <a@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nPlease see the attachments.\n"
        f"--b\nContent-Type: text/plain; name=\"{secret}\"\nContent-Disposition: attachment; filename=\"{secret}\"\n\n"
        "attached\n"
        f"--b\nContent-Type: message/external-body; access-type=local-file; name=\"{secret}\"\n\n"
        "Content-Type: text/plain\n\n"
        f"--b\nContent-Type: text/html\n\n<p>Hi <img src=\"{uri}\"><iframe src=\"{uri}\"></iframe>"
        f"<object data=\"{uri}\"></object></p>\n--b--\n"))
    _write(folder / "ticket.json", json.dumps({
        "ticket": {"id": 1, "subject": "files", "description": "x"},
        "comments": [{"id": 1, "author_id": 1, "public": True, "body": "see attached",
                      "html_body": f"<p>see <a href=\"{uri}\">file</a> <img src=\"{uri}\"></p>",
                      "attachments": [{"file_name": str(secret), "content_url": uri}]},
                     {"id": 2, "author_id": 2, "public": True, "body": "Thanks, looking now."}],
        "users": [{"id": 1, "name": "Dana", "role": "end-user"}, {"id": 2, "name": "Tom", "role": "agent"}]}))
    result = CliRunner().invoke(cli, ["score", str(folder), "-q"])
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == 3 and all("error" not in r for r in reports), result.stdout[:2000]
    assert SECRET not in result.stdout
