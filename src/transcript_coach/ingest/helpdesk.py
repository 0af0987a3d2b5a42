"""Helpdesk JSON exports: Zendesk, Intercom and Freshdesk, plus the ``json`` format that picks one by structure.

``json`` (files ending ``.json``) loads the document once and chooses the flavour from its shape; ``zendesk``,
``intercom`` and ``freshdesk`` force one (``--input-format``). Each flavour accepts the layouts its API and export
tools produce (see the ``parse_*`` functions), states roles where the export does (user roles, author types,
``incoming`` flags) and keeps internal notes as ``internal=True`` turns. Anything of the wrong shape raises
``InputError`` (code ``unsupported_structure``) naming the key path, e.g. ``comments[3].body``.

A Zendesk full export (one ticket per line, though named ``.json``) is read as a list of tickets.

Channels: a Zendesk ticket is ``chat`` only when ``via.channel`` is a chat or messaging channel (``chat``,
``chat_transcript``, ``messaging``, ``native_messaging``, ``sms``, ``whatsapp``...), ``voice`` for voice/phone, and
``email`` otherwise (email, web form, API, or no ``via``: asynchronous). Freshdesk sources 1, 2, 9 and 10 (email,
portal, feedback widget, outbound email) are ``email``, 3 (phone) ``voice``, others ``chat``.

Bodies that came by email (an email-channel ticket or comment, a Freshdesk reply with ``from_email``, an Intercom
email conversation) or that show quoted history (``On ... wrote:``, ``>`` lines, a ``freshdesk_quote`` /
``gmail_quote`` block) are zoned like an email (``email.own_text``): the author's own words only, without the quoted
history, disclaimer and the contact block after the sign-off.

Zendesk without a sideloaded users list: a comment's author is named by the ``via.source.from`` of its email
comments, and an email comment from an address outside the support side (not the ticket's ``via.source.to`` or
``recipient``, nor their domain, nor an agent's) is the customer's (a CC'd colleague). A comment holding a whole chat
transcript (at least two ``(08:01:15 AM) Dana Kim: ...`` lines) becomes one turn per chat message
(``chat.parse_chat_block``); the requester's name is the customer, agents are named by the users list or the
assignee.

Intercom: ``comment`` parts and any other part with a body (``close``, ``assignment``, ``open``, ``snoozed``: a
"reply and close") are messages the customer saw; only ``note`` parts are internal, and an assignment whose message
speaks to the teammate it assigns to by name ("Subscription change, over to you Noah."); parts without a body are
events and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import Conversation, IngestOptions, RawTurn, finish_all, parser, source_stem
from transcript_coach.ingest.chat import norm_label, parse_chat_block
from transcript_coach.ingest.email import own_text
from transcript_coach.ingest.records import (
    TIMESTAMP_EXPECTED,
    JsonArray,
    LoadedJson,
    describe,
    conversations_of,
    html_text,
    is_array,
    load_json_lazily,
    looks_generic,
    parse_flag,
    parse_generic,
    read_time_value,
    show_keys,
)
from transcript_coach.model import Channel, Failure, Role, Timestamp, Transcript

SUPPORTED = (
    "Zendesk ({\"ticket\", \"comments\", \"users\"}, {\"comments\": [...]}, {\"tickets\": [tickets with "
    "\"comments\"]} or a ticket with \"comments\"); Intercom (a conversation with \"source\" and "
    "\"conversation_parts\", {\"conversations\": [...]} or a list of them); Freshdesk ({\"ticket\", "
    "\"conversations\"} or a ticket with \"conversations\" or \"description_text\"); generic turns "
    "([{\"speaker\", \"text\"}, ...] or {\"turns\": [...]})"
)


# Signs of quoted email history in a body (the email module then zones it): ">" lines, "On ... wrote:",
# "-----Original Message-----", a "____" rule, a "From:" header line; in HTML, quote blocks.
_QUOTED = re.compile(
    r"^(?:>|On\s[^\n]{1,300}\s(?:wrote|writes):\s*$|[-_=*\s]{0,10}(?:original message|forwarded message)|_{10,}\s*$|"
    r"\*{0,2}From\*{0,2}:\s[^\n]{1,300}$)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_HTML = re.compile(r"freshdesk_quote|gmail_quote|type=[\"']?cite|<blockquote|divRplyFwdMsg|appendonsend",
                          re.IGNORECASE)


# --- reading values by key path -------------------------------------------------------------------------------------

class _Reader:
    """Typed access to one JSON object at a key path; wrong types raise ``InputError`` naming the path."""

    def __init__(self, obj: dict[str, Any], path: str, source: str):
        self.obj = obj
        self.path = path
        self.source = source

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, expected: str, found: object) -> InputError:
        return InputError(self.source, f"{self.at(key)}: expected {expected}, found {describe(found)}",
                          code="unsupported_structure")

    def get(self, key: str) -> Any:
        return self.obj.get(key)

    def has(self, key: str) -> bool:
        return self.obj.get(key) is not None

    def text(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.error(key, "text", value)

    def ident(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return str(value).strip()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        raise self.error(key, "an id (a number or text)", value)

    def flag(self, key: str) -> bool | None:
        try:
            return parse_flag(self.obj.get(key))
        except ValueError:
            raise self.error(key, "true or false", self.obj.get(key)) from None

    def time(self, key: str) -> Timestamp | None:
        value = self.obj.get(key)
        if value is None or value == "":
            return None
        stamp = read_time_value(value) if not isinstance(value, dict | list | bool) else None
        if stamp is None:
            raise InputError(self.source, f"{self.at(key)}: unreadable timestamp {describe(value)}; "
                             f"{TIMESTAMP_EXPECTED}", code="unsupported_structure")
        return stamp

    def child(self, key: str) -> _Reader | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, "an object", value)
        return _Reader(value, self.at(key), self.source)

    def items(self, key: str) -> list[_Reader] | None:
        """The objects of a list under ``key`` (``None`` when absent or null)."""
        value = self.obj.get(key)
        if value is None:
            return None
        return _objects(value, self.at(key), self.source)

    def elements(self, key: str) -> Sequence[object] | None:
        """The list under ``key`` as it is, its elements not yet checked (``None`` when absent or null)."""
        value = self.obj.get(key)
        if value is not None and not is_array(value):
            raise self.error(key, "a list", value)
        return value

    def html(self, key: str) -> str | None:
        value = self.text(key)
        return None if value is None else html_text(value, self.source, self.at(key))


def _objects(value: object, path: str, source: str) -> list[_Reader]:
    if not is_array(value):
        raise InputError(source, f"{path}: expected a list, found {describe(value)}", code="unsupported_structure")
    return [_object(item, f"{path}[{i}]", source) for i, item in enumerate(value)]  # type: ignore[arg-type]


def _object(item: object, path: str, source: str) -> _Reader:
    if not isinstance(item, dict):
        raise InputError(source, f"{path}: expected an object, found {describe(item)}", code="unsupported_structure")
    return _Reader(item, path, source)


def _each(elements: Sequence[object], path: str | None, source: str,
          build: Callable[[_Reader, int, int], Conversation]) -> Iterator[Conversation]:
    """``build(ticket, index, count)`` for each object of a list of tickets or conversations at key path ``path``
    (None: ``elements`` is the document alone), built one at a time (``conversations_of``)."""
    return conversations_of(elements, path, lambda item, at, index, count: build(_object(item, at, source), index,
                                                                                count))


def _ordered(turns: list[RawTurn]) -> list[RawTurn]:
    """Turns sorted by time when they are out of order and every one has a comparable time; ties keep their order."""
    stamps = [t.timestamp for t in turns]
    if any(s is None for s in stamps):
        return turns
    try:
        if all(a <= b for a, b in zip(stamps, stamps[1:])):  # type: ignore[operator]
            return turns
        return sorted(turns, key=lambda t: t.timestamp)  # type: ignore[arg-type,return-value]
    except TypeError:  # aware and naive, or date-times and clock times: leave the export's order
        return turns


def _conversation_id(value: str | None, source: str, index: int, count: int) -> str:
    if value:
        return value
    stem = source_stem(source)
    return stem if count == 1 else f"{stem}-{index + 1}"


def _unsupported(source: str, doc: object, flavour: str | None = None) -> InputError:
    if isinstance(doc, dict):
        found = f"an object with top-level keys: {show_keys(doc)}"
    elif is_array(doc):
        kinds = sorted({describe(x).split(" (")[0] for x in doc})  # type: ignore[attr-defined]
        found = f"a list of {len(doc)} item(s) ({', '.join(kinds) or 'empty'})"
        if doc and isinstance(doc[0], dict):
            found += f"; the first has keys: {show_keys(doc[0])}"
    else:
        found = describe(doc)
    if flavour is None:
        expected = f"one of the supported structures: {SUPPORTED}"
    else:
        expected = next(part for part in SUPPORTED.split("; ") if part.lower().startswith(flavour))
    return InputError(source, f"unsupported JSON structure: found {found}; expected {expected}",
                      code="unsupported_structure")


def _no_conversations(source: str, key: str) -> InputError:
    return InputError(source, f"'{key}' is an empty list; expected at least one conversation", code="no_turns")


# --- Zendesk ----------------------------------------------------------------------------------------------------------

_ZENDESK_ROLES: dict[str, Role] = {"end-user": "customer", "end_user": "customer", "agent": "agent", "admin": "agent"}
_ZENDESK_TICKET_KEYS = frozenset({"via", "requester_id", "submitter_id", "assignee_id", "raw_subject", "comments"})


def _zendesk_ticket_like(obj: object) -> bool:
    return isinstance(obj, dict) and "comments" in obj and not _freshdesk_ticket_like(obj)


def is_zendesk(doc: object) -> bool:
    if is_array(doc):
        return bool(doc) and _zendesk_ticket_like(doc[0])
    if not isinstance(doc, dict):
        return False
    if "comments" in doc and not _freshdesk_ticket_like(doc):
        return True  # parse_zendesk says what is wrong when "comments" is not a list
    tickets = doc.get("tickets")
    if is_array(tickets):
        return bool(tickets) and _zendesk_ticket_like(tickets[0])  # type: ignore[index]
    ticket = doc.get("ticket")
    if isinstance(ticket, dict) and "conversations" not in doc:
        return not _freshdesk_ticket_like(ticket) and bool(_ZENDESK_TICKET_KEYS & set(ticket))
    return False


_ZENDESK_VOICE = frozenset({"voice", "phone", "phone_call", "call", "voicemail", "voice_inbound", "voice_outbound"})
# Synchronous channels; everything else (email, web form, API, widget form, side conversations...) is asynchronous
# like email.
_ZENDESK_CHAT = frozenset({"chat", "chat_transcript", "messaging", "native_messaging", "sunshine_conversations",
                           "sms", "whatsapp", "facebook_messenger", "instagram_dm", "twitter_dm", "line", "wechat",
                           "telegram", "viber", "mobile_sdk"})


def _zendesk_channel(value: object) -> Channel | None:
    """The channel of a ``via.channel`` word; ``None`` when there is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    word = value.strip().casefold().replace("-", "_").replace(" ", "_")
    if word in _ZENDESK_VOICE:
        return "voice"
    if word in _ZENDESK_CHAT or word.endswith("_chat"):
        return "chat"
    return "email"


