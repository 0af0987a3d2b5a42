"""The review queue: urgency, order, the spread across agents with --top, evidence lines, error records, the CLI."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcript_coach import review as review_module
from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.model import REPORT_SCHEMA, SKILLS, Transcript
from transcript_coach.review import (NO_AGENT, Distinct, check_report, is_reports_file, load_reports,
                                     read_report_array, reasons_for, review, review_queue, review_settings, spread,
                                     write_text)
from transcript_coach.schema import schema_errors

TURNS = (
    ("customer", "Customer", "My parcel 4471 is late again and I am really upset."),
    ("agent", None, "As I already said, it is policy. Calm down."),
    ("customer", "Customer", "This is useless. I will cancel."),
)


def make_report(rid, agents=("Tom",), *, started_at="2026-03-02T10:00:00", scores=None, flags=(),
                end_sentiment=None, source=None, skill_evidence=None):
    """A report dict valid against the schema. ``flags`` are (code, severity, [(turn, text), ...]) tuples."""
    speaker = agents[0] if agents else "Agent"
    turns = [{"index": i, "role": role, "speaker": who or speaker, "timestamp": None, "internal": False, "text": text}
             for i, (role, who, text) in enumerate(TURNS)]
    evidence = []

    def cite(turn, text, feature="tone.negative_phrasing", value=1.0):
        start = turns[turn]["text"].index(text)
        eid = f"e{len(evidence) + 1}"
        evidence.append({"id": eid, "feature": feature, "turn": turn, "start": start, "end": start + len(text),
                         "text": text, "rule": "test", "value": value})
        return eid

    skills = {s: {"score": None, "confidence": 0.0, "reason": "not scored", "evidence": []} for s in SKILLS}
    for skill, score in (scores or {}).items():
        ids = [cite(t, x, "tone.blame") for t, x in (skill_evidence or {}).get(skill, ())]
        skills[skill] = {"score": score, "confidence": 0.8, "reason": "test", "evidence": ids}
    flag_list = [{"code": code, "severity": severity, "reason": f"{code} happened",
                  "evidence": [cite(t, x) for t, x in spans]} for code, severity, spans in flags]
    if end_sentiment is not None:
        cite(2, "This is useless. I will cancel.", "tone.customer_end_sentiment", end_sentiment)
    doc = {
        "schema": REPORT_SCHEMA, "id": rid, "source": source or f"/data/{rid}.txt", "format": "chat",
        "channel": "chat", "agents": list(agents), "started_at": started_at, "ended_at": started_at,
        "warnings": [], "turns": turns, "evidence": evidence, "skills": skills, "notes": [], "flags": flag_list,
        "promises": [], "metrics": {},
    }
    errors = schema_errors(doc)
    assert not errors, errors
    return doc


def error_record(source="/data/broken.json"):
    doc = {"schema": REPORT_SCHEMA, "source": source,
           "error": {"code": "malformed_json", "message": f"{source}:3: not valid JSON", "line": 3}}
    assert not schema_errors(doc)
    return doc


HIGH = ("rude_language", "high", [(1, "Calm down")])
MEDIUM = ("policy_refusal", "medium", [(1, "it is policy")])
LOW = ("no_greeting", "low", [])


def weights():
    return review_settings().severity_weights


# --- ordering -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reports, expected", [
    # severity decides: high > medium > low
    ([make_report("a", flags=[LOW]), make_report("b", flags=[HIGH]), make_report("c", flags=[MEDIUM])],
     ["b", "c", "a"]),
    # equal urgency: report id breaks the tie, whatever the input order
    ([make_report("z", flags=[MEDIUM]), make_report("m", flags=[MEDIUM]), make_report("k", flags=[MEDIUM])],
     ["k", "m", "z"]),
    # flags add up
    ([make_report("one", flags=[MEDIUM]), make_report("two", flags=[MEDIUM, LOW])], ["two", "one"]),
    # low skill scores and a customer still negative at the end also count; nothing at all is not queued
    ([make_report("clean"), make_report("low", scores={"empathy": 20}), make_report("sad", end_sentiment=-0.6)],
     ["sad", "low"]),
])
def test_queue_order(reports, expected):
    assert [item.report_id for item in review_queue(reports)] == expected


def test_a_high_severity_flag_is_read_before_any_sum_of_lesser_reasons():
    many = make_report("many", flags=[MEDIUM, MEDIUM, MEDIUM, LOW], scores={"empathy": 5, "patience": 5},
                       end_sentiment=-0.8)
    breach = make_report("breach", flags=[HIGH])
    items = review_queue([many, breach])
    assert items[0].urgency < items[1].urgency  # less urgent by the sum, read first all the same
    assert [item.report_id for item in items] == ["breach", "many"]
    assert [item.report_id for item in review_queue([many, breach], top=1)] == ["breach"]
    assert [item.report_id for item in review_queue([many, breach, make_report("more", flags=[HIGH, MEDIUM])])] \
        == ["more", "breach", "many"]  # among them, most urgent first


def test_urgency_components_follow_the_data_file():
    config = review_settings()
    (item,) = review_queue([make_report("x", flags=[HIGH, LOW], scores={"empathy": 30, "patience": 90,
                                                                         "continuous_learning": 5},
                                        end_sentiment=-0.5)])
    low = min(config.low_skill_max, (config.low_skill_below - 30) * config.low_skill_points_per_point)
    assert item.urgency == pytest.approx(weights()["high"] + weights()["low"] + low + config.negative_weight)
    assert [r.kind for r in item.reasons].count("low_skill") == 1  # patience is fine; continuous_learning ignored
    assert item.reasons[0].code == "rude_language"  # weightiest first
    assert weights()["high"] > weights()["medium"] > weights()["low"]



@pytest.mark.parametrize("value", ["high", ["urgent"], None])
def test_read_first_severities_are_checked(monkeypatch, value):
    document = {**load_json("review.json"), "read_first": value}
    monkeypatch.setattr(review_module, "load_json", lambda name: document)
    review_settings.cache_clear()
    try:
        with pytest.raises(DataFileError, match="read_first"):
            review_settings()
    finally:
        review_settings.cache_clear()

@pytest.mark.parametrize("score, queued", [(None, False), (39.5, True), (40, False), (0, True)])
def test_low_skill_threshold(score, queued):
    report = make_report("x", scores={"empathy": score} if score is not None else {})
    assert bool(review_queue([report])) is queued


@pytest.mark.parametrize("sentiment, queued", [(-0.6, True), (-0.05, True), (0.0, False), (0.4, False)])
def test_customer_negative_at_the_end(sentiment, queued):
    assert bool(review_queue([make_report("x", end_sentiment=sentiment)])) is queued


def test_negative_end_already_cited_by_a_flag_is_not_counted_twice():
    report = make_report("x", end_sentiment=-0.7)
    eid = report["evidence"][-1]["id"]
    report["flags"] = [{"code": "customer_unhappy", "severity": "medium", "reason": "still unhappy",
                        "evidence": [eid]}]
    assert not schema_errors(report)
    (item,) = review_queue([report])
    assert [r.code for r in item.reasons] == ["customer_unhappy"]
    assert item.urgency == weights()["medium"]


# --- evidence lines -------------------------------------------------------------------------------------------------

def test_evidence_lines_carry_turn_speaker_and_text():
    report = make_report("x", agents=("Marcus",), flags=[("rude_language", "high", [(1, "Calm down"),
                                                                                    (1, "As I already said")])],
                         scores={"patience": 20}, skill_evidence={"patience": [(1, "As I already said")]})
    (item,) = review_queue([report])
    flag = item.reasons[0]
    assert [(e.turn, e.speaker, e.role, e.text) for e in flag.evidence] == [
        (1, "Marcus", "agent", "Calm down"), (1, "Marcus", "agent", "As I already said")]
    for line in item.evidence:
        turn = report["turns"][line.turn]
        assert line.text in turn["text"]
    low = next(r for r in item.reasons if r.kind == "low_skill")
    assert low.code == "low_skills" and low.text == "1 skill(s) below 40: patience 20"
    assert low.evidence[0].text == "As I already said"


def test_low_skills_are_one_reason_lowest_first_with_telling_evidence_first():
    report = make_report("x", scores={"patience": 30, "empathy": 10},
                         skill_evidence={"patience": [(1, "As I already said"), (1, "Calm down")],
                                         "empathy": [(1, "it is policy")]})
    calm = next(e["id"] for e in report["evidence"] if e["text"] == "Calm down")
    report["notes"] = [{"skill": "patience", "kind": "improvement", "text": "t", "suggestion": None,
                        "evidence": [calm]}]
    assert not schema_errors(report)
    (item,) = review_queue([report])
    (low,) = item.reasons
    assert low.text == "2 skill(s) below 40: empathy 10, patience 30"
    assert low.weight == pytest.approx(15 + 5)
    # empathy's first, then patience's first (the one its improvement note quotes), then the rest
    assert [e.text for e in low.evidence] == ["it is policy", "Calm down", "As I already said"]


def test_unknown_evidence_ids_are_reported_not_fatal():
    report = make_report("x", flags=[HIGH])
    report["flags"][0]["evidence"].append("nope")
    (item,) = review_queue([report])
    assert item.reasons[0].missing == ("nope",)
    assert len(item.reasons[0].evidence) == 1


# --- spread across agents -------------------------------------------------------------------------------------------

def team_reports():
    """Marcus has the four most urgent conversations; Priya two milder ones; one conversation has no agent."""
    return ([make_report(f"m{i}", agents=("Marcus",), flags=[HIGH, MEDIUM]) for i in range(4)]
            + [make_report("p1", agents=("Priya",), flags=[MEDIUM]), make_report("p2", agents=("Priya Raman",),
                                                                                  flags=[LOW])]
            + [make_report("n1", agents=(), flags=[MEDIUM])])


@pytest.mark.parametrize("top, expected", [
    (0, []),
    (1, ["m0"]),
    (2, ["m0", "n1"]),  # n1 and p1 tie on urgency; report id orders them
    (3, ["m0", "n1", "p1"]),
    (4, ["m0", "m1", "n1", "p1"]),
    (5, ["m0", "m1", "n1", "p1", "p2"]),  # Priya and Priya Raman are one agent: p2 is Priya's second
    (6, ["m0", "m1", "m2", "n1", "p1", "p2"]),
    (None, ["m0", "m1", "m2", "m3", "n1", "p1", "p2"]),
    (50, ["m0", "m1", "m2", "m3", "n1", "p1", "p2"]),
])
def test_top_spreads_evenly_across_agents(top, expected):
    items = review_queue(team_reports(), top=top)
    assert [i.report_id for i in items] == expected
    assert [i.rank for i in items] == list(range(1, len(items) + 1))


def test_no_agent_takes_a_second_slot_while_another_has_none():
    reports = team_reports()
    for top in range(1, 6):  # up to 5, every agent still has queued conversations left when it is their turn
        counts = dict.fromkeys(["Marcus", "Priya Raman", NO_AGENT], 0)
        for item in review_queue(reports, top=top):
            for bucket in item.buckets:
                counts[bucket] += 1
        assert max(counts.values()) - min(counts.values()) <= 1 or counts[NO_AGENT] == 1, (top, counts)


def test_shared_conversation_counts_against_both_agents():
    reports = [make_report("both", agents=("Ann", "Bob"), flags=[HIGH]),
               make_report("ann", agents=("Ann",), flags=[MEDIUM]),
               make_report("bob", agents=("Bob",), flags=[MEDIUM]),
               make_report("cy", agents=("Cy",), flags=[LOW])]
    assert [i.report_id for i in review_queue(reports, top=2)] == ["both", "cy"]
    (item,) = review_queue(reports, top=1)
    assert item.buckets == ("Ann", "Bob")


def test_role_label_names_go_to_the_no_agent_bucket():
    (item,) = review_queue([make_report("x", agents=("Agent",), flags=[LOW])])
    assert item.buckets == (NO_AGENT,)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(
    st.lists(st.sampled_from(["Ann", "ann ", "Priya", "Priya Raman", "Priya Shah", "Bob", "Agent", " ", "Cy"]),
             max_size=3),
    st.lists(st.sampled_from([HIGH, MEDIUM, LOW]), min_size=1, max_size=2),
    st.sampled_from(["a", "b", "c"]),  # report ids repeat, so that ties on urgency and id are common
), max_size=40), st.integers(0, 6))
def test_top_picks_what_spread_picks_from_the_whole_queue(conversations, top):
    """With --top, only a few conversations of each name are kept as the reports are read; the queue is the one the
    even spread picks from every queued conversation: merged names, role labels, shared conversations, ties."""
    reports = [make_report(rid, agents=tuple(names), flags=flags, source=f"/data/{k}.txt")
               for k, (names, flags, rid) in enumerate(conversations)]
    whole = review(reports).items
    expected = spread(whole, top) if top < len(whole) else whole
    assert [(i.source, i.buckets) for i in review_queue(reports, top=top)] == [(i.source, i.buckets) for i in expected]


def test_with_top_the_queue_keeps_a_few_conversations_of_each_agent_however_many_are_read():
    import tracemalloc

    from transcript_coach.language import load_identifier

    made = [make_report("r", agents=(agent,), flags=[flag]) for agent in ("Tom", "Priya", "Ann", "Agent")
            for flag in (HIGH, MEDIUM, LOW)]

    def reports(n):
        for k in range(n):
            report = json.loads(json.dumps(made[k % len(made)]))  # a new report each time, as one read from a file is
            report["id"] = f"r{k:06d}"
            yield report

    def peak(n, top):
        load_identifier()  # not the language model loading in a thread, started by a Coach of an earlier test
        tracemalloc.start()
        try:
            result = review(reports(n), top=top)
            return tracemalloc.get_traced_memory()[1], result
        finally:
            tracemalloc.stop()

    peak(10, 5)  # settings loaded once are not what is measured
    (small, few), (large, many) = peak(500, 5), peak(2000, 5)
    assert (few.queued, many.queued, len(many.items)) == (500, 2000, 5)
    assert (large - small) / 1500 < 100  # over 1,000 bytes a report when every queued one was kept
    assert len({b for i in many.items for b in i.buckets}) == 4  # Tom, Priya, Ann and the no-agent bucket


def test_negative_top_is_refused():
    with pytest.raises(ValueError):
        review_queue([], top=-1)


# --- error records --------------------------------------------------------------------------------------------------

def test_error_records_are_listed_apart_not_queued():
    result = review([error_record(), make_report("x", flags=[HIGH]), make_report("ok")])
    assert [i.report_id for i in result.items] == ["x"]
    assert len(result.failures) == 1 and result.clean == 1 and result.queued == 1


def test_to_dict_is_json_ready():
    (item,) = review_queue([make_report("x", flags=[HIGH])])
    doc = json.loads(json.dumps(item.to_dict()))
    assert {"rank", "urgency", "id", "source", "agents", "reasons", "evidence"} <= set(doc)
    assert doc["evidence"][0] == {"id": "e1", "turn": 1, "speaker": "Tom", "role": "agent",
                                  "feature": "tone.negative_phrasing", "text": "Calm down", "start": 33, "end": 42,
                                  "sentence": None}  # no sentence evidence in this report to show it in


def test_a_word_or_two_of_evidence_is_shown_in_its_sentence():
    from transcript_coach import Coach

    report = Coach().analyze(Transcript.from_turns([
        {"role": "customer", "speaker": "Robin",
         "text": "Hi. I didn't know it was going to renew. Can I get a refund?"},
        {"role": "agent", "speaker": "Dev", "text": "You should have cancelled it. There's nothing I can do."},
        {"role": "customer", "speaker": "Robin", "text": "Not happy. Cancel my account."}], id="renewal"))
    result = review([report.to_dict()])
    lines = [e for item in result.items for r in item.reasons for e in r.evidence]
    cue = next(e for e in lines if e.text == "didn't")
    assert cue.sentence == "I didn't know it was going to renew." and cue.to_dict()["sentence"] == cue.sentence
    out = io.StringIO()
    write_text(result, out)
    assert 'turn 1, Robin: "I didn\'t know it was going to renew."' in out.getvalue()
    assert 'Robin: "didn\'t"' not in out.getvalue()


# --- reading inputs -------------------------------------------------------------------------------------------------

def write_jsonl(path, docs, extra_lines=()):
    path.write_text("\n".join([json.dumps(d) for d in docs] + list(extra_lines)) + "\n", encoding="utf-8")
    return str(path)


def test_reports_file_is_told_apart_from_a_jsonl_transcript(tmp_path):
    reports = write_jsonl(tmp_path / "r.jsonl", [make_report("x")])
    chat = write_jsonl(tmp_path / "chat.jsonl", [{"conversation_id": "c1", "speaker": "Customer", "text": "hi"}])
    named_txt = tmp_path / "r.txt"
    named_txt.write_text(json.dumps(make_report("x")) + "\n", encoding="utf-8")
    assert is_reports_file(reports)
    assert not is_reports_file(chat)
    assert not is_reports_file(str(named_txt))


def test_bad_lines_in_a_reports_file_become_error_records(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [make_report("x"), error_record()],
                       ["{not json", json.dumps({"schema": REPORT_SCHEMA, "id": 3})])
    docs = list(load_reports([path], coach=lambda: pytest.fail("no scoring needed")))
    assert docs[0]["id"] == "x" and "error" in docs[1]
    assert [d["error"]["line"] for d in docs[2:]] == [3, 4]
    assert all(d["error"]["code"] == "malformed_report" for d in docs[2:])


def _damaged(damage):
    doc = make_report("x", flags=(HIGH,), scores={"empathy": 20}, skill_evidence={"empathy": [(1, "Calm down")]})
    doc["notes"] = [{"skill": "empathy", "kind": "improvement", "evidence": ["e1"], "text": "t"}]
    damage(doc)
    return doc


# each a report damaged in a way that once stopped review or agents with a traceback (found by a mutation fuzzer)
DAMAGES = {
    "notes not a list": lambda d: d.update(notes=5),
    "a note's evidence not a list": lambda d: d["notes"][0].update(evidence=7),
    "a flag's evidence not a list": lambda d: d["flags"][0].update(evidence=1.5),
    "an agent name not a string": lambda d: d.update(agents=[True]),
    "an agent name a list": lambda d: d.update(agents=[["Tom"]]),
    "an evidence feature a list": lambda d: d["evidence"][0].update(feature=["tone.blame"]),
    "an evidence id an object": lambda d: d["evidence"][0].update(id={"e": 1}),
    "a flag's severity a list": lambda d: d["flags"][0].update(severity=["high"]),
    "a skill's evidence a string": lambda d: d["skills"]["empathy"].update(evidence="e1"),
    "started_at a number": lambda d: d.update(started_at=5),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
@pytest.mark.parametrize("command", [["review"], ["review", "--format", "jsonl", "--top", "1"], ["agents"],
                                     ["agents", "--format", "json"], ["agents", "--format", "csv"]])
def test_a_report_damaged_inside_is_an_error_record_naming_its_line(tmp_path, damage, command):
    from transcript_coach.cli import cli

    assert check_report(_damaged(lambda d: None)) is None
    damaged = _damaged(damage)
    assert schema_errors(damaged)  # not a report of the contract either
    path = write_jsonl(tmp_path / "r.jsonl", [make_report("y", flags=(HIGH,)), damaged])
    result = CliRunner().invoke(cli, [*command, path])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1  # the damaged line, reported; the other report is read
    assert f"{path}:2: not a report" in result.output + result.stderr


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_reports_file_is_read_as_the_file_it_holds(tmp_path, compress):
    plain = write_jsonl(tmp_path / "r.jsonl", [make_report("x"), error_record()], ["{not json"])
    packed = tmp_path / {gzip.compress: "r.jsonl.gz", bz2.compress: "r.jsonl.bz2", lzma.compress: "r.jsonl.xz"}[compress]
    with open(plain, "rb") as handle:
        data = compress(handle.read())
    packed.write_bytes(data)
    assert is_reports_file(str(packed))

    def read(path):
        docs = list(load_reports([str(path)], coach=lambda: pytest.fail("no scoring needed")))
        for doc in docs[-1:]:
            doc["error"]["message"] = doc["error"]["message"].replace(str(path), "FILE")
            doc["source"] = "FILE"
        return docs

    assert read(packed) == read(plain)
    assert [d["error"]["code"] for d in read(packed)[1:]] == ["malformed_json", "malformed_report"]
    cut = tmp_path / f"cut-{packed.name}"
    cut.write_bytes(data[:-10])  # the stream's end is missing, not its first line
    *_, record = load_reports([str(cut)], coach=lambda: pytest.fail("no scoring needed"))
    assert record["error"]["code"] == "unreadable" and "damaged or cut short" in record["error"]["message"]
    piped = list(load_reports(["-"], stdin=data, coach=lambda: pytest.fail("no scoring needed")))
    assert piped == list(load_reports(["-"], stdin=Path(plain).read_bytes(), coach=lambda: pytest.fail("no scoring")))
    assert [d.get("id") for d in piped[:2]] == ["x", None] and len(piped) == 3


class Recorder:
    """A stand-in for a Coach: the names of what it was asked to score, run by run; a report of each says its name."""

    def __init__(self):
        self.runs = []

    def score(self, paths, stdin=None, jobs=1, transform=None):
        run = [os.path.basename(str(p)) for p in paths]
        self.runs.append(run)
        return ({"scored": name} for name in run)


def mixed_folder(tmp_path):
    """Transcripts and report files side by side, as a QA team's folder of a month holds them."""
    folder = tmp_path / "month"
    (folder / "week2").mkdir(parents=True)
    for name in ("a-chat.txt", "c-chat.txt", "d-chat.txt"):
        (folder / name).write_text("Customer: hi\nAgent: hello\n", encoding="utf-8")
    write_jsonl(folder / "b-reports.jsonl", [make_report("r1"), make_report("r2")])
    (folder / "week2" / "e-reports.jsonl.gz").write_bytes(gzip.compress(
        (json.dumps(make_report("r3")) + "\n").encode()))
    return folder


