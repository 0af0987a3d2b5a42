"""Email: one message (``.eml``) or a mailbox (``.mbox``) to transcripts, one per thread, on the ``email`` channel.

Reading
    The raw bytes go to the standard library's ``email`` package with ``policy.default`` (which decodes encoded-word
    headers such as ``=?utf-8?q?...?=``). The body is the text/plain part; when a message has none, its text/html
    part through ``html_to_text`` (``<blockquote>`` becomes ``>`` lines and Gmail, Thunderbird and Outlook signature
    blocks get a ``--`` line first, so that zoning below works on HTML too). Attachments and attached messages are
    skipped; ``format=flowed`` text is unwrapped. A declared charset that is unknown or does not fit the bytes falls
    back to UTF-8, then Windows-1252, then replacement characters, with a warning. Structure defects the email package
    reports become warnings; nothing it raises escapes (a message that cannot be read is an ``InputError`` for an
    ``.eml`` and a skipped message with a warning in an ``.mbox``). ``Date`` is read with
    ``email.utils.parsedate_to_datetime``; a date without a zone is taken as UTC; an unreadable one gives no
    timestamp and a warning.

Zoning: each body is split into the author's own text, quoted history and signature.
    * Quoted history is (a) lines starting with ``>`` at any depth, with the attribution line above them
      (``On <date>, <name> <addr> wrote:``, also wrapped over two or three lines; ``<name> wrote:``; ``Le ... a
      écrit :``, ``Am ... schrieb ...:``, ``El ... escribió:``, ``Op ... schreef ...:``, ``Il ... ha scritto:``,
      ``Den ... skrev ...:``, ``Em ... escreveu:``), and (b) everything from a history header on: an
      ``-----Original Message-----`` / ``Forwarded message`` separator, a ``____`` rule followed by ``From:``, a
      ``From:`` line followed by at least two of ``Sent:``/``Date:``, ``To:``, ``Cc:``, ``Subject:`` (English,
      German, French, Spanish, Dutch, Swedish, Danish, Italian and Portuguese words), or an ``On ... wrote:`` line
      (with a digit or an ``@`` in it) followed by unquoted text. Text between ``>`` blocks is the author's own
      (inline replies).
    * Each quoted message is zoned the same way in turn and becomes an earlier turn, oldest first: nested quotes
      give more turns. Its author, address and date come from the attribution line or the header block (a date
      written without a zone takes the zone of the message quoting it). A ``>`` quote with no attribution is
      credited, in a message with exactly one other party, to that party at odd depths and to the sender at even
      ones. In a thread, a quoted message whose text matches (after normalising case, punctuation and spaces: equal,
      one containing the other, 80% of words shared, or a passage of 8 words or more of the other, word for word, or
      lines of it that are: a reply that quotes only the first lines, or the greeting and one line) a message of the
      thread or a quote already taken is not repeated
      (exact repeats anywhere in the thread; reworded ones among the 100 messages before and 20 after).
    * Signature, in the author's own text: everything after a line that is exactly ``--`` or ``-- `` (except the
      name right below it when the text above ends with a bare sign-off: ``Warm regards,`` / ``-- `` / ``Ines``); a
      closing
      paragraph of a legal disclaimer (``This email ... confidential ...``; also a short one as the last line, right
      under the signature); device lines such as ``Sent from my
      iPhone`` or ``Get Outlook for Android``. A sign-off (``Kind regards,``, ``Best,``, ``Thanks,``, ``Cheers,``,
      ``Sincerely,``, ``Mit freundlichen Grüßen``...) near the end, after some text, followed only by at most seven
      short lines (no sentences), stays in the turn with the name line after it (``Kind regards,`` / ``Jonas``: both
      matter for professionalism); the contact block after the name (title, company, phone, address, links) is
      dropped, also after a blank line below the sign-off, and a disclaimer that follows the contact block without
      a blank line (``CONFIDENTIALITY NOTICE: ...``) goes with it. Without a sign-off, a last paragraph of short
      lines that starts with a name and contains a phone number, link, address, job title or company
      (``Leo Novak`` / ``Data Analyst | Example Corp``) keeps only the name. A ``P.S.`` after the sign-off keeps
      everything.

Threads
    Messages are grouped by ``Message-ID`` / ``In-Reply-To`` / ``References`` (union-find over the ids, so two
    replies to a message missing from the file still join). A message with none of these links joins a message
    with the same subject (``Re:``, ``Fwd:``, ``AW:``, ``SV:``... and ``[tags]`` stripped) that shares a participant
    other than a support mailbox or an ``--agent-domain`` address, unless each of the two also has a participant
    of its own (one agent writing to two customers under the same subject stays two threads). A thread is
    ordered by ``Date`` (a message without one keeps its place after the message before it in the file); threads
    come in order of first appearance. Each turn's ``line`` is where its message starts (the ``From `` line in an
    mbox); quoted turns carry the line of the message quoting them. The thread id is the first message's
    ``Message-ID`` (without ``<>``), else the file stem (plus ``-N`` in an mbox). A message seen twice (same
    ``Message-ID``) is read once.

Roles
    The format states no roles, so ``finish`` resolves them: the label is the sender's display name (or address),
    the same for every message from one address unless a message names another person (two agents writing from a
    shared ``billing@``: each keeps their own name, and ``finish`` gives both one role), and ``RawTurn.address`` is
    set so that ``--agent-domain`` decides agent/customer. An address listed in ``--agents`` or matched by
    ``--agent-pattern`` is stated as the agent.
    Without those, what the mail itself says decides, once per file (``_decide_roles``), so that one address keeps
    one role in every thread of an mbox: a support mailbox (a local part such as ``support``, ``help``,
    ``helpdesk``, ``service``, ``care``, ``team``, ``noreply``...), a display name with ``Support``, ``Team``,
    ``Customer Service/Care``, ``Help Desk`` in it, or a dropped signature block naming a support role
    (``Support``, ``Customer/Guest/Client Services``, ``Customer Care``...) makes the agent; whoever writes to a
    support-like address from outside its organisation is the customer; an address at a support domain (any
    domain label a support word: ``tom@support.acme.example``; or the organisation of a support mailbox) leans
    agent; in a thread with an agent, authors from other organisations are customers; and in a thread of two
    people, once one side is decided the other is the opposite. A decided author's label gets ``(Support)`` or
    ``(Customer)`` (read by ``finish`` as a role word), so rosters and ``--agent-domain`` still win; with a roster
    naming someone in the file no ``(Support)`` is added (the roster names the agents). An agent whose display name is
    a team (``Support Team``, ``ShopFast Customer Care``), who writes from a support mailbox (``Harbourline Stays
    <help@...>``) or who has none is named by the reply's sign-off (``Kind regards,`` / ``Jordan``; not ``The
    ShopFast Team``), so that per-agent profiles follow the person who wrote; the address is unchanged, for
    ``--agent-domain``. Everyone else is left to
    ``finish``'s cue phrases (a lone outbound email from ``support@`` is the agent, with ``finish``'s one-sided
    warning).

Other formats
    ``own_text(text, html=False)`` applies the zoning above to a message body from another export (a helpdesk
    reply that came by email): the author's own words, without quoted history, disclaimer and contact block.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import Conversation, IngestOptions, RawTurn, finish, parser, source_stem
from transcript_coach.ingest.html import html_to_text, parse_html
from transcript_coach.ingest.records import read_time_value
from transcript_coach.ingest.roles import parse_label
from transcript_coach.model import Role, Transcript

if TYPE_CHECKING:
    from bs4 import Tag

_HEADERS_EXPECTED = "expected RFC 5322 headers such as From:, Date:, Subject: followed by a blank line and the body"
_MAX_DEPTH = 12  # quote levels / MIME levels read; deeper text stays as it is
_MAX_BLOCKQUOTES = 200  # HTML blockquotes turned into ">" lines; more stay plain text
_MAX_PART_LINES = 2000  # lines starting "--" (MIME boundaries) in one message; the email package takes ~1 ms a part
_NEARBY = 100  # messages around a quoting message searched for a reworded copy of the quote
_QUOTED_PASSAGE_WORDS = 8  # a quote of at least this many distinct words found word for word in a message quotes it
_KNOWN_HEADERS = frozenset(
    "from to cc bcc subject date message-id in-reply-to references received return-path mime-version content-type "
    "content-transfer-encoding delivered-to reply-to sender x-mailer user-agent thread-topic thread-index".split()
)
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
_ENVELOPE = re.compile(rb"^From \S{1,300}\s+\w{3}\s+\w{3}\s+\d{1,2}\s+\d{1,2}:\d{2}")
_ESCAPED_FROM = re.compile(rb"^>+From ")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")
# The email package parses a header in time quadratic in its length (a Content-Type of 100,000 ';' takes minutes,
# and it is parsed again on every access): longer address and subject headers are read from their raw text, and
# any other header is cut to this length before the package parses it (see _BoundedPolicy).
_MAX_STRUCTURED_HEADER = 1000
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|vs|wg|tr|rv|antw|res|odp|ynt)\s?(?:\[\d{1,4}\]|\(\d{1,4}\))?\s?:|\[[^\[\]]{0,80}\])\s*",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")

# --- zoning patterns (applied to single lines of bounded length) -------------------------------------------------
_MAX_ATTRIBUTION = 400
_ATTRIBUTIONS = (  # (pattern, strong): "rest" holds date + author, or "date" and "who" apart
    re.compile(r"^On\s(?P<rest>.+?),?\s(?:wrote|writes|said):$"),
    re.compile(r"^Le\s(?P<rest>.+?)\sa\s[ée]crit\s?:$"),
    re.compile(r"^Am\s(?P<date>.+?)\sschrieb\s(?P<who>.+?)\s?:$"),
    re.compile(r"^El\s(?P<rest>.+?),?\sescribi[óo]\s?:$"),
    re.compile(r"^Op\s(?P<date>.+?)\sschreef\s(?P<who>.+?)\s?:$"),
    re.compile(r"^Il\s(?P<rest>.+?)\sha\sscritto\s?:$"),
    re.compile(r"^Den\s(?P<date>.+?)\sskrev\s(?P<who>.+?)\s?:$"),
    re.compile(r"^Em\s(?P<rest>.+?),?\sescreveu\s?:$"),
)
_ATTRIBUTION_OPENERS = ("On ", "Le ", "Am ", "El ", "Op ", "Il ", "Den ", "Em ")
_WEAK_ATTRIBUTION = re.compile(
    r"^(?P<who>[^:]{1,150}?)\s"
    r"(?:wrote|writes|a\s[ée]crit|schrieb|escribi[óo]|schreef|ha\sscritto|skrev|escreveu)\s?:$"
)
_TIME = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?(?:\s?Uhr)?"
    r"(?:\s?(?:[+-]\d{2}:?\d{2}|\(?(?:UTC|GMT)(?:[+-]\d{1,2}(?::?\d{2})?)?\)?|[A-Z]{2,4}T))?"
)
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_SEPARATOR = re.compile(
    r"^[-=_*\s]{2,}\s?(?:original message|original-nachricht|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|oorspronkelijk bericht|messaggio originale|originalmeddelande|oprindelig meddelelse|"
    r"mensagem original|forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"doorgestuurd bericht|vidarebefordrat meddelande)\s?[-=_*\s]{2,}$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^_{10,}$")
_FIELD = re.compile(r"^\*{0,2}(?P<key>[^\W\d_][^\W\d_ ]{0,11}(?: [^\W\d_]{1,8})?)\*{0,2} ?:\*{0,2} ?(?P<value>.*)$")
_FROM_KEYS = frozenset({"from", "von", "de", "van", "från", "fra", "da", "od"})
_DATE_KEYS = frozenset({"sent", "date", "gesendet", "datum", "envoyé", "envoye", "enviado", "fecha", "verzonden",
                        "skickat", "sendt", "dato", "inviato", "data", "enviada"})
_TO_KEYS = frozenset({"to", "an", "à", "a", "para", "aan", "till", "til", "per"})
_CC_KEYS = frozenset({"cc", "kopie", "copie", "kopia", "kopi"})
_SUBJECT_KEYS = frozenset({"subject", "betreff", "objet", "asunto", "onderwerp", "ämne", "emne", "oggetto",
                           "assunto", "sujet"})
_OTHER_KEYS = _DATE_KEYS | _TO_KEYS | _CC_KEYS | _SUBJECT_KEYS
_INLINE_HEADERS = re.compile(
    r"^\*{0,2}From\*{0,2}:.{1,300}\s\*{0,2}(?:Sent|Date)\*{0,2}:.{1,300}\s\*{0,2}(?:To|Subject)\*{0,2}:",
    re.IGNORECASE,
)

# --- signature patterns ------------------------------------------------------------------------------------------
_DEVICE = re.compile(
    r"^(?:sent from my\s[\w -]{1,30}|sent from (?:outlook|mail|yahoo mail|gmail|aol|proton ?mail|my mobile)"
    r"(?: for [\w -]{1,30})?|get outlook for [\w -]{1,30}|sent with proton ?mail[\w -]{0,30}|sent from mobile|"
    r"envoyé de mon [\w -]{1,30}|von meinem [\w -]{1,30} gesendet|gesendet von meinem [\w -]{1,30}|"
    r"enviado desde mi [\w -]{1,30}|verzonden vanaf mijn [\w -]{1,30}|skickat från min [\w -]{1,30})\.?$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:kind(?:est)?\s+regards|best\s+regards|warm(?:est)?\s+regards|with\s+(?:kind\s+)?regards|regards|"
    r"best\s+wishes|all\s+the\s+best|many\s+thanks|thanks(?:\s+(?:again|so\s+much|a\s+lot|in\s+advance))?|"
    r"thank\s+you(?:\s+(?:again|so\s+much|very\s+much))?|thx|best|cheers|sincerely|yours\s+(?:sincerely|faithfully|"
    r"truly)|respectfully|with\s+thanks|take\s+care|talk\s+soon|speak\s+soon|"
    r"mit\s+freundlichen\s+grü(?:ß|ss)en|(?:viele|beste|liebe|freundliche)\s+grü(?:ß|ss)e|(?:bien\s+)?cordialement|"
    r"bien\s+à\s+vous|saludos(?:\s+cordiales)?|un\s+saludo|atentamente|met\s+vriendelijke\s+groet(?:en)?|"
    r"(?:med\s+)?vänliga\s+hälsningar|med\s+venlig\s+hilsen|cordiali\s+saluti|atenciosamente)"
    r"\s?[,.!]{0,3}(?:\s{0,3}[-–—]?\s{0,3}(?P<name>[^\W\d_][\w'’. -]{0,40}?))?\s?[.!]?$",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"https?://|www\.|\S@\S|\+?\d[\d ()./-]{6,30}\d|"
    r"^(?:tel|phone|mobile|mob|cell|fax|direct|office|email|e-mail|web|t|m|p|f|e|w)\.?\s?[:.]\s?\S",
    re.IGNORECASE,
)
_DISCLAIMER_START = re.compile(
    r"^(?:this\s+e-?mail|this\s+message|this\s+communication|the\s+information\s+(?:contained\s+)?in|"
    r"the\s+content\s+of\s+this|confidentiality(?:\s+notice)?|confidential|disclaimer|important(?:\s+notice)?|"
    r"notice|caution|privileged|please\s+consider\s+the\s+environment|legal\s+notice)",
    re.IGNORECASE,
)
_DISCLAIMER_WORDS = re.compile(
    r"confidential|intended\s+(?:solely\s+)?(?:only\s+)?for|intended\s+recipient|addressee|privileged|disclaimer|"
    r"before\s+printing|unauthori[sz]ed|legally", re.IGNORECASE,
)
_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "del", "di", "du", "le", "la", "bin", "al", "y"})
_SUPPORT_LOCALS = frozenset({"support", "help", "helpdesk", "servicedesk", "service", "services", "care", "team",
                             "noreply", "donotreply", "customerservice", "customercare", "customersupport", "cs",
                             "techsupport", "hilfe", "kundenservice", "kundendienst", "soporte", "assistance"})
_SUPPORT_NAME = re.compile(
    r"\b(?:support|team|customer\s+(?:service|care|success)|help\s?desk|service\s?desk|kundenservice)\b", re.I
)
_PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "ich", "je", "yo", "ik", "jag"})
_SIGNATURE_ROLE = re.compile(
    r"\b(?:support|customer\s+(?:services?|care|success|experience|relations)|guest\s+(?:services?|relations)|"
    r"client\s+services?|help\s?desk|service\s?desk|care\s+team|kundenservice|kundendienst)\b",
    re.IGNORECASE,
)
# A signature line under a name: a job title or a company (``Data Analyst | Example Corp``, ``Acme GmbH``).
_TITLE_OR_COMPANY = re.compile(
    r"\s[|\u2022\u00b7]\s|\b(?:analyst|manager|engineer|developer|director|specialist|officer|consultant|"
    r"coordinator|administrator|assistant|associate|executive|lead|head\s+of|founder|co-founder|owner|president|"
    r"partner|accountant|designer|architect|advisor|adviser|representative|agent|technician|supervisor|intern|"
    r"ceo|cto|cfo|coo|vp|ltd|limited|inc|llc|gmbh|corp|corporation|plc|s\.?a\.?|b\.?v\.?|ag|pty)\b\.?",
    re.IGNORECASE,
)
_VIA = re.compile(r"\s+via\s+(?P<via>.{1,80})$", re.IGNORECASE)


@dataclass(slots=True)
class _Quote:
    """A quoted earlier message found in a body: its author as far as known, and its own zoned text."""

    name: str | None
    address: str | None
    date: datetime | None
    own: str
    quotes: list[_Quote]
    hint: bool = False  # its signature names a support role
    to: tuple[str, ...] = ()  # addresses in the To/Cc lines of its header block


@dataclass(slots=True)
class _Message:
    index: int
    line: int
    message_id: str | None
    links: tuple[str, ...]
    subject: str
    name: str | None
    address: str | None
    display_names: list[tuple[str | None, str]]  # (name, address) from From/To/Cc/Sender
    to: list[str]
    participants: frozenset[str]
    date: datetime | None
    own: str
    quotes: list[_Quote]
    has_body: bool
    hint: bool
    warnings: list[str] = field(default_factory=list)


# --- entry points --------------------------------------------------------------------------------------------------


@parser("email", suffixes=(".eml",), binary=True,
        description="One email message (.eml, RFC 5322): the reply and the quoted history inside it")
def read_email(content: bytes | str, source: str, options: IngestOptions) -> Iterator[Transcript]:
    data = _prepare(content, source)
    start, index = _first_nonblank_line(data)
    first_line = index + 1
    head = data[start:]
    if head.startswith(b"From ") and not re.match(rb"From\s*:", head):
        chunks = _split_mbox(data, source)  # an mbox-style .eml: envelope line first
    else:
        _check_headers(head, source, first_line)
        chunks = [(head, first_line)]
    yield from _transcripts(chunks, source, "email", options, single=True)


@parser("mbox", suffixes=(".mbox",), binary=True,
        description="A mailbox file (mbox): one transcript per email thread")
def read_mbox(content: bytes | str, source: str, options: IngestOptions) -> Iterator[Transcript]:
    data = _prepare(content, source)
    yield from _transcripts(_split_mbox(data, source), source, "mbox", options, single=False)


# --- zoning for other formats (helpdesk bodies that came by email) ------------------------------------------------

_QUOTE_BLOCKS = ("div.freshdesk_quote, blockquote.freshdesk_quote, div.gmail_quote, blockquote.gmail_quote, "
                 "blockquote[type=cite], div.zd-quoted, div.yahoo_quoted, div#appendonsend, div#divRplyFwdMsg")


def own_text(text: str, *, html: bool = False) -> str:
    """The author's own words in a message body, zoned as an email's: without quoted history (``>`` lines, ``On ...
    wrote:`` and everything below it, ``-----Original Message-----`` blocks), device lines, disclaimers and the
    contact block of the signature (the sign-off and the name stay). With ``html``, quoted blocks of Freshdesk,
    Gmail and Apple Mail (``blockquote`` with class ``freshdesk_quote`` / ``gmail_quote`` or ``type=cite``) are
    dropped before the markup becomes text. Returns the text unchanged when nothing of its own would be left."""
    try:
        if html:
            plain = html_to_text(text)
            lowered = text.casefold()
            if any(marker in lowered for marker in ("quote", "type=\"cite\"", "type=cite", "appendonsend",
                                                     "divrplyfwdmsg", "yahoo_quoted")):
                soup = parse_html(text)
                for block in soup.select(_QUOTE_BLOCKS):
                    block.decompose()
                text = str(soup)
            body = _html_body(text, [], "")
        else:
            plain = body = text.replace("\r\n", "\n").replace("\r", "\n")
        own, _, _ = _zone(body, 0, None)
    except (RecursionError, ValueError, TypeError, AttributeError):
        return text if not html else _safe_plain(text)
    return own if own.strip() else plain


def _safe_plain(markup: str) -> str:
    try:
        return html_to_text(markup)
    except RecursionError:
        return re.sub(r"<[^<>]{0,2000}>", " ", markup).strip()


# --- bytes to messages ---------------------------------------------------------------------------------------------


def _prepare(content: bytes | str, source: str) -> bytes:
    data = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else bytes(content)
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        raise InputError(source, "file is empty; expected an email", code="empty")
    if data.startswith(_OLE_MAGIC):
        raise InputError(source, "looks like an Outlook .msg file (a binary format), not an email; save the message "
                         "as .eml (File > Save As) and read that", line=1, code="malformed_email")
    sample = data[:65536]
    if b"\x00" in sample or len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > 0.01 * len(sample):
        raise InputError(source, f"looks like a binary file, not an email; {_HEADERS_EXPECTED}", line=1,
                         code="malformed_email")
    return data


def _show(line: bytes) -> str:
    text = line.decode("utf-8", "replace").strip()
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def _check_headers(head: bytes, source: str, line: int) -> None:
    lines = head.split(b"\n", 200)
    if not _HEADER_LINE.match(lines[0]):
        raise InputError(source, f"{_HEADERS_EXPECTED}; got {_show(lines[0])}", line=line, code="malformed_email")
    names = set()
    for raw in lines[:200]:
        if not raw.strip():
            break
        if _HEADER_LINE.match(raw):
            names.add(raw.split(b":", 1)[0].strip().lower().decode("ascii", "replace"))
    if not names & _KNOWN_HEADERS:
        raise InputError(source, f"no email headers found ({', '.join(sorted(names))[:80]}); {_HEADERS_EXPECTED}",
                         line=line, code="malformed_email")


def _split_mbox(data: bytes, source: str) -> Iterator[tuple[bytes, int]]:
    """The messages of an mbox, one at a time, with the line of their ``From `` separator; ``>From `` escapes are
    undone. The mailbox is not split into lines first: memory holds its bytes once, and one message's lines."""
    first, index = _first_nonblank_line(data)
    if not data.startswith(b"From ", first) or data.startswith(b"From:", first):
        raise InputError(
            source,
            f"expected an mbox file that starts with a 'From ' separator line, got {_show(_line_at(data, first))} "
            "(a single message should be saved as .eml)",
            line=index + 1,
            code="malformed_email",
        )
    separators = _separators(data, first, index)
    start, line = next(separators)
    for following in itertools.chain(separators, [None]):
        end = following[0] - 1 if following else len(data)  # the newline before the next separator
        body_start = data.find(b"\n", start, end) + 1 or end  # after the separator line, if it has a newline
        lines = data[body_start:end].split(b"\n")
        yield b"\n".join(text[1:] if _ESCAPED_FROM.match(text) else text for text in lines), line
        if following:
            start, line = following