def _via_party(via: _Reader | None, side: str) -> tuple[str | None, str | None]:
    """(name, address) of ``via.source.from`` / ``via.source.to``; anything of another shape gives nothing."""
    if via is None:
        return None, None
    source = via.get("source")
    party = source.get(side) if isinstance(source, dict) else None
    if not isinstance(party, dict):
        return None, None
    name, address = party.get("name"), party.get("address")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    address = address.strip().casefold() if isinstance(address, str) and "@" in address else None
    return name, address


def _via_channel(reader: _Reader) -> Channel | None:
    via = reader.child("via")
    return _zendesk_channel(via.get("channel")) if via is not None else None


def _domain(address: str | None) -> str | None:
    return address.rsplit("@", 1)[1] if address and "@" in address else None


class _ZendeskUser:
    def __init__(self, name: str | None = None, email: str | None = None, role: str | None = None):
        self.name, self.email, self.role = name, email, role


def _zendesk_users(readers: list[_Reader] | None,
                   users: dict[str, _ZendeskUser] | None = None) -> dict[str, _ZendeskUser]:
    users = dict(users or {})
    for user in readers or []:
        ident = user.ident("id")
        if ident is None:
            continue
        role = user.text("role")
        users[ident] = _ZendeskUser(user.text("name"), user.text("email"), role.strip().casefold() if role else None)
    return users


