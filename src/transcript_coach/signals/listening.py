"""listening.*: whether the agent shows that the customer was heard, and where the customer had to repeat themselves.

Positive signals (agent turns):

- ``listening.acknowledgement``: "I see", "got it", "thanks for explaining" (lexicon ``ack.*``; "I see that your order
  ..." is excluded: that is the agent reading a screen, not acknowledging). Lexicon entries marked ``"negate": true``
  do not count after a negation in the same clause (``negation_before``: "I don't see", "I dont understand"; a lone
  "no," as in "Oh no, ..." is not a negation).
- ``listening.paraphrase``: an agent sentence that reflects the customer's own words: it shares at least
  ``paraphrase_min_overlap`` content lemmas with the customer's latest block of turns or their first block with
  content words (the problem as first told, often summed up only after an order number was asked for), and those
  shared lemmas are at least ``paraphrase_min_ratio`` of the sentence's content lemmas. Content lemmas are lemmas of
  tokens that are not stop words, punctuation, numbers, words in ``ignore_lemmas`` or very common English words
  (wordfreq Zipf frequency at least ``common_zipf``). Evidence: the agent sentence; value: the ratio.
- ``listening.clarifying``: clarifying and confirming questions ("just to confirm", "do you mean").
- ``listening.detail_reuse``: the agent uses a detail the customer gave first: an order/reference code, an email, a
  phone number, a date, the customer's name (from "my name is ...", the answer to "Can I take your name?": "It's
  Grace Mensah", or the chat's speaker label) or a product name (mixed-case or letter+digit tokens such as "iPhone",
  "S21", and capitalised words inside a sentence that are not common English words, Zipf frequency below
  ``product_max_zipf``). Evidence: the agent's span; rule
  ``reuse:<kind>``. Details the agent said before the customer are not counted. In a redacted transcript a placeholder
  the customer gave ("[ORDER]") counts as that detail, and "[NAME]" as the customer's name.

Negative signals:

- ``listening.reask``: an agent request ("can I have", "what's your", "please confirm") for a field the customer
  already gave (order number, email, phone, account, address, device, name), named in their sentence ("my order
  number is 4471") or in answer to an agent or bot that asked for it ("PX-4421907" after the bot's "Can you give me
  your tracking number?"). Evidence: the agent's sentence; the field
  is in the rule, ``reask:<field>`` (a float ``value`` cannot name it). A sentence that contains the given value (a
  confirmation) is not a re-ask, nor one that says it is for security or verification (``reask_exempt``).
- ``listening.customer_repeat``: customer repetition markers ("as I said", "I already told you", "Again, ...") from
  ``customer.json``, the customer correcting how a reply read them ("that's not what I said", "I know it's correct,
  I'm saying I can't afford it"; before any reply such words correct nothing and are not read), and a customer turn
  whose content lemmas are mostly (``repeat_min_ratio``, at least ``repeat_min_shared`` of them) those of an earlier
  customer turn that an agent or bot turn already followed.
  Evidence: the marker, or the repeating sentence (value: the ratio).
- ``listening.customer_repeat_earlier``: the customer saying they have given something in earlier contacts ("I've
  given it to you people three times already"), or any repetition marker before the first agent or bot reply ("As I
  said, ..." in an opening message can only point to an earlier contact): a failure of the process, not of this
  agent, so it raises TC108 but is in no skill's rubric.
- ``listening.unanswered_question``: a customer question (a sentence ending in "?" or in a question tag after a comma,
  "..., won't it", "..., is that ok", or starting with a wh-word and an auxiliary, or with an auxiliary and a subject)
  that no agent or bot reply addresses before the customer asks another question (after a reply) or the conversation
  ends. A reply addresses the question when it shares a content lemma
  with it (or another form of one: "humid" and "humidity", one the start of the other, ``answer_stem_chars`` letters
  at least), one of its sentences starts with an answer word ("yes", "no", "unfortunately", ...) or an answer's opening
  (``answer_openers``: "good news", a short no, "There isn't", "They don't", or the answer not known yet, "I'm not
  sure", "let me find out": whether that was then followed up is the promise ledger's question), or it gives the kind
  of answer asked for (``answer_types``: a time for "when will it arrive?", a number or price for "how much?", a cause
  for "why?", news for "any update?", next steps for "what happens now?", a phone number, e-mail address or link for
  "what's their phone number?"), or a yes/no question's auxiliary taken up by the subject that answers it ("You'll
  get an SMS on the day" to "Will I get a new letter?", "they do not" to "Do they take orders?"); a question without
  content words is addressed by any reply. Small talk (``phatic_questions``, "how are you?") and questions asked for
  effect (``rhetorical_questions``, "are you stupid?", "seriously?") need none, and a short question of only words the
  agent just said ("Thursday?" after "I've booked an engineer for Thursday": ``echo_max_words``) is a reaction that
  any reply answers. A question of very few content words (``context_max_words``: "why is double?") is about the
  customer's sentence right before it ("my bank show two payment."), and a reply stating something with a word of
  that sentence answers it too (not a question back: "Just to confirm, order 48213?"). Evidence: the customer's
  question; value: how many replies came without addressing it (0: no reply at all).
- ``listening.closed_over``: the agent's first reply after such a question, when it passes over it and says nothing
  but an offer to close ("Is there anything else I can help you with today?", ``structure.json``'s closing
  questions; a word of thanks or a greeting aside: no content word, no figure). A reply that tells something else
  ("You must be 18 to check in. Anything else?") may answer in words the question did not use. Evidence: the
  closing phrase.

``name_customers`` then names a customer whose speaker label names nobody ("Customer", "SPEAKER_01") after the name
they give ("my name is Grace", or "It's Grace Mensah" when asked for it), as ``structure.name_introduced_agents``
names agents.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from spacy.attrs import LEMMA, ORTH
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Match, lower_hashes
from transcript_coach.model import Transcript, Turn
from transcript_coach.nlp import TranscriptDocs, doc_sentences, doc_text, ends_in_question_mark, span_text
from transcript_coach.phrases import Phrases, norm
from transcript_coach.redact import placeholder, placeholder_spans
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources

FAMILY = "listening"
ROLES = ("agent", "bot", "customer")

_NEGATIONS = frozenset({"never", "nothing", "cannot", "nt", "dont", "didnt", "doesnt", "cant", "wont", "isnt",
                        "wasnt", "arent", "havent", "hasnt", "without", "nor", "neither", "hardly"})
# Regexes: the token ones are applied with fullmatch to one token; none has nested quantifiers (hostile input).
_NAME_HINT = re.compile(r"[Nn]ame|[Tt]his is|\b[Ii](?:'|\u2019)?m [A-Z]|\b[Ii] am [A-Z]|,\s*[A-Z][a-z]+\W*$")
_DIGIT = re.compile(r"[0-9]")
_EMAIL_HINT = re.compile(r"\w@\w")
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"#?[A-Za-z]{0,8}[-_#/]?[0-9][A-Za-z0-9_-]*")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")  # a number with thousands separators
_DATE = re.compile(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}")
_DAY = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_PHONE_PIECE = re.compile(r"\+?[0-9]{1,12}|[()\-.]")
_MEASURE = re.compile(r"[0-9][0-9.:,]*(?:st|nd|rd|th|am|pm|s|k|gb|mb|tb|kg|g|m|cm|mm|x|hrs?|mins?|h|p)")
# redaction placeholder kind -> detail kind (others are codes)
_PLACEHOLDER_KINDS = {"email": "email", "phone": "phone", "name": "name", "address": "address"}
_CAPITAL_OR_DIGIT = re.compile(r"[A-Z0-9]")
_MIXED_CASE = re.compile(r"[a-z]+[A-Z][A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*")


@dataclass(frozen=True, slots=True)
class Words:
    """The word lists of listening.json's settings, as sets (built once per process)."""

    wh: frozenset[str]
    aux: frozenset[str]
    subjects: frozenset[str]
    lead_ins: frozenset[str]  # words before a question's opening that leave it a question: "ok so is my money gone"
    tag_subjects: frozenset[str]  # a question tag after a comma: an auxiliary, then one of these or of ``subjects``
    tag_ends: frozenset[str]  # and perhaps one of these ("..., is that ok")
    tag_alone: frozenset[str]  # a word that is a question tag alone ("..., right")
    tag_min_words: int  # words before the comma
    phatic: frozenset[str]
    rhetorical: tuple[str, ...]  # " are you stupid ": a question asked for effect, squashed and padded
    echo_max_words: int  # a question this short of only words the agent just said echoes them ("Thursday?")
    context_max_words: int  # a question with this few content words is about the sentence before it ("why is double?")
    stem_chars: int  # a content word the start of another of at least this many letters is a form of it ("humid")
    clefts: Phrases  # statements that open like a question: "what's happening is ..."
    answer: frozenset[str]
    answer_lead: int
    openers: Phrases  # a reply sentence that opens as an answer does ("Good news, ...", "I'm not sure, I'll find out")
    ignore: frozenset[str]
    common_zipf: float
    min_chars: int
    min_code_digits: int
    months: frozenset[str]
    generic_speakers: frozenset[str]
    not_names: frozenset[str]
    product_stop: frozenset[str]
    product_max_zipf: float
    reask_exempt: tuple[str, ...]
    fields: dict[str, tuple[frozenset[str], str]]
    answer_types: tuple[tuple[tuple[str, ...], frozenset[str], frozenset[str]], ...]  # (" how much ", ...), forms, cues


