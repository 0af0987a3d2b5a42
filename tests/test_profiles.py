"""Per-agent profiles: name merging, skill statistics against the team, the weekly trend and continuous_learning,
the self-assessment checklist, and the ``agents`` command."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import statistics
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach.model import REPORT_SCHEMA, SKILLS
from transcript_coach.profiles import (PROFILE_SKILLS, ConversationTable, agent_profiles, build_profiles,
                                       learning_trend, resolve_agent_names, settings, weekly)
from transcript_coach.schema import schema_errors

TEXT = "Sorry, as I already said, could you give me the order number again?"
MONDAY = date(2026, 3, 2)  # ISO week 2026-W10


def make_report(rid, agents=("Tom",), *, day=MONDAY, started_at=None, scores=None, features=(), language="en"):
    """A valid report dict; ``scores`` maps skills to scores, ``features`` names features that fired."""
    turns = [
        {"index": 0, "role": "customer", "speaker": "Customer", "timestamp": None, "internal": False,
         "text": "Where is my refund?"},
        {"index": 1, "role": "agent", "speaker": agents[0] if agents else None, "timestamp": None, "internal": False,
         "text": TEXT},
    ] + [{"index": i, "role": "agent", "speaker": name, "timestamp": None, "internal": False, "text": "Thanks."}
         for i, name in enumerate(agents[1:], 2)]  # every agent named wrote to the customer
    evidence = [{"id": f"e{i}", "feature": feature, "turn": 1, "start": 0, "end": 5, "text": "Sorry", "rule": "test",
                 "value": 1.0} for i, feature in enumerate(features, 1)]
    skills = {s: {"score": None, "confidence": 0.0, "reason": "not scored", "evidence": []} for s in SKILLS}
    for skill, score in (scores or {}).items():
        skills[skill] = {"score": score, "confidence": 0.7, "reason": "test", "evidence": []}
    if started_at is None and day is not None:
        started_at = f"{day.isoformat()}T10:00:00+00:00"
    doc = {
        "schema": REPORT_SCHEMA, "id": rid, "source": f"/data/{rid}.txt", "format": "chat", "channel": "chat",
        "agents": list(agents), "started_at": started_at, "ended_at": started_at, "warnings": [], "turns": turns,
        "evidence": evidence, "skills": skills, "notes": [], "flags": [], "promises": [],
        "metrics": {"language": {"code": language, "confidence": 1.0}},
    }
    errors = schema_errors(doc)
    assert not errors, errors
    return doc


def week(n: int) -> date:
    return MONDAY + timedelta(weeks=n)


def profile(reports, name):
    return next(p for p in agent_profiles(reports) if p.name == name)


# --- names ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("names, agents, merged", [
    # a first name joins the only full name starting with it; case and spacing variants join too
    ([["Priya"], ["Priya Raman"], [" priya "]], ["Priya Raman"], {"Priya": "Priya Raman", " priya ": "Priya Raman"}),
    # the most frequent spelling is shown
    ([["tom"], ["Tom"], ["Tom"]], ["Tom"], {"tom": "Tom"}),
    # ambiguous first names stay apart
    ([["Sarah"], ["Sarah Whitfield"], ["Sarah Connor"]], ["Sarah", "Sarah Connor", "Sarah Whitfield"], {}),
    # different people with different first names are not merged
    ([["Marcus Bell"], ["Mark"]], ["Marcus Bell", "Mark"], {}),
    # a role label names nobody
    ([["Agent"], ["Rep"], ["Tom"]], ["Tom"], {}),
])
def test_name_merging(names, agents, merged):
    reports = [make_report(f"r{i}", tuple(n)) for i, n in enumerate(names)]
    result = build_profiles(reports)
    assert [p.name for p in result.agents] == agents
    assert {m.name: m.agent for m in result.names.merges} == merged


def test_ambiguity_and_role_labels_are_reported():
    names = resolve_agent_names([make_report("a", ("Sarah",)), make_report("b", ("Sarah Whitfield",)),
                                 make_report("c", ("Sarah Connor",)), make_report("d", ("Agent",))])
    assert len(names.ambiguous) == 1 and "'Sarah'" in names.ambiguous[0]
    assert names.labels == ("Agent",)


def test_two_agents_in_one_conversation_count_for_both_and_variants_once():
    reports = [make_report("a", ("Carl", "Nadia"), scores={"empathy": 60}),
               make_report("b", ("Marcus", "Marcus Bell"), scores={"empathy": 40})]
    profiles = {p.name: p for p in agent_profiles(reports)}
    assert set(profiles) == {"Carl", "Nadia", "Marcus Bell"}
    assert profiles["Carl"].shared == 1 and profiles["Nadia"].skills["empathy"].mean == 60
    assert profiles["Marcus Bell"].conversations == 1 and profiles["Marcus Bell"].shared == 0


def _in_parts(report, parts):
    report["metrics"]["by_agent"] = {name: {"turns": 1, "skills": {k: {"score": v, "reason": "test"}
                                                                   for k, v in skills.items()}}
                                     for name, skills in parts.items()}
    return report


def test_a_conversation_scored_in_parts_counts_for_each_agent_on_their_own_part():
    shared = _in_parts(make_report("a", ("Kim", "Rosa"), scores={"empathy": 55, "patience": 60}),
                       {"Kim": {"empathy": 37, "patience": None}, "Rosa": {"empathy": 80, "patience": 65}})
    result = build_profiles([shared, make_report("b", ("Tom",), scores={"empathy": 70})])
    profiles = {p.name: p for p in result.agents}
    assert profiles["Kim"].skills["empathy"].mean == 37 and profiles["Rosa"].skills["empathy"].mean == 80
    assert profiles["Kim"].skills["patience"].n == 0 and profiles["Rosa"].skills["patience"].mean == 65
    assert profiles["Kim"].conversations == profiles["Kim"].shared == 1
    assert profiles["Kim"].reports == ("/data/a.txt#a",)
    assert result.conversations == 2 and result.unnamed == 0
    assert result.team["empathy"].team_mean == 62.5  # each conversation once, as a whole
    same = _in_parts(make_report("c", ("Marcus", "Marcus Bell"), scores={"empathy": 40}),
                     {"Marcus": {"empathy": 30}, "Marcus Bell": {"empathy": 50}})  # one person, two spellings
    (marcus,) = build_profiles([same]).agents
    assert marcus.conversations == 1 and marcus.skills["empathy"].mean == 30


def test_a_colleague_who_only_left_an_internal_note_is_not_profiled_on_the_conversation():
    report = make_report("a", ("Tom", "Cara"), scores={"empathy": 70})
    report["turns"][2].update(internal=True, text="FYI this is the known SSO bug, fix ships Friday.")
    result = build_profiles([report, make_report("b", ("Cara",), scores={"empathy": 40})])
    profiles = {p.name: p for p in result.agents}
    assert profiles["Tom"].conversations == 1 and profiles["Tom"].shared == 0
    assert profiles["Cara"].conversations == 1 and profiles["Cara"].skills["empathy"].mean == 40


def test_unnamed_conversations_count_in_the_team_only():
    result = build_profiles([make_report("a", ("Agent",), scores={"empathy": 20}),
                             make_report("b", ("Tom",), scores={"empathy": 80})])
    assert result.unnamed == 1 and [p.name for p in result.agents] == ["Tom"]
    assert result.team["empathy"].team_mean == 50


# --- statistics -----------------------------------------------------------------------------------------------------

def test_mean_spread_and_team_comparison():
    reports = ([make_report(f"a{i}", ("Ann",), scores={"empathy": s, "patience": 50}) for i, s in
                enumerate([70, 80, 90])]
               + [make_report(f"b{i}", ("Bob",), scores={"empathy": s, "patience": 70}) for i, s in
                  enumerate([40, 50, 60])])
    ann = profile(reports, "Ann")
    stat = ann.skills["empathy"]
    assert (stat.mean, stat.sd, stat.n) == (80, 10, 3)
    assert stat.team_mean == 65 and stat.team_n == 6 and stat.difference == 15
    assert stat.z == pytest.approx(15 / stat.team_sd)
    assert ann.strengths == ("empathy",) and ann.weaknesses == ("patience",)
    assert ann.skills["clear_communication"].mean is None and ann.skills["clear_communication"].n == 0
    assert "continuous_learning" not in ann.skills and set(ann.skills) == set(PROFILE_SKILLS)


@pytest.mark.parametrize("count, difference, strength", [
    (2, 30, False),  # too few conversations
    (3, 30, True),
    (3, 2, False),  # too small a difference
])
def test_strength_needs_enough_conversations_and_difference(count, difference, strength):
    reports = ([make_report(f"a{i}", ("Ann",), scores={"empathy": 50 + difference}) for i in range(count)]
               + [make_report(f"b{i}", ("Bob",), scores={"empathy": 50}) for i in range(6)])
    assert ("empathy" in profile(reports, "Ann").strengths) is strength


def test_single_conversation_has_no_spread():
    stat = profile([make_report("a", ("Ann",), scores={"empathy": 70})], "Ann").skills["empathy"]
    assert stat.sd is None and stat.n == 1



@pytest.mark.parametrize("later", [72.35, 1 / 3, 99.99, 4000.5, -3276.9, 1e308])
def test_scores_stay_exact_when_one_is_not_a_whole_number_of_tenths(later):
    """Scores are kept as tenths while they all are: one that is not (a skill model's, a hand-made report's, one out
    of range) must leave every score, earlier ones included, as it was."""
    earlier = [72.3, 0.1, 100, 0, 33.3]
    reports = [make_report(f"a{i}", ("Ann",), scores={"empathy": s}) for i, s in enumerate(earlier)]
    late = make_report("late", ("Ann",), scores={"empathy": 50, "patience": 12.5})
    late["skills"]["empathy"]["score"] = later  # beyond 0-100 too: the profiles read any report dict
    reports.append(late)
    table = build_conversations(reports)
    assert table.scores(range(len(table)), "empathy") == [*earlier, later]
    assert table.scores(range(len(table)), "patience") == [12.5]
    assert [table.overall(row) for row in range(len(table))] == [*earlier, statistics.fmean([later, 12.5])]
    assert profile(reports, "Ann").skills["empathy"].mean == pytest.approx(statistics.fmean([*earlier, later]))


def test_the_table_keeps_day_names_and_features_of_each_conversation():
    fired = ("listening.reask", "empathy.apology")  # only the checklist's features are kept
    reports = [make_report("a", ("Ann", "Bob"), features=fired),
               make_report("b", ("Ann", "Bob"), day=None, language="fr", features=fired),
               make_report("c", (), day=MONDAY + timedelta(days=9))]
    table = build_conversations(reports)
    assert [table.day(row) for row in range(3)] == [MONDAY, None, MONDAY + timedelta(days=9)]
    assert [table.agents(row) for row in range(3)] == [("Ann", "Bob"), ("Ann", "Bob"), ()]
    assert table.fired(0) == {"listening.reask"} and table.fired(1) is None and table.fired(2) == frozenset()
    assert table.reports == ["/data/a.txt#a", "/data/b.txt#b", "/data/c.txt#c"]

# --- weekly trend and continuous_learning ---------------------------------------------------------------------------

def series(scores_by_week, agent="Ann"):
    """One conversation per (week offset, score)."""
    return [make_report(f"{agent}{i}", (agent,), day=week(w), scores={"empathy": s, "patience": s})
            for i, (w, s) in enumerate(scores_by_week)]


def test_weeks_are_iso_weeks_and_undated_conversations_are_counted_apart():
    reports = series([(0, 50), (0, 70), (2, 80)]) + [
        make_report("undated", ("Ann",), day=None, scores={"empathy": 10}),
        make_report("clock", ("Ann",), day=None, started_at="09:14:00", scores={"empathy": 10}),
    ]
    ann = profile(reports, "Ann")
    assert [(w.week, w.conversations, w.mean) for w in ann.weeks] == [("2026-W10", 2, 60), ("2026-W12", 1, 80)]
    assert (ann.conversations, ann.dated, ann.undated) == (5, 3, 2)


@pytest.mark.parametrize("points, direction, expected", [
    ([(0, 40), (1, 50), (2, 60), (3, 70)], "rising", 50 + 50 * math.tanh(10 / 5)),
    ([(0, 60), (1, 60), (2, 60)], "flat", 50),
    ([(0, 60), (1, 60.5), (2, 61)], "flat", 50 + 50 * math.tanh(0.5 / 5)),
    ([(0, 70), (1, 60), (2, 50)], "falling", 50 + 50 * math.tanh(-10 / 5)),
    ([(0, 70), (2, 60), (4, 50)], "falling", 50 + 50 * math.tanh(-5 / 5)),  # weeks spaced by the calendar
])
def test_continuous_learning_from_the_weekly_slope(points, direction, expected):
    trend = profile(series(points), "Ann").continuous_learning
    assert trend.direction == direction
    assert trend.score == pytest.approx(expected)
    assert trend.weeks == len(points) and str(len(points)) in trend.reason


@pytest.mark.parametrize("reports, reason", [
    (series([(0, 40), (1, 80)]), "only 2 ISO week(s)"),
    (series([(0, 40), (0, 50), (0, 60), (0, 70)]), "only 1 ISO week(s)"),
    ([make_report(f"u{i}", ("Ann",), day=None, scores={"empathy": 50}) for i in range(4)], "no dated conversations"),
    ([make_report(f"n{i}", ("Ann",), day=week(i)) for i in range(4)], "no dated conversation has skill scores"),
])
def test_continuous_learning_is_null_without_enough_history(reports, reason):
    trend = profile(reports, "Ann").continuous_learning
    assert trend.score is None and reason in trend.reason


def test_continuous_learning_needs_enough_conversations():
    weeks = weekly(ConversationTable())  # no weeks at all
    assert learning_trend(weeks).score is None
    strict = dataclasses.replace(settings(), trend_min_conversations=4)
    points = weekly(build_conversations(series([(0, 40), (1, 50), (2, 60)])))
    trend = learning_trend(points, strict)
    assert trend.score is None and "only 3 scored dated conversation(s)" in trend.reason


def build_conversations(reports):
    table = ConversationTable()
    for report in reports:
        table.add(report, tuple(report["agents"]))
    return table


def test_priya_like_history_rises_and_marcus_like_history_falls():
    priya = series([(0, 30), (0, 35), (6, 70), (8, 85), (8, 88)], agent="Priya")
    marcus = series([(1, 55), (3, 55), (5, 52), (7, 35), (9, 20)], agent="Marcus")
    profiles = {p.name: p.continuous_learning for p in agent_profiles(priya + marcus)}
    assert profiles["Priya"].direction == "rising" and profiles["Priya"].score > 80
    assert profiles["Marcus"].direction == "falling" and profiles["Marcus"].score < 30


# --- self-assessment checklist --------------------------------------------------------------------------------------

def answer(ann, question_id):
    return next(a for a in ann.checklist if a.id == question_id)


@pytest.mark.parametrize("scores, reask, expected", [
    ([80, 80, 80, 80], 0, "Yes"),  # skill shown 4/4, nobody repeated: share 1.0
    ([80, 80, 80, 30], 0, "Yes"),  # (2 * 0.75 + 1.0) / 3 = 0.83
    ([80, 80, 30, 30], 0, "Sometimes"),  # (2 * 0.5 + 1.0) / 3 = 0.67
    ([65, 30, 30, 30], 1, "Sometimes"),  # 65 counts as shown: (2 * 0.25 + 0.75) / 3 = 0.42
    ([64, 30, 30, 30], 1, "Not yet"),  # (0 + 0.75) / 3 = 0.25
    ([30, 30, 30, 30], 4, "Not yet"),
    ([90, 90], 0, "Not enough evidence"),  # two conversations: below the minimum of 3 for every measure
])
def test_listening_answer_thresholds(scores, reask, expected):
    reports = [make_report(f"a{i}", ("Ann",), scores={"active_listening": s},
                           features=["listening.reask"] if i < reask else [])
               for i, s in enumerate(scores)]
    assert answer(profile(reports, "Ann"), "listen").answer == expected


def test_answer_basis_quotes_the_numbers():
    reports = ([make_report(f"a{i}", ("Ann",), scores={"active_listening": s}) for i, s in enumerate([70, 80, 90])]
               + [make_report(f"b{i}", ("Bob",), scores={"active_listening": 50},
                              features=["listening.customer_repeat"]) for i in range(3)])
    listen = answer(profile(reports, "Ann"), "listen")
    assert listen.answer == "Yes"
    assert "active listening mean 80 over 3 conversation(s), team 65; 65+ in 3 of 3" in listen.basis
    assert "customer never had to repeat details in 3 of 3 conversation(s) (team 50%)" in listen.basis


def test_features_of_non_english_conversations_are_not_evidence():
    reports = [make_report(f"a{i}", ("Ann",), language="de") for i in range(4)]
    assert answer(profile(reports, "Ann"), "listen").answer == "Not enough evidence"


def test_every_question_is_answered_with_a_known_answer():
    ann = profile(series([(0, 70), (1, 72), (2, 74)]), "Ann")
    assert [a.id for a in ann.checklist] == [q.id for q in settings().questions]
    assert {a.answer for a in ann.checklist} <= {"Yes", "Sometimes", "Not yet", "Not enough evidence"}
    assert answer(ann, "empathise").answer == "Yes"


def test_error_records_are_counted_not_profiled():
    failure = {"schema": REPORT_SCHEMA, "source": "x.json", "error": {"code": "empty", "message": "x.json: empty",
                                                                       "line": None}}
    result = build_profiles([failure, make_report("a")])
    assert len(result.failures) == 1 and [p.name for p in result.agents] == ["Tom"]


def test_a_score_that_is_not_a_finite_number_is_not_counted():
    """json.loads reads NaN and Infinity; a skill scored so has no score, rather than turning every mean into NaN."""
    reports = [make_report(f"a{i}", ("Ann",), scores={"empathy": score}) for i, score in enumerate((60.0, 80.0))]
    reports[1]["skills"]["patience"]["score"] = math.nan
    reports[0]["skills"]["empathy"]["score"] = math.inf
    ann = profile(reports, "Ann")
    assert (ann.skills["empathy"].mean, ann.skills["empathy"].n) == (80.0, 1)
    assert ann.skills["patience"].n == 0 and ann.weeks[0].mean == 80.0


def test_what_is_kept_of_each_report_is_a_few_hundred_bytes():
    """A year's reports: the profiles keep a few figures of each, not dicts and sets of them. Every skill scored and
    a dozen features fired, as in a real report, with the names and days of a team's week."""
    import tracemalloc

    from transcript_coach.language import load_identifier

    features = ["listening.reask", "jargon.acronym", "promise.vague", "empathy.apology", "tone.politeness",
                "structure.greeting", "structure.closing", "resolution.steps", "listening.detail_reuse",
                "tone.agent_sentiment", "tone.customer_sentiment", "structure.name_use"]
    scores = {skill: round(40.0 + i * 3.7, 1) for i, skill in enumerate(PROFILE_SKILLS)}  # as score writes them
    template = make_report("t", scores=scores, features=features)

    def reports(n):
        for k in range(n):
            report = json.loads(json.dumps(template))  # a new report each time, as one read from a file is
            report["id"], report["agents"] = f"conversation-{k:07d}", [("Tom", "Priya", "Ann")[k % 3]]
            report["started_at"] = f"{week(k % 5).isoformat()}T10:00:00+00:00"
            yield report

    def peak(n):
        load_identifier()  # not the language model loading in a thread, started by a Coach of an earlier test
        tracemalloc.start()
        try:
            assert build_profiles(reports(n)).conversations == n
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(10)  # settings loaded once are not what is measured
    # about 250 bytes; 470 when each report was an object and an array, 3,000 when its figures were dicts and sets
    assert (peak(2000) - peak(500)) / 1500 < 350