def mixed_folder_and_zip(tmp_path):
    """``mixed_folder``, and a zip archive of it (``month.zip``, holding ``month/...``)."""
    import zipfile

    folder = mixed_folder(tmp_path)
    packed = tmp_path / "month.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path).as_posix())
    return folder, packed


def test_report_files_in_a_folder_or_zip_archive_are_read_and_the_rest_scored_in_runs(tmp_path):
    """A report file met in a folder or zip archive is read as reports, not scored again as a transcript; the
    transcripts between report files are scored a run at a time, and everything comes in the order of the walk."""
    folder, packed = mixed_folder_and_zip(tmp_path)
    for named in (folder, packed, f"{packed}/month"):
        recorder = Recorder()
        docs = list(load_reports([str(named)], coach=lambda recorder=recorder: recorder))
        assert [d.get("id") or d.get("scored") for d in docs] == ["a-chat.txt", "r1", "r2", "c-chat.txt",
                                                                 "d-chat.txt", "r3"], named
        assert recorder.runs == [["a-chat.txt"], ["c-chat.txt", "d-chat.txt"]]
    only_reports = tmp_path / "reports-only"
    only_reports.mkdir()
    write_jsonl(only_reports / "r.jsonl", [make_report("r1")])
    read = load_reports([str(only_reports)], coach=lambda: pytest.fail("no scoring needed"))
    assert [d["id"] for d in read] == ["r1"]