def words(res: Resources) -> Words:
    def build() -> Words:
        s = lambda key: frozenset(w.lower() for w in res.setting(FAMILY, key))  # noqa: E731
        fields = {name: (frozenset(c.lower() for c in spec["cues"]), spec["value"])
                  for name, spec in res.setting(FAMILY, "fields").items()}
        tags = res.setting(FAMILY, "question_tags")
        return Words(
            wh=s("wh_words"), aux=s("aux_words"), subjects=s("subject_words"), lead_ins=s("question_lead_ins"),
            tag_subjects=s("subject_words") | frozenset(tags["subjects"]), tag_ends=frozenset(tags["ends"]),
            tag_alone=frozenset(tags["alone"]), tag_min_words=int(tags["min_words_before"]),
            phatic=frozenset(_squash(p) for p in res.setting(FAMILY, "phatic_questions")),
            rhetorical=tuple(f" {_squash(p)} " for p in res.setting(FAMILY, "rhetorical_questions")),
            echo_max_words=int(res.setting(FAMILY, "echo_max_words")),
            stem_chars=int(res.setting(FAMILY, "answer_stem_chars")),
            context_max_words=int(res.setting(FAMILY, "context_max_words")),
            clefts=Phrases(res.setting(FAMILY, "cleft_statements")),
            answer=s("answer_words"), answer_lead=int(res.setting(FAMILY, "answer_lead_tokens")),
            openers=Phrases(res.setting(FAMILY, "answer_openers")),
            ignore=s("ignore_lemmas"), common_zipf=float(res.setting(FAMILY, "common_zipf")),
            min_chars=int(res.setting(FAMILY, "min_content_chars")),
            min_code_digits=int(res.setting(FAMILY, "min_code_digits")), months=s("months"),
            generic_speakers=s("generic_speakers"), not_names=s("not_names"), product_stop=s("product_stop"),
            product_max_zipf=float(res.setting(FAMILY, "product_max_zipf")),
            reask_exempt=tuple(x.lower() for x in res.setting(FAMILY, "reask_exempt")),
            fields=fields,
            answer_types=tuple(
                (tuple(f" {_squash(a)} " for a in spec["asks"]), _forms(spec["forms"]),
                 frozenset(c.lower() for c in spec["cues"]))
                for spec in res.setting(FAMILY, "answer_types").values()),
        )

    return res.cached("listening.words", build)


ANSWER_FORMS = ("number", "phone", "email", "link")  # what a reply may hold that answers a kind of question


