"""The language stage: default pipeline offline, a trained pipeline by name or path, language detection."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import spacy

from transcript_coach import Coach, Transcript
from transcript_coach.errors import DataFileError, UsageError
from transcript_coach import cache, language
from transcript_coach.cache import VARIABLE as CACHE_VARIABLE
from transcript_coach.language import detect_language
from transcript_coach.nlp import (annotate, doc_sentences, doc_text, load_pipeline, span_text, unwrapped,
                                  without_capitals_words)


def test_default_pipeline_splits_sentences_and_lemmatises_without_a_model():
    nlp = load_pipeline()
    doc = nlp("The routers were restarted. It's working now!")
    assert [s.text for s in doc.sents] == ["The routers were restarted.", "It's working now!"]
    assert [t.lemma_.lower() for t in doc][:4] == ["the", "router", "be", "restart"]


def test_lookup_lemmas_are_those_of_spacys_lookup_lemmatizer(samples):
    ours = load_pipeline()
    reference = spacy.blank("en")
    reference.add_pipe("lemmatizer", config={"mode": "lookup", "overwrite": False}).initialize(nlp=reference)
    texts = [line for path in sorted(samples.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    texts += ["Thee mice were running; the geese flew.", "", "   "]
    assert len(texts) > 150
    for text in texts:
        assert [t.lemma_ for t in ours(text)] == [t.lemma_ for t in reference(text)], text


def test_lookup_lemmatizer_keeps_lemmas_set_before_it():
    nlp = load_pipeline()
    doc = nlp.make_doc("Routers were restarted")
    doc[0].lemma_ = "ROUTER-SET-BEFORE"
    nlp.get_pipe("lemmatizer")(doc)
    assert [t.lemma_ for t in doc] == ["ROUTER-SET-BEFORE", "be", "restart"]


_LIST_NUMBER = re.compile(r"(?:^|\n|:\s*|[.!?]\s+)\d{1,2}\.\s")
_BLANK_LINE = re.compile(r"\n\s*\n")


def test_sentence_boundaries_are_those_of_spacys_sentencizer(samples):
    ours = load_pipeline()
    reference = spacy.blank("en")
    reference.tokenizer = ours.tokenizer
    reference.add_pipe("sentencizer")
    texts = [line for path in sorted(samples.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    texts += ["", " ", "Hi!!! ok", "...", "Hello . . world", "Wait?! What.", "a\n\nb. c", "'Done.' Then he left",
              "x.", "No end", "。你好。", "Really?!?!  (yes.) Then: fine", "We have 2. Then again",
              "Call 1. Thanks"]
    # numbered lists and blank lines: the tests below
    texts = [text for text in texts if not _LIST_NUMBER.search(text) and not _BLANK_LINE.search(text)]
    assert len(texts) > 150
    for doc, expected in zip(ours.pipe(texts), reference.pipe(texts), strict=True):
        assert [t.is_sent_start for t in doc] == [t.is_sent_start for t in expected], doc.text


@pytest.mark.parametrize("text, sentences", [
    ("Here's the fix: 1. In KeyGate, open it. 2. In the app, paste it.",
     ["Here's the fix:", "1. In KeyGate, open it.", "2. In the app, paste it."]),
    ("1. Restart the router\n2. Wait", ["1. Restart the router\n", "2. Wait"]),
    ("Steps:\n1. Open it.\n2. Close it.", ["Steps:\n", "1. Open it.", "\n2. Close it."]),
    ("Done. 2. Then", ["Done.", "2. Then"]),
    ("We have 2. Then again", ["We have 2.", "Then again"]),  # a number ending a sentence
    ("It costs 12. OK?", ["It costs 12.", "OK?"]),
    ("Version 1.2 is out.", ["Version 1.2 is out."]),
])
def test_a_numbered_list_item_is_a_sentence(text, sentences):
    assert [s.text for s in load_pipeline()(text).sents] == sentences


@pytest.mark.parametrize("text, sentences", [
    ("Dear Alison,\n\nOur records show 25 seats. Sorry.", ["Dear Alison,", "\n\nOur records show 25 seats.", "Sorry."]),
    ("a\n\nb. c", ["a", "\n\nb. c"]),  # "b." is one token, as spaCy reads it
    ("Thanks.\n\nKind regards,\nGraham", ["Thanks.", "\n\nKind regards,\nGraham"]),
    ("Kind regards,\nGraham", ["Kind regards,\nGraham"]),  # one line break ends no sentence
    ("See below:\n\n1. Open it.", ["See below:", "\n\n1. Open it."]),
])
def test_a_blank_line_ends_a_sentence(text, sentences):
    assert [s.text for s in load_pipeline()(text).sents] == sentences


@pytest.mark.parametrize("text, expected", [
    ("You should\nhave checked", "You should have checked"),  # a hand-wrapped sentence
    ("payment,\nand refund", "payment, and refund"),
    ("Kind regards,\nGraham", "Kind regards,\nGraham"),  # a name on its own line
    ("You can:\n- pause it", "You can:\n- pause it"),  # a list item
    ("Restart it\n2. Wait", "Restart it\n2. Wait"),
    ("Done.\nthen", "Done.\nthen"),  # after a sentence's end: left as written
    ("one\n\ntwo", "one\n\ntwo"),  # a blank line
    ("no breaks", "no breaks"),
])
def test_unwrapped_reads_a_hand_wrapped_line_break_as_a_space(text, expected):
    assert unwrapped(text) == expected
    assert len(unwrapped(text)) == len(text)


def test_phrases_match_across_a_hand_wrapped_line_break():
    nlp = load_pipeline()
    [docs] = annotate(nlp, [Transcript.from_turns([{"role": "agent", "text": "You should\nhave checked it."}])], ["en"])
    assert [t.text for t in docs.docs[0]] == ["You", "should", "have", "checked", "it", "."]
    assert doc_text(docs.docs[0]) == "You should have checked it."


def test_doc_sentences_are_doc_sents(samples):
    nlp = load_pipeline()
    texts = [line for path in sorted(samples.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    for doc in nlp.pipe([*texts, "One. Two! Three?", "no end"]):
        assert [(s.start, s.end) for s in doc_sentences(doc)] == [(s.start, s.end) for s in doc.sents]
        assert doc_sentences(doc) == doc_sentences(doc)  # found once, the same every time
        assert [span_text(s) for s in doc_sentences(doc)] == [s.text for s in doc.sents]
        assert doc_text(doc) == doc.text
    assert doc_sentences(nlp("")) == ()
    unsplit = nlp.make_doc("No sentence boundaries here. Or here")
    assert [(s.start, s.end) for s in doc_sentences(unsplit)] == [(0, len(unsplit))]


def test_sentencizer_keeps_boundaries_set_before_it():
    nlp = load_pipeline()
    doc = nlp.make_doc("One. Two three. Four")
    doc[2].is_sent_start = False
    doc[3].is_sent_start = True
    nlp.get_pipe("sentencizer")(doc)
    assert [t.is_sent_start for t in doc] == [True, False, False, True, False, True]


@pytest.mark.parametrize("text, expected", [
    ("Hello there, I am A customer. OK?", False), ("hello THERE", False), ("Hi I A B", True), ("", True),
    ("Order 12345 is late!", True), ("café", False), ("Ünited", False), ("tab\tand\nnewline AbC", True),
])
def test_without_capitals_words(text, expected):
    assert without_capitals_words(text) is expected
    if expected:  # the promise it makes: no token is a word of two or more capitals
        assert not any(len(t.text) > 1 and t.is_alpha and t.is_upper for t in load_pipeline().make_doc(text))


def test_a_missing_trained_pipeline_is_a_clear_error():
    with pytest.raises(UsageError, match="not installed.*--spacy-model"):
        load_pipeline("en_core_web_nonexistent")


def test_an_installed_pipeline_is_used_by_path(tmp_path):
    saved = spacy.blank("en")
    saved.add_pipe("sentencizer")
    saved.to_disk(tmp_path / "pipeline")
    coach = Coach(spacy_model=str(tmp_path / "pipeline"))
    report = coach.analyze(Transcript.from_turns([
        {"role": "customer", "text": "My order never arrived and I'm upset."},
        {"role": "agent", "text": "I'm so sorry to hear that. I'll send a replacement today."},
    ]))
    assert any(e.feature.startswith("empathy.") for e in report.evidence)


@pytest.mark.parametrize(
    "texts, code",
    [
        (["Hola, mi pedido no ha llegado todavía y necesito ayuda por favor.",
          "Lo siento mucho, voy a revisar su pedido ahora mismo."], "es"),
        (["Bonjour, ma commande n'est toujours pas arrivée et j'ai besoin d'aide.",
          "Je suis vraiment désolé, je vérifie votre commande tout de suite."], "fr"),
        (["Hi, my order has still not arrived and I need some help please.",
          "I'm so sorry about that, let me check your order right away."], "en"),
        (["ok", "thanks"], "und"),
    ],
)
def test_language_detection(texts, code):
    transcript = Transcript.from_turns([{"role": r, "text": t} for r, t in zip(("customer", "agent"), texts)])
    assert detect_language(transcript).code == code


def test_mostly_common_english_words_is_english_without_the_statistical_detector(monkeypatch):
    def no_detector():
        raise AssertionError("py3langid was asked")

    monkeypatch.setattr(language, "_identifier", no_detector)
    english = Transcript.from_turns([
        {"role": "customer", "text": "Hi, my order has still not arrived and I need some help with it please."},
        {"role": "agent", "text": "I'm so sorry about that, let me check your order for you right away."},
    ])
    found = detect_language(english)
    assert (found.code, found.method) == ("en", "english-words") and 0.3 <= found.confidence <= 1
    spanish = Transcript.from_turns([
        {"role": "customer", "text": "Hola, mi pedido no ha llegado todavía y necesito ayuda por favor."},
        {"role": "agent", "text": "Lo siento mucho, voy a revisar su pedido ahora mismo."},
    ])
    with pytest.raises(AssertionError, match="py3langid was asked"):
        detect_language(spanish)


def test_non_english_conversations_are_not_scored_and_say_why():
    report = Coach().analyze(Transcript.from_turns([
        {"role": "customer", "text": "Hola, mi pedido no ha llegado todavía y necesito ayuda por favor."},
        {"role": "agent", "text": "Lo siento mucho, voy a revisar su pedido ahora mismo y le escribo."},
    ]))
    assert report.evidence == ()
    assert all(s.score is None and "'es'" in s.reason for s in report.skills.values())
    assert report.metrics["language"]["code"] == "es"
    assert [f.code for f in report.flags] == ["TC112"]


def test_a_bad_english_word_list_is_refused_naming_the_file(monkeypatch):
    monkeypatch.setattr(language, "load_json", lambda name: {"language": {
        "min_words": 8, "min_confidence": 0.9, "english_share": 0.3, "english_words": "the and you"}})
    language._settings.cache_clear()
    try:
        with pytest.raises(DataFileError, match="signals.json: language: english_words must be a list"):
            language._settings()
    finally:
        language._settings.cache_clear()


def test_curly_apostrophes_count_as_the_english_words_they_spell():
    text = "I don't know why it's broken, I can't log in. It won't load"
    straight = Transcript.from_turns([{"role": "customer", "text": text}])
    curly = Transcript.from_turns([{"role": "customer", "text": text.replace("'", "\u2019")}])
    assert detect_language(curly) == detect_language(straight)
    assert detect_language(curly).method == "english-words"


_LANGUAGE_SAMPLES = ["Hola, mi pedido no ha llegado todavía y necesito ayuda", "Bonjour, je voudrais un remboursement",
                     "Guten Tag, mein Paket ist nicht angekommen", "my router keeps dropping the connection",
                     "Olá, não consigo entrar na minha conta", "注文した商品がまだ届きません"]


def _same_identifier(ours, theirs) -> None:
    assert ours.tk_nextmove == theirs.tk_nextmove and ours.tk_row == theirs.tk_row
    assert ours.tk_output == theirs.tk_output and ours.nb_classes == theirs.nb_classes
    assert [ours.rank(text) for text in _LANGUAGE_SAMPLES] == [theirs.rank(text) for text in _LANGUAGE_SAMPLES]


@pytest.fixture
def fresh_language_model(monkeypatch, tmp_path):
    """The language model as if this process had not loaded it yet, with an empty cache folder of its own (and loaded
    again afterwards, as before)."""
    monkeypatch.setattr(language, "_background", None)
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    language._load.cache_clear()
    yield tmp_path / "cache"
    language._load.cache_clear()


def test_the_language_model_unpacked_and_cached_is_the_one_py3langid_reads(fresh_language_model, monkeypatch):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    theirs = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    unpacked = language._identifier()  # decompressed, and saved in the cache folder
    (copy,) = fresh_language_model.glob("langid-*")
    assert sorted(p.name for p in copy.iterdir()) == sorted(f"{name}.npy" for name in language._ARRAYS)
    _same_identifier(unpacked, theirs)

    def no_unpacking(*args):
        raise AssertionError("unpacked again")

    monkeypatch.setattr(language, "_unpack", no_unpacking)
    language._load.cache_clear()
    _same_identifier(language._identifier(), theirs)  # read from the cache folder


def test_a_process_that_exits_while_the_model_loads_leaves_it_in_the_cache(tmp_path):
    """One file scored takes less time than unpacking the model: were the loading thread stopped at exit, no run that
    short would ever leave a copy in the cache folder."""
    import subprocess
    import sys

    folder = tmp_path / "cache"
    subprocess.run([sys.executable, "-c", "from transcript_coach import language; "
                    "language.load_identifier_in_background()"],
                   env={**os.environ, CACHE_VARIABLE: str(folder)}, check=True, timeout=120)
    (copy,) = folder.glob("langid-*")
    assert sorted(p.name for p in copy.iterdir()) == sorted(f"{name}.npy" for name in language._ARRAYS)


def test_the_cache_can_be_turned_off(fresh_language_model, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, "none")
    assert language._identifier().classify(_LANGUAGE_SAMPLES[2])[0] == "de"
    assert not fresh_language_model.exists()


def test_a_cache_folder_that_cannot_be_written_only_costs_time(fresh_language_model, monkeypatch):
    fresh_language_model.parent.joinpath("a-file").write_text("not a folder")
    monkeypatch.setenv(CACHE_VARIABLE, str(fresh_language_model.parent / "a-file" / "cache"))
    assert language._identifier().classify(_LANGUAGE_SAMPLES[2])[0] == "de"


@pytest.mark.parametrize("kept", [0.5, 0.0])
def test_a_damaged_cached_model_is_unpacked_again_and_replaced(fresh_language_model, kept):
    language._identifier()
    (copy,) = fresh_language_model.glob("langid-*")
    whole = (copy / "nextmove.npy").read_bytes()
    (copy / "nextmove.npy").write_bytes(whole[: int(len(whole) * kept)])  # cut short, or empty
    (copy / ".ptc-killed.tmp").write_bytes(b"\x93NUMPY")  # left by a process killed while writing
    stale = fresh_language_model / "langid-0123456789abcdef0123"  # a copy of another version of the model
    stale.mkdir()
    (stale / "ptc.npy").write_bytes(b"old")
    not_ours = fresh_language_model / "langid-0123456789abcdef4567"  # named like one, but holding something else
    not_ours.mkdir()
    (not_ours / "notes.txt").write_text("keep me")
    language._load.cache_clear()
    assert language._identifier().classify(_LANGUAGE_SAMPLES[1])[0] == "fr"
    assert (copy / "nextmove.npy").read_bytes() == whole
    assert not stale.exists()
    assert (not_ours / "notes.txt").read_text() == "keep me"
    assert not list(copy.glob("*.tmp")) and not list(copy.glob(".*"))


def test_a_copy_that_fails_to_be_written_leaves_no_temporary_file(fresh_language_model, monkeypatch):
    import numpy

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(numpy, "save", disk_full)
    assert language._identifier().classify(_LANGUAGE_SAMPLES[1])[0] == "fr"  # only time is lost
    (copy,) = fresh_language_model.glob("langid-*")
    assert list(copy.iterdir()) == []


def test_a_model_laid_out_otherwise_is_read_by_py3langid_itself(fresh_language_model, monkeypatch):
    def other_layout(path, cache):
        raise KeyError("nextmove_row")

    monkeypatch.setattr(language, "_model_arrays", other_layout)
    assert language._identifier().classify("Hola, mi pedido no ha llegado todavía")[0] == "es"


def test_a_model_that_fails_to_load_in_the_background_fails_where_it_is_needed(fresh_language_model, monkeypatch,
                                                                                 capfd):
    def broken(path, *args, **options):
        raise OSError(f"{path}: unreadable")

    monkeypatch.setattr(language, "_model_arrays", broken)
    monkeypatch.setattr("py3langid.langid.LanguageIdentifier.from_model_file", broken)
    language.load_identifier_in_background()
    language._background.join()
    assert capfd.readouterr().err == ""  # no traceback from the thread
    with pytest.raises(OSError, match="unreadable"):
        language.load_identifier()


def test_a_loading_thread_that_cannot_be_started_leaves_the_model_to_load_where_needed(fresh_language_model,
                                                                                       monkeypatch):
    """Short of memory (a ulimit), no thread can be started: the run goes on, and at exit there is none to wait for
    (joining a thread that never started raises)."""
    def no_thread(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(language.threading.Thread, "start", no_thread)
    language.load_identifier_in_background()
    language._finish_saving()  # what runs at exit
    assert language._identifier().classify(_LANGUAGE_SAMPLES[1])[0] == "fr"


@pytest.mark.parametrize("platform, environment, expected", [
    ("linux", {"HOME": "/home/qa"}, "/home/qa/.cache/transcript-coach"),
    ("linux", {"HOME": "/home/qa", "XDG_CACHE_HOME": "/var/cache/qa"}, "/var/cache/qa/transcript-coach"),
    ("linux", {"HOME": "/home/qa", "XDG_CACHE_HOME": "relative"}, "/home/qa/.cache/transcript-coach"),
    ("darwin", {"HOME": "/Users/qa"}, "/Users/qa/Library/Caches/transcript-coach"),
    ("win32", {"LOCALAPPDATA": "C:/Users/qa/AppData/Local"}, "C:/Users/qa/AppData/Local/transcript-coach/cache"),
    ("linux", {"HOME": "/home/qa", CACHE_VARIABLE: "/data/tc-cache"}, "/data/tc-cache"),
    ("linux", {"HOME": "/home/qa", CACHE_VARIABLE: " None "}, None),
])
def test_where_the_cache_folder_is(monkeypatch, platform, environment, expected):
    for name in (CACHE_VARIABLE, "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cache.sys, "platform", platform)
    found = cache.cache_dir()
    assert (None if found is None else found.as_posix()) == expected


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_while_the_model_loads_in_the_background_waits_for_it(fresh_language_model):
    language.load_identifier_in_background()
    child = os.fork()  # at once: the load is still under way
    if child == 0:  # the forked process: exit 0 when it can use the model
        code = 2
        try:
            code = 0 if language._identifier().classify(_LANGUAGE_SAMPLES[1])[0] == "fr" else 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while (status := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if status[0] == 0:  # a child forked mid-load waits for ever on the loader's lock
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the forked process never got the language model")
    assert os.waitstatus_to_exitcode(status[1]) == 0
    assert language._load.cache_info().currsize == 1  # loaded before the fork went ahead
