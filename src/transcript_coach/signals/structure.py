"""structure.*: the frame of a support conversation.

- ``structure.greeting``: a greeting ("Hi", "Good morning", "Welcome to ...", "Dear ...") at the start of a sentence
  among the first ``settings.greeting_sentences`` sentences of the agent's first customer-facing turn.
- ``structure.introduction``: the agent says who they are: "my name is Sam", "you're speaking with Sam", "this is Sam
  from Acme", "I'm Sam, ...", "Sam here!". "I'm happy to help" / "this is great" are not introductions: the word after
  "I'm" / "this is" must look like a name (capitalised, not a common adjective or participle from
  ``settings.not_names``) and be followed by "from/with/at/here/,/and/your..." unless it is the agent's own speaker
  name; "X here" counts only as "X here from ..." or with the agent's own name ("Check here:" is not an introduction).
- ``structure.name_use``: the customer's name in an agent turn (one hit per use; "Mei Ling" is one use). The name
  comes from the customer's speaker label (not generic labels like "Customer" or "Visitor" or an e-mail address),
  from "my name is X" / "this is X" in a customer turn or from the name a customer message is signed with ("Thanks,"
  then "Olu" on the last line, as the e-mail reader finds sign-offs; rule ``name:signed``), counted from that turn
  on. Names that are also common words ("Will", "May") count only capitalised and not at the start of a sentence.
  In a redacted transcript the name placeholder ("[NAME]") counts too (rule ``name:redacted``): only customers'
  names are redacted.
- ``structure.closing_question``: "is there anything else I can help with?", "anything else today?", "let me know if
  there's anything else"; negated ones ("there isn't anything else I can do") do not count.
- ``structure.thanks``: "thank you for contacting us / your patience / waiting / choosing ...".
- ``structure.template_field``: a template's merge field sent unfilled in a customer-facing agent turn ("Hi
  {{first_name}},", "Dear %FIRSTNAME%", "${customer.name}", "<<Name>>"; the regexes of ``settings.template_fields``);
  a redaction placeholder ("[NAME]") is none.
- ``structure.farewell``: "have a great day", "take care", "goodbye", "kind regards".
- ``structure.generic_address``: a salutation to nobody in particular ("Dear Customer", "Dear Sir or Madam") in an
  agent turn when the customer's name is already known.
- ``structure.sensitive_request``: the agent asking the customer to send a password, PIN or passcode ("Can you DM
  us your online banking password?"), or in writing a full card number, card details or CVV ("Please send your card
  number here"): a call may take a payment by phone. Not after a negation in its clause ("We will never ask for your
  PIN", "Please don't share your card details here"), nor before a word of ``settings.sensitive_not_before`` ("send
  your password reset link").
- ``structure.long_sentence``: an agent sentence of ``settings.long_sentence_words`` words or more in writing (chat,
  e-mail; a call's sentences are its transcriber's): one that loses the reader ("Please can you confirm me that you
  wish to fly from Paris to Atlanta ... and the return flight will be on ... and you wish to get 4 tickets in ...").
  A line break ends it, unless the line was wrapped by hand (a list's lines without full stops are no sentence);
  its value is the number of words.
- ``structure.misnamed``: the agent addressing the customer ("Hi John", "Thanks John", "Anything else, John?": after
  ``settings.address_words``, or set off by commas) by a name a slip away from a name of theirs known by then
  ("Joan"; ``settings.misnamed_edits`` letters changed, added or dropped, one more for a long name): one hit per use.
- ``structure.name_shortened``: the agent calling the customer by a shortened form of the name they asked to be
  called ("Please use my full name, Oluwaseun" / "call me Tomasz" / "It's Tomasz, not Tom", then "Sure, Olu"): one
  hit per use after the request, on the short form.

``name_introduced_agents`` then names an agent whose speaker label names nobody ("Agent", "Rep", "SPEAKER_00",
"Speaker 1", an e-mail address) after their introduction ("my name is Priti", "this is Ravi"): every turn of that
speaker from the introduction on (and the turns before the first one), with a warning saying so. A second
introduction under the same label ("Hi, this is Sam taking over") names the turns from there on. Customers are
named after the name they give by ``listening.name_customers``, which reads names as listening does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import NamedTuple

from spacy.tokens import Doc, Span
from wordfreq import zipf_frequency

from transcript_coach.data import load_json
from transcript_coach.ingest.email import signed_name
from transcript_coach.lexicon import negated
from transcript_coach.model import Evidence, Transcript
from transcript_coach.nlp import TranscriptDocs, doc_sentences, doc_text, unwrapped
from transcript_coach.redact import placeholder_spans
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources


class _Settings(NamedTuple):
    greeting_sentences: int
    generic: frozenset[str]  # speaker labels that name nobody ("Agent", "Customer", "Speaker")
    followers: frozenset[str]
    not_names: frozenset[str]
    lower_followers: frozenset[str]  # after "this is maria" in speech written in lower case, without punctuation
    lower_max_zipf: float  # and "maria" is no very common word ("this is great how ...")
    sensitive_not_before: frozenset[str]  # "your password" then "reset": no request for the password
    address_words: frozenset[str]  # "hi", "thanks", "dear": a capitalised word after one addresses someone
    misnamed_edits: int  # a name this many letters' edits from the customer's is a slip of it ("John" for "Joan")
    misnamed_long_name: int  # a name at least this long allows one edit more ("Steven" for "Stephen")


SENSITIVE_CARD = "sensitive.card"  # the structure.json entry for card data, which a call may take


@functools.cache
def _settings() -> _Settings:
    s = load_json("lexicons/structure.json")["settings"]
    return _Settings(int(s["greeting_sentences"]), frozenset(s["generic_speakers"]), frozenset(s["intro_followers"]),
                     frozenset(s["not_names"]), frozenset(s["lower_case_intro_followers"]),
                     float(s["lower_case_name_max_zipf"]), frozenset(s["sensitive_not_before"]),
                     frozenset(s["address_words"]), int(s["misnamed_edits"]), int(s["misnamed_long_name"]))


def _speaker_names(speaker: str | None, generic: frozenset[str]) -> list[str]:
    """Lower-case first (and last) name from a speaker label, unless the label is generic ("Customer", an e-mail)."""
    if not speaker or "@" in speaker:
        return []
    parts = [p.strip(".,;:()[]\"'") for p in speaker.split()]
    parts = [p for p in parts if len(p) >= 2 and p.isalpha() and p.lower() not in generic]
    if not parts:
        return []
    names = [parts[0].lower()]
    if len(parts) > 1 and parts[-1][0].isupper():
        names.append(parts[-1].lower())
    return names


def _name_ok(token, not_names: frozenset[str]) -> bool:
    return token.is_alpha and len(token.text) >= 2 and token.lower_ not in not_names and not token.is_stop


def _name_words(span: Span, entry: str) -> Span:
    """The words of an introduction match that are the name: "my name is [Priya Shah]", "this is [Sam]", "[Sam]
    here", "you're speaking with [Sam]"."""
    if entry == "intro.my_name":
        return span[3:]
    return span[:1] if entry == "intro.name_here" else span[-1:]


