"""jargon.*: words in agent replies that a customer may not know, unless the customer used them first or the agent
explained them.

Features (evidence on the term itself, once per term per conversation, at its first use by an agent):

- ``jargon.glossary_term``: a term from the support glossary (``data/glossary.json``, merged with the company glossary
  given as ``Coach(glossary=FILE)``); rule ``glossary:<term>``, and ``plain_language(res, term)`` gives the plain
  words a note may suggest.
- ``jargon.idiom``: an idiom or figure of speech from the same glossary (entries of ``"kind": "idiom"``: "sit tight",
  "a piece of cake", "touch base"), with its plain words: everyday to a native speaker, a puzzle to a customer reading
  in a second language. Rule ``glossary:<phrase>``.
- ``jargon.acronym``: 2-6 capitals (``RMA``, ``2FA``, plural ``RMAs``) that customers do not commonly know; rule
  ``regex:acronym``.
- ``jargon.rare_word``: a word rare in everyday English (wordfreq Zipf frequency below ``settings.max_zipf``); rule
  ``wordfreq:rare``, value = the word's Zipf frequency.
- ``jargon.explained``: the agent used such a term and explained it (a parenthesis, "which means", "that's", its
  expansion given earlier: "the Power Supply Unit ... the PSU"), or one the customer asked about and the agent
  explained ("I don't know what DSL means" ... "DSL is the light that ...": ``explained:asked``); rule
  ``explained:<how>``. A strength, not a
  fault.
- ``jargon.customer_confused``: the customer saying, after an agent's reply, that they did not follow it ("Sorry, I
  don't understand any of that", "What's a DNS?", "I'm not very technical"; entries of kind ``customer.confused`` in
  ``data/lexicons/customer.json``); rule ``lexicon:customer#<entry>``. On the customer's words, whatever the term. A
  call's opening "how can I help?" is no reply ("i got a bill for four hundred pounds ... i don't understand it" is
  about the bill), nor is "I don't understand why ..." or "... my bill" about the agent's words, nor confusion after
  the customer reports what a screen, a message or a letter says (``settings.reported_wording``: "It says something
  about permissions? I don't understand what that means"). Also the customer asking what a term the agent used and
  did not explain is ("sorry what is pre-auth hold?": a ``settings.term_questions`` phrase, then the term); rule
  ``asked:term``. An explanation of that term in a later reply is ``jargon.explained`` (``explained:asked``). "I'm
  not very technical" (entries of kind ``customer.not_technical``) counts the same after a reply.
- ``jargon.unadapted``: a term still unexplained (an idiom is no technical word), in one of the next
  ``settings.lost_replies`` agent replies after the customer said they did not follow, or in any reply after they
  said they were not technical (before the first reply too: "I'm not very good with technology I'm afraid"); once
  per term after each such cue, whether or not the agent had used it before. Same rule and value as the term's own.
- ``jargon.rephrased``: in those replies, when none holds such a term, the first sentence that says it puts things
  simply (``jargon.json`` entries of feature ``jargon.rephrased``: "in other words", "let me put it another way",
  "one step at a time"); rule ``lexicon:jargon#<entry>``. A strength, like ``jargon.explained``.

Not jargon: a term the customer used in an earlier turn (same lower-case form or lemma); a rare word right before
the kind of place it names ("cineworld cinema", "Berryessa Road": ``settings.name_heads``); numbers, URLs, e-mail
addresses, handles, codes with digits, words with apostrophes, short words, proper names (capitalised inside a
sentence, a speaker's name, or a name written that way elsewhere in the conversation), product names in mixed case
(``iPhone``), acronyms in the ``common_acronyms`` setting, and capitals in a shouting sentence.

``candidates(res, doc)`` is the context-free part (what a word or sentence would be flagged as, before the customer
and explanation checks); the extractor and the CWI benchmark both use it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.attrs import IS_ALPHA, IS_PUNCT, IS_UPPER, LEMMA, LOWER, ORTH, SENT_START
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from transcript_coach.data import load_json, parse_json_text
from transcript_coach.errors import DataFileError
from transcript_coach.ingest.decoding import Lines
from transcript_coach.ingest.records import header_delimiter
from transcript_coach.nlp import TranscriptDocs, doc_sentences, span_text, without_capitals_words
from transcript_coach.phrases import Phrases, norm
from transcript_coach.redact import placeholder_tokens
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import WARMERS, Resources, WordFrequencies

FAMILY = "jargon"
CONFUSED = "customer.confused"  # the kind of customer.json entry that says the customer did not follow
NOT_TECHNICAL = "customer.not_technical"  # ... that they are not technical: did not follow, or will not
GLOSSARY_FILE = "glossary.json"

# 2-6 characters: capitals with at most one digit at either end (2FA, MP3), optionally a plural "s" (RMAs).
_ACRONYM = re.compile(r"(?:[0-9]?[A-Z]{2,6}|[A-Z]{2,6}[0-9]?)s?")
_CAPS_FORM = re.compile(r"[0-9]?[A-Z][A-Z0-9]{1,5}")
_ALIAS_SPLIT = re.compile(r"[;|]")  # pieces are stripped; \s* around it would be quadratic on long spaces
# Function words an expansion may contain without their initial ("Proof of Delivery" -> POD).
_EXPANSION_SKIP = frozenset({"of", "and", "the", "for", "to", "a", "an", "in", "on", "at", "by", "&"})
_NAME_LINKS = frozenset({",", "&", "-"})
_SIGN_MARKS = frozenset({"*", "^", "-", "\u2013", "\u2014", "~", "=", "/", "|"})
_ELONGATED = re.compile(r"([a-zA-Z])\1\1")  # noooo, Mmmmm: an interjection, not a word to look up
_INFLECTIONS = ("ing", "ed", "es", "s", "d", "er", "ers", "est", "ly")
_ENTRY_KEYS = frozenset({"term", "plain", "aliases", "acronym", "kind"})
IDIOM = "jargon.idiom"
REPHRASED = "jargon.rephrased"  # also the feature of the jargon.json entries that say so ("in other words")
EXPLAINED = "jargon.explained"
RARE = "jargon.rare_word"
KINDS = {"term": "jargon.glossary_term", "idiom": IDIOM}  # a glossary entry's kind -> the feature it fires


# --- settings and the word-frequency table ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Settings:
    max_zipf: float
    min_word_chars: int
    ignore_unknown_words: bool
    familiar_caps_min_zipf: float
    shouting_min_caps_words: int
    shouting_caps_share: float
    explain_window: int
    transparent_prefixes: tuple[str, ...]
    transparent_part_min_zipf: float
    common_acronyms: frozenset[str]
    not_jargon: frozenset[str]
    reported_wording: Phrases  # "it says", "a letter saying": what the customer then does not follow is not ours
    term_questions: Phrases  # "what is", "what does": asking what a term the agent used means
    name_heads: frozenset[str]  # "cinema" in "cineworld cinema": the rare word before it is a name
    lost_replies: int  # how many agent replies after the customer said they were lost are read for their terms


def settings(res: Resources) -> Settings:
    """The ``settings`` of ``data/lexicons/jargon.json``, read once per ``Resources``."""

    def build() -> Settings:
        def get(key: str, kind: type) -> Any:
            value = res.setting(FAMILY, key)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise DataFileError(f"lexicons/{FAMILY}.json: settings.{key} must be {kind.__name__}, got {value!r}")
            return value

        def words(key: str) -> list[str]:
            value = get(key, list)
            if not all(isinstance(w, str) and w.strip() for w in value):
                raise DataFileError(f"lexicons/{FAMILY}.json: settings.{key} must be a list of non-empty strings")
            return value

        return Settings(
            max_zipf=get("max_zipf", float),
            min_word_chars=get("min_word_chars", int),
            ignore_unknown_words=get("ignore_unknown_words", bool),
            familiar_caps_min_zipf=get("familiar_caps_min_zipf", float),
            shouting_min_caps_words=get("shouting_min_caps_words", int),
            shouting_caps_share=get("shouting_caps_share", float),
            explain_window=get("explain_window", int),
            transparent_prefixes=tuple(w.lower() for w in words("transparent_prefixes")),
            transparent_part_min_zipf=get("transparent_part_min_zipf", float),
            common_acronyms=frozenset(w.upper() for w in words("common_acronyms")),
            not_jargon=frozenset(w.lower() for w in words("not_jargon")),
            reported_wording=Phrases(words("reported_wording")),
            term_questions=Phrases(words("term_questions")),
            name_heads=frozenset(w.lower() for w in words("name_heads")),
            lost_replies=get("lost_replies", int),
        )

    return res.cached("jargon.settings", build)


# --- the glossary -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """One jargon term and its plain-language replacement; ``source`` is the file it came from."""

    term: str
    plain: str | None  # None: a company glossary removes this term
    aliases: tuple[str, ...] = ()
    acronym: bool | None = None  # None: capitals-only forms (RMA, 2FA) match case-sensitively, others do not
    source: str = GLOSSARY_FILE
    company: bool = False
    kind: str = "term"  # "idiom": a figure of speech ("sit tight"), not support jargon

    @property
    def feature(self) -> str:
        return KINDS[self.kind]

    @property
    def key(self) -> str:
        return self.term.casefold()

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)

    def case_sensitive(self, form: str) -> bool:
        return self.acronym if self.acronym is not None else bool(_CAPS_FORM.fullmatch(form))


@dataclass(slots=True)
class Glossary:
    """The shipped glossary with the company glossary merged over it, compiled for matching."""

    entries: dict[str, GlossaryEntry] = field(default_factory=dict)  # key -> entry
    forms: dict[str, GlossaryEntry] = field(default_factory=dict)  # every form, case-folded -> entry
    # one-token forms, case-folded -> (entry, the form as written, whether it only matches as written)
    single: dict[str, tuple[GlossaryEntry, str, bool]] = field(default_factory=dict)
    phrases: PhraseMatcher | None = None  # multi-token forms, on lower case

    def lookup(self, term: str) -> GlossaryEntry | None:
        return self.forms.get(" ".join(term.split()).casefold())

    def token_entry(self, token: Token, *, caps: bool = True, any_case: bool = False) -> GlossaryEntry | None:
        """The entry ``token`` is a form of (by lower case, lemma, or a plural 's'). Case-sensitive forms (RMA, ETA)
        match only as written ('eta' is not ETA), and only when ``caps`` (not in a shouting sentence); ``any_case``
        ignores case altogether (for what a customer wrote)."""
        text, lower = token.text, token.lower_
        for key in (lower, token.lemma_.casefold(), lower[:-1] if lower.endswith("s") and len(lower) > 2 else None):
            hit = self.single.get(key) if key else None
            if hit is None:
                continue
            entry, written, sensitive = hit
            if not sensitive or any_case or (caps and text in (written, written + "s")):
                return entry
        return None

    def phrase_spans(self, doc: Doc) -> list[tuple[int, int, GlossaryEntry]]:
        """Non-overlapping multi-word glossary matches in ``doc`` (longest first)."""
        if self.phrases is None:
            return []
        found = sorted(self.phrases(doc), key=lambda m: (m[1], -(m[2] - m[1])))
        taken: list[tuple[int, int, GlossaryEntry]] = []
        strings = doc.vocab.strings
        for match_id, start, end in found:
            if taken and start < taken[-1][1]:
                continue
            taken.append((start, end, self.entries[strings[match_id]]))
        return taken


def glossary(res: Resources) -> Glossary:
    """The merged, compiled glossary (built once per ``Resources``). Raises ``DataFileError`` for a bad file."""
    return res.cached("jargon.glossary", lambda: _build_glossary(res))


WARMERS.append(glossary)


def plain_language(res: Resources, term: str) -> str | None:
    """The plain-language replacement for a glossary term, one of its aliases, or a rule id ``glossary:<term>``."""
    if term.startswith("glossary:"):
        term = term[len("glossary:"):]
    entry = glossary(res).lookup(term)
    return entry.plain if entry is not None else None


def _build_glossary(res: Resources) -> Glossary:
    """Shipped entries, then the company's: a company entry replaces the shipped entry with the same term (and its
    aliases), takes over a form it shares with another entry, and with ``"plain": null`` removes a term or alias."""
    shipped = parse_glossary_document(load_json(GLOSSARY_FILE), GLOSSARY_FILE)
    company = read_glossary(res.glossary_path) if res.glossary_path is not None else []
    entries = {entry.key: entry for entry in shipped}
    removed: set[str] = set()
    for entry in company:
        entries.pop(entry.key, None)
        if entry.plain is None:
            removed.add(entry.key)
        else:
            entries[entry.key] = entry
    forms: dict[str, tuple[GlossaryEntry, str]] = {}
    for entry in sorted(entries.values(), key=lambda e: e.company):  # company entries last
        for form in entry.forms:
            if form.casefold() not in removed:
                forms[form.casefold()] = (entry, form)
    gl = Glossary()
    tokenizer = res.nlp.tokenizer
    phrase_forms: dict[str, list[Doc]] = {}
    for folded, (entry, form) in forms.items():
        gl.entries[entry.key] = entry
        gl.forms[folded] = entry
        if len(tokenizer(form)) == 1:
            gl.single[folded] = (entry, form, entry.case_sensitive(form))
        else:
            phrase_forms.setdefault(entry.key, []).append(tokenizer(folded))
    if phrase_forms:
        gl.phrases = PhraseMatcher(res.nlp.vocab, attr="LOWER")
        for key, patterns in phrase_forms.items():
            gl.phrases.add(key, patterns)
    return gl


def read_glossary(path: str | Path) -> list[GlossaryEntry]:
    """Entries of a company glossary: JSON (``{"terms": [...]}``, a list of entries, or ``{"term": "plain"}``) or
    CSV with columns ``term,plain[,aliases]`` (header optional; tab or semicolon separators work when the first line
    has no comma; aliases separated by ``;`` or ``|``)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataFileError(f"{path}: glossary cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: glossary is not UTF-8 text") from None
    stripped = text.lstrip()
    if not stripped:
        raise DataFileError(f"{path}: glossary is empty")
    if path.suffix.lower() == ".json" or stripped[0] in "[{":
        document = parse_json_text(text, str(path), "glossary is ")
        entries = parse_glossary_document(document, str(path), company=True)
    else:
        entries = _parse_csv(text, str(path))
    if not entries:
        raise DataFileError(f"{path}: glossary has no terms")
    return entries


