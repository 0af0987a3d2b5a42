"""Reading a QA team's label file: formats, scales and the errors a user can cause."""

from __future__ import annotations

import pytest

from transcript_coach.errors import InputError
from transcript_coach.labels import parse_labels, read_labels


def test_long_format_with_numbers_and_pass_fail():
    labels = parse_labels("Transcript ID,Skill,Score\nt1,empathy,4\nt2,Empathy,2\nt1,Follow-up,pass\n"
                          "t2,follow up,FAIL\n", "l.csv")
    assert set(labels.skills) == {"empathy", "follow_up"}
    assert labels.skills["empathy"].scores == {"t1": 4.0, "t2": 2.0}
    assert labels.skills["empathy"].scale.kind == "numeric"
    assert (labels.skills["empathy"].scale.low, labels.skills["empathy"].scale.high) == (2.0, 4.0)
    assert labels.skills["follow_up"].scale.kind == "binary"
    assert labels.skills["follow_up"].scores == {"t1": 1.0, "t2": 0.0}


def test_wide_format_one_column_per_skill_blank_cells_skipped():
    labels = parse_labels("conversation_id,empathy,professionalism\nc1,5,\nc2,1,3\n", "w.csv")
    assert labels.skills["empathy"].scores == {"c1": 5.0, "c2": 1.0}
    assert labels.skills["professionalism"].scores == {"c2": 3.0}


def test_two_reviewers_are_averaged_and_the_scale_keeps_their_extremes():
    labels = parse_labels("id,skill,score\na,empathy,1\na,empathy,5\nb,empathy,4\n", "r.csv")
    assert labels.skills["empathy"].scores["a"] == 3.0
    assert labels.averaged == 1
    scale = labels.skills["empathy"].scale
    assert (scale.low, scale.high) == (1.0, 5.0)
    assert scale.to_points(3.0) == 50.0 and scale.from_points(75) == 4.0


@pytest.mark.parametrize("text, line, words", [
    ("id,skill,score\na,empathy,4\nb,kindness,3\n", 3, "unknown skill 'kindness'"),
    ("id,skill,score\na,empathy,4\nb,empathy,great\n", 3, "neither a number nor pass/fail"),
    ("id,skill,score\na,empathy,4\nb,empathy,pass\n", 2, "mixed"),
    ("id,skill,score\n,empathy,4\n", 2, "empty transcript id"),
    ("who,skill,score\na,empathy,4\n", 1, "no transcript id column"),
    ("id,skill\na,empathy\n", 1, "no score column"),
    ("id,colour\na,blue\n", 1, "expected a 'skill' column"),
])
def test_bad_label_files_name_the_line(text, line, words):
    with pytest.raises(InputError) as caught:
        parse_labels(text, "bad.csv")
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"bad.csv:{line}: ")


def test_empty_and_binary_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_labels(empty)
    binary = tmp_path / "labels.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary"):
        read_labels(binary)


def test_a_spreadsheet_saved_with_semicolons_and_decimal_commas_is_read():
    """Excel where a comma is the decimal point saves CSV with semicolons: 4,5 is four and a half."""
    labels = parse_labels("Ticket ID;Skill;Score\nt1;Empathy;4,5\nt2;empathy;3\nt3;Empathy;5\n", "qa.csv")
    assert labels.skills["empathy"].scores == {"t1": 4.5, "t2": 3.0, "t3": 5.0}
    wide = parse_labels("ticket_id;empathy;patience\nt1;4,5;\nt2;2;3,5\n", "qa.csv")
    assert wide.skills["empathy"].scores == {"t1": 4.5, "t2": 2.0}
    assert wide.skills["patience"].scores == {"t2": 3.5}


def test_a_comma_in_a_score_of_a_comma_separated_file_is_not_a_decimal_point():
    with pytest.raises(InputError, match="neither a number nor pass/fail"):
        parse_labels('ticket_id,skill,score\nt1,empathy,"4,5"\n', "qa.csv")