def _forms(forms: list[str]) -> frozenset[str]:
    unknown = [f for f in forms if f not in ANSWER_FORMS]
    if unknown:
        raise DataFileError(f"lexicons/{FAMILY}.json: answer_types: unknown form {unknown[0]!r} (expected one of "
                            f"{', '.join(ANSWER_FORMS)})")
    return frozenset(forms)


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("\u2019", "'")).split())


# --- shared helpers (also used by empathy.py) -------------------------------------------------------------------


def is_question(sent: Span, w: Words) -> bool:
    """A sentence that ends in "?" (trailing "!", quotes or emoji aside), or in a question tag after a comma ("It'll
    be refunded to my card, won't it", "I'll pay it on Friday, is that ok", "..., right"), or opens like a question:
    a wh-word then an auxiliary ("when will", "how do"), or an auxiliary then a subject ("can you", "is it", "did
    my"); not a statement that only opens like one ("What's happening is the line is re-syncing."); words such as
    "ok so" before the opening (``question_lead_ins``) do not count."""
    if ends_in_question_mark(sent) or _tagged(sent, w):
        return True
    words_ = _opening(sent, w)
    if len(words_) < 2:
        return False
    first, second = words_[0].lower_, words_[1].lower_
    if first in w.wh:
        return (second in w.aux or words_[1].norm_ in w.aux) and not w.clefts.longest([norm(t.text) for t in words_], 0)
    return first in w.aux and second in w.subjects


def _opening(sent: Span, w: Words) -> list[Token]:
    """The first six words of a sentence (no punctuation nor @handles) after words such as "ok so" that can come
    before a question's opening (``question_lead_ins``)."""
    words_ = list(itertools.islice((t for t in sent if not (t.is_punct or t.is_space or t.text.startswith("@"))), 9))
    while len(words_) > 2 and words_[0].lower_ in w.lead_ins:
        words_ = words_[1:]
    return words_[:6]


def _tagged(sent: Span, w: Words) -> bool:
    """A sentence ending in a question tag after its last comma: an auxiliary (perhaps with "n't") and a subject,
    perhaps then "ok" ("won't it", "can't I", "is that ok"), or a word that is a tag alone ("right"), after at least
    ``tag_min_words`` words."""
    comma = next((t.i for t in reversed(sent) if t.text == ","), None)
    if comma is None:
        return False
    tag = [t for t in sent.doc[comma + 1:sent.end] if not (t.is_punct or t.is_space)]
    if not 1 <= len(tag) <= 4 or sum(1 for t in sent.doc[sent.start:comma] if t.is_alpha) < w.tag_min_words:
        return False
    words_ = [t.lower_ for t in tag]
    if len(words_) == 1:
        return words_[0] in w.tag_alone
    if tag[0].norm_ not in w.aux and words_[0] not in w.aux:
        return False
    rest = words_[2:] if words_[1] in ("n't", "not") else words_[1:]
    return bool(rest) and rest[0] in w.tag_subjects and (len(rest) == 1 or (len(rest) == 2 and rest[1] in w.tag_ends))


def trimmed(sent: Span) -> Span:
    """The sentence without leading or trailing whitespace tokens (nor leading @handles)."""
    start, end = sent.start, sent.end
    while start < end - 1 and (sent.doc[start].is_space or sent.doc[start].text.startswith("@")):
        start += 1
    while end > start and sent.doc[end - 1].is_space:
        end -= 1
    return sent.doc[start:end]


def content_lemmas(tokens: Doc | Span, res: Resources) -> set[str]:
    """Lemmas that carry content: no stop words, punctuation, numbers, ignored or very common words.

    Each token's content lemma (or None) is found once per doc, and the decision depends only on a token's form and
    lemma, so it is also cached per (form, lemma) pair: a token costs one dictionary look-up once its pair has been
    seen."""
    if isinstance(tokens, Span):
        column = _token_contents(tokens.doc, res)[tokens.start:tokens.end]
    else:
        column = _token_contents(tokens, res)
    return set(filter(None, column))


_CONTENT_KEY = "transcript_coach.listening.content"


def _token_contents(doc: Doc, res: Resources) -> list[str | None]:
    """Each token's content lemma (None for a token without content), kept with the doc."""
    column = doc.user_data.get(_CONTENT_KEY)
    if column is not None:
        return column
    vocab = doc.vocab
    decided = res.memo("listening.content")
    column = []
    for key in zip(*doc.to_array([ORTH, LEMMA]).T.tolist()) if len(doc) else ():
        content = decided.get(key, False)
        if content is False:
            content = decided.remember(key, _content(vocab, *key, res))
        column.append(content)
    doc.user_data[_CONTENT_KEY] = column
    return column


def _content(vocab, orth: int, lemma_id: int, res: Resources) -> str | None:
    w = words(res)
    lex = vocab[orth]
    if (lex.is_stop or lex.is_punct or lex.is_space or lex.like_num or lex.like_email or lex.like_url
            or lex.orth_.startswith("@")):  # a handle addresses someone: "@Tesco" in both turns is no shared subject
        return None
    lemma = (vocab.strings[lemma_id] if lemma_id else lex.lower_).lower().replace("\u2019", "'")
    if len(lemma) < w.min_chars or not any(c.isalpha() for c in lemma):
        return None
    if lemma in w.ignore or lex.lower_ in w.ignore or res.word_frequencies().zipf_frequency(lemma) >= w.common_zipf:
        return None
    return lemma


# --- details a customer gives ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Detail:
    kind: str  # code | email | phone | date | name | product | address (a redacted one)
    key: str
    start: int  # character offsets in the turn
    end: int


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _phone_runs(texts: list[str]) -> Iterator[tuple[int, int, str]]:
    """Token runs like "+44 20 7946 0958" or "(555) 123-4567": (start token, end token, digits)."""
    i, n = 0, len(texts)
    while i < n:
        if not (texts[i][:1].isdigit() or texts[i][:1] in "+("):
            i += 1
            continue
        j, pieces = i, 0
        while j < n and _PHONE_PIECE.fullmatch(texts[j]):
            pieces += texts[j][-1:].isdigit()
            j += 1
        while j > i and not texts[j - 1][-1:].isdigit():
            j -= 1
        digits = "".join(_digits(x) for x in texts[i:j])
        if (pieces >= 2 or texts[i].startswith("+")) and 7 <= len(digits) <= 15:
            yield i, j, digits
        i = max(j, i + 1)