def _first_nonblank_line(data: bytes) -> tuple[int, int]:
    """Byte offset and 0-based number of the first line with more than white space on it (there is one)."""
    start = index = 0
    while not _line_at(data, start).strip():
        start = data.index(b"\n", start) + 1
        index += 1
    return start, index


def _line_at(data: bytes, start: int) -> bytes:
    """The line of ``data`` that starts at offset ``start``, without its newline."""
    end = data.find(b"\n", start)
    return data[start:] if end < 0 else data[start:end]


def _separators(data: bytes, first: int, index: int) -> Iterator[tuple[int, int]]:
    """Offset and 1-based line number of each message's ``From `` separator: the first line, then every line that
    starts with ``From ``, is followed by a header line and comes after a blank line or reads as an envelope (``From
    sender Mon Jan  1 10:00:00 2024``)."""
    yield first, index + 1
    counted = first
    newline = data.find(b"\nFrom ", first)
    while newline >= 0:
        start = newline + 1
        newline = data.find(b"\nFrom ", start)
        index += data.count(b"\n", counted, start)
        counted = start
        end = data.find(b"\n", start)
        if end < 0 or not _HEADER_LINE.match(_line_at(data, end + 1)):
            continue
        if not _line_at(data, data.rfind(b"\n", 0, start - 1) + 1).strip() or _ENVELOPE.match(data[start:end]):
            yield start, index + 1