class _ZendeskTicket:
    """What the comments of one ticket are read against: its people, support addresses and channel."""

    def __init__(self, users: dict[str, _ZendeskUser], requester: str | None, assignee: str | None,
                 submitter: str | None, support: set[str], channel: Channel | None):
        self.users, self.requester, self.assignee, self.submitter = users, requester, assignee, submitter
        self.support = support  # addresses the customer wrote to (the ticket's via.source.to, recipient)
        self.channel = channel
        self.senders: dict[str, tuple[str | None, str | None]] = {}  # author id -> via.source.from of a comment
        self.warnings: list[str] = []
        self.warned: set[str] = set()

    def agent_address(self, address: str) -> bool:
        """An address of the support side: a support address, one at its domain, or an agent's."""
        if address in self.support or any(_domain(address) == _domain(a) for a in self.support):
            return True
        return any(u.email and u.email.strip().casefold() == address and u.role in ("agent", "admin")
                   for u in self.users.values())


def _zendesk_conversation(ticket: _Reader | None, comments: list[_Reader] | None, users: dict[str, _ZendeskUser],
                          source: str, fallback_id: str) -> Conversation:
    requester = assignee = submitter = None
    channel: Channel | None = None
    support: set[str] = set()
    if ticket is not None:
        # Some export tools embed the people on the ticket; the sideloaded users list wins.
        embedded = {}
        for key in ("requester", "submitter", "assignee"):
            person = ticket.child(key)
            if person is not None and person.ident("id") is not None:
                embedded[person.ident("id")] = _ZendeskUser(person.text("name"), person.text("email"),
                                                            (person.text("role") or "").casefold() or None)
        users = {**embedded, **users}
        requester, assignee, submitter = ticket.ident("requester_id"), ticket.ident("assignee_id"), \
            ticket.ident("submitter_id")
        via = ticket.child("via")
        channel = _zendesk_channel(via.get("channel")) if via is not None else None
        support.update(a for a in (_via_party(via, "to")[1],) if a)
        recipient = ticket.get("recipient")
        if isinstance(recipient, str) and "@" in recipient:
            support.add(recipient.strip().casefold())
    context = _ZendeskTicket(users, requester, assignee, submitter, support, channel)
    turns: list[RawTurn] = []
    if comments is None:
        if ticket is None or ticket.text("description") is None:
            where = ticket.path if ticket is not None and ticket.path else "ticket"
            raise InputError(source, f"{where}: expected 'comments' (a list) or a 'description'",
                             code="unsupported_structure")
        text = ticket.html("description") or ""
        if channel in (None, "email"):
            text = own_text(text)
        user = users.get(requester or "")
        turns.append(RawTurn(text, label=_zendesk_label(user, requester), role="customer",
                             timestamp=ticket.time("created_at"), address=user.email if user else None))
        comments = []
    for comment in comments:  # who sent each email comment, for authors the export does not sideload
        author = comment.ident("author_id")
        name, address = _via_party(comment.child("via"), "from")
        if author is not None and (name or address) and author not in context.senders:
            context.senders[author] = (name, address)
    voice = chat_transcript = False
    for comment in comments:
        split = _zendesk_chat_transcript(comment, context)
        if split is not None:
            turns.extend(split)
            chat_transcript = True
        else:
            turns.append(_zendesk_turn(comment, context))
        kind = comment.text("type")
        voice = voice or (kind or "").casefold() == "voicecomment"
        if channel is None:
            channel = _via_channel(comment)
    if voice and ticket is None:
        channel = "voice"
    elif chat_transcript and (ticket is None or context.channel is None):
        channel = "chat"
    ident = ticket.ident("id") if ticket is not None else None
    return Conversation(tuple(_ordered(turns)), id=ident or fallback_id, channel=channel or "email",
                        warnings=tuple(context.warnings))