def parse_glossary_document(document: Any, name: str, *, company: bool = False) -> list[GlossaryEntry]:
    """Validated entries of a JSON glossary; errors name the file and the entry."""
    if isinstance(document, Mapping) and "terms" in document:
        extra = set(document) - {"terms", "description"}
        if extra:
            raise DataFileError(f"{name}: unexpected top-level key(s) {sorted(extra)}; expected 'terms' "
                                "(and optionally 'description')")
        document = document["terms"]
        if not isinstance(document, list):
            raise DataFileError(f"{name}: 'terms' must be a list of entries")
    raw: list[tuple[str, Any]]  # (where, entry); "entry 3" gets the term added once it is known
    if isinstance(document, list):
        raw = [(f"{name}: entry {i + 1}", item) for i, item in enumerate(document)]
    elif isinstance(document, Mapping) and company:
        raw = []
        for term, value in document.items():
            where = f"{name}: entry {term!r}"
            if isinstance(value, Mapping):
                if "term" in value and value["term"] != term:
                    raise DataFileError(f"{where}: 'term' {value['term']!r} differs from its key")
                raw.append((where, {**value, "term": term}))
            else:
                raw.append((where, {"term": term, "plain": value}))
    else:
        raise DataFileError(f"{name}: expected a JSON list of entries, an object with 'terms', or an object "
                            "mapping each term to its plain-language replacement")
    entries: list[GlossaryEntry] = []
    seen: dict[str, str] = {}
    for where, item in raw:
        positional = isinstance(document, list)
        entry = _validate_entry(item, where, name, company=company, allow_removal=company, add_term=positional)
        if positional:
            where = f"{where} ({entry.term!r})"
        if entry.key in seen:
            raise DataFileError(f"{where}: duplicate term, already defined by {seen[entry.key]}")
        seen[entry.key] = where.removeprefix(f"{name}: ")
        entries.append(entry)
    return entries