def _transcripts(chunks: Iterable[tuple[bytes, int]], source: str, fmt: str, options: IngestOptions,
                 *, single: bool) -> Iterator[Transcript]:
    file_warnings: list[str] = []
    messages: list[_Message] = []
    seen_ids: set[str] = set()
    count = 0
    for index, (chunk, line) in enumerate(chunks):
        count += 1
        try:
            message = _read_message(chunk, line, index)
        except InputError:
            raise
        except Exception as exc:  # the email package must never take the run down
            if single:
                raise InputError(source, f"could not be read as an email ({type(exc).__name__}: {exc}); "
                                 f"{_HEADERS_EXPECTED}", line=line, code="malformed_email") from None
            file_warnings.append(f"message at line {line} could not be read ({type(exc).__name__}); skipped")
            continue
        if message.message_id and message.message_id in seen_ids:
            file_warnings.append(f"message at line {line}: same Message-ID as an earlier message; read once")
            continue
        if message.message_id:
            seen_ids.add(message.message_id)
        messages.append(message)

    stem = source_stem(source)
    conversations: list[Conversation] = []
    threads = _threads(messages, options)
    prepared = [_thread_entries(thread) for thread in threads]
    roles = _decide_roles([entries for entries, _, _ in prepared], options)
    roster_hit = any(_in_roster(entry, options) for entries, _, _ in prepared for entry in entries)
    for number, (thread, (entries, warnings, _)) in enumerate(zip(threads, prepared, strict=True), 1):
        if thread[0].message_id:
            thread_id = thread[0].message_id
        else:
            thread_id = stem if single and count == 1 else f"{stem}-{number}"
        turns = [_raw_turn(entry, roles, options, roster_hit) for entry in entries]
        if not turns:
            file_warnings.append(f"thread {thread_id!r} has no message with body text; skipped")
            continue
        conversations.append(Conversation(tuple(turns), id=thread_id, channel="email", warnings=tuple(warnings)))
    if not conversations:
        what = "the email has" if single and count == 1 else "no message in the mailbox has"
        raise InputError(source, f"{what} no body text (expected a text/plain or text/html part)", code="no_turns")
    for i, conversation in enumerate(conversations):
        if i == 0 and file_warnings:
            conversation = Conversation(conversation.turns, id=conversation.id, channel="email",
                                        warnings=tuple(file_warnings) + conversation.warnings)
        yield finish(conversation, source=source, format=fmt, options=options)