def test_profile_dict_is_json_ready():
    ann = profile(series([(0, 70), (1, 72), (2, 74)]), "Ann")
    doc = json.loads(json.dumps(ann.to_dict()))
    assert doc["agent"] == "Ann" and doc["continuous_learning"]["direction"] == "rising"
    assert doc["skills"]["empathy"]["n"] == 3 and doc["weeks"][0]["week"] == "2026-W10"


# --- command line ---------------------------------------------------------------------------------------------------

def run(*args):
    from transcript_coach.cli import cli

    return CliRunner().invoke(cli, ["agents", *args])


@pytest.fixture
def reports_file(tmp_path):
    reports = (series([(0, 30), (2, 60), (4, 90)], agent="Priya")
               + [make_report("pr", ("Priya Raman",), day=week(5), scores={"empathy": 95})]
               + series([(0, 60), (1, 60), (2, 60)], agent="Tom")
               + [{"schema": REPORT_SCHEMA, "source": "/data/bad.json",
                   "error": {"code": "empty", "message": "/data/bad.json: file is empty", "line": None}}])
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), encoding="utf-8")
    return str(path)


def test_cli_says_what_the_profiles_hold_at_the_end_unless_its_listing_does(reports_file, tmp_path):
    read = [json.loads(line) for line in Path(reports_file).read_text("utf-8").splitlines()]
    conversations = sum("error" not in r for r in read)
    out = tmp_path / "agents.json"
    result = run(reports_file, "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (f"2 agent profile(s) from {conversations} conversation(s), 1 could not "
                                              f"be scored; written to {out}")
    one = run(reports_file, "--format", "csv", "--agent", "tom")
    assert one.stderr.splitlines()[-1] == (f"1 agent profile(s) from {conversations} conversation(s), 1 could not be "
                                           "scored")
    assert "agent profile(s)" not in run(reports_file).stderr  # the text listing says it itself