def _validate_entry(item: Any, where: str, source: str, *, company: bool, allow_removal: bool,
                    add_term: bool = True) -> GlossaryEntry:
    if not isinstance(item, Mapping):
        raise DataFileError(f"{where}: expected an object with 'term' and 'plain', got {type(item).__name__}")
    term = item.get("term")
    if not isinstance(term, str) or not term.strip():
        raise DataFileError(f"{where}: 'term' must be a non-empty string")
    term = " ".join(term.split())
    if add_term:
        where = f"{where} ({term!r})"
    unknown = set(item) - _ENTRY_KEYS
    if unknown:
        raise DataFileError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    if "plain" not in item:
        raise DataFileError(f"{where}: missing 'plain' (the plain-language replacement)")
    plain = item["plain"]
    if plain is None and allow_removal:
        pass
    elif not isinstance(plain, str) or not plain.strip():
        removal = " (or null to remove the term)" if allow_removal else ""
        raise DataFileError(f"{where}: 'plain' must be a non-empty string{removal}")
    else:
        plain = " ".join(plain.split())
    aliases = item.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [a.strip() for a in _ALIAS_SPLIT.split(aliases) if a.strip()]
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise DataFileError(f"{where}: 'aliases' must be a list of non-empty strings")
    acronym = item.get("acronym")
    if acronym is not None and not isinstance(acronym, bool):
        raise DataFileError(f"{where}: 'acronym' must be true or false")
    kind = item.get("kind", "term")
    if kind not in KINDS:
        raise DataFileError(f"{where}: 'kind' must be one of {sorted(KINDS)}, got {kind!r}")
    return GlossaryEntry(term, plain, tuple(" ".join(a.split()) for a in aliases), acronym, source, company, kind)


