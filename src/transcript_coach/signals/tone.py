"""tone.*: how things were said, sentence by sentence, on both sides of the conversation.

Features (evidence = the sentence for sentence-level scores, the exact words otherwise):

- ``tone.agent_sentiment`` / ``tone.customer_sentiment``: VADER's compound score in [-1, 1] for each sentence that
  has words (punctuation-only sentences are skipped), with the support-specific corrections of ``tone.json``
  (``sentiment``): word valences overriding VADER's lexicon ("kindly", "cancel", ...; agent speech also "problem",
  "complaint", ...; customer speech also "please", and requests: "can you help", "I'd like") and phrases rewritten
  to a placeholder word of the given valence before scoring ("sorry for the wait" -> neutral, "no need to worry" ->
  positive, "this is a joke" -> negative); the "no" that opens an answer ("No, that's all", "Nope, all good", "No
  thanks": ``sentiment.answers``) is neutral: VADER reads it as negative, and "Nope" turns "all good" negative; so
  is a lone "No." right after the agent's closing question ("Anything else I can help with?"; elsewhere it may
  answer "Did that fix it?"). The participants' names are no words here ("Hi Rob", "Thanks, Grace": VADER would
  read "rob" and "grace"), nor, in a customer's sentence, a capitalised word inside it, which names a title or a
  place ("The Curse of La Llorona", "the Rob Thomas concert"; ``_untitled``). In a customer turn with sarcasm in it
  (``emotion.sarcasm`` of ``customer.json``: "Oh great, another estimated bill. Brilliant.") a positive score counts
  as negative, and a customer's sentence about their own English ("sorry my english is not good":
  ``customer.language``) reads 0, no feeling about the service. Sentences are cut at ``sentiment_max_chars`` and keep
  at most ``sentiment_max_emoji`` emoji, because vaderSentiment 3.3.x is quadratic in the number of emoji.
- ``tone.politeness``: each agent sentence scored by the shipped politeness model (``politeness.py``), in [-1, 1].
- ``tone.polite_please|gratitude|hedge|greeting|apology|deference|indirect_request``: politeness strategies in agent
  speech; and their opposites ``tone.imperative`` ("you need to"), ``tone.blame`` ("you should have checked"),
  ``tone.negative_phrasing`` ("I can't", "policy"), ``tone.informal`` ("mate", "lol"), ``tone.profanity`` and
  ``tone.shouting`` (a run of ALL-CAPS words or a mostly upper-case sentence; acronyms such as PIN or UK do not count,
  nor, in agent speech, a run that may be a name written in capitals: "No vegetarian options at THE MISSING SOCK").
- ``tone.customer_profanity`` / ``tone.customer_shouting`` / ``tone.customer_informal``: the same on the customer's
  side. The agent's slang that answers the customer's in kind (a word they wrote first, or "haha" after their "omg"
  or "lol": ``informal_laughter``) is no ``tone.informal``.
- ``tone.composure``: the first sentence of an agent turn that answers a customer who tried the agent's patience
  (angry, sarcastic, repeating themselves, confused, swearing or shouting: ``composure`` in ``tone.json``), in a
  conversation where no agent turn has any of the faults listed there (blame, commands, shouting, swearing, "calm
  down", "as I said", remarks about the customer, blame passed on): staying calm and courteous under pressure, the
  heart of patience. An agent who snapped once stayed calm in none of it.
- ``tone.customer_trajectory``: mean sentiment of the customer's last turn(s) minus their first turn(s), and
  ``tone.customer_end_sentiment``: the mean of the last turn(s); both on the last customer turn, when the customer
  spoke at least twice. A customer sentence that only gives up ("Fine.", "Whatever", "Forget it": ``resigned`` in
  ``tone.json``) after a refusal, or after the customer repeated themselves or complained of the service, is no better
  mood however VADER reads it: it scores ``resigned.sentiment`` (rule ``reply:resigned``).
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from spacy.attrs import IS_SPACE
from spacy.tokens import Doc, Span

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Lexicon, Match
from transcript_coach.model import Transcript
from transcript_coach.nlp import (TranscriptDocs, doc_sentences, doc_text, ends_in_question_mark, span_text,
                                  without_capitals_words)
from transcript_coach.phrases import Phrases, norm, split_phrase
from transcript_coach.politeness import (CUE_FEATURE, PolitenessFeaturizer, PolitenessModel, corrected_lexicon,
                                         load_politeness_model)
from transcript_coach.redact import placeholder_tokens
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources

FAMILY = "tone"
SARCASM = "emotion.sarcasm"  # the customer.json entry whose match turns a customer turn's praise negative
CLOSING_QUESTION = "structure.closing_question"  # "Anything else I can help with?": a lone "No." answers it
INFORMAL = "tone.informal"  # slang the agent may use back to a customer who wrote it first ("omg" ... "haha")
LANGUAGE = "customer.language"  # the customer.json kind of cue that says English is hard for them ("sorry my english")
REFUSAL = "resolution.refusal"  # an agent's no ("It's the only way"): a "Fine." after it gives up, agrees to nothing
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
NEUTRAL_WORD = "tcneutral"  # not in VADER's lexicon: read as a neutral word
_PHRASE_CHARS = re.compile(r"[a-z0-9' \-]+")
_NAME_PARTS = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_WORDS = re.compile(r"(?<![@#\w])[A-Za-z][A-Za-z']*")  # a sentence's words, not handles or hashtags
_INNER_CAPITAL = re.compile(r"\S\s+[A-Z][a-z]")
_EDGE_PUNCTUATION = "\"'\u201c\u201d\u2018\u2019()[],.;:!?"


def compile_phrases(phrases: Mapping[str, float], where: str) -> tuple[re.Pattern[str] | None, dict[str, float]]:
    """One case-insensitive regex for correction phrases, and the valence of each of its named groups.

    A phrase is words, ``(a|b|c d)`` alternatives and ``(a|b)?`` optional alternatives, e.g.
    ``"(sorry|apologies) for (the|any)? (wait|delay)"``. Words are matched whole; spaces match any whitespace.
    """
    alternatives = []
    valences: dict[str, float] = {}
    initials: set[str] = set()
    for number, (phrase, valence) in enumerate(sorted(phrases.items(), key=lambda p: (-len(p[0]), p[0]))):
        if isinstance(valence, bool) or not isinstance(valence, (int, float)):
            raise DataFileError(f"{where}: phrase {phrase!r}: valence must be a number")
        name = f"p{number}"
        regex, first = _phrase_regex(phrase, where)
        alternatives.append(f"(?P<{name}>{regex})")
        initials |= first
        valences[name] = float(valence)
    if not alternatives:
        return None, valences
    # the lookahead for a phrase's possible first characters lets most positions fail at once, before every
    # alternative is tried there: a search over support text takes 40% less time
    start = "(?=[" + "".join(re.escape(c) for c in sorted(initials)) + "])"
    pattern = r"(?<![\w'])" + start + "(?:" + "|".join(alternatives) + r")(?![\w'])"
    return re.compile(pattern, re.IGNORECASE), valences


def compile_answers(spec: object, where: str) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """The regexes of an answer's opening word ("No, that's all", "Nope, all good", "No thanks": one of
    ``spec["words"]`` at the start of a sentence followed by one of ``spec["before"]``; not "No one answers", "No
    response": there "no" belongs to what follows; nor "No, make it 11:30": a correction), and of a sentence that is
    nothing but one ("No.", "nope!"); None without a spec."""
    if spec is None:
        return None
    lists = [spec.get(k) if isinstance(spec, Mapping) else None for k in ("words", "before")]
    if not all(isinstance(x, list) and x and all(isinstance(w, str) and _PHRASE_CHARS.fullmatch(w.lower())
                                                 and " " not in w for w in x) for x in lists):
        raise DataFileError(f"{where}: 'words' and 'before' must be non-empty lists of single words")
    words, before = ("|".join(sorted(map(re.escape, {w.lower() for w in x}), key=len, reverse=True)) for x in lists)
    return (re.compile(rf"^[^\w']*(?:{words})(?=[\s,.!;:-]+(?:{before})(?![\w']))", re.IGNORECASE),
            re.compile(rf"[^\w']*(?:{words})[^\w']*", re.IGNORECASE))


def _phrase_regex(phrase: str, where: str) -> tuple[str, set[str]]:
    """The regex of one phrase, and the characters its matches can start with."""
    items: list[tuple[str, bool, set[str]]] = []  # (regex, optional, its first characters)
    rest = phrase.strip().lower()
    while rest:
        if rest.startswith("("):
            close = rest.find(")")
            if close < 0:
                raise DataFileError(f"{where}: phrase {phrase!r}: unclosed '('")
            options = rest[1:close].split("|")
            rest = rest[close + 1:]
            optional = rest.startswith("?")
            rest = rest[1:] if optional else rest
            regex = "(?:" + "|".join(_literal(o, phrase, where) for o in options) + ")"
            items.append((regex, optional, {o.strip()[:1] for o in options}))
        else:
            word, _, rest = rest.partition(" ")
            if "(" in word or ")" in word or "|" in word:
                raise DataFileError(f"{where}: phrase {phrase!r}: put a space before '('")
            items.append((_literal(word, phrase, where), False, {word[:1]}))
        rest = rest.lstrip()
    if all(optional for _, optional, _ in items):
        raise DataFileError(f"{where}: phrase {phrase!r}: needs at least one word that is not optional")
    out, separated = "", False
    first: set[str] = set()  # of the optional items up to the first required one, and of that one
    for regex, optional, initials in items:
        if not separated:
            first |= initials
        if optional:
            out += rf"(?:\s+{regex})?" if separated else rf"(?:{regex}\s+)?"
        else:
            out += (r"\s+" if separated else "") + regex
            separated = True
    return out, first


def _literal(text: str, phrase: str, where: str) -> str:
    text = text.strip()
    if not text or not _PHRASE_CHARS.fullmatch(text):
        raise DataFileError(f"{where}: phrase {phrase!r}: only letters, digits, ' and - may appear in words")
    return r"\s+".join(re.escape(word) for word in text.split())


def _placeholder(number: int) -> str:
    letters = ""
    number += 1
    while number:
        number, r = divmod(number - 1, 26)
        letters = chr(97 + r) + letters
    return "tcvalence" + letters


class SentimentScorer:
    """VADER's compound score with corrections. ``analyzer`` must be this scorer's own (its lexicon is extended)."""

    def __init__(self, analyzer, phrases: Mapping[str, float], where: str, *, max_chars: int, max_emoji: int,
                 cache_size: int, answers: re.Pattern[str] | None = None):
        self.analyzer = analyzer
        self.regex, valences = compile_phrases(phrases, where)
        self.answers = answers
        self.replacement: dict[str, str] = {}
        words: dict[float, str] = {}
        for name, valence in valences.items():
            if valence == 0:
                self.replacement[name] = f" {NEUTRAL_WORD} "
            else:
                word = words.setdefault(valence, _placeholder(len(words)))
                analyzer.lexicon[word] = valence
                self.replacement[name] = f" {word} "
        self.max_chars = max_chars
        self.max_emoji = max_emoji
        single = sorted(e for e in analyzer.emojis if len(e) == 1)  # VADER looks emoji up one character at a time
        self.emoji = re.compile("[" + "".join(re.escape(e) for e in single) + "]") if single else None
        self.score = functools.lru_cache(maxsize=cache_size)(self._score)  # support replies repeat sentences

    def _compound(self, text: str) -> float:
        return float(self.analyzer.polarity_scores(text)["compound"])

    def prepare(self, text: str) -> str:
        """The text VADER sees: cut, straight apostrophes, emoji capped, an answer's opening "no" made neutral,
        correction phrases replaced."""
        if len(text) > self.max_chars:
            cut = text.rfind(" ", 0, self.max_chars)
            text = text[: cut if cut > self.max_chars // 2 else self.max_chars]
        text = text.translate(APOSTROPHES)
        if self.emoji is not None and not text.isascii() and len(self.emoji.findall(text)) > self.max_emoji:
            seen = 0

            def keep(match: re.Match[str]) -> str:
                nonlocal seen
                seen += 1
                return match.group() if seen <= self.max_emoji else ""

            text = self.emoji.sub(keep, text)
        if self.answers is not None:
            text = self.answers.sub(NEUTRAL_WORD, text, count=1)
        if self.regex is not None:
            text = self.regex.sub(lambda m: self.replacement[m.lastgroup], text)
        return text

    def _score(self, text: str) -> float:
        """VADER's compound score of ``text`` as ``prepare`` rewrites it (``score`` remembers recent answers)."""
        prepared = self.prepare(text)
        if not self.may_carry_sentiment(prepared):
            return 0.0  # what VADER gives a text without a word of its lexicon, at a fraction of the cost
        return self._compound(prepared)

    def may_carry_sentiment(self, text: str) -> bool:
        """False only when VADER would score ``text`` 0: no word of it, as VADER splits and strips words, is in the
        lexicon (every valence, booster, negation and punctuation rule starts from a lexicon word). Text with
        non-ASCII characters may hold emoji, which VADER turns into words, so it is always scored."""
        if not text.isascii():
            return True
        lexicon = self.analyzer.lexicon
        for word in text.split():
            lower = word.lower()
            if lower in lexicon or lower.strip(string.punctuation) in lexicon:
                return True
        return False

    def has_content(self, span: Span) -> bool:
        """Worth scoring: a word, an emoticon VADER knows, or an emoji (not punctuation or numbers only)."""
        lexicon = self.analyzer.lexicon
        if any(t.is_alpha or t.lower_ in lexicon for t in span):
            return True
        text = span_text(span)
        return self.emoji is not None and not text.isascii() and self.emoji.search(text) is not None


