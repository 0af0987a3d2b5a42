"""The language stage: spaCy runs once over every turn of a batch and the parses travel with the transcript.

The default pipeline needs no trained model (spaCy's English tokenizer, a sentencizer and the lookup lemmatizer from
``spacy-lookups-data``), so it works offline on a fresh install. ``--spacy-model NAME`` uses an installed trained
pipeline instead, for better lemmas and sentence boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy
import spacy
from spacy.attrs import IS_PUNCT, IS_SPACE, LEMMA, LIKE_NUM, ORTH, SENT_START
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.pipeline import Sentencizer
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from transcript_coach.data import load_json
from transcript_coach.errors import UsageError
from transcript_coach.memo import Memo
from transcript_coach.model import Role, Transcript, Turn

# Text beyond this many characters of one turn is not analysed (it is still in the report): spaCy's own limit is
# 1,000,000 characters, and no support message needs more than this to be understood.
MAX_ANALYSED_CHARS = 100_000
BATCH_TURNS = 2000


def load_pipeline(model: str | None = None) -> Language:
    """The default rule-based English pipeline, or the installed trained pipeline called ``model``."""
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner"] if model.startswith("en_core") else [])
        except OSError:
            raise UsageError(
                f"spaCy pipeline {model!r} is not installed. Install it into this environment first, e.g. "
                f"'python -m spacy download {model}' on a machine with network access, or 'pip install' its wheel; "
                "or leave out --spacy-model to use the built-in rule-based pipeline."
            ) from None
        if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
            nlp.add_pipe(SENTENCIZER, name="sentencizer")
        if not nlp.has_pipe("lemmatizer"):  # lexicon patterns match on lemmas
            _add_lookup_lemmatizer(nlp)
        _bound_tokenizer(nlp)
        return nlp
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": WINDOWED_TOKENIZER}}})
    nlp.add_pipe(SENTENCIZER, name="sentencizer")
    _add_lookup_lemmatizer(nlp)
    _bound_tokenizer(nlp)
    return nlp


def _bound_tokenizer(nlp: Language) -> None:
    """Keep spaCy's tokenizer linear on hostile text.

    Its affix rules cost time quadratic in the length of a run of non-space characters (a suffix search runs over
    the whole run once per character peeled off, and the URL pattern backtracks), so 50,000 ``!`` in a row take
    minutes. Two bounds, both set in data/signals.json: suffixes are searched for only in the last
    ``suffix_window`` characters of a run (``WindowedSearch``), and a run longer than ``max_token_chars`` (no word
    or link is that long) becomes a single token without affix rules (``BoundedTokenizer``).
    """
    settings = _tokenizer_settings()
    tokenizer = nlp.tokenizer
    search = tokenizer.suffix_search
    if search is not None and not isinstance(search, WindowedSearch):
        tokenizer.suffix_search = WindowedSearch(search, int(settings["suffix_window"]))  # spaCy reloads its rules
    nlp.tokenizer = BoundedTokenizer(tokenizer, int(settings["max_token_chars"]))


def _tokenizer_settings() -> dict:
    return load_json("signals.json")["tokenizer"]


class WindowedSearch:
    """A suffix search over only the last ``window`` characters of a text: the same result for any suffix shorter
    than that, in time that does not grow with the text."""

    def __init__(self, search: Callable[..., re.Match[str] | None], window: int):
        self.search = search
        self.window = window

    def __call__(self, text: str) -> re.Match[str] | None:
        return self.search(text, max(0, len(text) - self.window))


WINDOWED_TOKENIZER = "transcript_coach.windowed_tokenizer.v1"


@spacy.registry.tokenizers(WINDOWED_TOKENIZER)
def _windowed_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's default tokenizer for a language (its exceptions, affix rules, token and URL matches), built with a
    ``WindowedSearch`` for suffixes. Setting the search on a built tokenizer makes spaCy load its thousand-odd
    special cases a second time, a fifth of the pipeline's start-up."""

    def create(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        window = int(_tokenizer_settings()["suffix_window"])
        return Tokenizer(
            nlp.vocab,
            rules=defaults.tokenizer_exceptions,
            prefix_search=compile_prefix_regex(defaults.prefixes).search if defaults.prefixes else None,
            suffix_search=WindowedSearch(compile_suffix_regex(defaults.suffixes).search, window)
            if defaults.suffixes else None,
            infix_finditer=compile_infix_regex(defaults.infixes).finditer if defaults.infixes else None,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return create


class BoundedTokenizer:
    """A spaCy tokenizer, except that a run of more than ``max_run`` non-space characters is one token."""

    def __init__(self, tokenizer, max_run: int):
        self.tokenizer = tokenizer
        self.max_run = max_run
        # a run can only start after a space, so each run is scanned once and the search stays linear
        self._long_run = re.compile(rf"(?<!\S)\S{{{max_run + 1},}}")

    def __call__(self, text: str) -> Doc:
        doc = self._tokenize(text)
        doc.user_data[_TEXT_KEY] = text
        return doc

    def _tokenize(self, text: str) -> Doc:
        if len(text) <= self.max_run or self._long_run.search(text) is None:
            return self.tokenizer(text)
        parts: list[Doc] = []
        position = 0
        for run in self._long_run.finditer(text):
            if run.start() > position:
                parts.append(self.tokenizer(text[position:run.start()]))
            following = text[run.end():run.end() + 1]
            parts.append(Doc(self.tokenizer.vocab, words=[run.group()], spaces=[following == " "]))
            position = run.end() + (following == " ")
        if position < len(text):
            parts.append(self.tokenizer(text[position:]))
        doc = Doc.from_docs(parts, ensure_whitespace=False)
        if doc.text != text:  # never expected; offsets into the turn's text must hold, so fall back
            return self.tokenizer(text)
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str):  # vocab, rules, explain, ...: those of the wrapped tokenizer
        return getattr(self.tokenizer, name)


_TEXT_KEY = "transcript_coach.text"


def doc_text(doc: Doc) -> str:
    """The text ``doc`` was made from. spaCy's ``Doc.text`` joins it up again from the tokens on every access; the
    tokenizer of ``load_pipeline`` keeps the text it was given (the same string) with the doc."""
    text = doc.user_data.get(_TEXT_KEY)
    return doc.text if text is None else text


def span_text(span: Span) -> str:
    """``span.text``, sliced from ``doc_text`` (``Span.text`` too joins up its tokens' texts)."""
    return doc_text(span.doc)[span.start_char:span.end_char]


_NO_CAPITALS_WORD = re.compile(r"(?:[A-Z](?![A-Z])|[\x00-\x40\x5b-\x7f])*")


def without_capitals_words(text: str) -> bool:
    """True when ``text`` is plain ASCII without two capital letters in a row: then none of its tokens is a word of
    two or more letters all in capitals (what shouting is made of). One regex pass instead of a look at each token."""
    return _NO_CAPITALS_WORD.fullmatch(text) is not None


def ends_in_question_mark(sent: Span) -> bool:
    """Whether a sentence ends in "?", trailing "!", quotes or emoji aside ("Really?!", "ok?? 😭")."""
    for token in reversed(sent):
        if "?" in token.text:
            return True
        if token.is_space or token.is_punct or not (token.is_alpha or token.like_num):
            continue
        return False
    return False


_SENTENCES_KEY = "transcript_coach.sentences"


def doc_sentences(doc: Doc) -> tuple[Span, ...]:
    """The sentences of ``doc`` as ``doc.sents`` gives them (the whole doc when it has no sentence boundaries; none
    when it is empty), read from the sentence-start array once per doc rather than token by token on every use, and
    made once: the doc keeps them. A span refers to its doc, and a doc referring to itself waits for the garbage
    collector instead of going as soon as it is no longer used: ``release`` lets them go when the doc's analysis is
    done."""
    spans = doc.user_data.get(_SENTENCES_KEY)
    if spans is None:
        n = len(doc)
        if not n:
            bounds: tuple[tuple[int, int], ...] = ()
        elif not doc.has_annotation("SENT_START"):
            bounds = ((0, n),)
        else:
            starts = [0, *(numpy.flatnonzero(doc.to_array(SENT_START)[1:] == 1) + 1).tolist()]
            bounds = tuple(zip(starts, [*starts[1:], n], strict=True))
        spans = doc.user_data[_SENTENCES_KEY] = tuple(Span(doc, start, end) for start, end in bounds)
    return spans


def release(docs: Iterable[Doc]) -> None:
    """Let go of what the docs keep that refers back to them (``doc_sentences``), so that each goes as soon as it is
    no longer used."""
    for doc in docs:
        doc.user_data.pop(_SENTENCES_KEY, None)


SENTENCIZER = "transcript_coach_sentencizer"


@Language.factory(SENTENCIZER)
def _sentencizer(nlp: Language, name: str) -> ArraySentencizer:
    return ArraySentencizer(nlp.vocab, Sentencizer.default_punct_chars)


class ArraySentencizer:
    """spaCy's rule-based ``sentencizer`` (default punctuation, never overwriting boundaries already set), with the
    same boundaries, read from the doc's token arrays: spaCy's own builds a ``Token`` for every token.

    A sentence ends after a run of sentence-final characters (a token that is exactly one of them) at the first
    token that is neither punctuation nor one of them. Two changes. A blank line ends a sentence, as it ends a
    paragraph ("Dear Alison,\n\nOur records show ..." is two sentences). And the number of a numbered list item
    ("1. Restart the router", "Here's the fix: 1. In the app, ...") starts a sentence and its full stop ends none, where
    spaCy's would cut "Here's the fix: 1." and "Restart the router\n2." apart. A list number is one or two digits
    followed by a full stop and a space, at the start of the text or a line, after a colon or after a sentence's
    end."""

    def __init__(self, vocab, punct_chars: Iterable[str]) -> None:
        self.enders = frozenset(vocab.strings.add(c) for c in punct_chars)
        self.full_stop = vocab.strings.add(".")
        self.colon = vocab.strings.add(":")

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        columns = doc.to_array([ORTH, IS_PUNCT, IS_SPACE, LIKE_NUM, SENT_START]).T.tolist()
        orths, puncts, spaces, numbers, current = columns
        starts = [-1] * n
        starts[0] = 1
        seen_end = False
        for i, orth in enumerate(orths):
            ender = orth in self.enders
            if orth == self.full_stop and i and numbers[i - 1] and self._list_number(doc, i - 1, orths, spaces, starts):
                if not (i > 1 and spaces[i - 2] and starts[i - 2] == 1):  # else it starts at the line break before
                    starts[i - 1] = 1
                seen_end = False
            elif spaces[i] and doc[i].text.count("\n") > 1:  # a blank line: a new paragraph
                starts[i] = 1
                seen_end = False
            elif seen_end and not ender and not puncts[i]:
                starts[i] = 1
                seen_end = False
            elif ender:
                seen_end = True
        if any(current):  # keep the boundaries another component set (-1 reads back as 2**64 - 1)
            starts = [new if not old else 1 if old == 1 else -1 for old, new in zip(current, starts, strict=True)]
        doc.from_array([SENT_START], numpy.asarray(starts, dtype="int64").astype("uint64").reshape(-1, 1))
        return doc

    def _list_number(self, doc: Doc, i: int, orths: list[int], spaces: list[int], starts: list[int]) -> bool:
        """Whether token ``i``, a number followed by a full stop, numbers a list item (see the class)."""
        number = doc[i]
        if not (number.text.isdigit() and len(number.text) <= 2 and doc[i + 1].whitespace_ and i + 2 < len(orths)):
            return False
        if i == 0 or starts[i] == 1 or orths[i - 1] == self.colon:
            return True
        return bool(spaces[i - 1]) and "\n" in doc[i - 1].text


def _add_lookup_lemmatizer(nlp: Language) -> None:
    """The lemma of each token from spaCy's English lookup table (spacy-lookups-data, a dependency: no download)."""
    nlp.add_pipe(LOOKUP_LEMMATIZER, name="lemmatizer")


LOOKUP_LEMMATIZER = "transcript_coach_lookup_lemmatizer"


@Language.factory(LOOKUP_LEMMATIZER)
def _lookup_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    try:
        table = load_lookups(lang=nlp.vocab.lang, tables=["lemma_lookup"]).get_table("lemma_lookup")
    except (ImportError, ValueError, OSError) as exc:
        raise UsageError(f"the lemma tables could not be loaded ({exc}): short of memory (a memory limit, ulimit -v)? "
                         "give it more; otherwise reinstall transcript-coach, which depends on spacy-lookups-data") \
            from None
    return LookupLemmatizer(nlp.vocab, table)


class LookupLemmatizer:
    """spaCy's lookup lemmatizer (``mode: lookup``, never overwriting a lemma already set), with the same lemmas,
    done a whole ``Doc`` at a time: the table is read by the token's own hash and each word form is looked up once
    per process, where spaCy's own component builds a ``Token`` and hashes its text for every token."""

    def __init__(self, vocab, table) -> None:
        self.vocab = vocab
        self.table = table
        self._lemmas = Memo(limit=500_000)  # word form -> lemma, both as string-store hashes

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        known = self._lemmas
        lemmas = [known.get(orth) or self._lemma(orth) for orth in doc.to_array(ORTH).tolist()]
        current = doc.to_array(LEMMA)
        if current.any():  # keep the lemmas another component set
            lemmas = [old or new for old, new in zip(current.tolist(), lemmas, strict=True)]
        doc.from_array([LEMMA], numpy.asarray(lemmas, dtype="uint64").reshape(-1, 1))
        return doc

    def _lemma(self, orth: int) -> int:
        lemma = self.table.get(orth)
        if isinstance(lemma, list):
            lemma = lemma[0]
        return self._lemmas.remember(orth, self.vocab.strings.add(lemma) if isinstance(lemma, str) else orth)


@dataclass(frozen=True, slots=True)
class TranscriptDocs:
    """A transcript with one spaCy ``Doc`` per turn (``docs[i]`` parses ``transcript.turns[i].text``)."""

    transcript: Transcript
    docs: tuple[Doc, ...]
    language: str = "en"

    def turns(self, role: Role | None = None, *, internal: bool = False) -> Iterator[tuple[Turn, Doc]]:
        """Turns (with their parse) of one role; internal notes only when ``internal`` is true."""
        for turn, doc in zip(self.transcript.turns, self.docs, strict=True):
            if (role is None or turn.role == role) and (internal or not turn.internal):
                yield turn, doc


# A line break inside a sentence that was wrapped by hand, as e-mail is: after a word or a comma, before a lower-case
# letter ("You should\nhave checked"). Read as a space, so that phrases and patterns match across it; a line that
# starts a list item, a sign-off's name or a new sentence starts with something else and keeps its break.
_WRAPPED_LINE_BREAK = re.compile(r"(?<=[^\W_]|,)\n(?=[a-z])")


def unwrapped(text: str) -> str:
    """``text`` with each line break of a hand-wrapped sentence read as a space: the same length, so every character
    offset into it is one into ``text``."""
    return _WRAPPED_LINE_BREAK.sub(" ", text) if "\n" in text else text


def parse_stream(nlp: Language, transcripts: Sequence[Transcript], skip: Container[int] = ()) -> Iterator[Doc]:
    """One ``Doc`` per turn of every transcript, in order, from one lazy ``nlp.pipe`` stream, of the turn's text
    ``unwrapped``. The turns of the transcript at position ``i`` parse as empty text if ``i`` is in ``skip`` by the
    time spaCy reaches them (a transcript given up on, e.g. over its time limit, costs no more parsing)."""
    texts = ("" if i in skip else unwrapped(turn.text[:MAX_ANALYSED_CHARS])
             for i, t in enumerate(transcripts) for turn in t.turns)
    return iter(nlp.pipe(texts, batch_size=256))


def annotate(nlp: Language, transcripts: Sequence[Transcript], languages: Sequence[str]) -> list[TranscriptDocs]:
    """Parse every turn of every transcript in one ``nlp.pipe`` stream."""
    docs = parse_stream(nlp, transcripts)
    return [
        TranscriptDocs(t, tuple(next(docs) for _ in t.turns), language)
        for t, language in zip(transcripts, languages, strict=True)
    ]


def batches(transcripts: Iterable[Transcript], max_turns: int = BATCH_TURNS) -> Iterator[list[Transcript]]:
    """Group a stream of transcripts so each ``nlp.pipe`` call sees a few thousand turns, not the whole corpus."""
    batch: list[Transcript] = []
    turns = 0
    for transcript in transcripts:
        batch.append(transcript)
        turns += len(transcript.turns)
        if turns >= max_turns:
            yield batch
            batch, turns = [], 0
    if batch:
        yield batch