def _code_key(text: str, w: Words) -> str | None:
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")  # "46,875" is the customer's "46875"
    if not _CODE.fullmatch(text) or len(_digits(text)) < w.min_code_digits:
        return None
    if text.isdigit() and len(text) == 4 and text[:2] in ("19", "20"):
        return None  # a year
    return text.lstrip("#").lower()


def details(doc: Doc, w: Words) -> list[Detail]:
    """Codes, emails, phone numbers and dates in a turn (names and products are found separately), and the
    placeholders of a redacted transcript ("[ORDER]" is a code, "[NAME]" a name)."""
    text = doc_text(doc)
    redacted = [Detail(_PLACEHOLDER_KINDS.get(kind, "code"), text[start:end], start, end)
                for start, end, kind in placeholder_spans(text)]
    if not _DIGIT.search(text) and not _EMAIL_HINT.search(text):
        return redacted
    texts = [doc.vocab.strings[o] for o in doc.to_array("ORTH").tolist()]
    starts = doc.to_array("IDX").tolist()
    found: list[Detail] = []
    in_phone: set[int] = set()
    for i, j, digits in _phone_runs(texts):
        found.append(Detail("phone", digits[-7:], starts[i], starts[j - 1] + len(texts[j - 1])))
        in_phone.update(range(i, j))
    for i, text in enumerate(texts):
        if i in in_phone:
            continue
        if "@" in text[1:] and doc[i].like_email:
            found.append(Detail("email", text.lower(), starts[i], starts[i] + len(text)))
        elif _DATE.fullmatch(text):
            found.append(Detail("date", text, starts[i], starts[i] + len(text)))
        elif text[:1].isdigit() and text.lower().rstrip(".") not in w.months:
            key = _code_key(text, w)
            if key:
                found.append(Detail("code", key, starts[i], starts[i] + len(text)))
            day = _DAY.fullmatch(text)
            if day and 1 <= int(day.group(1)) <= 31:  # "12 March", "March 12th"
                for j in (i + 1, i - 1):
                    if 0 <= j < len(texts) and texts[j].lower().rstrip(".") in w.months and (
                            texts[j][:1].isupper() or len(texts[j]) > 3):
                        a, b = sorted((i, j))
                        found.append(Detail("date", f"{texts[j].lower()[:3]} {int(day.group(1))}", starts[a],
                                            starts[b] + len(texts[b])))
                        break
        elif any(c.isdigit() for c in text):
            key = _code_key(text, w)
            if key:
                found.append(Detail("code", key, starts[i], starts[i] + len(text)))
    return redacted + found


def _requested(found: list[Match]) -> frozenset[str]:
    """The fields an agent or bot turn asks for (its ``ask.*`` matches): "Can I take your name?" -> {"name"}."""
    return frozenset(m.entry.id[len("ask."):] for m in found
                     if m.entry.id.startswith("ask.") and m.entry.id != "ask.request")


def name_customers(transcript: Transcript, docs: TranscriptDocs, res: Resources
                   ) -> tuple[Transcript, tuple[str, ...]]:
    """``transcript`` with a customer whose speaker label names nobody ("Customer", "Caller", "SPEAKER_01") named
    after the name they give ("my name is Grace", "this is Grace", "It's Grace Mensah" when asked for it), on all
    their turns, and a warning for each naming. "I'm X" and sign-offs are too loose for that ("I'm American", "Thanks,
    Sam" to the agent Sam), and a name an agent goes by is none."""
    w = words(res)
    agents = {part.lower() for t in transcript.turns if t.role == "agent" and t.speaker for part in t.speaker.split()}
    names: dict[str | None, tuple[str, int]] = {}  # speaker label -> (name as written, turn it was given in)
    asker: Doc | None = None  # the latest agent or bot turn: did it ask for the customer's name?
    for turn, doc in docs.turns():
        if turn.role in ("agent", "bot"):
            asker = doc
        elif turn.role == "customer" and turn.speaker not in names and not customer_names(turn, doc, w, set()):
            given = stated_names(doc, w, introduced_only=True) or (
                answered_name(doc, w) if asker is not None and "name" in _requested(matches(res, FAMILY, asker))
                else set())
            written = [t.text for t in doc if t.lower_ in given and t.lower_ not in agents] if given else []
            if written:
                names[turn.speaker] = (written[0], turn.index)
    if not names:
        return transcript, ()
    turns = tuple(replace(t, speaker=names[t.speaker][0]) if t.role == "customer" and t.speaker in names else t
                  for t in transcript.turns)
    warnings = tuple(f"roles: customer {label or '(no name)'!r} named {name!r} after giving their name in turn "
                     f"{index + 1}" for label, (name, index) in names.items())
    return replace(transcript, turns=turns), warnings


def customer_names(turn: Turn, doc: Doc, w: Words, stated: set[str]) -> set[str]:
    """The customer's name: from the speaker label, and the names they state (``stated_names``)."""
    names: set[str] = set(stated)
    if turn.speaker:
        first = turn.speaker.strip().split()[0] if turn.speaker.strip() else ""
        if (first[:1].isupper() and first.isalpha() and first.lower() not in w.generic_speakers
                and turn.speaker.strip().lower() not in w.generic_speakers):
            names.add(first.lower())
    return names