def test_a_walk_opens_each_report_file_once_to_tell_it_and_once_to_read_it(tmp_path, monkeypatch):
    """What a folder walk told of a file (a report file, and of which schema) is not asked of the file again: a
    folder of 10,000 report files was opened and its first reports decoded three times, not twice."""
    from transcript_coach.ingest import report_files

    folder, packed = mixed_folder_and_zip(tmp_path)
    opened: list[str] = []
    real = report_files._report_bytes
    monkeypatch.setattr(report_files, "_report_bytes", lambda path: opened.append(path) or real(path))
    for named in (folder, packed):
        opened.clear()
        docs = list(load_reports([str(named)], coach=lambda: Recorder()))
        assert [d.get("id") or d.get("scored") for d in docs] == ["a-chat.txt", "r1", "r2", "c-chat.txt",
                                                                 "d-chat.txt", "r3"], named
        reports = [name for name in opened if name.endswith(".jsonl")]
        assert reports and all(reports.count(name) == 2 for name in reports), opened


def test_a_damaged_report_file_in_a_zip_archive_is_an_error_record_and_the_rest_is_read(tmp_path):
    import zipfile

    whole = gzip.compress("".join(json.dumps(make_report(f"r{i}")) + "\n" for i in range(200)).encode())
    packed = tmp_path / "reports.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("a.jsonl.gz", whole[: len(whole) // 2])  # its first lines read, its end is missing
        write_jsonl(tmp_path / "b.jsonl", [make_report("b1")])
        archive.write(tmp_path / "b.jsonl", "b.jsonl")
    docs = list(load_reports([str(packed)], coach=lambda: pytest.fail("no scoring needed")))
    record = next(d for d in docs if "error" in d)
    assert record["source"] == f"{packed}/a.jsonl.gz" and record["error"]["code"] == "unreadable"
    assert docs[0]["id"] == "r0" and docs[-1]["id"] == "b1"