def _parse_csv(text: str, name: str) -> list[GlossaryEntry]:
    delimiter = header_delimiter(Lines.of(text)())
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns: dict[str, int] = {"term": 0, "plain": 1, "aliases": 2}
    entries: list[GlossaryEntry] = []
    seen: dict[str, int] = {}
    header_done = False
    try:
        for row in reader:
            line = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not header_done:
                header_done = True
                lowered = [c.lower() for c in cells]
                if lowered[0] in ("term", "jargon", "word"):
                    columns = {"term": 0}
                    for i, c in enumerate(lowered[1:], 1):
                        if c in ("plain", "plain language", "plain_language", "replacement", "suggestion",
                                 "meaning"):
                            columns["plain"] = i
                        elif c in ("aliases", "alias", "synonyms", "variants"):
                            columns["aliases"] = i
                    if "plain" not in columns:
                        raise DataFileError(f"{name}:{line}: header has no 'plain' column (expected 'term,plain')")
                    continue
            where = f"{name}:{line}"
            if len(cells) <= columns["plain"]:
                raise DataFileError(f"{where}: expected 'term{delimiter}plain', got {len(cells)} column(s)")
            term = cells[columns["term"]]
            item: dict[str, Any] = {"term": term, "plain": cells[columns["plain"]]}
            if "aliases" in columns and len(cells) > columns["aliases"] and cells[columns["aliases"]]:
                item["aliases"] = cells[columns["aliases"]]
            entry = _validate_entry(item, where, name, company=True, allow_removal=False)
            if entry.key in seen:
                raise DataFileError(f"{where} ({entry.term!r}): duplicate term, already on line {seen[entry.key]}")
            seen[entry.key] = line
            entries.append(entry)
    except csv.Error as exc:
        raise DataFileError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    return entries


# --- candidates: what a word would be flagged as, before context --------------------------------------------------

@dataclass(frozen=True, slots=True)
class Candidate:
    """``doc[start:end]`` would be ``feature`` unless the customer used it first or the agent explains it."""

    feature: str
    start: int  # token indexes
    end: int
    key: str  # the term's identity across the conversation (a glossary key, an acronym, a lemma)
    rule: str
    value: float = 1.0


def shouting(sent: Span, res: Resources, placeholders: Container[int] = frozenset()) -> bool:
    """Mostly capitals, several of them everyday words ("THIS IS RIDICULOUS"): shouting, not acronyms. Tokens whose
    index is in ``placeholders`` (redaction placeholders, ``placeholder_tokens``) do not count."""
    cfg, freq = settings(res), res.word_frequencies()
    if cfg.shouting_min_caps_words > 0 and without_capitals_words(span_text(sent)):
        return False
    words = caps = familiar = 0
    for token in sent:
        text = token.text
        if len(text) < 2 or not token.is_alpha:
            continue
        if token.i in placeholders:
            continue  # "[NAME]": a redaction placeholder
        words += 1
        if text.isupper():
            caps += 1
            if freq.zipf(token.lower_) >= cfg.familiar_caps_min_zipf:
                familiar += 1
    return familiar >= cfg.shouting_min_caps_words and caps >= cfg.shouting_caps_share * words


def candidates(res: Resources, doc: Doc, *, names: Container[str] = frozenset(), max_zipf: float | None = None
               ) -> list[Candidate]:
    """Jargon candidates in ``doc``. ``names``: lower-case words known to be names in this conversation (they are
    not rare words at a sentence start); ``max_zipf`` overrides the setting (for threshold sweeps)."""
    gl = glossary(res)
    heads = settings(res).name_heads
    tagged = doc.has_annotation("TAG")
    found: list[Candidate] = []
    covered: set[int] = set()
    for start, end, entry in gl.phrase_spans(doc):
        found.append(Candidate(entry.feature, start, end, "g:" + entry.key, f"glossary:{entry.term}"))
        covered.update(range(start, end))
    last_word = _last_word(doc)
    codes: set[int] | None = None  # built on the first acronym-shaped token
    placeholders = placeholder_tokens(doc)  # "[IBAN]": a redaction placeholder, not the term
    # A word that does not start with a capital is judged by its form, lemma and the sentence's loudness alone (no
    # names, no sign-offs), so that judgement is remembered: most tokens then cost a look-up, not a Token.
    memo = res.memo("jargon.words") if max_zipf is None else None
    strings = doc.vocab.strings
    orths, lemmas, puncts = doc.to_array([ORTH, LEMMA, IS_PUNCT]).T.tolist() if len(doc) else ([], [], [])
    for sent in doc_sentences(doc):
        loud = shouting(sent, res, placeholders)
        for i in range(sent.start, sent.end):
            if puncts[i] or i in covered or i in placeholders:
                continue
            if i > sent.start and strings[orths[i - 1]] in ("@", "#"):
                continue
            text = strings[orths[i]]
            capitalised = text[:1].isupper()
            key = None if capitalised or memo is None else (orths[i], lemmas[i], loud)
            judged = _UNJUDGED if key is None else memo.get(key, _UNJUDGED)
            if judged is _UNJUDGED:
                token = doc[i]
                if capitalised and _signature(token, last_word):
                    continue  # "... Thanks! *TJF", "- Ceri": an agent's sign-off
                entry = gl.token_entry(token, caps=not loud)
                if entry is not None:
                    judged = (entry.feature, "g:" + entry.key, f"glossary:{entry.term}", 1.0)
                elif not loud and _ACRONYM.fullmatch(text):  # depends on the neighbours: judged every time
                    stem = text[:-1] if text.endswith("s") else text
                    if codes is None:
                        codes = _code_tokens(doc)
                    if i not in codes and not _known_acronym(res, stem, token, names):
                        found.append(Candidate("jargon.acronym", i, i + 1, stem, "regex:acronym"))
                    continue
                else:
                    prev = doc[i - 1] if i > sent.start else None
                    judged = _rare_word(res, token, capitalised, prev, names, tagged, max_zipf)
                if key is not None:
                    memo.remember(key, judged)
            if judged is not None:
                feature, term, rule, value = judged
                if feature == RARE and i + 1 < len(doc) and strings[orths[i + 1]].lower() in heads:
                    continue  # "cineworld cinema", "the balto statue": a place's name, however it is written
                found.append(Candidate(feature, i, i + 1, term, rule, value))
    found.sort(key=lambda c: (c.start, c.end))
    return found