@dataclass(frozen=True)
class Shouting:
    acronyms: frozenset[str]
    min_run: int
    min_letters: int
    upper_ratio: float
    short_words: frozenset[str]  # 2-3 letter words that count as words when in caps (besides stop words)
    name_words: frozenset[str]  # the only stop words of a name in capitals ("HOME FROM HOME", "THE MISSING SOCK")

    def find(self, span: Span, names: bool = False) -> tuple[int, int] | None:
        """Character offsets of shouting in ``span``: the whole sentence when it is mostly upper case, else the longest
        run of at least ``min_run`` consecutive ALL-CAPS words. Acronyms, one-letter words ("I", "A"), tokens without
        letters and two- or three-letter words that are neither stop words nor sentiment words (codes such as "LHR",
        "KY") neither count nor break a run; any word with a lower-case letter breaks it. ``names``: a run may be a
        name written in capitals, as an agent quotes a venue or product ("at THE MISSING SOCK"), unless it holds a
        stop word no name has ("I AM NOT ABLE TO DO THAT")."""
        if self.min_run > 0 and without_capitals_words(span_text(span)):
            return None  # no word here can count
        run = best = 0  # lengths of the current and the longest run of caps words
        run_start = best_start = best_end = 0  # character offsets
        spoken = best_spoken = False  # the run holds a word no name has
        upper = lower = 0
        caps_words = 0
        placeholders: frozenset[int] | None = None  # found once, and only when needed
        for token in span:
            text = token.text
            if not token.is_alpha or len(text) < 2 or text in self.acronyms:
                continue
            if token.is_upper and len(text) < 4 and not token.is_stop and token.lower_ not in self.short_words:
                continue
            if token.is_upper:
                if placeholders is None:
                    placeholders = placeholder_tokens(span.doc)
                if token.i in placeholders:
                    continue  # "[EMAIL]": a redaction placeholder
                if not run:
                    run_start, spoken = token.idx, False
                run += 1
                spoken = spoken or (token.is_stop and token.lower_ not in self.name_words)
                upper += len(text)
                caps_words += 1
                if run > best:
                    best, best_start, best_end, best_spoken = run, run_start, token.idx + len(text), spoken
            else:
                lower += len(text)
                run = 0
        if caps_words >= 2 and upper >= self.min_letters and upper >= self.upper_ratio * (upper + lower):
            return span.start_char, span.end_char
        if best >= self.min_run and (best_spoken or not names):
            return best_start, best_end
        return None