def test_a_json_array_of_reports_is_read_as_reports_in_a_folder_or_zip_archive(tmp_path):
    """What score --format json writes: the reports are read as they were written (their own sources), an element
    that is not a report is an error record naming it, and a file cut short gives the elements before the cut."""
    import zipfile

    docs = [make_report("x"), error_record(), make_report("y"), {"schema": REPORT_SCHEMA, "id": 3}]
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "reports.json").write_text("[\n" + ",\n".join(json.dumps(d, indent=2) for d in docs) + "\n]\n",
                                         encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "out.zip", "w") as archive:
        archive.writestr("reports.json.gz", gzip.compress((folder / "reports.json").read_bytes()))
    for named in (folder / "reports.json", folder, tmp_path / "out.zip"):
        read = list(load_reports([str(named)], coach=lambda: pytest.fail("no scoring needed")))
        assert [d.get("id") or d.get("source") for d in read[:3]] == ["x", "/data/broken.json", "y"], named
        assert read[3]["error"]["code"] == "malformed_report"
        assert "element 4 of the array" in read[3]["error"]["message"]
    text = (folder / "reports.json").read_text(encoding="utf-8")
    piped = list(load_reports(["-"], stdin=gzip.compress(text.encode()), coach=lambda: pytest.fail("no scoring")))
    assert [d.get("id") for d in piped[:3]] == ["x", None, "y"] and "element 4" in piped[3]["error"]["message"]

    cut = text[:text.index('"y"') + 10]  # inside the third element: the two before it are read, as with JSON Lines
    (folder / "reports.json").write_text(cut, encoding="utf-8")
    for named_as, stdin in ((folder / "reports.json", None), ("-", cut.encode())):
        *read, record = load_reports([str(named_as)], stdin=stdin, coach=lambda: pytest.fail("no scoring needed"))
        assert [d.get("id") or d["error"]["code"] for d in read] == ["x", "malformed_json"], named_as
        assert record["error"]["code"] == "malformed_report"
        assert "element 3 of the array is cut short or not valid JSON; the 2 element(s) before it were read" in \
            record["error"]["message"]
    (folder / "reports.json").write_text(text.rstrip()[:-1] + ",\n{}\n]\njunk", encoding="utf-8")
    *read, record = load_reports([str(folder / "reports.json")], coach=lambda: pytest.fail("no scoring needed"))
    assert [d.get("id") for d in read[:3]] == ["x", None, "y"] and "element 5 of the array is not a report" in \
        read[-1]["error"]["message"]
    assert "not valid JSON after the end of the array; its 5 element(s) were read" in record["error"]["message"]
    many = "[\n" + ",\n".join(json.dumps(make_report(f"r{i}"), indent=2) for i in range(20)) + "\n]\n"
    packed = gzip.compress(many.encode())
    (folder / "reports.json.gz").write_bytes(packed[:-12])  # the compressed stream itself cut short
    (folder / "reports.json").unlink()
    *read, record = load_reports([str(folder / "reports.json.gz")], coach=lambda: pytest.fail("no scoring needed"))
    assert [d["id"] for d in read] == [f"r{i}" for i in range(len(read))] and len(read) >= 5
    assert record["error"]["code"] == "unreadable"
    (record,) = read_report_array(io.StringIO('{"schema": "transcript-coach/report/v1"}'), "r.json")
    assert "expected a JSON array of reports" in record["error"]["message"]