# --- one message ---------------------------------------------------------------------------------------------------


def _read_message(data: bytes, line: int, index: int) -> _Message:
    where = f"message at line {line}"
    boundaries = data.count(b"\n--")
    if boundaries > _MAX_PART_LINES:
        raise ValueError(f"{boundaries:,} lines start with '--' (MIME part boundaries), over the {_MAX_PART_LINES:,} "
                         "a support email could have")
    msg = BytesParser(policy=_POLICY).parsebytes(data)
    warnings: list[str] = []

    message_id = _first_id(_raw_header(msg, "Message-ID"))
    links = tuple(dict.fromkeys(_ids(_raw_header(msg, "In-Reply-To")) + _ids(_raw_header(msg, "References"))))
    subject = _normalise_subject(_header_text(msg, "Subject") or "")

    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    name, address = senders[0] if senders else (None, None)
    if name is None and address is None:
        warnings.append(f"{where}: no From header; the author is unknown")
    to = _addresses(msg, "To")
    cc = _addresses(msg, "Cc")
    display_names = [(n, a) for n, a in senders[:1] + to + cc if a]
    participants = frozenset(a for _, a in senders[:1] + to + cc if a)
    hint = bool(address and _support_address(address)) or any(_support_name(n) for n, _ in senders[:1] if n)

    date = None
    raw_date = _raw_header(msg, "Date")
    if raw_date:
        date = _parse_date_header(raw_date)
        if date is None:
            warnings.append(f"{where}: unreadable Date header {raw_date[:60]!r}; its turn has no timestamp")
    else:
        warnings.append(f"{where}: no Date header; its turn has no timestamp")

    body = _body_text(msg, warnings, where)
    _defect_warnings(msg, warnings, where)
    own, quotes, signed = _zone(body, 0, date.tzinfo if date else None) if body.strip() else ("", [], False)
    return _Message(
        index=index, line=line, message_id=message_id, links=links, subject=subject, name=_clean_name(name),
        address=address, display_names=[(_clean_name(n), a) for n, a in display_names], to=[a for _, a in to if a],
        participants=participants, date=date, own=own, quotes=quotes, has_body=bool(body.strip()), hint=hint or signed,
        warnings=warnings,
    )


class _BoundedPolicy(EmailPolicy):
    """``email.policy.default``, except that a header is cut to ``_MAX_STRUCTURED_HEADER`` characters before it is
    parsed (no genuine Content-Type or Content-Disposition is that long), and that a header already parsed is not
    parsed again: the email package parses a header on every read (``get_content_type`` and its kin read
    Content-Type each time), and most values recur from message to message (``text/plain; charset="utf-8"``, the
    support address). Parsing depends on the name and value alone, and the parsed header is read, never changed."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):  # already parsed
            return value
        if len(value) > _MAX_STRUCTURED_HEADER:
            value = value[:_MAX_STRUCTURED_HEADER]
        return _parsed_header(self, name, value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(policy: EmailPolicy, name: str, value: str):
    return EmailPolicy.header_fetch_parse(policy, name, value)


_POLICY = _BoundedPolicy()


def _clean(text: str) -> str:
    """Text without lone surrogates (8-bit bytes the email package could not decode)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeError:
            return text.encode("utf-8", "replace").decode("utf-8")


def _raw_header(msg: Message, name: str) -> str | None:
    try:
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return _clean(re.sub(r"\r?\n[ \t]+", " ", str(value))).strip()
    except Exception:
        pass
    return None


def _header_text(msg: Message, name: str) -> str | None:
    raw = _raw_header(msg, name)
    if raw is None:
        return None
    try:
        if len(raw) > _MAX_STRUCTURED_HEADER:
            raise LookupError(name)  # the email package's parse is superlinear: decode the raw text below
        value = msg.get(name)
        return None if value is None else _clean(str(value))
    except Exception:
        try:
            return _clean(str(make_header(decode_header(raw))))
        except Exception:
            return raw


def _addresses(msg: Message, name: str) -> list[tuple[str | None, str | None]]:
    """(display name, lower-case address) pairs of an address header; never raises."""
    out: list[tuple[str | None, str | None]] = []
    raw = _raw_header(msg, name)
    if not raw:
        return []
    try:
        header = msg.get(name) if len(raw) <= _MAX_STRUCTURED_HEADER else None
        if header is None:
            raise LookupError(name)  # read the raw text below
        for item in getattr(header, "addresses", ()):
            addr = _clean(item.addr_spec) if item.domain else ""
            display = _clean(item.display_name or "") or None
            if "@" in addr:
                out.append((display, addr.casefold()))
            elif display or item.username:
                out.append((display or _clean(item.username), None))
        if out:
            return out
    except Exception:
        pass
    try:
        pairs = getaddresses([raw])
    except Exception:
        pairs = []
    for display, addr in pairs:
        display = _decoded(display)
        if "@" in addr:
            out.append((display or None, addr.casefold()))
        elif display or addr:
            out.append((display or addr, None))
    return out


def _decoded(text: str) -> str:
    """Encoded words (``=?utf-8?q?...?=``) decoded, as the structured parse would have done."""
    if "=?" not in text:
        return text
    try:
        return _clean(str(make_header(decode_header(text))))
    except Exception:
        return text


def _first_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MSG_ID.findall(value)
    if not found:
        found = [token.strip("<>,;") for token in value.split() if "@" in token]
    return [f.strip() for f in found if f.strip()][:200]


def _normalise_subject(subject: str) -> str:
    text = subject
    for _ in range(20):
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _SPACES.sub(" ", text).strip().casefold()