class ToneKit:
    """Everything the tone extractor needs, built once per process: use ``tone_kit(res)``."""

    def __init__(self, res: Resources, lexicon: Lexicon, customer_cues: Lexicon):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        document = load_json("lexicons/tone.json")
        where = "lexicons/tone.json"
        sentiment = document.get("sentiment")
        if not isinstance(sentiment, Mapping) or not all(
                isinstance(sentiment.get(k, {}), Mapping)
                for k in ("words", "phrases", "agent_words", "customer_words", "agent_phrases", "customer_phrases",
                          "answers")):
            raise DataFileError(f"{where}: 'sentiment' must be an object of objects (words, phrases, agent_words, "
                                "customer_words, agent_phrases, customer_phrases, answers)")
        for key in ("words", "agent_words", "customer_words"):
            for word, valence in sentiment.get(key, {}).items():
                if isinstance(valence, bool) or not isinstance(valence, (int, float)):
                    raise DataFileError(f"{where}: sentiment.{key}.{word}: valence must be a number")

        def setting(key: str):
            return res.setting(FAMILY, key)

        customer = SentimentIntensityAnalyzer()
        base = dict(customer.lexicon)
        shared = corrected_lexicon(base, sentiment.get("words", {}))
        customer.lexicon = corrected_lexicon(shared, sentiment.get("customer_words", {}))
        agent = copy.copy(customer)
        agent.lexicon = corrected_lexicon(shared, sentiment.get("agent_words", {}))
        self.featurizer = PolitenessFeaturizer(lexicon, document, shared)
        self.politeness: PolitenessModel = load_politeness_model(self.featurizer)
        answers = compile_answers(sentiment.get("answers"), f"{where}: sentiment.answers")
        opening, self.lone_answer = answers if answers is not None else (None, None)
        limits = dict(max_chars=int(setting("sentiment_max_chars")), max_emoji=int(setting("sentiment_max_emoji")),
                      cache_size=int(setting("sentiment_cache_size")), answers=opening)
        shared_phrases = dict(sentiment.get("phrases", {}))
        customer_phrases = {**shared_phrases, **sentiment.get("customer_phrases", {})}
        agent_phrases = {**shared_phrases, **sentiment.get("agent_phrases", {})}
        self.customer_sentiment = SentimentScorer(customer, customer_phrases, f"{where}: sentiment.customer_phrases",
                                                  **limits)
        self.agent_sentiment = SentimentScorer(agent, agent_phrases, f"{where}: sentiment.agent_phrases", **limits)
        self.shouting = Shouting(
            acronyms=frozenset(str(a) for a in setting("acronyms")),
            min_run=int(setting("shouting_min_run")),
            min_letters=int(setting("shouting_min_letters")),
            upper_ratio=float(setting("shouting_upper_ratio")),
            short_words=frozenset(w for w in customer.lexicon if len(w) < 4 and w.isalpha()),
            name_words=frozenset(str(w) for w in setting("shouting_name_words")),
        )
        self.customer_features: dict[str, str] = dict(setting("customer_features"))
        self.laughter = frozenset(str(w).lower() for w in setting("informal_laughter"))
        entries = [e for e in document["entries"] if e.get("feature") in self.customer_features]
        self.customer_lexicon = Lexicon(f"{where}#customer", {"entries": entries}, res.nlp) if entries else None
        self.customer_cues = customer_cues
        self.trajectory_turns = int(setting("trajectory_turns"))
        resigned = setting("resigned")
        self.resigned_replies = frozenset(str(r).casefold() for r in resigned["replies"])
        self.resigned_sentiment = float(resigned["sentiment"])
        upset = setting("upset")
        self.upset_entries = frozenset(upset["entries"])
        self.upset_sentiment = float(upset["sentiment"])
        self.upset_neutral = float(upset["neutral_at_most"])
        self.title_case_share = float(setting("title_case_share"))
        things = setting("cannot_of_a_thing")
        self.thing_entries = frozenset(things["entries"])
        self.things = frozenset(things["things"])
        composure = setting("composure")
        self.pressure_cues = frozenset(composure["customer_cues"])
        self.pressure_features = frozenset(composure["customer_features"])
        self.faults = frozenset(composure["agent_faults"])
        assurance = setting("cannot_assurance")
        self.assurance_entries = frozenset(assurance["entries"])
        self.assurances = Phrases(assurance["phrases"])
        commands = setting("imperative_opens_a_clause")
        self.command_entries = frozenset(commands["entries"])
        self.command_after = frozenset(commands["after"])
        clause = setting("cannot_in_a_clause")
        self.clause_entries = frozenset(clause["entries"])
        self.clause_subjects = frozenset(clause["subjects"])
        self.determiners = frozenset(clause["determiners"])
        offer = setting("offer_after_cannot")
        self.offer_entries = frozenset(offer["entries"])
        self.offers = Phrases(offer["phrases"])
        self.next_offers = Phrases(offer["phrases"] + offer["next_message"])
        self.not_offering = frozenset(offer["not_after"])  # "as soon as we can", "if we can"
        self.not_offered = frozenset(word for phrase in offer["not_offered"] for word in split_phrase(phrase))

    # --- one turn -----------------------------------------------------------------------------------------------

    def valenced_names(self, transcript: Transcript) -> re.Pattern[str] | None:
        """The participants' names that VADER reads as words with a valence ("Rob", "Grace", "Joy"), as one pattern
        of whole words, or None (most conversations): "Hi Rob" is a greeting, not a theft."""
        lexicon = self.customer_sentiment.analyzer.lexicon
        names = {part for turn in transcript.turns if turn.speaker and turn.role in ("agent", "customer")
                 for part in _NAME_PARTS.findall(turn.speaker) if part[0].isupper() and part.lower() in lexicon}
        if not names:
            return None
        return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")\b", re.IGNORECASE)

    def offered_instead(self, match: Match, then: Doc | None = None) -> bool:
        """Whether a "can't" or "unable to" goes on to what the agent can do: later in its sentence ("I can't change
        your KeyGate settings, but I can take the certificate from IT"), at the start of the next ("What I can do is
        ..."), or in ``then``, the agent's next message sent before the customer spoke ("One more thing: I can freeze
        your membership"). Not "but I can see why" or "but I can assure you": no offer. Such a "can't" is not negative
        phrasing (for the politeness model it still is: its features stay those it was trained with)."""
        return match.entry.id in self.offer_entries and self.offers_after(match.span, then)

    def offers_after(self, span: Span, then: Doc | None = None) -> bool:
        """Whether what the agent can do follows ``span`` (a "can't", a refusal) in its sentence, at the start of the
        next, or anywhere in ``then`` (see ``offered_instead``)."""
        doc, sentence = span.doc, span.sent
        later = [norm(t.text) for t in doc[span.end:sentence.end] if not t.is_punct]
        if any(self._offer_at(later, i) for i in range(len(later))):
            return True
        if sentence.end < len(doc):
            opening = [norm(t.text) for t in doc[sentence.end].sent[:8] if not t.is_punct]
            if self._offer_at(opening, 0):
                return True
        if then is None:
            return False
        words = [norm(t.text) for t in then if not t.is_space]
        return any(self._offer_at(words, i, self.next_offers, then_what=True) for i in range(len(words))
                   if not (i and words[i - 1] in self.not_offering))

    def of_a_thing(self, match: Match) -> bool:
        """Whether a "can't" or "unable to" is said of a device, not of the company or the agent: "so the lock can't
        confirm the door is closed", "the app is unable to connect" (``cannot_of_a_thing``). An explanation of the
        fault, not negative phrasing (for the politeness model it still is, as in ``offered_instead``)."""
        if match.entry.id not in self.thing_entries:
            return False
        span = match.span
        before = span.doc[max(span.sent.start, span.start - 2):span.start]
        return any(t.lower_ in self.things for t in before)

    def assures(self, match: Match) -> bool:
        """Whether a "can't" assures the customer that a fault will not come back: "I've added a note so this can't
        happen again" (``cannot_assurance``: the words right after it). No refusal, so not negative phrasing (for the
        politeness model it still is, as in ``offered_instead``)."""
        if match.entry.id not in self.assurance_entries:
            return False
        span = match.span
        after = [norm(t.text) for t in span.doc[span.end:span.sent.end] if not t.is_punct]
        return bool(self.assurances.longest(after, 0))

    def no_command(self, match: Match) -> bool:
        """Whether a "you need to" tells no one what to do: one that does not open its clause (at the start of the
        sentence, after a comma, or after a word of ``imperative_opens_a_clause``: "but", "so", "yes", "sorry"...) is
        in a clause about something else ("when you need to print", "anything else you need to know", "where you need
        to be", "should you need to reach them", "glad you got to relax"), and one in a question asks ("Is there a
        time you need to arrive by?"). No command (for the politeness model it still is one, as in
        ``offered_instead``)."""
        if match.entry.id not in self.command_entries:
            return False
        span = match.span
        if ends_in_question_mark(span.sent):
            return True
        before = next((t for t in reversed(span.doc[span.sent.start:span.start]) if not t.is_space), None)
        return before is not None and not before.is_punct and before.lower_ not in self.command_after

    def in_a_clause(self, match: Match) -> bool:
        """Whether a "can't" is the customer's, in a clause that names what they can't do it with: "the two nights
        you can't use", "any items you cannot return" (``cannot_in_a_clause``: a determiner, a word, "you", "can't").
        Their situation, told back, not a refusal ("Sorry, you can't return opened items" is one)."""
        if match.entry.id not in self.clause_entries:
            return False
        doc, start = match.span.doc, match.span.start
        before = doc[max(match.span.sent.start, start - 5):start]
        if len(before) < 3 or before[-1].lower_ not in self.clause_subjects:
            return False
        noun = before[-2]
        return noun.is_alpha and not noun.is_stop and any(t.lower_ in self.determiners for t in before[:-2])

    def _offer_at(self, words: list[str], i: int, offers: Phrases | None = None, then_what: bool = False) -> bool:
        """Whether an offer starts at ``words[i]``, not followed by a word that makes it none ("but I can see why");
        ``then_what``: and followed by what is offered ("as soon as we can." offers nothing)."""
        length = (offers or self.offers).longest(words, i)
        if not length or (then_what and not (i + length < len(words) and words[i + length].isalpha())):
            return False
        return i + length == len(words) or words[i + length] not in self.not_offered

    def agent_turn(self, index: int, doc: Doc, names: re.Pattern[str] | None = None,
                   mirrored: frozenset[str] = frozenset(), then: Doc | None = None) -> Iterator[Hit]:
        """Agent evidence. ``mirrored``: the informal words the customer has written so far; the agent's slang answers
        in kind when it is one of them, or laughter ("haha") after theirs ("omg", "lol"): no ``tone.informal`` (for
        the politeness model it still counts). ``then``: the agent's next message, if sent before the customer spoke
        (``next_message``)."""
        matches = self.featurizer.matches(doc)
        for match in matches:
            if match.entry.feature == INFORMAL and self.answers_in_kind(match.span.text.lower(), mirrored):
                continue
            if match.entry.feature != CUE_FEATURE and not (
                    self.offered_instead(match, then) or self.of_a_thing(match) or self.in_a_clause(match)
                    or self.assures(match) or self.no_command(match)):
                yield span_hit(match.entry.feature, index, match.span, f"lexicon:tone#{match.entry.id}",
                               match.entry.value)
        within = _Within(matches)
        for span in sentences(doc):
            shout = self.shouting.find(span, names=True)
            if shout:
                yield Hit("tone.shouting", index, shout[0], shout[1], "caps:shouting")
            if not self.agent_sentiment.has_content(span):
                continue
            yield span_hit("tone.agent_sentiment", index, span, "vader:sentence",
                           round(self.agent_sentiment.score(_unnamed(span_text(span), names)), 4))
            yield span_hit("tone.politeness", index, span, "model:politeness",
                           round(self.politeness.score(span, within(span)), 4))

    def pressed(self, doc: Doc, hits: list[Hit]) -> bool:
        """Whether a customer turn tries the agent's patience: anger, sarcasm, repeating themselves, confusion
        (``composure.customer_cues``, entries of ``customer.json``, whose matches the turn has already), swearing or
        shouting."""
        return any(h.feature in self.pressure_features for h in hits) or any(
            m.entry.id in self.pressure_cues for m in self.customer_cues.matches(doc))

    def faulty(self, doc: Doc, hits: list[Hit], respect: Lexicon) -> bool:
        """Whether an agent turn holds any of ``composure.agent_faults``: its own evidence in ``hits``, or the
        respect lexicon's ("calm down", "as I said")."""
        return any(h.feature in self.faults for h in hits) or any(
            m.entry.feature in self.faults for m in respect.matches(doc))

    def composed(self, index: int, doc: Doc) -> Hit | None:
        """``tone.composure`` on the first sentence of an agent turn."""
        first = next((span for span in sentences(doc) if self.agent_sentiment.has_content(span)), None)
        return span_hit("tone.composure", index, first, "calm:reply") if first is not None else None

    def answers_in_kind(self, word: str, mirrored: frozenset[str]) -> bool:
        return word in mirrored or (word in self.laughter and not self.laughter.isdisjoint(mirrored))

    def resigned(self, sentence: str) -> bool:
        """Whether a customer's sentence is only a word of giving up ("Fine.", "Whatever", "Forget it"): after a
        refusal or a customer pushed to repeat or complain, the words of agreement are no better mood."""
        text = sentence.replace("\u2019", "'").strip().rstrip(".!\u2026").strip().casefold()
        return " ".join(text.replace(",", " ").split()) in self.resigned_replies

    def customer_turn(self, index: int, doc: Doc, scores: list[float],
                      names: re.Pattern[str] | None = None, after_closing: bool = False,
                      strained: bool = False) -> Iterator[Hit]:
        """Customer evidence; appends each scored sentence's sentiment to ``scores``. ``after_closing``: the turn
        answers the agent's closing question ("Anything else I can help with?"), so a lone "No." is an answer.
        ``strained``: the agent refused, or the customer tried the agent's patience, since the customer last spoke
        before this; then a sentence that only gives up ("Fine.", "I can't find it. Never mind.") scores
        ``resigned.sentiment`` (rule ``reply:resigned``). A sentence that VADER reads as neutral (at most
        ``upset.neutral_at_most``) though it holds an ``upset.entries`` cue of the customer lexicon ("could you not
        have said that 15 minutes ago", "nobody has done anything") scores ``upset.sentiment`` (rule
        ``reply:upset``)."""
        for match in self.customer_lexicon.matches(doc) if self.customer_lexicon else ():
            feature = self.customer_features[match.entry.feature]
            yield span_hit(feature, index, match.span, f"lexicon:tone#{match.entry.id}", match.entry.value)
        cues = list(self.customer_cues.matches(doc))
        sarcastic = any(m.entry.id == SARCASM for m in cues)
        upset = [m.span.start for m in cues if m.entry.id in self.upset_entries]
        apologies = [m.span.start for m in cues if m.entry.feature == LANGUAGE]
        for span in sentences(doc):
            shout = self.shouting.find(span)
            if shout:
                yield Hit(self.customer_features.get("tone.shouting", "tone.customer_shouting"), index, shout[0],
                          shout[1], "caps:shouting")
            if not self.customer_sentiment.has_content(span):
                continue
            text = span_text(span)
            answered = after_closing and self.lone_answer is not None and self.lone_answer.fullmatch(text)
            # "sorry, my english is not good": about their English, not a feeling about the service
            apology = any(span.start <= start < span.end for start in apologies)
            plain = _untitled(_unnamed(text, names), self.customer_sentiment.analyzer.lexicon, self.title_case_share)
            value = 0.0 if answered or apology else round(self.customer_sentiment.score(plain), 4)
            if sarcastic and value > 0:  # "Oh great, another estimated bill. Brilliant.": praise meant the other way
                value = -value
            rule = "vader:sentence"
            if self.upset_sentiment < value <= self.upset_neutral and any(span.start <= s < span.end for s in upset):
                value, rule = self.upset_sentiment, "reply:upset"  # "could you not have said that": VADER reads 0
            if strained and self.resigned(text):
                value, rule = self.resigned_sentiment, "reply:resigned"
            scores.append(value)
            yield span_hit("tone.customer_sentiment", index, span, rule, value)

    def trajectory(self, turns: list[tuple[int, float, int, int]]) -> Iterator[Hit]:
        """From (turn, mean sentiment, start, end) of each customer turn with a scored sentence."""
        if len(turns) < 2:
            return
        k = max(1, min(self.trajectory_turns, len(turns) // 2))
        first = sum(t[1] for t in turns[:k]) / k
        last = sum(t[1] for t in turns[-k:]) / k
        index, _, start, end = turns[-1]
        yield Hit("tone.customer_trajectory", index, start, end, "trajectory:customer-sentiment",
                  round(last - first, 4))
        yield Hit("tone.customer_end_sentiment", index, start, end, "trajectory:customer-end", round(last, 4))


def _unnamed(text: str, names: re.Pattern[str] | None) -> str:
    """``text`` with the participants' valenced names replaced by a word VADER does not know."""
    return text if names is None else names.sub("Name", text)


def _untitled(text: str, lexicon: Mapping[str, float], title_case_share: float) -> str:
    """A customer's sentence with its titles and names neutral: a capitalised word inside the sentence that VADER
    gives a valence, after a word that is no handle or hashtag ("The Curse of La Llorona", "the Rob Thomas concert",
    "Bad Habit"; not "@Delta Worst service ever"). Not in a sentence of capitalised words ("This Is The Worst Service
    Ever": ``title_case_share`` of its words or more capitalised)."""
    if not _INNER_CAPITAL.search(text):
        return text  # most sentences: no capitalised word after another word
    words = _SENTENCE_WORDS.findall(text)
    if len(words) < 2 or sum(w[:1].isupper() for w in words) >= title_case_share * len(words):
        return text
    out, previous = [], ""
    for word in re.split(r"(\s+)", text):
        bare = word.strip(_EDGE_PUNCTUATION)
        if (previous and previous[0] not in "@#" and previous[-1] not in ".!?:" and bare.istitle() and bare.isalpha()
                and len(bare) > 1 and bare.lower() in lexicon):
            word = word.replace(bare, "Name")
        out.append(word)
        if word.strip():
            previous = word
    return "".join(out)


def sentences(doc: Doc) -> Iterator[Span]:
    """Each sentence without leading or trailing whitespace tokens (empty ones skipped)."""
    spaces = doc.to_array(IS_SPACE).tolist() if len(doc) else []
    for sent in doc_sentences(doc):
        start, end = sent.start, sent.end
        while start < end and spaces[start]:
            start += 1
        while end > start and spaces[end - 1]:
            end -= 1
        if start == sent.start and end == sent.end:
            yield sent
        elif start < end:
            yield doc[start:end]


class _Within:
    """The matches inside a span, in their original order, found by bisection: a turn of thousands of sentences
    must not cost sentences x matches."""

    def __init__(self, matches: list[Match]):
        self.order = sorted(range(len(matches)), key=lambda i: matches[i].span.start)
        self.starts = [matches[i].span.start for i in self.order]
        self.matches = matches

    def __call__(self, span: Span) -> list[Match]:
        low, high = bisect.bisect_left(self.starts, span.start), bisect.bisect_left(self.starts, span.end)
        inside = sorted(i for i in self.order[low:high] if self.matches[i].span.end <= span.end)
        return [self.matches[i] for i in inside]


def next_message(docs: TranscriptDocs, index: int) -> Doc | None:
    """The agent's next message when it comes before the customer says anything (internal notes skipped): a second
    message sent straight after the first, which may hold what the first left out."""
    turns = docs.transcript.turns
    for k in range(index + 1, len(turns)):
        if not turns[k].internal:
            return docs.docs[k] if turns[k].role == "agent" else None
    return None


def tone_kit(res: Resources) -> ToneKit:
    """The process-wide ``ToneKit``. The compiled lexicon is fetched first: ``res.cached`` holds a lock that is not
    re-entrant while it builds, so a build must not call ``res.cached`` itself."""
    lexicon, customer_cues = res.lexicon(FAMILY), res.lexicon("customer")
    return res.cached("tone.kit", lambda: ToneKit(res, lexicon, customer_cues))


@extractor(FAMILY)
def tone(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    kit = tone_kit(res)
    names = kit.valenced_names(docs.transcript)
    customer: list[tuple[int, float, int, int]] = []
    closing = False  # the latest agent turn asked "anything else?"
    informal: frozenset[str] = frozenset()  # the informal words the customer has written so far
    structure, respect = res.lexicon("structure"), res.lexicon("respect")
    pressed = False  # the customer tried the agent's patience since the agent's last turn
    calm: list[Hit] = []  # agent turns that answered such a customer without a fault
    snapped = False  # an agent turn with a fault: then no reply shows composure
    strained = False  # a refusal, or a customer who tried the agent's patience, since the customer's last word
    resolution = res.lexicon("resolution")
    for turn, doc in docs.turns():
        if turn.role == "agent":
            hits = list(kit.agent_turn(turn.index, doc, names, mirrored=informal, then=next_message(docs, turn.index)))
            yield from hits
            strained = strained or any(m.entry.feature == REFUSAL for m in resolution.matches(doc))
            if kit.faulty(doc, hits, respect):
                snapped = True
            elif pressed and (hit := kit.composed(turn.index, doc)) is not None:
                calm.append(hit)
            pressed = False
            closing = any(m.entry.feature == CLOSING_QUESTION for m in structure.matches(doc))
        elif turn.role == "customer":
            scores: list[float] = []
            hits = list(kit.customer_turn(turn.index, doc, scores, names, after_closing=closing, strained=strained))
            informal |= {doc_text(doc)[h.start:h.end].lower() for h in hits
                         if h.feature == kit.customer_features.get(INFORMAL)}
            strained = kit.pressed(doc, hits)
            pressed = pressed or strained
            yield from hits
            scored = [h for h in hits if h.feature == "tone.customer_sentiment"]
            if scored:
                customer.append((turn.index, sum(scores) / len(scores), scored[0].start, scored[-1].end))
    yield from kit.trajectory(customer)
    if not snapped:
        yield from calm