_UNJUDGED = object()


def _rare_word(res: Resources, token: Token, capitalised: bool, prev: Token | None, names: Container[str],
               tagged: bool, max_zipf: float | None) -> tuple[str, str, str, float] | None:
    """(feature, key, rule, value) of ``token`` as a rare word, or None when it is not one."""
    text = token.text
    if not token.is_alpha or len(text) < settings(res).min_word_chars or token.like_num or _ELONGATED.search(text):
        return None
    if any(c.isupper() for c in text[1:]):
        return None  # NOT, LIDL, iPhone, PayPal: emphasis, shouting or a name, not a word to look up
    if capitalised and (token.lower_ in names or _proper_name(token, prev, tagged)):
        return None
    zipf = rarity(res, token.lower_, token.lemma_.casefold(), max_zipf=max_zipf)
    if zipf is None or (text.islower() and misspelt(res, text)):
        return None  # a typo is no jargon: tone.misspelling
    key = token.lemma_.casefold()
    return "jargon.rare_word", key if key.isalpha() else token.lower_, "wordfreq:rare", zipf


def misspelt(res: Resources, word: str) -> bool:
    """Whether a lower-case ``word`` reads as a common word misspelt: at least ``misspelling.min_chars`` letters,
    rare (Zipf above 0 and below ``misspelling.max_zipf``) and one letter dropped, added, changed or two swapped away
    from a word at least ``misspelling.of_min_zipf`` common ("resturant", "anyhting"). Cached per word."""
    known = res.cached("jargon.misspelt", dict)
    found = known.get(word)
    if found is None:
        spec = res.setting(FAMILY, "misspelling")
        freq = res.word_frequencies()
        zipf = freq.zipf(word)
        found = known[word] = (len(word) >= int(spec["min_chars"]) and 0.0 < zipf < float(spec["max_zipf"])
                               and freq.common_neighbour(word, float(spec["of_min_zipf"])))
    return found


def rarity(res: Resources, word: str, lemma: str | None = None, *, max_zipf: float | None = None) -> float | None:
    """The Zipf frequency of a lower-case ``word`` when it is rare enough to be jargon, else None.

    The word counts by its most frequent form (itself, its lemma, the word without an inflection: "unplugging" ->
    "unplug"); words in ``not_jargon``, unknown words (when ``ignore_unknown_words``) and transparent words (a common
    prefix or a second common word on a common word: "reinstall", "earphones") are not rare."""
    cfg, freq = settings(res), res.word_frequencies()
    threshold = cfg.max_zipf if max_zipf is None else max_zipf
    if freq.zipf(word) >= threshold:
        return None  # most words: common as written
    forms = _base_forms(word, lemma)
    if not forms.isdisjoint(cfg.not_jargon):
        return None
    zipf = max(freq.zipf(f) for f in forms)
    if zipf >= threshold or (zipf == 0.0 and cfg.ignore_unknown_words):
        return None
    if _transparent(word, freq, cfg):
        return None
    return zipf


def _base_forms(word: str, lemma: str | None) -> set[str]:
    forms = {word}
    if lemma and lemma.isalpha():
        forms.add(lemma)
    for suffix in _INFLECTIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms.update((stem, stem + "e"))
            if len(stem) > 3 and stem[-1] == stem[-2]:
                forms.add(stem[:-1])  # unplugging -> unplugg -> unplug
            if stem.endswith("i"):
                forms.add(stem[:-1] + "y")  # companies -> company
    return forms


def _transparent(word: str, freq: WordFrequencies, cfg: Settings) -> bool:
    """A common prefix on a common word ("re" + "install"), or two common words ("ear" + "phones")."""
    floor = cfg.transparent_part_min_zipf
    for prefix in cfg.transparent_prefixes:
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 3 and max(freq.zipf(f) for f in _base_forms(rest, None)) >= floor:
            return True
    for k in range(3, len(word) - 2):
        if freq.zipf(word[:k]) >= floor and max(freq.zipf(f) for f in _base_forms(word[k:], None)) >= floor:
            return True
    return False