def stated_names(doc: Doc, w: Words, *, introduced_only: bool = False) -> set[str]:
    """Names from "my name is X", "I'm X", "this is X" (at the start) and sign-offs ("Thanks, X"); with
    ``introduced_only`` only from "my name is X" and "this is X" ("I'm American", "I am DMing you": no names)."""
    out: set[str] = set()
    if not _NAME_HINT.search(doc_text(doc)):
        return out
    toks = [t for t in doc if not t.is_space]
    for k, t in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if nxt is None:
            break
        low = t.lower_
        candidate = None
        if low == "name" and k >= 1 and toks[k - 1].lower_ == "my" and nxt.lower_ in ("is", "'s", "\u2019s"):
            candidate = toks[k + 2] if k + 2 < len(toks) else None
        elif low in ("i", "this") and nxt.norm_ in ("am", "is", "'s") and k + 2 < len(toks):
            if (low == "this" and k != 0 and not toks[k - 1].is_punct) or (low == "i" and introduced_only):
                continue
            candidate = toks[k + 2]
        elif (low in ("regards", "thanks", "cheers", "sincerely", "best") and nxt.text == "," and k + 2 < len(toks)
              and not introduced_only):
            candidate = toks[k + 2] if k + 2 == len(toks) - 1 or toks[k + 3].is_punct else None
        if candidate is not None and _name_word(candidate, w):
            out.add(candidate.lower_)
    return out


def _name_word(token: Token, w: Words) -> bool:
    """A word that can be a person's first name: capitalised (not all capitals), no stop word, none of
    ``not_names``."""
    return (token.is_alpha and token.text[:1].isupper() and not token.is_upper and not token.is_stop
            and token.lower_ not in w.not_names)


def answered_name(doc: Doc, w: Words) -> set[str]:
    """The name a customer gives when asked for it ("Can I take your name?" / "It's Grace Mensah.", "Grace Mensah",
    "Yes, it's Grace"): the first capitalised word after "it's" / "it is", or opening a reply of at most three
    words."""
    toks = [t for t in doc if not (t.is_space or t.is_punct)]
    for k, t in enumerate(toks):
        after_it = k >= 2 and toks[k - 2].lower_ == "it" and toks[k - 1].norm_ in ("is", "'s")
        if not (after_it or (k == 0 and len(toks) <= 3)):
            continue
        if _name_word(t, w):
            return {t.lower_}
    return set()


def product_words(doc: Doc, w: Words, exclude: set[str], res: Resources) -> dict[str, bool]:
    """Product and proper names a customer mentions: mixed-case ("iPhone") and letter+digit ("S21") tokens, and
    capitalised words inside a sentence ("my Galaxy tablet") that are not common English words. Maps the lower-case
    word to whether the agent must write it capitalised too (true for the capitalised-word kind)."""
    out: dict[str, bool] = {}
    max_zipf = w.product_max_zipf
    for sent in doc_sentences(doc):
        text = span_text(sent)
        if text.isascii() and not _CAPITAL_OR_DIGIT.search(text):
            continue  # every kind needs a capital letter or a digit
        first = True
        for t in sent:
            if t.is_space or t.is_punct or t.text.startswith("@") or t.text.startswith("#"):
                continue
            text, low = t.text, t.lower_
            initial, first = first, False
            if low in w.product_stop or low in w.months or low in exclude or t.like_email or t.like_url:
                continue
            if _MIXED_CASE.fullmatch(text):
                out[low] = False
            elif initial:
                continue
            elif any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
                if len(_digits(text)) < w.min_code_digits and not _MEASURE.fullmatch(low):
                    out[low] = False
            elif (t.is_alpha and text[:1].isupper() and not t.is_stop and len(text) >= 2
                  and (not t.is_upper or len(text) <= 3) and _zipf_cached(low, res) < max_zipf):
                out.setdefault(low, True)
    return out


def _zipf_cached(word: str, res: Resources) -> float:
    table = res.memo("listening.zipf")
    value = table.get(word)
    return table.remember(word, res.word_frequencies().zipf_frequency(word)) if value is None else value


# --- the extractor --------------------------------------------------------------------------------------------