def test_other_schema_versions_are_refused_clearly(tmp_path):
    doc = dict(make_report("x"), schema="transcript-coach/report/v9")
    path = write_jsonl(tmp_path / "r.jsonl", [doc])
    (record,) = load_reports([path], coach=lambda: pytest.fail("no scoring needed"))
    assert record["error"]["code"] == "unsupported_schema"
    assert "another schema version" in record["error"]["message"]


# --- command line ---------------------------------------------------------------------------------------------------

def run(*args, input=None):
    from transcript_coach.cli import cli

    return CliRunner().invoke(cli, ["review", *args], input=input)


@pytest.fixture
def reports_file(tmp_path):
    return write_jsonl(tmp_path / "reports.jsonl", team_reports())


def test_cli_text_listing(reports_file):
    result = run(reports_file, "--top", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Review queue: 3 of ") and "high-severity flags first, then most urgent" in out.split("\n")[0]
    assert "#1  urgency 70.0  /data/m0.txt#m0" in out
    assert "agents: Marcus" in out and "[high rude_language] rude_language happened" in out
    assert 'turn 2, Marcus: "Calm down"' in out  # the report's turn 1, counted from 1 as notes count
    assert "#4" not in out


def test_cli_jsonl(reports_file):
    result = run(reports_file, "--format", "jsonl", "--top", "4")
    assert result.exit_code == 0
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in docs] == ["m0", "m1", "n1", "p1"]
    assert [d["rank"] for d in docs] == [1, 2, 3, 4]