def _known_acronym(res: Resources, stem: str, token: Token, names: Container[str]) -> bool:
    """Acronym-shaped but not jargon: a common acronym (TV, 8PM), an everyday word in capitals (NOT), a name, a code
    next to a number (DL 1262, CB5 8BS), or part of a name with a capitalised word after it ("SFO International
    Airport", "ADC Theatre", "JT LeRoy") or before it inside the sentence ("Alameda OB GYN", "Korean BBQ", "Centre 9 &
    XD")."""
    cfg = settings(res)
    letters = stem.strip("0123456789")
    if stem in cfg.common_acronyms or letters in cfg.common_acronyms or stem.lower() in names:
        return True
    if res.word_frequencies().zipf(stem.lower()) >= cfg.familiar_caps_min_zipf:
        return True
    doc = token.doc
    if any(0 <= j < len(doc) and doc[j].text[:1].isdigit() for j in (token.i - 1, token.i + 1)):
        return True  # "DL 1262", "CB5 8BS"
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    preceding = doc[token.i - 1] if token.i > token.sent.start + 1 else None  # a word inside the sentence
    return (preceding is not None and preceding.text in _NAME_LINKS) or any(
        t is not None and t.is_alpha and t.text[:1].isupper() and not t.is_upper for t in (following, preceding))


def _code_tokens(doc: Doc) -> set[int]:
    """Tokens of references written without spaces that contain digits (KC-RF-20931), in one pass over ``doc``."""
    inside: set[int] = set()
    start, digits = 0, False
    for token in doc:
        digits = digits or any(c.isdigit() for c in token.text)
        if token.whitespace_ or token.i == len(doc) - 1:
            if digits and token.i > start:
                inside.update(range(start, token.i + 1))
            start, digits = token.i + 1, False
    return inside


def _last_word(doc: Doc) -> int:
    """Index of the last real word of a message (URLs, numbers like '2/2', emoji and stray letters after it)."""
    for token in reversed(doc):
        if token.is_alpha and len(token.text) > 1:
            return token.i
    return -1


def _signature(token: Token, last_word: int) -> bool:
    """Initials or a name that sign a message: glued to a sign-off mark (*TJF, ^JK, -DD), or the last word of the
    message after something that is not a word ('... help you with? - RB.', '... https://t.co/x  SM')."""
    doc = token.doc
    prev = doc[token.i - 1] if token.i > 0 else None
    if prev is not None and not prev.whitespace_ and prev.text in _SIGN_MARKS:
        return True
    if token.i != last_word:
        return False
    return prev is None or not (prev.is_alpha or prev.text in (",", "&"))


def _proper_name(token: Token, prev: Token | None, tagged: bool) -> bool:
    """A capitalised word inside a sentence (after a word, a comma or a house number: "3800 Montlake Boulevard") is a
    name; at a sentence start it is not, unless a comma or '!' follows it ("Shadi, I can help") or another capitalised
    word does ("Bahia Resort Hotel is a 1 star hotel")."""
    if tagged and token.tag_ in ("NNP", "NNPS"):
        return True
    if prev is not None and (prev.is_alpha or prev.like_num or prev.text in _NAME_LINKS):
        return True
    doc = token.doc
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    return following is not None and (following.text in (",", "!") or following.is_alpha and following.is_title)


def _reported_at(doc: Doc, reported: Phrases) -> int:
    """The token where the customer first reports what a screen, a message or a letter says ("It says something
    about permissions", "I got a letter saying ..."), or the doc's length: confusion after it is about that."""
    words = [norm(t.text) for t in doc]
    return next((k for k in range(len(words)) if reported.longest(words, k)), len(words))


# --- the extractor -----------------------------------------------------------------------------------------------