def _introduced_name(match, doc: Doc, own: list[str], followers: frozenset[str], not_names: frozenset[str]):
    """The name token a self-introduction match names, or None when the match is not an introduction."""
    span, entry = match.span, match.entry.id
    following = doc[span.end].lower_ if span.end < len(doc) else "."
    name = _name_words(span, entry)[-1]
    if entry in ("intro.my_name", "intro.speaking_with"):
        return name if _name_ok(name, not_names) else None
    if not _name_ok(name, not_names):
        return None
    if entry == "intro.name_here":  # "Sam here!" - only with the agent's own name, or "Sam here from billing"
        before = doc[span.start - 1] if span.start > 0 else None
        opening = before is None or before.is_punct or before.lower_ in ("hi", "hello", "hey")
        return name if opening and (name.lower_ in own or following == "from") else None
    if name.lower_ in own:
        return name
    if name.is_title and following in followers:
        return name
    if entry == "intro.this_is" and _spoken_name(name, following, doc):
        return name
    return None


def _spoken_name(name, following: str, doc: Doc) -> bool:
    """"this is maria how can i help": a name in a turn written all in lower case, as speech recognition writes
    calls, followed by what follows a name there, and no very common word (nor a verb form: "this is checking")."""
    s = _settings()
    word = name.lower_
    return (following in s.lower_followers and not word.endswith(("ing", "ed")) and doc_text(doc).islower()
            and zipf_frequency(word, "en") < s.lower_max_zipf)