def _zendesk_ticket(ticket: _Reader, users: dict[str, _ZendeskUser], source: str, index: int, count: int
                    ) -> Conversation:
    """The conversation of one ticket of a list, with its embedded comments (and users, else the list's)."""
    comments = ticket.items("comments")
    return _zendesk_conversation(ticket, comments, _zendesk_users(ticket.items("users"), users), source,
                                 _conversation_id(None, source, index, count))


def _zendesk_label(user: _ZendeskUser | None, author: str | None) -> str | None:
    if user is not None and user.name and user.name.strip():
        return user.name.strip()
    if user is not None and user.email:
        return user.email.strip()
    return f"user-{author}" if author else None


def _zendesk_text(comment: _Reader, by_email: bool) -> str:
    """A comment's text; an email's own words only (quoted history, disclaimers and contact blocks dropped) when it
    came by email or shows quoted history."""
    if not any(k in comment.obj for k in ("plain_body", "body", "html_body")):
        raise InputError(comment.source, f"{comment.at('body')}: missing; expected the comment text in 'body', "
                         f"'plain_body' or 'html_body' (found keys: {show_keys(comment.obj)})",
                         code="unsupported_structure")
    for key in ("plain_body", "body"):
        text = comment.text(key)
        if text and text.strip():
            return own_text(text) if by_email or _QUOTED.search(text) else text
    markup = comment.text("html_body")
    if markup is None:
        return ""
    if by_email or _QUOTED_HTML.search(markup) or _QUOTED.search(markup):
        return own_text(markup, html=True)
    return comment.html("html_body") or ""


def _zendesk_author(comment: _Reader, context: _ZendeskTicket) -> tuple[str | None, _ZendeskUser | None]:
    author = comment.ident("author_id")
    user = context.users.get(author or "")
    embedded = comment.child("author")
    if user is None and embedded is not None:
        user = _ZendeskUser(embedded.text("name"), embedded.text("email"),
                            (embedded.text("role") or "").casefold() or None)
        author = author or embedded.ident("id")
    if user is None and author in context.senders:  # not sideloaded: the email's From says who it is
        name, address = context.senders[author]
        user = _ZendeskUser(name, address, None)
    return author, user


def _zendesk_role(author: str | None, user: _ZendeskUser | None, label: str | None, comment: _Reader,
                  context: _ZendeskTicket) -> Role | None:
    role: Role | None = _ZENDESK_ROLES.get(user.role or "") if user is not None else None
    if role is not None or author is None:
        return role
    if context.requester is not None and author == context.requester:
        return "customer"
    if author == context.assignee or (context.submitter is not None and author == context.submitter
                                      and context.submitter != context.requester):
        return "agent"
    via = comment.child("via")
    sender = _via_party(via, "from")[1] or (user.email.strip().casefold() if user and user.email else None)
    if sender and _via_channel(comment) == "email":
        # Someone who wrote in by email from an address outside the support side: a CC'd colleague of the
        # requester, a forwarded customer. A support address (or one at its domain) is the support side.
        return "agent" if context.agent_address(sender) else "customer"
    if context.requester is not None:
        if author not in context.warned:
            context.warned.add(author)
            context.warnings.append(f"zendesk: author {label!r} has no role in the export and is not the ticket's "
                                    "requester; taken as an agent (sideload users with ?include=users to be sure)")
        return "agent"
    return None