def _parse_date_header(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _defect_warnings(msg: Message, warnings: list[str], where: str) -> None:
    kinds: dict[str, None] = {}
    try:
        for part in msg.walk():
            for defect in getattr(part, "defects", ()):
                words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
                kinds.setdefault(words, None)
    except Exception:
        return
    if kinds:
        warnings.append(f"{where}: damaged email structure ({', '.join(list(kinds)[:5])}); read as far as possible")


# --- bodies --------------------------------------------------------------------------------------------------------


def _body_text(msg: Message, warnings: list[str], where: str) -> str:
    pieces = []
    for kind, part in _text_parts(msg, 0):
        text = _part_text(part, warnings, where)
        if kind == "html":
            text = _html_body(text, warnings, where)
        if text.strip():
            pieces.append(text.strip("\n"))
    return "\n\n".join(pieces)


def _text_parts(part: Message, depth: int) -> list[tuple[str, Message]]:
    """The body parts to read, in order: text/plain preferred to text/html inside multipart/alternative."""
    if depth > _MAX_DEPTH:
        return []
    try:
        ctype = part.get_content_type()
        if part.get_content_maintype() == "message":
            return []  # an attached (forwarded) message is an attachment
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return []
            if ctype == "multipart/alternative":
                options = [_text_parts(child, depth + 1) for child in children]
                plain = [o for o in options if any(kind == "plain" for kind, _ in o)]
                if plain:
                    return plain[0]
                rest = [o for o in options if o]
                return rest[-1] if rest else []
            return [found for child in children for found in _text_parts(child, depth + 1)]
        if ctype not in ("text/plain", "text/html") or _is_attachment(part):
            return []
        return [("plain" if ctype == "text/plain" else "html", part)]
    except Exception:
        return []


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
        if disposition == "attachment":
            return True
        return disposition != "inline" and bool(part.get_filename())
    except Exception:
        return False


def _part_text(part: Message, warnings: list[str], where: str) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        try:
            raw = part.get_payload()
        except Exception:
            raw = None
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    elif isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = _decode_bytes(payload, charset, warnings, where)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    try:
        flowed = str(part.get_param("format") or "").lower() == "flowed"
        delsp = str(part.get_param("delsp") or "").lower() == "yes"
    except Exception:
        flowed = delsp = False
    return _unflow(text, delsp) if flowed else text


def _decode_bytes(payload: bytes, declared: str | None, warnings: list[str], where: str) -> str:
    name = None
    if declared:
        try:
            name = codecs.lookup(declared).name
        except (LookupError, ValueError):
            warnings.append(f"{where}: unknown charset {declared!r}; read as UTF-8 where possible")
    if name == "iso8859-1":  # read as the superset mail clients use
        candidates = ["cp1252", "latin-1"]
    elif name == "ascii":
        candidates = ["ascii", "utf-8", "cp1252"]
    else:
        candidates = ([name] if name else []) + ["utf-8", "cp1252"]
    for i, encoding in enumerate(dict.fromkeys(candidates)):
        try:
            text = payload.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if i > 0 and encoding != "latin-1":
            said = f"declared as {declared} but not valid {declared}" if name else "with no charset and not UTF-8"
            warnings.append(f"{where}: text {said}; read as {encoding} (a guess: check accented letters)")
        return text
    warnings.append(f"{where}: text is not valid {declared or 'UTF-8'}; unreadable characters replaced")
    try:
        return payload.decode(name or "utf-8", errors="replace")
    except (LookupError, ValueError):
        return payload.decode("utf-8", errors="replace")


def _blockquotes(root: Tag) -> list[tuple[Tag, int]]:
    """The first blockquotes of a document, up to ``_MAX_DEPTH`` deep, with their depth (one pass, no recursion)."""
    from bs4 import Tag

    found: list[tuple[Tag, int]] = []
    stack: list[tuple[Tag, int]] = [(root, 0)]
    while stack and len(found) < _MAX_BLOCKQUOTES:
        node, depth = stack.pop()
        for child in node.children:
            if isinstance(child, Tag):
                inner = depth + (child.name == "blockquote")
                if inner > depth and inner <= _MAX_DEPTH:
                    found.append((child, inner))
                stack.append((child, inner))
    return found[:_MAX_BLOCKQUOTES]


def _unflow(text: str, delsp: bool) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676)."""
    out: list[str] = []
    buffer: str | None = None
    buffer_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        if buffer is not None and depth == buffer_depth:
            buffer += content
        else:
            if buffer is not None:
                out.append(_requote(buffer, buffer_depth))
            buffer, buffer_depth = content, depth
        if not soft:
            out.append(_requote(buffer, buffer_depth))
            buffer = None
    if buffer is not None:
        out.append(_requote(buffer, buffer_depth))
    return "\n".join(out)


def _requote(text: str, depth: int) -> str:
    return ("> " * depth + text) if depth else text


def _html_body(markup: str, warnings: list[str], where: str) -> str:
    """HTML to text, with blockquotes as ``>`` lines and signature blocks after a ``--`` line."""
    lowered = markup.casefold()
    if "<blockquote" not in lowered and "signature" not in lowered:
        return html_to_text(markup)  # nothing to mark: parse once
    try:
        soup = parse_html(markup)
        signatures = "div.gmail_signature, div.moz-signature, div#Signature, div#signature"
        for signature in soup.select(signatures) if "signature" in lowered else ():
            marker = soup.new_tag("div")
            marker.string = "-- "
            signature.insert_before(marker)
        for quote, _ in sorted(_blockquotes(soup), key=lambda pair: -pair[1]):  # innermost first
            inner = html_to_text(quote.decode_contents())
            block = soup.new_tag("div")
            for text_line in inner.split("\n"):
                block.append("> " + text_line if text_line else ">")
                block.append(soup.new_tag("br"))
            quote.replace_with(block)
        return html_to_text(str(soup))
    except RecursionError:
        warnings.append(f"{where}: HTML nested too deeply to keep its layout; read as plain text")
    except Exception:
        warnings.append(f"{where}: HTML body could not be read cleanly; read as plain text")
    try:
        return parse_html(markup).get_text("\n").strip()
    except Exception:
        return re.sub(r"<[^<>]{0,2000}>", " ", markup).strip()


# --- zoning --------------------------------------------------------------------------------------------------------


def _zone(text: str, depth: int, tz: tzinfo | None) -> tuple[str, list[_Quote], bool]:
    """The author's own text of a body, the messages it quotes (each zoned in turn, oldest last) and whether the
    author's signature names a support role."""
    lines = text.split("\n")
    if depth >= _MAX_DEPTH:
        text, signed = _own_text(lines)
        return text, [], signed
    quotes: list[_Quote] = []
    boundary = _history_start(lines)
    if boundary is not None:
        quotes.append(_history_quote(lines[boundary:], depth, tz))
        lines = lines[:boundary]

    own: list[str] = []
    groups: list[tuple[_Attribution | None, list[str]]] = []
    current: tuple[_Attribution | None, list[str]] | None = None
    interrupted = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(">"):
            if current is None:
                current = (None, [])
                groups.append(current)
            elif interrupted and current[1]:
                current[1].append("")
            interrupted = False
            body = line[1:]
            current[1].append(body[1:] if body.startswith(" ") else body)
            i += 1
            continue
        found = _attribution_at(lines, i)
        if found is not None and _next_is_quoted(lines, i + found[1]):
            current = (found[0], [])
            groups.append(current)
            interrupted = False
            i += found[1]
            continue
        if line.strip():
            interrupted = True
        own.append(line)
        i += 1
    for attribution, quoted in groups:
        inner_own, inner_quotes, signed = _zone("\n".join(quoted), depth + 1, tz)
        who = attribution or _Attribution(None, None, None)
        quotes.append(_Quote(who.name, who.address, _attribution_date(who.date, tz), inner_own, inner_quotes, signed))
    text, signed = _own_text(own)
    return text, quotes, signed


@dataclass(frozen=True, slots=True)
class _Attribution:
    name: str | None
    address: str | None
    date: str | None


def _attribution_at(lines: list[str], i: int) -> tuple[_Attribution, int, bool] | None:
    """An attribution line (or two or three wrapped lines) at ``lines[i]``: (who, lines used, strong)."""
    first = lines[i].strip()
    if not first or len(first) > _MAX_ATTRIBUTION:
        return None
    candidates = [(first, 1)]
    if first.startswith(_ATTRIBUTION_OPENERS) and first[-1] not in ".!?":
        joined = first
        for extra in (1, 2):
            if i + extra >= len(lines) or not lines[i + extra].strip() or lines[i + extra].startswith(">"):
                break
            joined = f"{joined} {lines[i + extra].strip()}"
            if len(joined) > _MAX_ATTRIBUTION:
                break
            candidates.append((joined, extra + 1))
    for text, used in candidates:
        for pattern in _ATTRIBUTIONS:
            match = pattern.match(text)
            if match:
                groups = match.groupdict()
                if "rest" in groups:
                    date, who = _split_date_author(groups["rest"])
                else:
                    date, who = groups["date"], groups["who"]
                name, address = _name_and_address(who)
                if name and name.split()[-1].casefold() in _PRONOUNS:
                    return None  # "On Monday I wrote:" is the author's own sentence
                strong = bool(re.search(r"\d|@", text))
                return _Attribution(name, address, date), used, strong
    match = _WEAK_ATTRIBUTION.match(first)
    if match:
        name, address = _name_and_address(match["who"])
        if name and len(name.split()) > 5:
            return None  # a sentence that ends in "wrote:", not a name
        return _Attribution(name, address, None), 1, False
    return None


def _next_is_quoted(lines: list[str], i: int) -> bool:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i < len(lines) and lines[i].startswith(">")


def _split_date_author(rest: str) -> tuple[str | None, str]:
    address = _ADDRESS.search(rest)
    head = rest[: address.start()] if address else rest
    times = list(_TIME.finditer(head))
    if times:
        end = times[-1].end()
        return rest[:end], rest[end:]
    comma = head.rfind(",")
    if comma > 0:
        return rest[:comma], rest[comma + 1:]
    return None, rest


def _name_and_address(who: str | None) -> tuple[str | None, str | None]:
    if not who:
        return None, None
    found = _ADDRESS.search(who)
    address = found.group(0).casefold() if found else None
    name = _ADDRESS.sub(" ", who) if found else who
    name = re.sub(r"mailto:|[<>\[\]()\"]", " ", name)
    return _clean_name(name), address


def _clean_name(name: str | None) -> str | None:
    if not name or len(name) > 300:
        return None
    name = _VIA.sub("", name)
    name = _SPACES.sub(" ", name).strip(" ,;:'\"\t")
    if not name or "@" in name or len(name) > 80:
        return None
    return name