def test_cli_quiet_leaves_only_what_could_not_be_scored_on_stderr(reports_file, tmp_path):
    out = tmp_path / "agents.json"
    result = run(reports_file, reports_file, "--format", "json", "-o", str(out), "-q")  # given twice: a warning
    assert result.exit_code == 1 and len(json.loads(out.read_text("utf-8"))) == 2
    assert set(result.stderr.splitlines()) == {"could not be scored: /data/bad.json: file is empty"}
    assert "skipped: named more than once; read once" in run(reports_file, reports_file, "--format", "json").stderr


def test_cli_text(reports_file):
    result = run(reports_file)
    assert result.exit_code == 1  # one input could not be scored
    out = result.stdout
    assert "merged name: 'Priya' -> 'Priya Raman'" in out
    assert "could not be scored: /data/bad.json: file is empty" in out
    assert "Priya Raman (also written 'Priya')" in out and "continuous learning:" in out
    assert "Do you really hear what customers tell you" in out


def test_cli_json_one_object_per_agent(reports_file):
    result = run(reports_file, "--format", "json")
    docs = json.loads(result.stdout)
    assert [d["agent"] for d in docs] == ["Priya Raman", "Tom"]
    assert docs[1]["continuous_learning"]["direction"] == "flat"
    assert "could not be scored" in result.stderr