def _zendesk_turn(comment: _Reader, context: _ZendeskTicket) -> RawTurn:
    channel = _via_channel(comment)
    by_email = channel == "email" or (channel is None and context.channel == "email")
    text = _zendesk_text(comment, by_email)
    author, user = _zendesk_author(comment, context)
    label = _zendesk_label(user, author)
    role = _zendesk_role(author, user, label, comment, context)
    public = comment.flag("public")
    return RawTurn(text or "", label=label, role=role, timestamp=comment.time("created_at"),
                   internal=public is False, address=user.email.strip() if user is not None and user.email else None)


def _zendesk_chat_transcript(comment: _Reader, context: _ZendeskTicket) -> list[RawTurn] | None:
    """A comment holding a whole chat transcript (``Chat started: ...`` then ``(08:01:15 AM) Dana Kim: ...``) as
    one turn per chat message, or ``None``. The requester's name is the customer; agents are named by the users
    list and the assignee; other names are left to ``finish``."""
    text = None
    for key in ("plain_body", "body"):
        value = comment.text(key)
        if value and value.strip():
            text = value
            break
    if text is None:
        markup = comment.text("html_body")
        text = comment.html("html_body") if markup and markup.strip() else None
    if not text or text.count("\n") < 1:
        return None
    created = comment.time("created_at")
    day = created.date() if isinstance(created, datetime) else None
    zone = created.tzinfo if isinstance(created, datetime) else None
    conversation = parse_chat_block(text, comment.source, day=day, tzinfo=zone)
    if conversation is None:
        return None
    names: dict[str, Role] = {}
    for ident, user in context.users.items():
        role = _ZENDESK_ROLES.get(user.role or "")
        if ident == context.requester:
            role = "customer"
        elif ident == context.assignee and role is None:
            role = "agent"
        if user.name and role is not None:
            names.setdefault(norm_label(user.name), role)
    internal = comment.flag("public") is False
    turns = []
    for turn in conversation.turns:
        role = turn.role
        if role is None and turn.label:
            role = names.get(norm_label(turn.label))
        if internal:
            role = role or "agent"
        turns.append(RawTurn(turn.text, label=turn.label, role=role, timestamp=turn.timestamp, internal=internal))
    return turns