def _attribution_date(text: str | None, tz: tzinfo | None) -> datetime | None:
    if not text:
        return None
    cleaned = re.sub(r"\s(?:at|um|à|a las|às|om|kl\.?|alle)\s", " ", f" {text} ", flags=re.IGNORECASE)
    cleaned = cleaned.replace("Uhr", " ").replace("(", " ").replace(")", " ")
    cleaned = _DOTTED_DATE.sub(lambda m: f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}", cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip(" ,")
    try:
        parsed = read_time_value(cleaned)  # numeric dates day first, as everywhere (03/04/2026 is 3 April)
    except Exception:
        return None
    if not isinstance(parsed, datetime):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or timezone.utc)
    return parsed


def _field(line: str) -> tuple[str, str] | None:
    if len(line) > 2000:
        return None
    match = _FIELD.match(line.strip())
    if not match:
        return None
    return match["key"].casefold(), match["value"].strip()


def _is_header_block(lines: list[str], i: int) -> bool:
    """A quoted message's header block at ``lines[i]``: ``From:`` and two more header lines below it."""
    stripped = lines[i].strip()
    if _INLINE_HEADERS.match(stripped[:1000]):
        return True
    parsed = _field(stripped)
    if parsed is None or parsed[0] not in _FROM_KEYS or not parsed[1]:
        return False
    keys = set()
    for line in lines[i + 1: i + 8]:
        if not line.strip():
            if keys:
                break
            continue
        other = _field(line)
        if other is None:
            break
        if other[0] in _OTHER_KEYS:
            keys.add(other[0])
    return len(keys) >= 2