def test_cli_error_records_listed_and_exit_1(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [make_report("x", flags=[HIGH]), error_record()])
    result = run(path)
    assert result.exit_code == 1
    assert "Could not be scored (1):" in result.stdout and "/data/broken.json:3: not valid JSON" in result.stdout
    jsonl = run(path, "--format", "jsonl")
    assert jsonl.exit_code == 1 and len(jsonl.stdout.splitlines()) == 1
    assert "could not be scored: /data/broken.json:3" in jsonl.stderr


def test_cli_output_is_written_atomically(reports_file, tmp_path):
    out = tmp_path / "queue.txt"
    result = run(reports_file, "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "#1  urgency" in out.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    missing = run(reports_file, "-o", str(tmp_path / "nope" / "q.txt"))
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_cli_says_what_the_queue_holds_at_the_end_unless_its_listing_does(reports_file, tmp_path):
    full = review(team_reports())
    assert full.queued > 2
    out = tmp_path / "queue.jsonl"
    result = run(reports_file, "--top", "2", "--format", "jsonl", "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (f"2 conversation(s) in the review queue, of {full.conversations} read "
                                              f"({full.queued} with something to review); written to {out}")
    to_stdout = run(reports_file, "--format", "jsonl")
    assert f"{full.queued} conversation(s) in the review queue" in to_stdout.stderr
    assert len(to_stdout.stdout.splitlines()) == full.queued
    listing = run(reports_file)  # the text listing says it itself
    assert listing.exit_code == 0 and "in the review queue" not in listing.stderr
    quiet = run(reports_file, "--top", "2", "--format", "jsonl", "-o", str(out), "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and len(out.read_text("utf-8").splitlines()) == 2


@pytest.mark.parametrize("args", [["/no/such/file.jsonl"], ["--top", "-1", "x"], ["--format", "xml", "x"], []])
def test_cli_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_bad_reports_file_gives_a_clear_message(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [make_report("x", flags=[HIGH])], ["{oops"])
    result = run(path)
    assert result.exit_code == 1
    assert f"{path}:2: not valid JSON" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_scores_transcripts_first(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text("[2026-04-03 09:14:02] Customer: Hi, my parcel 48213 has not arrived.\n"
                    "[2026-04-03 09:15:10] Agent (Tom): Sorry to hear that! Let me check.\n"
                    "[2026-04-03 09:16:00] Customer: This is useless and I am furious, terrible service.\n", "utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run(str(tmp_path), "--format", "jsonl")
    assert result.exit_code == 1  # the empty file could not be scored
    assert "empty.txt" in result.stderr
    assert os.path.exists(chat)


def test_cli_reads_a_folder_of_report_files_and_transcripts(tmp_path, samples):
    """A folder of last month's reports and of new transcripts: the reports as they were written, the new ones
    scored."""
    import shutil

    write_jsonl(tmp_path / "reports.jsonl", team_reports())
    shutil.copy(samples / "call_escalation_rude.vtt", tmp_path)
    result = run(str(tmp_path), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert str(tmp_path / "call_escalation_rude.vtt") in sources
    assert {f"/data/{rid}.txt" for rid in ("m0", "m1", "m2", "m3", "p1", "p2", "n1")} <= set(sources)


def test_cli_scores_transcripts_in_worker_processes_with_the_same_output(samples):
    """review and agents score the transcripts they are given on every core, as score does (--jobs)."""
    from transcript_coach.cli import cli

    for command in (["review", "--format", "jsonl"], ["agents", "--format", "json"]):
        one, two = (CliRunner().invoke(cli, [*command, str(samples), "--jobs", jobs]) for jobs in ("1", "2"))
        assert one.exit_code == two.exit_code == 0, (one.output, two.output)
        assert one.stdout == two.stdout and len(one.stdout) > 1000


def test_a_conversation_given_twice_counts_once_with_a_warning(reports_file, tmp_path, samples):
    once = run(reports_file, "--format", "jsonl")
    twice = run(reports_file, reports_file, "--format", "jsonl")
    assert twice.exit_code == 0 and twice.stdout == once.stdout
    assert "skipped: named more than once; read once" in twice.stderr and "warning" not in once.stderr
    assert "given more than once" not in twice.stderr  # the file is read once
    distinct = Distinct([make_report("a"), error_record(), make_report("a"), error_record(), make_report("b")])
    assert [d.get("id") for d in distinct] == ["a", None, None, "b"] and distinct.repeated == 1
    # a folder holding transcripts and the report file they were scored into: each conversation once
    from transcript_coach.cli import cli

    shutil.copy(samples / "call_escalation_rude.vtt", tmp_path)
    alone = CliRunner().invoke(cli, ["agents", str(tmp_path / "call_escalation_rude.vtt"), "--format", "json"])
    CliRunner().invoke(cli, ["score", str(tmp_path), "-o", str(tmp_path / "reports.jsonl"), "-q"])
    both = CliRunner().invoke(cli, ["agents", str(tmp_path), "--format", "json"])
    assert both.exit_code == alone.exit_code == 0
    assert json.loads(both.stdout)[0]["conversations"] == json.loads(alone.stdout)[0]["conversations"] == 1


def test_the_same_reports_in_two_files_count_once_with_a_warning(reports_file, tmp_path_factory):
    copy = tmp_path_factory.mktemp("copy") / "reports.jsonl"
    shutil.copy(reports_file, copy)
    once = run(str(reports_file), "--format", "jsonl")
    both = run(str(reports_file), str(copy), "--format", "jsonl")
    assert both.exit_code == 0 and both.stdout == once.stdout
    assert "warning: 7 conversation(s) given more than once" in both.stderr


def test_a_source_given_relative_and_absolute_is_one_conversation(tmp_path, monkeypatch, samples):
    """Reports written by 'score chats -o reports.jsonl' and the same transcripts walked as /full/path/chats."""
    import shutil

    from transcript_coach.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "chats").mkdir()
    shutil.copy(samples / "call_escalation_rude.vtt", tmp_path / "chats")
    assert CliRunner().invoke(cli, ["score", "chats", "-o", "reports.jsonl", "-q"]).exit_code == 0
    assert json.loads((tmp_path / "reports.jsonl").read_text(encoding="utf-8"))["source"].startswith("chats")
    both = CliRunner().invoke(cli, ["agents", "reports.jsonl", str(tmp_path / "chats"), "--format", "json"])
    assert both.exit_code == 0 and json.loads(both.stdout)[0]["conversations"] == 1
    assert "given more than once" in both.stderr
    distinct = Distinct([make_report("a", source="chats/a.txt"), make_report("a", source="./chats/../chats/a.txt"),
                         make_report("a", source=str(tmp_path / "chats" / "a.txt")),
                         make_report("a", source="other/a.txt"), make_report("b", source="chats/a.txt")])
    assert [(d["source"], d["id"]) for d in distinct] == [("chats/a.txt", "a"), ("other/a.txt", "a"),
                                                          ("chats/a.txt", "b")]


def test_cli_reads_reports_from_stdin(reports_file):
    with open(reports_file, encoding="utf-8") as handle:
        result = run("-", "--format", "jsonl", "--top", "1", input=handle.read())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "m0"


def traced(make):
    """What ``make()`` returns, with the memory it left allocated and the most it had at once (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = make()
        return (result, *tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()


def test_the_whole_queue_waits_on_disk_and_is_read_back_as_it_was(monkeypatch):
    """Without --top every queued conversation is listed: its reasons and evidence lines go to a temporary file as
    the reports are read, and are read back as the queue is written; memory holds its place in the queue only."""
    import datetime

    quote = "I have asked three times already and nobody answers. " * 40  # a long evidence line (2,000+ characters)

    def reports(n):
        for k in range(n):
            report = make_report(f"r{k}", (("Tom", "Priya", "Ann")[k % 3],), scores={"empathy": 20.0 + k % 7},
                                 flags=[("dismissive", "high", [(1, "Calm down.")])])
            report["evidence"][0]["text"] = quote + str(k)
            yield report

    whole = review(reports(60))
    held = review(reports(60), top=60)  # a top as long as the queue: kept in memory, ordered as without top
    assert isinstance(whole.items, Sequence) and not isinstance(whole.items, tuple)
    assert list(whole.items) == list(held.items) and len(whole.items) == 60
    assert [i.rank for i in whole.items[1:3]] == [2, 3] and whole.items[-1] == held.items[-1]
    odd = [dict(r, started_at=datetime.datetime(2026, 3, 2, 10, k)) for k, r in enumerate(reports(3))]  # not JSON
    assert list(review(odd).items) == list(review(odd, top=3).items)
    with monkeypatch.context() as patch:  # no temporary folder to write to: kept in memory
        patch.setattr("tempfile.TemporaryFile", lambda: (_ for _ in ()).throw(PermissionError("read-only")))
        assert list(review(reports(5)).items) == list(review(reports(5), top=5).items)

    review(reports(10))  # settings loaded once are not what is measured
    _, small, _ = traced(lambda: review(reports(100)))
    result, large, _ = traced(lambda: review(reports(400)))
    assert result.queued == 400
    assert (large - small) / 300 < 1_000  # each queued conversation's reasons quote over 2,000 characters


def test_review_and_profiles_hold_what_they_need_of_each_report_not_the_report():
    """A year's reports are read as a stream: the queue keeps each queued report's reasons and the profiles a few
    figures of each report, not the report (its turns, tens of kilobytes in a real one). Reports made as they are
    read, each with 20,000 characters of turns: four times as many cost far less than their size."""
    from transcript_coach.language import load_identifier
    from transcript_coach.profiles import build_profiles

    flagged = make_report("r", ("Tom",), scores={"empathy": 20.0}, flags=[("dismissive", "high", [(1, "Calm down.")])])

    def reports(n):
        for k in range(n):
            report = json.loads(json.dumps(flagged))  # a new report each time, as one read from a file is
            report["id"] = f"r{k}"
            report["agents"] = [("Tom", "Priya", "Ann")[k % 3]]
            report["turns"][0]["text"] += " padding" * 2500
            yield report

    def peak(build, n):
        build(reports(10))  # what is loaded once (settings, lexicons) is not what is measured
        load_identifier()  # nor the language model loading in a thread (a Coach built by an earlier test starts it)
        result, _, most = traced(lambda: build(reports(n)))
        return most, result

    for build, count in ((review, lambda r: r.queued), (build_profiles, lambda p: p.conversations)):
        small, result = peak(build, 100)
        assert count(result) == 100
        large, result = peak(build, 400)
        assert count(result) == 400
        assert (large - small) / 300 < 5_000, build.__name__  # a report here is over 20,000 bytes


@pytest.mark.parametrize("started_at, shown", [
    ("2026-05-05T17:42:01.200000", "date: 2026-05-05 17:42\n"),
    ("2026-03-20T17:31:05+00:00", "date: 2026-03-20 17:31 +00:00\n"),
    ("2026-03-20T09:00:00-05:30", "date: 2026-03-20 09:00 -05:30\n"),
    ("14:02:00", "date: 14:02:00\n"),  # a clock time without a date, as it is
])
def test_the_text_queue_shows_a_conversation_start_to_the_minute(started_at, shown):
    from transcript_coach.review import write_text

    report = make_report("x", started_at=started_at, flags=[("rude_language", "high", [(1, "Calm down")])])
    out = io.StringIO()
    write_text(review([report]), out)
    assert shown in out.getvalue()


def test_top_0_gives_the_count_of_conversations_needing_review_not_nothing_to_review():
    from transcript_coach.review import write_text

    report = make_report("x", flags=[("rude_language", "high", [(1, "Calm down")])])
    out = io.StringIO()
    write_text(review([report], top=0), out, top=0)
    assert out.getvalue().startswith("Review queue: 1 conversation(s) needing review, none shown (top 0).")


def test_a_low_skill_in_a_conversation_several_agents_handled_names_each_agents_part():
    report = make_report("t", agents=("Kim", "Rosa"), scores={"active_listening": 30, "empathy": 70},
                         skill_evidence={"active_listening": [(1, "Calm down")]})
    report["metrics"]["by_agent"] = {
        "Kim": {"turns": 1, "skills": {"active_listening": {"score": 21.0, "reason": "x"}}},
        "Rosa": {"turns": 1, "skills": {"active_listening": {"score": 67.0, "reason": "y"}}}}
    (reason,) = [r for r in reasons_for(report) if r.kind == "low_skill"]
    assert reason.text.endswith("active listening 30 (Kim 21, Rosa 67)")
    del report["metrics"]["by_agent"]
    (reason,) = [r for r in reasons_for(report) if r.kind == "low_skill"]
    assert reason.text.endswith("active listening 30")