def parse_zendesk(doc: object, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    """Zendesk: ticket + comments (+ sideloaded users), comments alone, a ticket with embedded comments, a
    ``tickets`` list of those, or a list of tickets (one per line in Zendesk's full JSON export)."""
    pairs: list[tuple[_Reader | None, list[_Reader] | None]]
    if is_array(doc):
        if not doc:
            raise _no_conversations(source, "the top-level list")
        first = doc[0]  # type: ignore[index]
        if not (_zendesk_ticket_like(first) or isinstance(first, dict) and _ZENDESK_TICKET_KEYS & set(first)):
            raise _unsupported(source, doc, "zendesk")
        no_users = _zendesk_users(None)
        tickets = _each(doc, "", source,  # type: ignore[arg-type]
                        lambda ticket, index, count: _zendesk_ticket(ticket, no_users, source, index, count))
        yield from finish_all(tickets, source=source, format="zendesk", options=options)
        return
    if isinstance(doc, dict):
        root = _Reader(doc, "", source)
        users = _zendesk_users(root.items("users"))
        is_ticket = not isinstance(doc.get("ticket"), dict) and bool((_ZENDESK_TICKET_KEYS - {"comments"}) & set(doc))
        if root.has("comments") and is_ticket:
            pairs = [(root, root.items("comments"))]  # a ticket object with its comments embedded
        elif root.has("comments"):
            pairs = [(root.child("ticket"), root.items("comments"))]
        elif root.has("tickets"):
            tickets = root.elements("tickets")
            if not tickets:
                raise _no_conversations(source, "tickets")
            yield from finish_all(_each(tickets, "tickets", source, lambda ticket, index, count: _zendesk_ticket(
                ticket, users, source, index, count)), source=source, format="zendesk", options=options)
            return
        elif isinstance(root.get("ticket"), dict):
            ticket = root.child("ticket")
            assert ticket is not None
            pairs = [(ticket, ticket.items("comments"))]
        elif "via" in doc or "requester_id" in doc:
            pairs = [(root, None)]
        else:
            raise _unsupported(source, doc, "zendesk")
    else:
        raise _unsupported(source, doc, "zendesk")
    conversations = []
    for i, (ticket, comments) in enumerate(pairs):
        ticket_users = _zendesk_users(ticket.items("users"), users) if ticket is not None and ticket is not root \
            else users
        conversations.append(_zendesk_conversation(ticket, comments, ticket_users, source,
                                                   _conversation_id(None, source, i, len(pairs))))
    yield from finish_all(conversations, source=source, format="zendesk", options=options)


# --- Intercom ---------------------------------------------------------------------------------------------------------

_INTERCOM_ROLES: dict[str, Role] = {"user": "customer", "lead": "customer", "contact": "customer",
                                    "admin": "agent", "team": "agent", "bot": "bot"}
_INTERCOM_NOTES = frozenset({"note", "note_and_reopen"})


def _intercom_conversation_like(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    if obj.get("type") == "conversation" or "conversation_parts" in obj or "conversation_message" in obj:
        return True
    source = obj.get("source")
    return isinstance(source, dict) and "author" in source


def is_intercom(doc: object) -> bool:
    if is_array(doc):
        return bool(doc) and _intercom_conversation_like(doc[0])
    if not isinstance(doc, dict):
        return False
    if _intercom_conversation_like(doc):
        return True
    conversations = doc.get("conversations")
    if is_array(conversations):
        if not conversations:
            return doc.get("type") == "conversation.list"
        return _intercom_conversation_like(conversations[0])  # type: ignore[index]
    return False


def _intercom_author(author: _Reader | None) -> tuple[str | None, Role | None, str | None]:
    """(label, role, address) of an Intercom author object."""
    if author is None:
        return None, None, None
    kind = (author.text("type") or "").strip().casefold()
    name, email, ident = author.text("name"), author.text("email"), author.ident("id")
    label = (name or "").strip() or (email or "").strip() or (f"{kind or 'author'}-{ident}" if ident else None)
    return label, _INTERCOM_ROLES.get(kind), (email or "").strip() or None


def _intercom_channel(source_obj: _Reader | None) -> Channel:
    if source_obj is None:
        return "chat"
    words = {(source_obj.text(k) or "").strip().casefold() for k in ("type", "delivered_as")}
    if "email" in words:
        return "email"
    if words & {"phone", "phone_call", "call", "voice"}:
        return "voice"
    return "chat"


def _intercom_conversation(conv: _Reader, fallback_id: str) -> Conversation:
    created = conv.time("created_at")
    key = "source" if conv.has("source") else "conversation_message"
    first = conv.child(key)
    turns: list[RawTurn] = []
    warnings: list[str] = []
    by_email = _intercom_channel(first) == "email"
    if first is not None:
        text = _intercom_body(first, by_email)
        if not text.strip():
            text = first.html("subject") or ""
        label, role, address = _intercom_author(first.child("author"))
        turns.append(RawTurn(text, label=label, role=role, timestamp=created, address=address))
    container = conv.get("conversation_parts")
    parts: list[_Reader] = []
    if isinstance(container, dict):
        holder = conv.child("conversation_parts")
        assert holder is not None
        parts = holder.items("conversation_parts") or []
        total = container.get("total_count")
        if isinstance(total, int) and not isinstance(total, bool) and total > len(parts):
            warnings.append(f"intercom: the export holds {len(parts)} of the conversation's {total} parts; "
                            "later messages are missing")
    elif container is not None:
        parts = conv.items("conversation_parts") or []
    for part in parts:
        kind = (part.text("part_type") or "").strip().casefold()
        body = _intercom_body(part, by_email)
        if not body.strip():
            continue  # open, close, snoozed, assignment, participant_added... without a message: events
        # Only notes are internal. A close, assignment, open or snooze with a body is Intercom's "reply and close"
        # (or assign, snooze): the customer saw it; unless an assignment speaks to the teammate it assigns to.
        internal = kind in _INTERCOM_NOTES or (kind == "assignment" and _to_assignee(body, part.child("assigned_to")))
        label, role, address = _intercom_author(part.child("author"))
        turns.append(RawTurn(body, label=label, role="agent" if internal else role, timestamp=part.time("created_at"),
                             internal=internal, address=address))
    return Conversation(tuple(turns), id=conv.ident("id") or fallback_id, channel=_intercom_channel(first),
                        warnings=tuple(warnings))


def _to_assignee(body: str, assignee: _Reader | None) -> bool:
    """Whether an assignment's message speaks to the teammate it assigns to, by name ("over to you Noah", "Noah, can
    you take this one?", "@Noah"): a note to them, not a reply to the customer ("I'm passing you to Noah")."""
    name = ((assignee.text("name") if assignee is not None else None) or "").split()
    if not name or len(name[0]) < 2:
        return False
    first = re.escape(name[0])
    return bool(re.search(rf"@{first}\b|(?:^|[.!?]\s+){first}\s*,|(?:,|\byou)\s+{first}\s*(?:[.!?]|$)", body.strip(),
                          re.IGNORECASE))


def _intercom_body(item: _Reader, by_email: bool) -> str:
    """A message's text (Intercom bodies are HTML); an email's own words only when it came by email or shows
    quoted history."""
    markup = item.text("body")
    if markup is None or not markup.strip():
        return ""
    if by_email or _QUOTED_HTML.search(markup):
        return own_text(markup, html=True)
    return item.html("body") or ""


def parse_intercom(doc: object, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    """Intercom: a conversation object (REST API), ``{"conversations": [...]}``, or a list of conversations."""
    elements: Sequence[object] | None
    path: str | None = ""
    if is_array(doc) and doc and _intercom_conversation_like(doc[0]):  # type: ignore[index]
        elements = doc  # type: ignore[assignment]
    elif isinstance(doc, dict) and _intercom_conversation_like(doc):
        elements, path = [doc], None
    elif is_array(doc) and not doc:
        raise _no_conversations(source, "the top-level list")
    elif isinstance(doc, dict) and is_intercom(doc):
        elements, path = _Reader(doc, "", source).elements("conversations"), "conversations"
        if not elements:
            raise _no_conversations(source, "conversations")
    else:
        raise _unsupported(source, doc, "intercom")
    conversations = _each(elements, path, source,  # type: ignore[arg-type]
                          lambda conversation, index, count: _intercom_conversation(
                              conversation, _conversation_id(None, source, index, count)))
    yield from finish_all(conversations, source=source, format="intercom", options=options)


# --- Freshdesk --------------------------------------------------------------------------------------------------------

# Ticket sources: 1 email, 2 portal, 3 phone, 7 chat, 9 feedback widget, 10 outbound email. Web forms are
# asynchronous like email; anything else (chat, social, bots) is chat.
_FRESHDESK_CHANNELS: dict[int, Channel] = {1: "email", 2: "email", 9: "email", 10: "email", 3: "voice"}
_FRESHDESK_OUTBOUND_EMAIL = 10


def _freshdesk_ticket_like(obj: object) -> bool:
    return isinstance(obj, dict) and (
        "description_text" in obj or "conversations" in obj or isinstance(obj.get("ticket"), dict) and
        _freshdesk_ticket_like(obj["ticket"]))


def is_freshdesk(doc: object) -> bool:
    if is_array(doc):
        return bool(doc) and _freshdesk_ticket_like(doc[0])
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("ticket"), dict) and ("conversations" in doc or _freshdesk_ticket_like(doc["ticket"])):
        return True
    tickets = doc.get("tickets")
    if is_array(tickets) and tickets and _freshdesk_ticket_like(tickets[0]):  # type: ignore[index]
        return True
    if "description_text" in doc:
        return True
    # A ticket with embedded conversations: Freshdesk's have body_text / incoming, not turns.
    return is_array(doc.get("conversations")) and "requester_id" in doc


def _freshdesk_conversation(ticket: _Reader, conversations: list[_Reader] | None, source: str,
                            fallback_id: str) -> Conversation:
    requester = ticket.ident("requester_id")
    responder = ticket.ident("responder_id")
    names: dict[str, str] = {}
    person = ticket.child("requester")
    requester_email = None
    if person is not None:
        requester = requester or person.ident("id")
        requester_email = (person.text("email") or "").strip() or None
        name = (person.text("name") or "").strip() or requester_email
        if requester and name:
            names[requester] = name
    agent = ticket.child("responder")  # enriched exports name the agent: {"responder": {"id", "name"}}
    agent_name = ((agent.text("name") if agent is not None else None) or ticket.text("responder_name") or "").strip()
    if responder and agent_name:
        names[responder] = agent_name
    for conv in conversations or []:
        user, email = conv.ident("user_id"), (conv.text("from_email") or "").strip()
        if user and email and conv.flag("incoming") and user not in names:
            names[user] = email
    source_value = ticket.get("source")
    if isinstance(source_value, str) and source_value.strip().isdigit():
        source_value = int(source_value)
    channel = _FRESHDESK_CHANNELS.get(source_value, "chat") if isinstance(source_value, int) else "chat"

    def label(user: str | None) -> str | None:
        return names.get(user or "") or (f"user-{user}" if user else None)

    by_email = channel == "email"
    description = _freshdesk_text(ticket, "description_text", "description", by_email)
    outbound = source_value == _FRESHDESK_OUTBOUND_EMAIL
    turns = [RawTurn(description, label=label(responder if outbound else requester),
                     role="agent" if outbound else "customer", timestamp=ticket.time("created_at"),
                     address=None if outbound else requester_email)]
    replies: list[RawTurn] = []
    for conv in conversations or []:
        if not any(k in conv.obj for k in ("body_text", "body")):
            raise InputError(source, f"{conv.at('body_text')}: missing; expected the message in 'body_text' or "
                             f"'body' (found keys: {show_keys(conv.obj)})", code="unsupported_structure")
        text = _freshdesk_text(conv, "body_text", "body", by_email or bool(conv.text("from_email")))
        private = conv.flag("private") is True
        incoming = conv.flag("incoming")
        user = conv.ident("user_id")
        role: Role | None
        if private:
            role = "agent"
        elif incoming is not None:
            role = "customer" if incoming else "agent"
        else:
            role = "customer" if user is not None and user == requester else None
        replies.append(RawTurn(text, label=label(user), role=role, timestamp=conv.time("created_at"),
                               internal=private, address=(conv.text("from_email") or "").strip() or None))
    return Conversation(tuple(turns + _ordered(replies)), id=ticket.ident("id") or fallback_id, channel=channel)


def _freshdesk_text(item: _Reader, text_key: str, html_key: str, by_email: bool) -> str:
    """The plain text of a description or reply; its own words only (quoted history and signature contact block
    dropped, as in an email) when it came by email or shows quoted history. Freshdesk's ``body_text`` keeps the
    quoted history as plain text; ``body`` wraps it in a ``freshdesk_quote`` blockquote."""
    text = item.text(text_key)
    if text and text.strip():
        return own_text(text) if by_email or _QUOTED.search(text) else text
    markup = item.text(html_key)
    if markup is None or not markup.strip():
        return ""
    if by_email or _QUOTED_HTML.search(markup) or _QUOTED.search(markup):
        return own_text(markup, html=True)
    return item.html(html_key) or ""


def parse_freshdesk(doc: object, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    """Freshdesk: ``{"ticket", "conversations"}``, a ticket with embedded ``conversations``
    (``GET /tickets/{id}?include=conversations``), ``{"tickets": [...]}`` or a list of those."""
    elements: Sequence[object] | None
    path: str | None = ""
    if is_array(doc):
        if not doc:
            raise _no_conversations(source, "the top-level list")
        first = doc[0]  # type: ignore[index]
        if not (_freshdesk_ticket_like(first) or isinstance(first, dict) and "requester_id" in first):
            raise _unsupported(source, doc, "freshdesk")
        elements = doc  # type: ignore[assignment]
    elif isinstance(doc, dict) and is_array(doc.get("tickets")) and "ticket" not in doc:
        elements, path = doc["tickets"], "tickets"
        if not elements:
            raise _no_conversations(source, "tickets")
    elif isinstance(doc, dict) and (_freshdesk_ticket_like(doc) or "requester_id" in doc):
        elements, path = [doc], None
    else:
        raise _unsupported(source, doc, "freshdesk")
    conversations = _each(elements, path, source,  # type: ignore[arg-type]
                          lambda ticket, index, count: _freshdesk_item(ticket, source, index, count))
    yield from finish_all(conversations, source=source, format="freshdesk", options=options)


def _freshdesk_item(item: _Reader, source: str, index: int, count: int) -> Conversation:
    """The conversation of one ticket: ``{"ticket", "conversations"}`` or a ticket with them embedded."""
    ticket = item.child("ticket") if isinstance(item.get("ticket"), dict) else item
    assert ticket is not None
    replies = item.items("conversations") if item.has("conversations") else ticket.items("conversations")
    return _freshdesk_conversation(ticket, replies, source, _conversation_id(None, source, index, count))


# --- the dispatcher ---------------------------------------------------------------------------------------------------

def _generic(doc: object, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    return parse_generic(doc, source, options, format="json-turns")


_FLAVOURS: tuple[tuple[str, Callable[[object], bool], Callable[..., Iterator[Transcript | Failure]]], ...] = (
    ("zendesk", is_zendesk, parse_zendesk),
    ("freshdesk", is_freshdesk, parse_freshdesk),
    ("intercom", is_intercom, parse_intercom),
    ("json-turns", looks_generic, _generic),
)


def detect_flavour(doc: object) -> str | None:
    """The export a JSON document comes from (``zendesk``, ``freshdesk``, ``intercom``, ``json-turns``), or None."""
    return next((name for name, test, _ in _FLAVOURS if test(doc)), None)


def _load(content: str | LoadedJson, source: str) -> object:
    """The JSON document, a list as a ``JsonArray`` (see ``load_json_lazily``); a file of one JSON object per line
    (Zendesk's full export) is a ``JsonArray`` of them. A document already read from its file comes as it is."""
    if isinstance(content, LoadedJson):
        return content.document
    try:
        return load_json_lazily(content, source)
    except InputError as error:
        if error.code != "malformed_json" or not content.lstrip().startswith("{"):
            raise
        lines = JsonArray.of_lines(content)
        if lines is None:
            raise error from None
        return lines.compact()


@parser("json", suffixes=(".json",), json=True,
        description="JSON export: Zendesk, Intercom, Freshdesk or generic turns, recognised by structure")
def read_json(content: str | LoadedJson, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    doc = _load(content, source)
    del content  # a list is kept as UTF-8 (or as the ASCII text with escapes that it is) by ``doc``
    for name, test, parse in _FLAVOURS:
        if test(doc):
            yield from parse(doc, source, options)
            return
    if (is_array(doc) or isinstance(doc, dict)) and not doc:
        raise InputError(source, f"the JSON document is an empty {'list' if is_array(doc) else 'object'}; "
                         f"expected {SUPPORTED}", code="no_turns")
    raise _unsupported(source, doc)


@parser("zendesk", description="Zendesk ticket + comments JSON (API or export)")
def read_zendesk(content: str, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    doc = _load(content, source)
    del content  # a list is kept as UTF-8 by ``doc``
    yield from parse_zendesk(doc, source, options)


@parser("intercom", description="Intercom conversation JSON (REST API)")
def read_intercom(content: str, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    doc = _load(content, source)
    del content  # a list is kept as UTF-8 by ``doc``
    yield from parse_intercom(doc, source, options)


@parser("freshdesk", description="Freshdesk ticket + conversations JSON (REST API)")
def read_freshdesk(content: str, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    doc = _load(content, source)
    del content  # a list is kept as UTF-8 by ``doc``
    yield from parse_freshdesk(doc, source, options)