def test_cli_csv_one_row_per_agent(reports_file):
    rows = list(csv.DictReader(io.StringIO(run(reports_file, "--format", "csv").stdout)))
    assert [r["agent"] for r in rows] == ["Priya Raman", "Tom"]
    assert rows[1]["empathy"] == "60.0" and rows[1]["continuous_learning"] == "50.0"
    assert rows[0]["aliases"] == "Priya" and rows[0]["checklist_empathise"]


@pytest.mark.parametrize("name", ["Priya", "priya raman", " PRIYA "])
def test_cli_one_agent(reports_file, name):
    result = run(reports_file, "--agent", name, "--format", "json")
    assert [d["agent"] for d in json.loads(result.stdout)] == ["Priya Raman"]


def test_cli_unknown_agent_is_a_usage_error(reports_file):
    result = run(reports_file, "--agent", "Nobody")
    assert result.exit_code == 2 and "Priya Raman" in result.output and "Traceback" not in result.output


def test_cli_output_file_is_atomic(reports_file, tmp_path):
    out = tmp_path / "agents.csv"
    result = run(reports_file, "--format", "csv", "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    assert out.read_text("utf-8").startswith("agent,aliases,")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_bad_input_is_a_clear_message(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text(json.dumps(make_report("a")) + "\n{broken\n", encoding="utf-8")
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1
    assert f"{path}:2: not valid JSON" in result.stderr and "Traceback" not in result.output
    missing = run(str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_files_in_a_zip_archive_can_be_named(tmp_path, samples):
    """As ``score`` reads them: ``ARCHIVE/MEMBER`` and ``ARCHIVE/FOLDER`` are inputs; a name the archive lacks is an
    input that could not be scored, and a path with no archive in it is still a usage error."""
    import zipfile

    packed = tmp_path / "export.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for name in ("chat_refund_priya_early.txt", "chat_refund_priya_late.txt"):
            archive.write(samples / name, f"april/{name}")
    both = run(str(packed / "april"), "--format", "json")
    assert both.exit_code == 0, both.output
    [priya] = json.loads(both.stdout)
    assert priya["conversations"] == 2
    one = run(str(packed / "april" / "chat_refund_priya_late.txt"), str(packed / "april" / "missing.txt"))
    assert one.exit_code == 1 and "1 conversation(s)" in one.stdout and "no such file in the zip archive" in one.stdout
    assert run(str(tmp_path / "no" / "such.jsonl")).exit_code == 2


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_profiles_are_written_an_agent_at_a_time_as_one_array(count, monkeypatch):
    """Thousands of agents make an array of hundreds of megabytes: it is written an agent at a time (no write holds
    more than one profile), laid out exactly as one ``json.dumps(..., indent=2)`` of the array."""
    from transcript_coach.profiles import write_json

    names = ["Zoë Ångström", 'Ann "the\nfixer"', "Bob"][:count]
    result = build_profiles([r for name in names for r in series([(0, 60), (1, 70)], agent=name)])
    out = io.StringIO()
    writes: list[int] = []
    real_write = out.write
    monkeypatch.setattr(out, "write", lambda text: writes.append(len(text)) or real_write(text))
    write_json(result, result.agents, out)
    expected = json.dumps([p.to_dict() for p in result.agents], ensure_ascii=False, indent=2) + "\n"
    assert out.getvalue() == expected
    if count > 1:
        assert max(writes) < 2 * max(len(json.dumps(p.to_dict(), ensure_ascii=False)) for p in result.agents)


# --- coaching points ------------------------------------------------------------------------------------------------

def noted(report, *notes):
    """``report`` with improvement notes: (skill, feature quoted, turn quoted, text) each, the evidence added."""
    for number, (skill, feature, turn, text) in enumerate(notes, 1):
        report["evidence"].append({"id": f"n{number}", "feature": feature, "turn": turn, "start": 0, "end": 5,
                                   "text": "Sorry", "rule": "test", "value": 1.0})
        report["notes"].append({"skill": skill, "kind": "improvement", "text": text,
                                "suggestion": f"Try: {text}", "evidence": [f"n{number}"]})
    assert not schema_errors(report), schema_errors(report)
    return report


VAGUE = ("follow_up", "promise.vague", 1, "Too vague")
UNANSWERED = ("active_listening", "listening.unanswered_question", 0, "Unanswered")  # quotes the customer
NO_EMPATHY = ("empathy", "tone.customer_problem", 0, "No empathy")  # something missing: the customer's words


def test_coaching_points_count_the_faults_notes_came_back_to_with_the_latest_note():
    reports = [noted(make_report("r1", day=week(0)), VAGUE, NO_EMPATHY),
               noted(make_report("r2", day=week(2)), ("follow_up", "promise.vague", 1, "Too vague, again"), NO_EMPATHY),
               noted(make_report("r3", day=week(1)), NO_EMPATHY, UNANSWERED),
               make_report("r4", day=week(3))]
    points = profile(reports, "Tom").coaching
    assert [(p.skill, p.about, p.conversations) for p in points] == [
        ("empathy", "missing", 3), ("follow_up", "promise.vague", 2)]  # the unanswered question: once only
    assert points[0].label.startswith("no empathy") and points[1].label == "vague commitments"
    assert points[0].share == pytest.approx(3 / 4)
    assert points[1].latest == {"report": "/data/r2.txt#r2", "day": week(2).isoformat(), "text": "Too vague, again",
                                "suggestion": "Try: Too vague, again"}  # the latest by day, not the last read
    assert points[0].latest["report"] == "/data/r2.txt#r2"


def test_strengths_noted_again_and_again_are_what_to_keep_doing():
    warm = ("empathy", "empathy.emotional_reaction", 1, "Warm")
    for report in (reports := [noted(make_report(f"r{i}", day=week(i)), VAGUE, warm) for i in range(3)]):
        report["notes"][1]["kind"] = "strength"
    tom = profile(reports, "Tom")
    assert [(p.skill, p.about, p.conversations, p.label) for p in tom.praise] == [
        ("empathy", "empathy.emotional_reaction", 3, "warm reactions")]
    assert [p.about for p in tom.coaching] == ["promise.vague"]  # a strength is no fault, nor a fault a strength
    assert tom.to_dict()["praise"][0]["latest"]["report"] == "/data/r2.txt#r2"


def test_a_note_on_an_agents_words_is_that_agents_and_one_on_the_customers_is_everyones():
    reports = [noted(make_report(f"r{i}", ("Tom", "Ann")), VAGUE, UNANSWERED) for i in range(2)]
    tom, ann = profile(reports, "Tom"), profile(reports, "Ann")  # Tom wrote turn 1, quoted for the vague commitment
    assert [(p.about, p.conversations) for p in tom.coaching] == [
        ("listening.unanswered_question", 2), ("promise.vague", 2)]
    assert [(p.about, p.conversations) for p in ann.coaching] == [("listening.unanswered_question", 2)]


def test_coaching_points_are_capped_and_named_spellings_merge():
    faults = [("empathy", "tone.customer_problem", 0, "a"), VAGUE, UNANSWERED,
              ("professionalism", "tone.blame", 1, "b")]
    reports = [noted(make_report("r1", ("Priya",)), *faults), noted(make_report("r2", ("Priya Raman",)), *faults)]
    (only,) = agent_profiles(reports)
    assert len(only.coaching) == settings().coaching_points == 3
    assert all(p.conversations == 2 for p in only.coaching)
    assert json.loads(json.dumps(only.to_dict()))["coaching"][0]["conversations"] == 2


def test_agents_command_shows_what_to_work_on(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(noted(make_report(f"r{i}"), VAGUE)) + "\n" for i in range(3)),
                    encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "to work on (noted in 2+ conversations)" in result.output
    assert "- follow_up: vague commitments: 3 of 3 conversations; latest (2026-03-02, /data/r2.txt#r2): Too vague" \
        in result.output and "    try: Try: Too vague" in result.output
    table = run(str(path), "--format", "csv")
    row = next(csv.DictReader(io.StringIO(table.stdout)))
    assert row["to_work_on"] == "follow_up: vague commitments (3)"