@extractor("structure")
def long_sentences(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    if docs.transcript.channel == "voice":
        return
    most = int(res.setting("structure", "long_sentence_words"))
    for turn, doc in docs.turns(role="agent"):
        if len(doc) < most:
            continue
        text = unwrapped(doc_text(doc))
        for sent in doc_sentences(doc):
            for start, end, words in _lines(sent, text):
                if words >= most:
                    yield Hit("structure.long_sentence", turn.index, doc[start].idx, doc[end - 1].idx
                              + len(doc[end - 1].text), "words:long-sentence", float(words))


def _lines(sent: Span, text: str) -> Iterator[tuple[int, int, int]]:
    """The stretches of a sentence between line breaks (``text``: the turn's text, lines wrapped by hand unwrapped),
    as (first token, token after the last word, words)."""
    start = end = None
    words = 0
    for token in sent:
        if token.is_alpha:
            start = token.i if start is None else start
            end, words = token.i + 1, words + 1
        elif not token.is_space and start is not None:
            end = token.i + 1
        if "\n" in text[token.idx:token.idx + len(token.text_with_ws)] and start is not None:
            yield start, end, words
            start, words = None, 0
    if start is not None:
        yield start, end, words


@extractor("structure")
def template_fields(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    fields = res.cached("structure.template_fields", lambda: re.compile(
        "|".join(f"(?:{p})" for p in res.setting("structure", "template_fields"))))
    for turn, doc in docs.turns(role="agent"):
        for m in fields.finditer(doc_text(doc)):
            yield Hit("structure.template_field", turn.index, m.start(), m.end(), "regex:template-field")


@extractor("structure")
def structure(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    lexicon = res.lexicon("structure")
    settings = _settings()
    greeting_sentences, generic, followers, not_names = (settings.greeting_sentences, settings.generic,
                                                         settings.followers, settings.not_names)
    transcript = docs.transcript
    # the customer's names: from speaker labels (known from the start) and from what they say (known from then on)
    known_from: dict[str, tuple[int, str]] = {}
    for turn in transcript.turns:
        if turn.role == "customer":
            for name in _speaker_names(turn.speaker, generic):
                known_from.setdefault(name, (-1, "name:speaker"))
    agent_names = {n for t in transcript.turns if t.role == "agent" for n in _speaker_names(t.speaker, generic)}
    asked_for: dict[str, int] = {}  # a name the customer asked to be called -> the turn they asked in
    for turn, doc in docs.turns(role="customer"):
        for match in lexicon.matches(doc):
            if match.entry.id == "name.asked_for":
                name = next(t for t in reversed(match.span) if t.is_title and t.is_alpha)
                asked_for.setdefault(name.text, turn.index)
            if match.entry.id in ("intro.my_name", "intro.this_is", "intro.i_am"):
                name = _introduced_name(match, doc, [], followers, not_names)
                if name is not None and name.lower_ not in agent_names:
                    known_from.setdefault(name.lower_, (turn.index, "name:stated"))
        signed = _signed_first_name(turn.text, generic, not_names)
        if signed is not None and signed not in agent_names:
            known_from.setdefault(signed, (turn.index, "name:signed"))
    first_agent = True
    for turn, doc in docs.turns(role="agent"):
        yield from _shortened(turn.index, doc, asked_for)
        own = _speaker_names(turn.speaker, generic)
        intro_spans: list[Span] = []
        opening = {s.start for s in doc_sentences(doc)[:greeting_sentences]} if first_agent else set()
        for match in lexicon.matches(doc):
            entry, span = match.entry, match.span
            if entry.feature == "structure.greeting":
                if _starts_sentence(doc, span, opening):
                    yield span_hit(entry.feature, turn.index, span, f"lexicon:structure#{entry.id}")
            elif entry.id.startswith("intro."):
                name = _introduced_name(match, doc, own, followers, not_names)
                if name is not None:
                    intro_spans.append(span)
                    yield span_hit("structure.introduction", turn.index, span, f"lexicon:structure#{entry.id}")
            elif entry.feature == "structure.generic_address":
                if any(at < turn.index for at, _ in known_from.values()):
                    yield span_hit(entry.feature, turn.index, span, f"lexicon:structure#{entry.id}")
            elif entry.feature == "structure.sensitive_request":
                if _asks_for_secret(match, doc, transcript.channel != "voice", settings.sensitive_not_before):
                    yield span_hit(entry.feature, turn.index, span, f"lexicon:structure#{entry.id}")
            elif entry.feature != "structure.cue":
                yield span_hit(entry.feature, turn.index, span, f"lexicon:structure#{entry.id}")
        if known_from:
            names = [name for name, (at, _) in known_from.items() if at < turn.index]  # known by this turn
            others = agent_names.union(own)
            previous: tuple[int, int, str] | None = None  # a name use being extended ("Mei Ling")
            for token in doc:
                known = known_from.get(token.lower_)
                if known is None and names and _slip(token, names, others, settings):
                    yield span_hit("structure.misnamed", turn.index, token, "name:misnamed")
                if known is None or known[0] >= turn.index or not token.is_alpha:
                    continue
                if any(s.start <= token.i < s.end for s in intro_spans):
                    continue
                if token.lower_ in not_names or token.is_stop:
                    if not token.is_title or token.is_sent_start:
                        continue  # "Will you ...?" is not the customer Will
                if previous is not None and previous[1] == token.i:
                    previous = (previous[0], token.i + 1, previous[2])
                    continue
                if previous is not None:
                    yield _name_hit(doc, turn.index, previous)
                previous = (token.i, token.i + 1, known[1])
            if previous is not None:
                yield _name_hit(doc, turn.index, previous)
        # a redacted name: the customer's, as agents' names are kept
        for start, end, kind in placeholder_spans(doc_text(doc)):
            span = doc.char_span(start, end, alignment_mode="expand") if kind == "name" else None
            if span is not None and not any(s.start <= span.start < s.end for s in intro_spans):
                yield span_hit("structure.name_use", turn.index, span, "name:redacted")
        first_agent = False


def _asks_for_secret(match, doc: Doc, written: bool, not_before: frozenset[str]) -> bool:
    """Whether a match of a sensitive request asks for it: card data only in writing, no negation earlier in its
    clause (``lexicon.negated`` over the sentence so far: "we will never ask for your PIN"), no word after it that
    makes it something else ("password reset")."""
    span = match.span
    if match.entry.id == SENSITIVE_CARD and not written:
        return False
    if span.end < len(doc) and doc[span.end].lower_ in not_before:
        return False
    return not negated(doc, span.start, window=span.start - span.sent.start)


def _shortened(turn: int, doc: Doc, asked_for: dict[str, int]) -> Iterator[Hit]:
    """Each use of a shortened form ("Olu", "Tom") of a name the customer asked to be called, after they asked."""
    names = [name for name, at in asked_for.items() if at < turn]
    if not names:
        return
    for token in doc:
        text = token.text
        if (token.is_title and token.is_alpha and len(text) >= 2
                and any(len(text) < len(name) and name.startswith(text) for name in names)):
            yield span_hit("structure.name_shortened", turn, token, "name:shortened")


def _slip(token, names: list[str], others: set[str], settings: _Settings) -> bool:
    """Whether the agent addresses the customer ("Hi John", "Thanks John", "Anything else, John?") with ``token``, a
    name a slip away from one of theirs ("Joan"): a letter or two changed, added or dropped (``misnamed_edits``), and
    none of ``others`` (the agents' names)."""
    word = token.lower_
    if not (token.is_title and token.is_alpha and len(word) >= 3) or word in others:
        return False
    if not _addressed(token, settings.address_words):
        return False
    return any(_near(word, name, settings) for name in names)


def _near(word: str, name: str, settings: _Settings) -> bool:
    """Whether ``word`` is ``misnamed_edits`` letters' edits from ``name`` or fewer (one more for a long name)."""
    limit = settings.misnamed_edits + (len(name) >= settings.misnamed_long_name)
    return len(name) >= 3 and _edits(word, name, limit) <= limit


def _addressed(token, address_words: frozenset[str]) -> bool:
    """Whether a word stands where a name addresses someone: after "hi", "thanks", "dear"; between a comma and the
    end of a clause ("Anything else, John?"); or opening a sentence before a comma ("John, I've checked")."""
    doc, i = token.doc, token.i
    before = doc[i - 1] if i else None
    after = doc[i + 1] if i + 1 < len(doc) else None
    if before is not None and before.lower_ in address_words:
        return True
    if before is not None and before.text == "," and (after is None or after.text in (".", "!", "?", ",", "...")):
        return True
    return token.is_sent_start and after is not None and after.text == ","


def _edits(a: str, b: str, limit: int) -> int:
    """The letters' edits (substitutions, insertions, deletions) from ``a`` to ``b``, or ``limit + 1`` once past
    ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
        if min(row) > limit:
            return limit + 1
    return row[-1]


def _signed_first_name(text: str, generic: frozenset[str], not_names: frozenset[str]) -> str | None:
    """The first name (lower case) a message is signed with ("Thanks," then "Olu Adeyemi"), or None."""
    signed = signed_name(text)
    first = signed.split()[0].lower() if signed else None
    return None if first is None or first in generic or first in not_names else first


def _name_hit(doc: Doc, turn: int, use: tuple[int, int, str]) -> Hit:
    return span_hit("structure.name_use", turn, doc[use[0]:use[1]], use[2])


def _starts_sentence(doc: Doc, span: Span, opening: set[int]) -> bool:
    """A greeting at the start of one of the opening sentences (after punctuation or another greeting at most)."""
    sentence = span.sent
    if sentence.start not in opening:
        return False
    return all(t.is_punct or t.is_space or t.lower_ in ("hi", "hello", "hey", "and", "oh", "well") for t in
               doc[sentence.start:span.start])


def _introduced(evidence: Evidence, doc: Doc) -> str | None:
    """The name an introduction's evidence gives ("my name is Priya Shah" -> "Priya Shah", "Sam here" -> "Sam"), or
    None when it reads as the company ("you've reached Northwind"). In a turn written all in lower case, as speech
    recognition writes calls, "my name is dev" gives "Dev" and "this is maria how can i help" "Maria"."""
    span = doc.char_span(evidence.start, evidence.end)
    if span is None or any(t.lower_ == "reached" for t in span):
        return None
    entry = evidence.rule.rpartition("#")[2]
    words = _name_words(span, entry)
    if not len(words):
        return None
    if all(t.is_title for t in words):
        return words.text
    if entry in ("intro.my_name", "intro.this_is") and doc_text(doc).islower():
        return words.text.title()
    return None


def name_introduced_agents(docs: TranscriptDocs, evidence: Sequence[Evidence]) -> tuple[Transcript, tuple[str, ...]]:
    """The transcript with agents whose speaker label names nobody named after their own introduction, and a warning
    for each naming (see the module docstring)."""
    transcript = docs.transcript
    generic = _settings().generic
    agents = {t.index: t for t in transcript.turns if t.role == "agent" and not _speaker_names(t.speaker, generic)}
    names: dict[int, str] = {}
    # "my name is Joel" over "you're through to Fernway Bank" in the same turn: that may name the company
    introductions = sorted((e for e in evidence if e.feature == "structure.introduction" and e.turn in agents),
                           key=lambda e: (e.turn, not e.rule.endswith("#intro.my_name")))
    for e in introductions:
        if e.turn not in names:
            name = _introduced(e, docs.docs[e.turn])
            if name is not None:
                names[e.turn] = name
    if not names:
        return transcript, ()
    first: dict[str | None, str] = {}
    for index in sorted(names):
        first.setdefault(agents[index].speaker, names[index])
    current: dict[str | None, str] = {}
    turns, warnings = [], []
    for turn in transcript.turns:
        label = turn.speaker
        if turn.index in agents and label in first:
            if turn.index in names and names[turn.index] != current.get(label):
                current[label] = names[turn.index]
                warnings.append(f"roles: agent {label or '(no name)'!r} named {names[turn.index]!r} after their "
                                f"introduction in turn {turn.index + 1}")
            turn = replace(turn, speaker=current.get(label, first[label]))
        turns.append(turn)
    return replace(transcript, turns=tuple(turns)), tuple(warnings)