def _history_start(lines: list[str]) -> int | None:
    """Where top-posted history begins: a separator, a header block or an attribution with unquoted text after it."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or line.startswith(">") or len(stripped) > 2000:
            continue
        if _SEPARATOR.match(stripped):
            return i
        if _RULE.match(stripped):
            j = i + 1
            while j < len(lines) and j <= i + 3 and not lines[j].strip():
                j += 1
            if j < len(lines) and _is_header_block(lines, j):
                return i
        if _is_header_block(lines, i):
            return i
        if stripped.startswith(_ATTRIBUTION_OPENERS):
            found = _attribution_at(lines, i)
            if found is not None and found[2] and not _next_is_quoted(lines, i + found[1]):
                return i
    return None


def _history_quote(lines: list[str], depth: int, tz: tzinfo | None) -> _Quote:
    i = 0
    name = address = date = None
    first = lines[0].strip()
    if _SEPARATOR.match(first) or _RULE.match(first):
        i = 1
        while i < len(lines) and not lines[i].strip():
            i += 1
    elif first.startswith(_ATTRIBUTION_OPENERS) and not _is_header_block(lines, 0):
        found = _attribution_at(lines, 0)
        if found is not None:
            name, address, date = found[0].name, found[0].address, found[0].date
            i = found[1]
    if i < len(lines) and _INLINE_HEADERS.match(lines[i].strip()[:1000]):
        fields = re.split(r"\s(?=\*{0,2}(?:Sent|Date|To|Cc|Subject)\*{0,2}:)", lines[i].strip(), flags=re.I)
        lines = lines[:i] + fields + [""] + lines[i + 1:]
    headers: dict[str, str] = {}
    while i < len(lines):
        parsed = _field(lines[i])
        known = parsed is not None and (parsed[0] in _FROM_KEYS or parsed[0] in _OTHER_KEYS)
        if parsed is None or not (known or "from" in headers):  # "Importance: High" and the like inside the block
            break
        headers.setdefault(_canonical_key(parsed[0]), parsed[1])
        i += 1
    if "from" in headers:
        name, address = _name_and_address(headers["from"])
    if "date" in headers:
        date = headers["date"]
    recipients = tuple(found.group(0).casefold() for key in ("to", "cc", "an", "à", "a", "para", "aan", "till",
                                                              "til", "per", "kopie", "copie", "kopia", "kopi")
                       if key in headers for found in _ADDRESS.finditer(headers[key][:2000]))
    own, quotes, signed = _zone("\n".join(lines[i:]), depth + 1, tz)
    return _Quote(name, address, _attribution_date(date, tz), own, quotes, signed, recipients)


def _canonical_key(key: str) -> str:
    if key in _FROM_KEYS:
        return "from"
    if key in _DATE_KEYS:
        return "date"
    return key


def _own_text(lines: list[str]) -> tuple[str, bool]:
    """The author's own lines without signature, disclaimer and device lines (see the module docstring), and
    whether the dropped signature names a support role (``Customer Service``, ``Guest Services``...)."""
    kept: list[str] = []
    signature: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == "--":
            signature = lines[i + 1:]
            kept = _name_after_delimiter(kept, signature)
            break
        if len(stripped) <= 120 and _DEVICE.match(re.sub(r"\s?<[^<>]{0,300}>$", "", stripped)):
            continue
        kept.append(line.rstrip())
    kept = _drop_disclaimer(kept)
    kept, contact = _trim_sign_off(kept)
    signed = any(len(line) <= 200 and _SIGNATURE_ROLE.search(line) for line in contact + signature[:10])
    text = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n"), signed


def _name_after_delimiter(kept: list[str], signature: list[str]) -> list[str]:
    """``Warm regards,`` then ``-- `` then ``Ines Duarte``: the name belongs to the sign-off."""
    filled = [line.strip() for line in kept if line.strip()]
    closing = _CLOSING.match(filled[-1]) if filled and len(filled[-1]) <= 80 else None
    if closing is None or closing["name"]:
        return kept
    first = next((line.strip() for line in signature if line.strip()), "")
    name = first.split(" | ")[0].strip()
    if not _name_like(name):
        return kept
    while kept and not kept[-1].strip():
        kept.pop()
    return kept + [name]


def _paragraph_starts(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip() and (i == 0 or not lines[i - 1].strip())]


def _drop_disclaimer(lines: list[str]) -> list[str]:
    """Without a closing legal disclaimer: a paragraph among the last three, or a line inside the closing signature
    block (right after a short signature line, as Outlook appends it), that starts like one and reads like one."""
    starts = _paragraph_starts(lines)
    candidates = set(starts[1:][-3:])
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for position in range(max(1, len(filled) - 12), len(filled)):
        i, before = filled[position], filled[position - 1]
        if before == i - 1 and len(lines[before].strip()) <= 80 and _signature_like(lines[before]):
            candidates.add(i)
    for start in sorted(candidates):
        end = next((s for s in starts if s > start), len(lines))
        paragraph = " ".join(line.strip() for line in lines[start:end])
        if _DISCLAIMER_START.match(paragraph) and _DISCLAIMER_WORDS.search(paragraph[:3000]):
            if start in starts or _DISCLAIMER_START.match(paragraph).group(0).isupper() or \
                    len(paragraph) >= 80 or start == filled[-1]:  # or the last line of all
                return lines[:start]
    return lines


def _signature_like(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > 80:
        return False
    if _CONTACT.search(stripped):
        return True
    return not (len(stripped.split()) >= 4 and stripped[-1] in ".?!:")


def _name_like(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 4 or len(text) > 40 or any(ch.isdigit() for ch in text) or "@" in text:
        return False
    if any(ch in text for ch in ":;/\\|!?"):
        return False
    return all(w[0].isupper() or w.casefold() in _NAME_PARTICLES for w in words)


def _trim_sign_off(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines to keep and the contact lines dropped after a sign-off (or after a closing name block)."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) < 2:
        return lines, []
    for position in range(len(filled) - 1, max(len(filled) - 9, 0), -1):
        c = filled[position]
        stripped = lines[c].strip()
        match = _CLOSING.match(stripped) if len(stripped) <= 80 else None
        if not match or (match["name"] and not _name_like(match["name"].strip(" .-"))):
            continue
        after = filled[position + 1:]
        if len(after) > 7 or not all(_signature_like(lines[j]) for j in after):
            return lines, []
        if any(re.match(r"p\.?\s?s\b", lines[j].strip(), re.IGNORECASE) for j in after):
            return lines, []
        kept = lines[: c + 1]
        if not match["name"] and after:
            name = lines[after[0]].strip().split(" | ")[0].strip()
            if _name_like(name):
                kept.append(name)
        return kept, lines[c + 1:]
    # no sign-off: a last paragraph that starts with a name and carries contact details, a job title or a company
    # name keeps only the name
    starts = _paragraph_starts(lines)
    if len(starts) >= 2:
        block = [j for j in filled if j >= starts[-1]]
        name = lines[block[0]].strip().split(" | ")[0].strip()
        if (len(block) <= 7 and _name_like(name) and all(_signature_like(lines[j]) for j in block)
                and any(_CONTACT.search(lines[j]) or _TITLE_OR_COMPANY.search(lines[j]) for j in block[1:])):
            return lines[: block[0]] + [name], lines[block[0]:]
    return lines, []


# --- threads and turns ---------------------------------------------------------------------------------------------


def _threads(messages: list[_Message], options: IngestOptions) -> list[list[_Message]]:
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    for m in messages:
        node = f"m{m.index}"
        find(node)
        if m.message_id:
            union(node, "id:" + m.message_id)
        for link in m.links:
            union(node, "id:" + link)

    # Messages without links join a message with the same subject and a participant in common.
    by_subject: dict[str, dict[str, list[_Message]]] = {}
    for m in messages:
        if m.subject:
            bucket = by_subject.setdefault(m.subject, {})
            for address in m.participants:
                holders = bucket.setdefault(address, [])
                if len(holders) < 3:
                    holders.append(m)
    for m in messages:
        if m.links or not m.subject:
            continue
        bucket = by_subject.get(m.subject, {})
        mine = frozenset(a for a in m.participants if not _hub(a, options))
        for address in sorted(mine):
            for other in bucket.get(address, ()):
                if other is m:
                    continue
                theirs = frozenset(a for a in other.participants if not _hub(a, options))
                shared = mine & theirs
                if mine - shared and theirs - shared:
                    continue  # one sender writing to two different people: two conversations
                union(f"m{other.index}", f"m{m.index}")
                break

    groups: dict[str, list[_Message]] = {}
    for m in messages:
        groups.setdefault(find(f"m{m.index}"), []).append(m)
    threads = [_ordered(group) for group in groups.values()]
    threads.sort(key=lambda thread: min(m.index for m in thread))
    return threads


def _hub(address: str, options: IngestOptions) -> bool:
    """An address that takes part in many threads (a support mailbox, the agents' domain): no evidence of one."""
    if _support_address(address):
        return True
    domain = address.rsplit("@", 1)[-1]
    return any(domain == d or domain.endswith("." + d) for d in (x.casefold().lstrip("@") for x in
                                                                  options.agent_domains))


def _ordered(messages: list[_Message]) -> list[_Message]:
    """Messages by date; one without a date stays right after the message before it in the file."""
    in_file = sorted(messages, key=lambda m: m.index)
    keys: list[datetime | None] = []
    last: datetime | None = None
    for m in in_file:
        last = m.date or last
        keys.append(last)
    first_known = next((k for k in keys if k is not None), None)
    if first_known is None:
        return in_file
    ranked = sorted(zip(keys, in_file, strict=True), key=lambda pair: (pair[0] or first_known, pair[1].index))
    return [m for _, m in ranked]


@dataclass(frozen=True, slots=True)
class _People:
    names: dict[str, str]  # address -> display name
    addresses: dict[str, str]  # casefolded display name -> address (only when one address has that name)


def _people(thread: list[_Message]) -> _People:
    """Who is who in a thread: one display name per address (senders first), and names back to addresses."""
    names: dict[str, str] = {}
    for m in thread:
        if m.address and m.name:
            names.setdefault(m.address, m.name)
    for m in thread:
        for name, address in m.display_names:
            if address and name:
                names.setdefault(address, name)
    for m in thread:
        for quote in _walk_quotes(m.quotes):
            if quote.address and quote.name:
                names.setdefault(quote.address, quote.name)
    by_name: dict[str, set[str]] = {}
    for address, name in names.items():
        by_name.setdefault(name.casefold(), set()).add(address)
    addresses = {key: next(iter(found)) for key, found in by_name.items() if len(found) == 1}
    return _People(names, addresses)


def _walk_quotes(quotes: list[_Quote]) -> Iterator[_Quote]:
    stack = list(quotes)
    while stack:
        quote = stack.pop()
        yield quote
        stack.extend(quote.quotes)


@dataclass(slots=True)
class _Entry:
    """One turn of a thread before its role is known: a message's own text or a quoted earlier message."""

    text: str
    name: str | None
    address: str | None
    date: datetime | None
    line: int
    hint: bool  # the author's display name, mailbox or signature says support
    recipients: tuple[str, ...]  # addresses it was sent to (To/Cc), when known
    key: str = ""


def _thread_entries(thread: list[_Message]) -> tuple[list[_Entry], list[str], _People]:
    """The turns of a thread in order (quoted history before the message quoting it), repeats left out."""
    people = _people(thread)
    quoted = {m.index: _flatten(m.quotes, 1, m) if m.has_body else [] for m in thread}
    warnings: list[str] = []
    entries: list[_Entry] = []
    own = [_Text(m.own) for m in thread]
    exact = {text.key for text in own if text.key}
    taken: list[_Text] = []
    for position, m in enumerate(thread):
        warnings.extend(m.warnings)
        where = f"message at line {m.line}"
        if not m.has_body:
            warnings.append(f"{where}: no body text; skipped")
            continue
        # Quoted text that repeats a message of the thread (or a quote already taken) is not a new turn. Exact
        # repeats are found anywhere; reworded ones among nearby messages, so that long threads stay linear.
        nearby = own[max(0, position - _NEARBY): position + 20] + taken[-_NEARBY:]
        for entry in quoted[m.index]:
            quote = _Text(entry.text, by_line=True)
            if not quote.key or quote.key in exact or any(_same_text(quote, other) for other in nearby):
                continue
            taken.append(quote)
            nearby.append(quote)
            exact.add(quote.key)
            entry.line = m.line
            entries.append(entry)
        if m.own:
            recipients = tuple(a for a in sorted(m.participants) if a != m.address)
            entries.append(_Entry(m.own, m.name, m.address, m.date, m.line, m.hint, recipients))
        else:
            warnings.append(f"{where}: no text of its own (only quoted text or a signature); no turn for it")
    for entry in entries:
        if entry.address is None and entry.name:
            entry.address = people.addresses.get(entry.name.casefold())
        known = people.names.get(entry.address) if entry.address else None
        if known and not (entry.name and _other_person(entry.name, known)):
            entry.name = known  # one name per address ("Sam" quoted, "Sam Porter" writing)
        entry.key = entry.address or (f"name:{entry.name.casefold()}" if entry.name else "")
    return entries, warnings, people


def _other_person(name: str, other: str) -> bool:
    """Whether two display names of one address name different people (no word in common: "Graham Pike" and "Priya
    Shah" writing from a shared billing@ mailbox), not one person written two ways ("Sam", "Porter, Sam")."""
    return not set(_WORDS.findall(name.casefold())) & set(_WORDS.findall(other.casefold()))


def _flatten(quotes: list[_Quote], depth: int, m: _Message) -> list[_Entry]:
    """Quoted messages as entries, oldest first."""
    out: list[_Entry] = []
    for quote in quotes:
        out.extend(_flatten(quote.quotes, depth + 1, m))
        name, address = quote.name, quote.address
        if name is None and address is None:
            others = [a for a in m.to if a != m.address]
            if len(others) == 1 and m.address:
                address = others[0] if depth % 2 else m.address
        if quote.own.strip():
            out.append(_Entry(quote.own, name, address, quote.date, m.line, quote.hint, tuple(quote.to)))
    return out


# --- roles: decided once per file, so that one address keeps one role in every thread ------------------------------

_FREE_MAIL = frozenset(
    "gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com ymail.com icloud.com me.com mac.com "
    "aol.com gmx.com gmx.de gmx.net web.de proton.me protonmail.com mail.com yandex.com yandex.ru zoho.com "
    "fastmail.com hey.com t-online.de orange.fr free.fr laposte.net libero.it qq.com 163.com".split()
)
_SUPPORT_DOMAIN_WORDS = frozenset({"support", "help", "helpdesk", "servicedesk", "service", "services", "care",
                                   "customerservice", "customercare", "customersupport", "techsupport", "hilfe",
                                   "kundenservice", "kundendienst", "soporte", "assistance", "zendesk", "freshdesk"})


def _domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().casefold() or None


def _support_domain(address: str | None) -> bool:
    """An address at a support domain: a label of the domain (``support.acme.example``, ``acme-help.example``) is a
    support word. The last label (the top-level domain) does not count."""
    domain = _domain_of(address)
    if not domain:
        return False
    for label in domain.split(".")[:-1]:
        if label in _SUPPORT_DOMAIN_WORDS or any(part in _SUPPORT_DOMAIN_WORDS for part in label.split("-")):
            return True
        if label.endswith(("support", "helpdesk", "servicedesk", "customercare", "customerservice")):
            return True
    return False


def _organisation(address: str | None) -> str | None:
    """The domain without leading support labels (``help.acme.example`` -> ``acme.example``); free-mail domains
    name no organisation."""
    domain = _domain_of(address)
    if not domain or domain in _FREE_MAIL:
        return None
    labels = domain.split(".")
    while len(labels) > 2 and (labels[0] in _SUPPORT_DOMAIN_WORDS or labels[0] in _SUPPORT_LOCALS):
        labels = labels[1:]
    return ".".join(labels)


def _decide_roles(threads: list[list[_Entry]], options: IngestOptions) -> dict[str, Role]:
    """The role of every author the mail itself makes clear, per file (key: address, or ``name:<name>``).

    Evidence, strongest first: the rosters (``finish`` applies them again); a support mailbox, display name or
    signature; whoever writes to a support address from outside its organisation (a free-mail address has none)
    is the customer; an address at a support domain (a domain label such as ``support``, or the organisation of a
    support mailbox) is an agent; in a thread with an agent, authors from other organisations are customers; in a
    thread of two people, once one side is known the other is the opposite.
    """
    roles: dict[str, Role] = {}
    entries = [e for thread in threads for e in thread if e.key]
    for e in entries:  # rosters
        if e.key in roles:
            continue
        if (e.address and _rostered(e.address, options)) or (e.name and _named_in_roster(e.name, options)):
            roles[e.key] = "agent"
        elif e.address and options.agent_domains:
            domain = _domain_of(e.address) or ""
            roles[e.key] = "agent" if any(domain == d or domain.endswith("." + d) for d in
                                          (x.casefold().lstrip("@") for x in options.agent_domains)) else "customer"
    for e in entries:  # what the mail says about its author
        if e.key not in roles and (e.hint or (e.address and _support_address(e.address)) or _support_name(e.name)):
            roles[e.key] = "agent"
    mailboxes = {e.key for e in entries if roles.get(e.key) == "agent"}
    support_orgs = {org for key in mailboxes if (org := _organisation(key)) is not None}

    def support_like(address: str) -> bool:
        return (address in mailboxes or _support_address(address) or _support_domain(address)
                or roles.get(address) == "agent")

    for e in entries:  # who writes to support from outside its organisation
        if e.key in roles or (e.address and _support_domain(e.address)):
            continue
        targets = [a for a in e.recipients if support_like(a)]
        own_org = _organisation(e.address)
        if targets and (own_org is None or all(_organisation(a) != own_org for a in targets)):
            roles[e.key] = "customer"
    for e in entries:  # addresses at a support domain
        if e.key not in roles and e.address and (_support_domain(e.address) or _organisation(e.address) in
                                                 support_orgs - {None}):
            roles[e.key] = "agent"
    # The other side of a thread, until nothing changes: a thread is looked at again only when one of its authors
    # was decided elsewhere (linear in the number of authors of all threads).
    thread_keys = [list(dict.fromkeys(e.key for e in thread if e.key)) for thread in threads]
    holders: dict[str, list[int]] = {}
    for number, keys in enumerate(thread_keys):
        for key in keys:
            holders.setdefault(key, []).append(number)
    pending = deque(range(len(threads)))
    queued = set(pending)
    while pending:
        number = pending.popleft()
        queued.discard(number)
        keys = thread_keys[number]
        decided: list[str] = []
        agent_orgs = {_organisation(k) for k in keys if roles.get(k) == "agent"} - {None}
        if agent_orgs:
            for key in keys:
                org = _organisation(key)
                if key not in roles and org is not None and org not in agent_orgs:
                    roles[key] = "customer"
                    decided.append(key)
        if len(keys) == 2:
            a, b = keys
            if (a in roles) != (b in roles):
                known, other = (a, b) if a in roles else (b, a)
                roles[other] = "customer" if roles[known] == "agent" else "agent"
                decided.append(other)
        for key in decided:
            for holder in holders.get(key, ()):
                if holder not in queued:
                    pending.append(holder)
                    queued.add(holder)
    return roles


def _in_roster(entry: _Entry, options: IngestOptions) -> bool:
    """Whether ``--agents`` or ``--agent-pattern`` names this author."""
    if entry.address and _rostered(entry.address, options):
        return True
    if entry.name and _named_in_roster(entry.name, options):
        return True
    return bool(options.agent_pattern and entry.name and options.agent_pattern.search(entry.name))


def _raw_turn(entry: _Entry, roles: dict[str, Role], options: IngestOptions, named_roster: bool) -> RawTurn:
    """The turn of an entry: its author's name as label, with ``(Support)`` or ``(Customer)`` added when the mail
    decided the role (a roster still wins in ``finish``; when a roster names someone in the file, it names the
    agents and no ``(Support)`` is added). An agent writing as a team (``Support Team``, a support mailbox such as
    ``help@`` whatever its display name, or an address with no display name) is named by the reply's sign-off
    (``Kind regards,`` / ``Jordan``) when there is one and it is not the display name's own person."""
    name, address = entry.name, entry.address
    role: Role | None = None
    decided = roles.get(entry.key)
    if decided == "agent" and (not name or _support_name(name) or (address and _support_address(address))):
        signed = signed_name(entry.text)  # a shared mailbox: the agent is who signed the reply
        if signed and not (name and _first_name_in(signed, name)):
            name = signed
    label = name or address
    if address and _rostered(address, options):
        role = "agent"
    elif label and decided is not None and parse_label(label).role is None:
        if decided == "agent" and named_roster:
            pass  # the roster names the agents: finish decides
        elif re.search(r"[()\[\]{}<>]", label):  # a bracket would hide "(Support)" from parse_label
            role = None if options.agent_domains or named_roster else decided
        else:
            label = f"{label} ({'Support' if decided == 'agent' else 'Customer'})"
    return RawTurn(text=entry.text, label=label, role=role, timestamp=entry.date, line=entry.line, address=address)


def signed_name(text: str) -> str | None:
    """The person's name a message ends with after its sign-off (``Kind regards,`` / ``Jordan``, ``Thanks, Jordan``),
    when it names a person rather than a team (``The ShopFast Team``). Also read by the signals, for customers known
    only by an e-mail address."""
    lines = [line.strip() for line in text.splitlines()[-3:] if line.strip()][-2:]
    if not lines:
        return None
    match = _CLOSING.match(lines[-1]) if len(lines[-1]) <= 80 else None
    if match:
        name = (match["name"] or "").strip(" .-")
    elif len(lines) == 2 and len(lines[0]) <= 80 and (closing := _CLOSING.match(lines[0])) and not closing["name"]:
        name = lines[1].strip(" .-")
    else:
        return None
    return name if name and _name_like(name) and not _support_name(name) else None


def _rostered(address: str, options: IngestOptions) -> bool:
    if any(member.strip().casefold() == address for member in options.agents):
        return True
    return options.agent_pattern is not None and bool(options.agent_pattern.search(address))


def _named_in_roster(name: str, options: IngestOptions) -> bool:
    key = _SPACES.sub(" ", name.strip().casefold())
    first = key.split(" ")[0]
    return any(_SPACES.sub(" ", member.strip().casefold()) in (key, first) for member in options.agents)


def _support_address(address: str) -> bool:
    local = address.split("@", 1)[0].split("+", 1)[0].casefold()
    compact = re.sub(r"[._-]", "", local)
    if compact in _SUPPORT_LOCALS:
        return True
    if any(token in _SUPPORT_LOCALS for token in re.split(r"[._-]", local)):
        return True
    return compact.endswith(("support", "helpdesk", "servicedesk", "customerservice", "customercare"))


def _support_name(name: str | None) -> bool:
    return bool(name and _SUPPORT_NAME.search(name))


def _first_name_in(signed: str, name: str) -> bool:
    """Whether the first word of a signed name is a word of a display name ("Jordan" signing as "Jordan Lee")."""
    return signed.split()[0].casefold() in name.casefold().split()


class _Text:
    """A message text normalised for comparison: case, punctuation and spacing removed; for a quote (``by_line``),
    also line by line."""

    __slots__ = ("key", "words", "lines")

    def __init__(self, text: str, by_line: bool = False):
        self.key = _NON_WORD.sub(" ", text.casefold()).strip()
        self.words = frozenset(self.key.split())
        self.lines = tuple(line for line in (_NON_WORD.sub(" ", ln.casefold()).strip() for ln in text.splitlines())
                           if line) if by_line else ()


def _same_text(a: _Text, b: _Text) -> bool:
    """Two texts are the same message: equal, one inside the other, or most words shared. A quote ``a`` is also the
    message ``b`` when it is a passage of at least ``_QUOTED_PASSAGE_WORDS`` words of it, word for word (a reply that
    quotes only the first lines of the message it answers), or lines of it that are (the greeting and the line the
    reply answers, the lines between left out)."""
    if not a.key or not b.key:
        return False
    if a.key == b.key:
        return True
    short, long = (a.key, b.key) if len(a.key) <= len(b.key) else (b.key, a.key)
    if len(short) >= 20 and len(short) >= 0.6 * len(long) and short in long:
        return True
    if len(a.words) >= _QUOTED_PASSAGE_WORDS and len(a.key) < len(b.key) and (
            f" {a.key} " in f" {b.key} " or (a.lines and all(f" {line} " in f" {b.key} " for line in a.lines))):
        return True  # word for word, or each line of it (a reply that quotes the greeting and the line it answers)
    if len(a.words) < 5 or len(b.words) < 5:
        return False
    return len(a.words & b.words) / len(a.words | b.words) >= 0.8