@extractor(FAMILY)
def listening_signals(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    w = words(res)
    turns = [(t, d) for t, d in zip(docs.transcript.turns, docs.docs, strict=True) if not t.internal]
    content = {turn.index: content_lemmas(doc, res) for turn, doc in turns if turn.role in ROLES}
    yield from _agent_signals(turns, res, w, content)
    yield from _customer_repeats(turns, res, content)
    yield from _unanswered(turns, res, w, content)


def _agent_signals(turns, res: Resources, w: Words, content: dict[int, set[str]]) -> Iterator[Hit]:
    block: list[int] = []  # the customer's latest block of consecutive turns (their indexes)
    opening: list[int] = []  # the customer's first block with content words: the problem as first told
    block_open = False
    given: dict[str, str] = {}  # detail key -> kind, for details the customer gave first
    agent_said: set[str] = set()
    names: set[str] = set()
    products: dict[str, bool] = {}  # product word -> must be capitalised in the agent's text
    fields: dict[str, set[str]] = {}  # field -> keys of the values the customer gave for it
    said: dict[int, list[Detail]] = {}  # details per turn, found once
    requested: frozenset[str] = frozenset()  # fields the latest agent or bot turn asked for: "PX-4421907" answers
    for turn, doc in turns:
        if turn.role == "customer":
            if not block_open:
                block, block_open = [], True
            block.append(turn.index)
            found = said[turn.index] = details(doc, w)
            for d in found:
                if d.key not in agent_said:
                    given.setdefault(d.key, d.kind)
            redacted_name = placeholder("name")  # a redacted speaker label: the agent knows the name
            if redacted_name not in agent_said:
                given.setdefault(redacted_name, "name")
            stated = stated_names(doc, w) or (answered_name(doc, w) if "name" in requested else set())
            turn_names = customer_names(turn, doc, w, stated)
            names.update(n for n in turn_names if n not in agent_said)
            for p, title in product_words(doc, w, names | turn_names, res).items():
                if p not in agent_said:
                    products[p] = products.get(p, True) and title
            for field, keys in _given_fields(doc, found, stated, w, requested).items():
                fields.setdefault(field, set()).update(keys)
            continue
        if turn.role not in ("agent", "bot"):
            continue
        block_open = False
        said[turn.index] = details(doc, w)
        found = matches(res, FAMILY, doc)
        requested = _requested(found)
        if turn.role == "agent":
            yield from _phrases(turn, doc, found)
            if not any(content[i] for i in opening):  # "Hi" alone is no opening
                opening = block
            context = set().union(*(content[i] for i in set(opening + block)))
            yield from _paraphrase(turn, doc, context, res)
            yield from _reuse(turn, doc, said[turn.index], given, names, products)
            yield from _reask(turn, doc, w, found, fields, said[turn.index])
        agent_said.update(_WORD.findall(doc_text(doc).lower()))
        agent_said.update(d.key for d in said[turn.index])


def _phrases(turn: Turn, doc: Doc, found: list[Match]) -> Iterator[Hit]:
    for m in found:
        if m.entry.feature in ("listening.acknowledgement", "listening.clarifying"):
            yield span_hit(m.entry.feature, turn.index, m.span, f"lexicon:{FAMILY}#{m.entry.id}", m.entry.value)


def negation_before(span: Span, window: int = 3) -> bool:
    """A negation within ``window`` tokens before ``span`` in the same clause: "not", "n't", "dont", "never", "no"
    ("I'm not sorry", "I dont understand", "no need to apologise"). Punctuation ends the look-back, and a "no" that
    stands alone ("Oh no, that sounds awful", "No, I understand") is an interjection, not a negation."""
    doc = span.doc
    for k in range(span.start - 1, max(0, span.start - window) - 1, -1):
        t = doc[k]
        if t.is_punct or doc[k + 1].is_sent_start:
            return False
        if t.lower_ == "no":
            return not (k + 1 < len(doc) and doc[k + 1].is_punct)
        if t.norm_ == "not" or t.lower_ in _NEGATIONS:
            return True
    return False


def negated_entries(res: Resources, name: str) -> frozenset[str]:
    """Ids of the entries of ``lexicons/<name>.json`` marked ``"negate": true`` (checked with ``negation_before``;
    the lexicon's own ``negatable`` check reads "Oh no, that sounds awful" as negated, so these files do not use it)."""

    def build() -> frozenset[str]:
        return frozenset(e["id"] for e in load_json(f"lexicons/{name}.json")["entries"] if e.get("negate"))

    return res.cached(f"negate:{name}", build)


def matches(res: Resources, name: str, doc: Doc) -> list[Match]:
    """The lexicon's matches in ``doc`` without those negated (for entries marked ``negate``)."""
    negate = negated_entries(res, name)
    return [m for m in res.lexicon(name).matches(doc) if not (m.entry.id in negate and negation_before(m.span))]


def _paraphrase(turn: Turn, doc: Doc, context: set[str], res: Resources) -> Iterator[Hit]:
    if not context:
        return
    min_overlap = int(res.setting(FAMILY, "paraphrase_min_overlap"))
    min_ratio = float(res.setting(FAMILY, "paraphrase_min_ratio"))
    for sent in doc_sentences(doc):
        own = content_lemmas(sent, res)
        shared = own & context
        if len(shared) >= min_overlap and len(shared) / len(own) >= min_ratio:
            yield span_hit("listening.paraphrase", turn.index, trimmed(sent), "overlap:customer-words",
                           round(len(shared) / len(own), 3))


def _reuse(turn: Turn, doc: Doc, found: list[Detail], given: dict[str, str], names: set[str],
           products: dict[str, bool]) -> Iterator[Hit]:
    seen: set[str] = set()
    for d in found:
        if d.key in given and d.key not in seen:
            seen.add(d.key)
            yield Hit("listening.detail_reuse", turn.index, d.start, d.end, f"reuse:{given[d.key]}")
    if not (names or products):
        return
    wanted = {get_string_id(word): word for word in (*names, *products)}
    for i, lower in enumerate(lower_hashes(doc)):  # a Token only for the words wanted
        low = wanted.get(lower)
        if low is None or low in seen:
            continue
        t = doc[i]
        if low in names and t.text[:1].isupper():
            seen.add(low)
            yield span_hit("listening.detail_reuse", turn.index, t, "reuse:name")
        elif low in products and (not products[low] or t.text[:1].isupper()):
            seen.add(low)
            yield span_hit("listening.detail_reuse", turn.index, t, "reuse:product")


def _given_fields(doc: Doc, found: list[Detail], stated_names: set[str], w: Words,
                  requested: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """Which fields a customer turn gives, with the keys of their values (to tell a confirmation from a re-ask): a
    value named by a cue in its sentence ("my order number is 4471"), or a code given in answer to an agent or bot
    that asked for a field (``requested``: "Can you give me your tracking number?" / "PX-4421907")."""
    out: dict[str, set[str]] = {}
    for d in found:
        if d.kind == "email":
            out.setdefault("email", set()).add(d.key)
        elif d.kind == "phone":
            out.setdefault("phone", set()).add(d.key)
        elif d.kind == "address":
            out.setdefault("address", set()).add(d.key)
    if stated_names:
        out.setdefault("name", set()).update(stated_names)
    codes = [d for d in found if d.kind in ("code", "email")]
    for field in requested:
        value = w.fields[field][1] if field in w.fields else None
        keys = {d.key for d in codes if d.kind == "code" or value == "code_or_email"}
        if value in ("code", "code_or_email") and keys:
            out.setdefault(field, set()).update(keys)
    for sent in doc_sentences(doc):
        lowers = {t.lower_ for t in sent}
        in_sent = [d for d in codes if sent.start_char <= d.start < sent.end_char]
        for field, (cues, value) in w.fields.items():
            if not cues:
                continue
            if value == "word":
                hit = lowers & cues
                if hit:
                    out.setdefault(field, set()).update(hit)
            elif value in ("code", "code_or_email") and lowers & cues:
                keys = {d.key for d in in_sent if d.kind == "code" or value == "code_or_email"}
                if keys:
                    out.setdefault(field, set()).update(keys)
            elif value == "number" and lowers & cues:
                nums = [t for t in sent if t.like_num]
                if nums:
                    out.setdefault(field, set()).update(t.lower_ for t in nums)
    return out


def _reask(turn: Turn, doc: Doc, w: Words, found: list[Match], fields: dict[str, set[str]], said: list[Detail]
           ) -> Iterator[Hit]:
    if not fields:
        return
    sents = doc_sentences(doc)
    starts = [sent.start for sent in sents]
    requests: set[int] = set()
    asked: dict[int, set[str]] = {}
    for m in found:
        start = starts[bisect_right(starts, m.span.start) - 1]
        if m.entry.id == "ask.request":
            requests.add(start)
        elif m.entry.id.startswith("ask."):
            asked.setdefault(start, set()).add(m.entry.id[len("ask."):])
    if not asked:
        return
    for sent in sents:
        wanted = asked.get(sent.start)
        if not wanted:
            continue
        lead = [t.lower_ for t in sent if not (t.is_punct or t.is_space)][:3]
        wh_question = any(x in w.wh for x in lead) and is_question(sent, w)
        if sent.start not in requests and not wh_question:
            continue
        text = sent.text.lower()
        if any(x in text for x in w.reask_exempt):
            continue
        tokens = {t.lower_ for t in sent} | {d.key for d in said if sent.start_char <= d.start < sent.end_char}
        for field in sorted(wanted):
            values = fields.get(field)
            if values and not (values & tokens):
                yield span_hit("listening.reask", turn.index, trimmed(sent), f"reask:{field}")


_REPEATS = {"customer.repeat": "listening.customer_repeat", "customer.correction": "listening.customer_repeat",
            "customer.repeat_earlier": "listening.customer_repeat_earlier"}  # a marker's kind -> its feature


def _customer_repeats(turns, res: Resources, content: dict[int, set[str]]) -> Iterator[Hit]:
    min_shared = int(res.setting(FAMILY, "repeat_min_shared"))
    min_ratio = float(res.setting(FAMILY, "repeat_min_ratio"))
    earlier: list[set[str]] = []  # content of customer turns that a reply has followed
    pending: list[set[str]] = []  # content of customer turns not yet followed by a reply
    replied = False
    for turn, doc in turns:
        if turn.role in ("agent", "bot"):
            earlier.extend(pending)
            pending = []
            replied = True
            continue
        if turn.role != "customer":
            continue
        for m in matches(res, "customer", doc):
            if m.entry.feature in _REPEATS and (replied or m.entry.feature != "customer.correction"):
                # before any reply, "as I said" can only mean what was said in earlier contacts
                kind = m.entry.feature if replied else "customer.repeat_earlier"
                yield span_hit(_REPEATS[kind], turn.index, m.span, f"lexicon:customer#{m.entry.id}")
        own = content[turn.index]
        if len(own) >= min_shared and earlier:
            best = max(earlier, key=lambda e: len(own & e))
            shared = own & best
            ratio = len(shared) / len(own)
            if len(shared) >= min_shared and ratio >= min_ratio:
                sent = max(doc_sentences(doc), key=lambda s: len(content_lemmas(s, res) & best))
                yield span_hit("listening.customer_repeat", turn.index, trimmed(sent),
                               "overlap:earlier-customer-turn", round(ratio, 3))
        pending.append(own)


def _unanswered(turns, res: Resources, w: Words, content: dict[int, set[str]]) -> Iterator[Hit]:
    asks: dict[int, bool] = {}
    leads: dict[int, bool] = {}  # replies that open as an answer, read once each however many questions they follow

    def opens_as_answer(index: int, doc: Doc) -> bool:
        if index not in leads:
            leads[index] = _answer_lead(doc, w)
        return leads[index]

    statements: dict[int, list[Span]] = {}  # a reply's sentences that are no questions
    contents: dict[int, set[str]] = {}  # and their content

    def statements_of(index: int, doc: Doc) -> list[Span]:
        if index not in statements:
            statements[index] = [s for s in doc_sentences(doc) if not is_question(s, w)]
        return statements[index]

    def stated(index: int, doc: Doc) -> set[str]:
        if index not in contents:
            contents[index] = set().union(*(content_lemmas(s, res) for s in statements_of(index, doc)))
        return contents[index]

    closings: dict[int, list[Span]] = {}  # a reply's offers to close ("Anything else I can help with today?")

    def closing(index: int, doc: Doc) -> list[Span]:
        if index not in closings:
            closings[index] = [m.span for m in matches(res, "structure", doc)
                               if m.entry.feature == "structure.closing_question"]
        return closings[index]

    closed_over: set[int] = set()  # replies that offered to close with a question open

    def close_over(index: int, doc: Doc) -> Iterator[Hit]:
        """The offer to close in a reply that says nothing else ("Thanks! Is there anything else?")."""
        if index in closed_over:
            return
        closed_over.add(index)
        offers = closing(index, doc)
        offered = {i for span in offers for i in range(span.start, span.end)}
        contents = _token_contents(doc, res)
        if offers and not any(contents[t.i] or _digits(t.text) for t in doc if t.i not in offered):
            for span in offers:
                yield span_hit("listening.closed_over", index, span, "closing:question-open")

    said: set[str] = set()  # the content of the latest agent or bot turn
    for k, (turn, doc) in enumerate(turns):
        if turn.role in ("agent", "bot"):
            said = content[turn.index]
        if turn.role != "customer":
            continue
        before: Span | None = None  # the customer's sentence before, when it was no question
        for sent in doc_sentences(doc):
            if not is_question(sent, w):
                before = sent
                continue
            squashed = _squash(sent.text)
            if squashed in w.phatic or any(r in f" {squashed} " for r in w.rhetorical):
                continue
            wanted = content_lemmas(sent, res)
            context: set[str] = set()  # "my bank show two payment. why is double?": a statement about payments answers
            if wanted <= said and len(squashed.split()) <= w.echo_max_words:
                wanted = set()  # "Thursday?" after "I've booked an engineer for Thursday": a reaction, not a request
            elif wanted and len(wanted) <= w.context_max_words and before is not None:
                context = content_lemmas(before, res)
            before = None
            kinds = _answer_kinds(f" {squashed} ", w)
            asked = asking_aux(sent, w)
            replies, agent_replies, answered = 0, 0, False
            for later, later_doc in turns[k + 1:]:
                if later.role == "customer":
                    if later.index not in asks:
                        asks[later.index] = any(is_question(s, w) for s in doc_sentences(later_doc))
                    if replies and asks[later.index]:
                        break
                    continue
                if later.role not in ("agent", "bot"):
                    continue
                if (not wanted or _shares_stem(wanted, content[later.index], w.stem_chars)
                        or opens_as_answer(later.index, later_doc)
                        or (kinds and _answer_of_kind(later_doc, kinds, closing(later.index, later_doc)))
                        or (asked[0] and _answers_in_kind(statements_of(later.index, later_doc), asked,
                                                          closing(later.index, later_doc), w))
                        or (context and context & stated(later.index, later_doc))):
                    answered = True
                    break
                if later.role == "agent" and not agent_replies:
                    yield from close_over(later.index, later_doc)
                replies += 1
                agent_replies += later.role == "agent"
            if not answered:
                rule = "question:no-reply" if replies == 0 else "question:unaddressed"
                yield span_hit("listening.unanswered_question", turn.index, trimmed(sent), rule, float(replies))


def _shares_stem(asked: set[str], said: set[str], chars: int) -> bool:
    """Whether a reply's content words take up a question's: one in common, or one the start of the other, of at least
    ``chars`` letters ("humid" and "humidity", "director" and "direct": another form of the same word)."""
    if asked & said:
        return True
    return any(len(a) >= chars and len(b) >= chars and (a.startswith(b) or b.startswith(a))
               for a in asked for b in said)


def _answer_kinds(question: str, w: Words) -> list[tuple[frozenset[str], frozenset[str]]]:
    """The kinds of answer a question (squashed and padded with spaces) asks for (``answer_types``: "when" wants a
    time, "how much" a number or price, "why" a cause, "what's the phone number" a phone number), as (forms that
    answer: a number, a phone number, an e-mail address, a link; cue words that answer)."""
    return [(forms, cues) for asks, forms, cues in w.answer_types if any(a in question for a in asks)]


def _answer_of_kind(reply: Doc, kinds: list[tuple[frozenset[str], frozenset[str]]], besides: list[Span]) -> bool:
    """A reply that gives an answer of one of these kinds, though it shares no word with the question ("It's due on
    Friday" to "when will it arrive?", "$12" to "how much?", "the first payment failed" to "why?", "You can call them
    on 510-990-7007" to "what's the phone number?"), in words ``besides`` its offers to close and the rest of their
    sentence ("today" in "Anything else I can help you with today?" tells no time)."""
    skip: set[int] = set()
    if besides:
        ends = [sent.end for sent in doc_sentences(reply)]
        skip = {i for span in besides for i in range(span.start, ends[bisect_right(ends, span.start)])}
    found = [t for t in reply if not (t.is_punct or t.is_space or t.i in skip)]
    lowers = {t.lower_ for t in found}
    return any(lowers & cues or any(_holds(form, found) for form in forms) for forms, cues in kinds)


def _holds(form: str, tokens: list[Token]) -> bool:
    """Whether ``tokens`` hold an answer of this form (one of ``ANSWER_FORMS``)."""
    if form == "number":
        return any(t.like_num or any(ch.isdigit() for ch in t.text) for t in tokens)
    if form == "phone":
        return next(_phone_runs([t.text for t in tokens]), None) is not None
    return any(t.like_email if form == "email" else t.like_url for t in tokens)


_ANSWERING_SUBJECTS = {"i": ("you",), "we": ("you", "we"), "you": ("i", "we")}  # else one of the third person
_THIRD_PERSON = ("it", "they", "there", "he", "she", "that", "this")


def asking_aux(sent: Span, w: Words) -> tuple[frozenset[str], tuple[str, ...]]:
    """The forms of the auxiliary a yes/no question opens with, after any lead-in words, and the subjects that take
    it up in an answer ("Will I get a new letter?": "will", and "you"; "ok so is it ...": "is" or "'s", and "it",
    "they", "there" ...); nothing for another question."""
    words_ = _opening(sent, w)
    if len(words_) < 3 or words_[1].lower_ not in w.subjects or words_[0].lower_ not in w.aux:
        return frozenset(), ()
    form = words_[0].norm_
    forms = frozenset({form, "'s"} if form in ("is", "has", "does") else {form})
    return forms, _ANSWERING_SUBJECTS.get(words_[1].lower_, _THIRD_PERSON)


def _answers_in_kind(statements: list[Span], asked: tuple[frozenset[str], tuple[str, ...]], besides: list[Span],
                     w: Words) -> bool:
    """One of a reply's ``statements`` that takes up a yes/no question's auxiliary with the subject that answers it,
    as an answer does without "yes" or "no": "You'll get an SMS on the day" to "Will I get a new letter?", "There
    is." to "Is there a train after 8?", "they do not do take-out" to "Do they take to go orders?" (not "We will look
    at your account" to "Will they refund the fee?"). Not in its offers to close ("Is there anything else I can
    do?")."""
    aux, subjects = asked
    offered = {i for span in besides for i in range(span.start, span.end)}
    for sent in statements:
        if any(t.i in offered for t in sent):
            continue
        words_ = [t for t in sent if not (t.is_punct or t.is_space)][:w.answer_lead + 4]
        if any(a.lower_ in subjects and b.norm_ in aux for a, b in zip(words_, words_[1:])):
            return True
    return False


def _answer_lead(doc: Doc, w: Words) -> bool:
    """A reply sentence that opens with an answer word ("Yes, ...", "Unfortunately ...") or as an answer does ("Good
    news, it was posted yesterday", "I'm not sure, to be honest. Let me check with the product team ...")."""
    for sent in doc_sentences(doc):
        lead = [norm(t.text) for t in sent if not (t.is_punct or t.is_space)]
        if any(x in w.answer for x in lead[: w.answer_lead]) or w.openers.longest(lead, 0):
            return True
    return False