@extractor(FAMILY)
def jargon(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    turns = docs.transcript.turns
    if not any(t.role == "agent" and not t.internal for t in turns):
        return
    gl = glossary(res)
    context = _Context(docs, res)
    names = _Names(docs)
    said: set[str] = set()  # what the customer has said so far (words, lemmas, glossary keys)
    unread: list[Doc] = []  # customer turns not yet added to ``said`` (read only when a candidate needs them)
    decided: set[str] = set()
    asked: set[str] = set()  # words of customer turns that say they did not follow something
    flagged: dict[str, str] = {}  # the agent's unexplained terms so far: key -> the term as first used, lower case
    replied = False  # an agent has answered the customer: what the customer then does not follow is its wording
    customer_spoke = False  # a call's opening "how can I help?" is no wording to follow
    lost = _Lost(res)
    for i, (turn, doc) in enumerate(zip(turns, docs.docs, strict=True)):
        if turn.internal:
            continue
        if turn.role == "customer":
            unread.append(doc)
            customer_spoke = True
            confused = [m for m in res.lexicon("customer").matches(doc) if m.entry.feature in (CONFUSED, NOT_TECHNICAL)]
            questions = _term_questions(doc, flagged, settings(res).term_questions, [m.span for m in confused])
            if not confused and not questions:
                continue
            asked |= _said(doc, gl)  # "I don't know what DSL means": an explanation of it is owed
            reported = _reported_at(doc, settings(res).reported_wording) if replied else 0
            said_lost = [m for m in confused if m.span.start < reported]  # after a reply, not about a screen's words
            for m in said_lost:
                yield span_hit("jargon.customer_confused", i, m.span, f"lexicon:customer#{m.entry.id}")
            for question in questions:
                yield span_hit("jargon.customer_confused", i, question, "asked:term")
            not_technical = any(m.entry.feature == NOT_TECHNICAL for m in confused)  # wherever they say it
            if said_lost or questions or not_technical:
                yield from lost.cue(not_technical)
            continue
        if turn.role != "agent":
            continue
        replied = replied or customer_spoke
        found = [c for c in candidates(res, doc, names=names)
                 if not (c.feature == RARE and names.speaker(doc[c.start].lower_))]  # "hi priti"
        for cand in found:
            if cand.key in decided:
                if cand.key in flagged and _customer_used(cand, doc, asked) and \
                        context.explanation(cand, i) is not None:  # asked about, and now explained
                    del flagged[cand.key]
                    span = doc[cand.start:cand.end]
                    yield Hit("jargon.explained", i, span.start_char, span.end_char, "explained:asked")
                continue
            decided.add(cand.key)
            while unread:
                said.update(_said(unread.pop(), gl))
            if _customer_used(cand, doc, said):
                if _customer_used(cand, doc, asked) and context.explanation(cand, i) is not None:
                    span = doc[cand.start:cand.end]  # a term the customer asked about, explained
                    yield Hit("jargon.explained", i, span.start_char, span.end_char, "explained:asked")
                continue
            how = context.explanation(cand, i)
            if how is None and cand.feature == "jargon.acronym":
                how = context.expansion(cand, i)
            span = doc[cand.start:cand.end]
            if how is not None:
                yield Hit("jargon.explained", i, span.start_char, span.end_char, f"explained:{how}")
            else:
                flagged[cand.key] = span.text.lower()
                yield Hit(cand.feature, i, span.start_char, span.end_char, cand.rule, cand.value)
        yield from lost.reply(i, doc, [c for c in found if c.key in flagged])
    yield from lost.close()


class _Lost:
    """The agent's replies after the customer said they did not follow (the next ``lost_replies``) or were not
    technical (all of them, wherever they said it): each term still unexplained in them is ``jargon.unadapted`` (once
    per term); without any, the first sentence in them that says it is putting things simply (a ``rephrase.cue``
    entry of ``jargon.json``: "in other words", "let me put it another way") is ``jargon.rephrased``."""

    def __init__(self, res: Resources):
        self.res = res
        self.replies: int | None = None  # how many replies read so far; None: the customer has said neither
        self.terms: set[str] = set()
        self.simply: Hit | None = None
        self.not_technical = False  # then every later reply is read

    def cue(self, not_technical: bool) -> Iterator[Hit]:
        yield from self.close()
        self.not_technical = self.not_technical or not_technical
        self.replies, self.terms, self.simply = 0, set(), None

    def reply(self, index: int, doc: Doc, unexplained: list[Candidate]) -> Iterator[Hit]:
        if self.replies is None or (not self.not_technical and self.replies >= settings(self.res).lost_replies):
            return
        self.replies += 1
        for cand in unexplained:
            if cand.key not in self.terms and cand.feature != IDIOM:  # an idiom is no technical word
                self.terms.add(cand.key)
                span = doc[cand.start:cand.end]
                yield Hit("jargon.unadapted", index, span.start_char, span.end_char, cand.rule, cand.value)
        if self.simply is None:
            self.simply = next((span_hit(REPHRASED, index, m.span.sent, f"lexicon:jargon#{m.entry.id}")
                                for m in self.res.lexicon(FAMILY).matches(doc) if m.entry.feature == REPHRASED), None)

    def close(self) -> Iterator[Hit]:
        if self.simply is not None and not self.terms:
            yield self.simply


def _term_questions(doc: Doc, flagged: Mapping[str, str], phrases: Phrases, found: list[Span]) -> list[Span]:
    """The customer's questions about a term the agent used without explaining it ("sorry what is pre-auth hold?"
    after "it's just a pre-auth hold"): a sentence ending in "?" with a ``term_questions`` phrase followed by the term
    (after "a", "an" or "the": not "What is the price range of the Leverton House?"), and no confusion cue already
    found in it."""
    if not flagged or "?" not in doc.text:
        return []
    asked = []
    for sent in doc_sentences(doc):
        if not sent.text.rstrip().endswith("?") or any(sent.start <= f.start < sent.end for f in found):
            continue
        words = [norm(t.text) for t in sent]
        for k in range(len(words)):
            length = phrases.longest(words, k)
            if not length:
                continue
            after = sent[length + k:]
            start = after[1:] if len(after) > 1 and words[k + length] in _ARTICLES else after
            text = start.text.lower()
            if any(text.startswith(term) and not text[len(term):len(term) + 1].isalnum() for term in flagged.values()):
                asked.append(sent)
                break
    return asked


_ARTICLES = frozenset({"a", "an", "the"})
_REFERENCE_PREFIX = re.compile(r"\b([A-Z]{2,6})-?(?=\d{3})")  # "PW-208844", "HG55120": the letters


class _Names:
    """Lower-case words that are names in this conversation (built on first use): speakers' names, words written
    capitalised inside a sentence in any customer-facing turn ("... thanks Priya", "my Kindle"), and the letters that
    start a reference anywhere in it ("PW" of "PW-208844": "It starts with PW" names the kind of reference)."""

    def __init__(self, docs: TranscriptDocs):
        self._docs = docs
        self._names: frozenset[str] | None = None
        self._speakers: frozenset[str] | None = None

    def __contains__(self, word: object) -> bool:
        if self._names is None:
            self._names = self._build()
        return word in self._names

    def speaker(self, word: str) -> bool:
        """Whether ``word`` (lower case) is a word of a speaker's name: "hi priti" greets Priti, however written."""
        return word in self._speaker_words()

    def _speaker_words(self) -> frozenset[str]:
        if self._speakers is None:
            self._speakers = frozenset(w.casefold() for turn in self._docs.transcript.turns if turn.speaker
                                       for w in re.findall(r"[^\W\d_]{2,}", turn.speaker))
        return self._speakers

    def _build(self) -> frozenset[str]:
        names: set[str] = set(self._speaker_words())
        for turn in self._docs.transcript.turns:
            names.update(prefix.casefold() for prefix in _REFERENCE_PREFIX.findall(turn.text))
        for _, doc in self._docs.turns():
            if len(doc) < 2:
                continue
            strings = doc.vocab.strings
            orths, lowers, alpha, upper, starts = doc.to_array([ORTH, LOWER, IS_ALPHA, IS_UPPER, SENT_START]).T.tolist()
            for i in range(1, len(orths)):  # a capitalised word, not all capitals, inside a sentence
                if not alpha[i] or upper[i] or starts[i] == 1 or not strings[orths[i]][:1].isupper():
                    continue
                if alpha[i - 1] or strings[orths[i - 1]] in _NAME_LINKS:
                    names.add(strings[lowers[i]])
        return frozenset(names)


def _said(doc: Doc, gl: Glossary) -> set[str]:
    """What a customer turn makes known: its words (lower case and lemma) and the glossary terms in it."""
    said: set[str] = set()
    for token in doc:
        if token.is_punct or token.is_space:
            continue
        said.add(token.lower_)
        said.add(token.lemma_.casefold())
        if _ACRONYM.fullmatch(token.text.upper()) and token.text.endswith(("s", "S")):
            said.add(token.lower_[:-1])
        entry = gl.token_entry(token, any_case=True)
        if entry is not None:
            said.add("g:" + entry.key)
    for _, _, entry in gl.phrase_spans(doc):
        said.add("g:" + entry.key)
    return said


def _customer_used(cand: Candidate, doc: Doc, said: set[str]) -> bool:
    if not said:
        return False
    if cand.key.casefold() in said:
        return True
    span = doc[cand.start:cand.end]
    return cand.end - cand.start == 1 and (span[0].lower_ in said or span[0].lemma_.casefold() in said)


class _Context:
    """What the explanation checks need from one conversation, built per message on first use: where explanation
    phrases start, where sentences end, and which letter sequences the words' initials spell."""

    def __init__(self, docs: TranscriptDocs, res: Resources):
        self.docs = docs
        self.cues = res.lexicon(FAMILY)
        self.window = settings(res).explain_window
        self._cues: dict[int, dict[int, set[str]]] = {}
        self._sentence_ends: dict[int, list[int]] = {}
        self._initials: dict[int, dict[str, int]] = {}

    def cue_starts(self, i: int) -> dict[int, set[str]]:
        """Token index -> the kinds of explanation phrase ('explain.cue', 'explain.definition'...) starting there."""
        if i not in self._cues:
            starts: dict[int, set[str]] = {}
            for m in self.cues.matches(self.docs.docs[i]):
                if m.entry.feature == EXPLAINED:
                    starts.setdefault(m.span.start, set()).add(m.entry.id)
            self._cues[i] = starts
        return self._cues[i]

    def sentence_end(self, i: int, token: int) -> int:
        if i not in self._sentence_ends:
            ends: list[int] = []
            for sent in doc_sentences(self.docs.docs[i]):
                ends.extend([sent.end] * (sent.end - sent.start))
            self._sentence_ends[i] = ends
        return self._sentence_ends[i][token]

    def explanation(self, cand: Candidate, i: int) -> str | None:
        """How the agent explained ``cand`` right where it is used, or None."""
        doc = self.docs.docs[i]
        start, end = cand.start, cand.end
        after = doc[end].text if end < len(doc) else ""
        if after in ("(", "[") and end + 1 < len(doc) and doc[end + 1].is_alpha:
            return "parenthesis"  # RMA (return authorisation)
        if start > 0 and doc[start - 1].text == "(" and after == ")":
            return "parenthesis"  # return merchandise authorisation (RMA)
        cues = self.cue_starts(i)
        if "explain.definition" in cues.get(end, ()):
            return "definition"  # ONT is the box on the wall; RMA means ...
        sentence_end = self.sentence_end(i, start)
        for k in range(end, min(end + self.window, sentence_end - 1) + 1):
            if any(kind != "explain.definition" for kind in cues.get(k, ())):
                return "phrase"  # RMA, which is ...; RMA - that's ...
        # the next sentence: later in this message, or the start of the agent's next message
        turns = self.docs.transcript.turns
        if sentence_end < len(doc):
            next_start, j = sentence_end, i
        elif i + 1 < len(turns) and turns[i + 1].role == "agent" and not turns[i + 1].internal:
            next_start, j = 0, i + 1
        else:
            return None
        cues = self.cue_starts(j)
        if any("explain.cue" in cues.get(k, ()) for k in range(next_start, next_start + self.window)):
            return "next-sentence"  # ... the ONT. That's the white box on the wall.
        return None

    def expansion(self, cand: Candidate, i: int) -> str | None:
        """'expansion' when the acronym's words were spelled out earlier in the conversation (3+ letters only):
        "Proof of Delivery ... the POD", "Estimated Time of Arrival ... ETA"."""
        letters = cand.key.lower()
        if not 3 <= len(letters) <= 6 or not letters.isalpha():
            return None
        turns = self.docs.transcript.turns
        for j in range(i + 1):
            if turns[j].internal or turns[j].role not in ("agent", "customer"):
                continue
            ends = self.initials(j).get(letters)
            if ends is not None and (j < i or ends < cand.start):
                return "expansion"
        return None

    def initials(self, j: int) -> dict[str, int]:
        """Letter sequences (3-6) spelled by the initials of consecutive words of message ``j`` -> the earliest
        token index where such an expansion ends. Function words are either all counted ("Proof of Delivery" ->
        POD) or all skipped ("Estimated Time of Arrival" -> ETA); an expansion starts and ends with a content word."""
        if j not in self._initials:
            words = [t for t in self.docs.docs[j] if t.is_alpha]
            found: dict[str, int] = {}
            for sequence in (words, [w for w in words if w.lower_ not in _EXPANSION_SKIP]):
                letters = "".join(w.lower_[0] for w in sequence)
                for k, first in enumerate(sequence):
                    if first.is_stop:
                        continue
                    for n in range(3, 7):
                        if k + n > len(sequence):
                            break
                        last = sequence[k + n - 1]
                        if not last.is_stop:
                            key = letters[k:k + n]
                            if key not in found or last.i < found[key]:
                                found[key] = last.i
            self._initials[j] = found
        return self._initials[j]
