"""The email parser: .eml and .mbox to transcripts (zoning, threads, roles, charsets, errors)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, read_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "email"
BRIGHTWAVE = IngestOptions(agent_domains=("brightwave.example",))
CET = timezone(timedelta(hours=1))
HEAD = (
    "From: Mia Novak <mia@example.net>\n"
    "To: Jonas Berg <jonas@brightwave.example>\n"
    "Subject: Router\n"
    "Date: Mon, 3 Mar 2025 09:00:00 +0000\n"
    "Message-ID: <m1@example.net>\n"
)


def read(name: str, options: IngestOptions = IngestOptions()):
    return list(read_bytes((FIXTURES / name).read_bytes(), name, options))


def read_text(text: str | bytes, name: str = "inline.eml", options: IngestOptions = IngestOptions()):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(read_bytes(data, name, options))


def summary(transcript):
    return [(t.role, t.speaker) for t in transcript.turns]


def own_text(body: str) -> str:
    """The text of the single turn of a message with this body (agent_domains makes the role certain)."""
    [transcript] = read_text(HEAD + "\n" + body, options=BRIGHTWAVE)
    return transcript.turns[-1].text


# --- a single reply with quoted history -----------------------------------------------------------------------------


def test_reply_with_nested_quotes_gives_earlier_turns_oldest_first():
    [t] = read("reply_nested.eml", BRIGHTWAVE)
    assert (t.id, t.format, t.channel) == ("reply-2@brightwave.example", "email", "email")
    assert summary(t) == [("agent", "Brightwave Support"), ("customer", "Mia Novak"), ("agent", "Jonas Berg")]
    assert [turn.timestamp for turn in t.turns] == [
        datetime(2025, 2, 28, 16, 40, tzinfo=CET),  # from the nested attribution, zone of the reply
        datetime(2025, 3, 3, 9, 12, tzinfo=CET),  # from the attribution wrapped over two lines
        datetime(2025, 3, 3, 10, 5, tzinfo=CET),  # the Date header
    ]
    assert t.turns[0].text == "We received your request and will reply within one working day.\nBrightwave Support"
    # the customer's "-- " signature and "Sent from my iPhone" are gone, her own text stays
    assert t.turns[1].text == "Hello, my router still drops the connection every evening.\nI tried restarting it twice."
    assert not any(w.startswith("roles:") for w in t.warnings)


def test_reply_own_text_keeps_sign_off_and_name_but_drops_contact_block():
    [t] = read("reply_nested.eml", BRIGHTWAVE)
    assert t.turns[-1].text == (
        "Hi Mia,\n\nThanks for your patience. I've checked your line and reset the port on our\n"
        "side, so the connection should stay up now.\n\nKind regards,\nJonas"
    )


def test_reply_roles_without_a_roster_come_from_the_support_address_and_cues():
    [t] = read("reply_nested.eml")
    assert summary(t) == [("agent", "Brightwave Support"), ("customer", "Mia Novak"), ("agent", "Jonas Berg")]


def test_outlook_reply_with_header_blocks_crlf_and_disclaimer():
    [t] = read("outlook_reply.eml", BRIGHTWAVE)
    assert summary(t) == [("agent", "Ana Silva"), ("customer", "Mia Novak"), ("agent", "Ana Silva")]
    assert [turn.timestamp for turn in t.turns] == [
        datetime(2025, 3, 6, 16, 0, tzinfo=timezone.utc),  # "Sent: Thursday, March 6, 2025 4:00 PM"
        datetime(2025, 3, 7, 14, 10, tzinfo=timezone.utc),
        datetime(2025, 3, 7, 15, 45, tzinfo=timezone.utc),
    ]
    assert [turn.text for turn in t.turns] == [
        "Could you tell me which address should be on the invoice?",
        "The invoice still shows the old address.\n\nMia",
        "Hello Mia,\n\nI have corrected the invoice; the new copy is attached.\n\nRegards,\nAna Silva",
    ]
    assert all("\r" not in turn.text for turn in t.turns)


# --- bodies, encodings ------------------------------------------------------------------------------------------------


def test_multipart_alternative_prefers_plain_decodes_quoted_printable_and_skips_attachments():
    [t] = read("multipart_alternative.eml", BRIGHTWAVE)
    [turn] = t.turns
    assert "The café opposite our depot" in turn.text
    assert "HTML VERSION" not in turn.text and "ATTACHMENT" not in turn.text
    assert turn.text.endswith("Thanks,\nAna")
    assert (turn.role, turn.speaker) == ("agent", "Ana Silva")


def test_html_only_base64_message_with_gmail_quote_and_signature():
    [t] = read("html_only.eml", BRIGHTWAVE)
    assert summary(t) == [("customer", "Mia Novak"), ("agent", "Sam Reyes")]
    assert t.turns[0].text == "It failed again last night. This is the third time this week."
    assert t.turns[0].timestamp == datetime(2025, 3, 4, 8, 1, tzinfo=timezone.utc)
    assert t.turns[1].text == (
        "Hi Mia,\n\nI'm sorry the router keeps failing. I've booked an engineer visit for Friday morning.\n\nBest,\nSam"
    )


def test_latin1_body_and_encoded_word_headers():
    [t] = read("latin1.eml")
    [turn] = t.turns
    assert turn.speaker == "Jürgen Müller"
    assert "Rückerstattung für das Gerät" in turn.text
    assert turn.text.endswith("Mit freundlichen Grüßen\nJürgen Müller")
    assert not any("charset" in w or "declared" in w for w in t.warnings)


@pytest.mark.parametrize(
    "content_type, body, expected, warning",
    [
        ("text/plain; charset=utf-8", b"caf\xe9 au lait", "café au lait", "declared as utf-8 but not valid"),
        ("text/plain; charset=klingon", b"caf\xc3\xa9", "café", "unknown charset 'klingon'"),
        ("text/plain; charset=us-ascii", b"caf\xc3\xa9", "café", "declared as us-ascii"),
        ("text/plain", b"caf\xe9", "café", "no charset and not UTF-8"),
        ("text/plain; charset=base64", b"plain words", "plain words", None),
    ],
)
def test_a_wrong_declared_charset_falls_back_with_a_warning(content_type, body, expected, warning):
    [t] = read_text(HEAD.encode() + f"Content-Type: {content_type}\n\n".encode() + body + b"\n", options=BRIGHTWAVE)
    assert t.turns[0].text == expected
    if warning:
        assert any(warning in w for w in t.warnings), t.warnings


def test_base64_with_bad_padding_is_read_with_a_defect_warning():
    data = HEAD + "Content-Transfer-Encoding: base64\n\nSGVsbG8gdGhlcmU\n"
    [t] = read_text(data, options=BRIGHTWAVE)
    assert t.turns[0].text == "Hello there"
    assert any("damaged email structure" in w for w in t.warnings)


def test_format_flowed_soft_breaks_are_joined():
    data = HEAD + "Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
    data += "My router drops \nevery evening.\nSecond line.\n"
    [t] = read_text(data, options=BRIGHTWAVE)
    assert t.turns[0].text == "My router drops every evening.\nSecond line."


# --- zoning rules ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expected",
    [
        # "-- " and "--" end the own text
        ("Your refund is on its way.\n\nJonas\n-- \nJonas Berg\nBrightwave | +44 20 7946 0123\n",
         "Your refund is on its way.\n\nJonas"),
        ("Your refund is on its way.\n--\nJonas Berg\n", "Your refund is on its way."),
        # a sign-off right above the "-- " keeps the name below it
        ("Done.\n\nWarm regards,\n\n-- \nInes Duarte\nGuest Services | Harbourline\n",
         "Done.\n\nWarm regards,\nInes Duarte"),
        # sign-off kept with the name; title, company, phone and link dropped
        ("Done.\n\nBest regards,\nJonas Berg\nSupport Specialist\nBrightwave Ltd.\nT: +44 20 7946 0123\n"
         "https://brightwave.example\n", "Done.\n\nBest regards,\nJonas Berg"),
        # name on the sign-off line itself
        ("Done.\n\nCheers, Jonas\nBrightwave Support\n+44 20 7946 0123\n", "Done.\n\nCheers, Jonas"),
        # a name after " | " keeps only the name
        ("Done.\n\nThanks,\nJonas Berg | Brightwave\n", "Done.\n\nThanks,\nJonas Berg"),
        # a "Thanks," that opens the message is not a sign-off
        ("Thanks,\nI got the refund.\nMia\n", "Thanks,\nI got the refund.\nMia"),
        # a sentence that starts like a sign-off is text
        ("It works now.\n\nThanks for your help, it was quick.\n",
         "It works now.\n\nThanks for your help, it was quick."),
        # real sentences after a sign-off word: nothing is dropped
        ("Hello.\n\nThanks,\nI will also need the invoice for March because the old one is wrong.\n",
         "Hello.\n\nThanks,\nI will also need the invoice for March because the old one is wrong."),
        # a P.S. after the sign-off keeps everything
        ("Done.\n\nRegards,\nJonas\nP.S. The engineer comes at 9.\n",
         "Done.\n\nRegards,\nJonas\nP.S. The engineer comes at 9."),
        # device lines go, wherever they are
        ("It works now, thanks!\n\nSent from my iPhone\n", "It works now, thanks!"),
        ("It works now.\n\nGet Outlook for Android<https://aka.example/ghei36>\n", "It works now."),
        # legal disclaimer paragraph
        ("Your invoice is attached.\n\nKind regards,\nAna\n\nCONFIDENTIALITY NOTICE: This message is intended only "
         "for the named recipient and may contain privileged information.\n", "Your invoice is attached.\n\nKind "
         "regards,\nAna"),
        # ...also a one-line disclaimer as the last line, right under the signature
        ("Please send photos.\n\nKind regards,\nDarren\nHomeGoods Customer Care\nThis email and any attachments are "
         "confidential.\n", "Please send photos.\n\nKind regards,\nDarren"),
        # ...but a first sentence that starts like one is the message
        ("This email confirms your refund of 20 pounds.\n", "This email confirms your refund of 20 pounds."),
        # no sign-off: a last block that starts with a name and has contact details keeps the name
        ("The part is on order.\n\nJonas Berg\nBrightwave Support\n+44 20 7946 0123\n",
         "The part is on order.\n\nJonas Berg"),
        # ...and a block that does not start with a name stays
        ("Call us any time:\n\n+44 20 7946 0123\nwww.brightwave.example\n",
         "Call us any time:\n\n+44 20 7946 0123\nwww.brightwave.example"),
        # "On <day> I wrote:" is the author's own sentence, not an attribution
        ("On 3 March I wrote:\nmy order has not arrived.\n", "On 3 March I wrote:\nmy order has not arrived."),
        # a blank line after the sign-off, and a disclaimer right under the contact block (Outlook Web)
        ("Done.\n\nBest regards,\n\nAiko Tanaka\nSenior Support Engineer\nAcme Ltd. | 1 Main Street, Dublin\n"
         "T: +353 1 555 0100\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended "
         "solely for the addressee.\n", "Done.\n\nBest regards,\nAiko Tanaka"),
        # no sign-off: a name with a job title and company keeps the name
        ("The date format is still wrong.\n\nLeo Novak\nData Analyst | Example Corp\n",
         "The date format is still wrong.\n\nLeo Novak"),
        ("The date format is still wrong.\n\nLeo Novak\nExample Corp Ltd\n",
         "The date format is still wrong.\n\nLeo Novak"),
        # ...but two short lines without title or company words stay
        ("Please send it to:\n\nLeo Novak\nHarbour Road\n", "Please send it to:\n\nLeo Novak\nHarbour Road"),
    ],
)
def test_signature_zoning(body, expected):
    assert own_text(body) == expected


def test_inline_replies_keep_every_own_line_and_the_quoted_message_once():
    body = ("Jonas Berg wrote:\n> Which router model do you have?\nThe R200.\n\n> And since when?\nSince Friday.\n\n"
            "-- \nMia\n")
    [t] = read_text(HEAD + "\n" + body, options=BRIGHTWAVE)
    assert summary(t) == [("agent", "Jonas Berg"), ("customer", "Mia Novak")]
    assert t.turns[0].text == "Which router model do you have?\n\nAnd since when?"
    assert t.turns[1].text == "The R200.\n\nSince Friday."


def test_a_quote_without_attribution_is_credited_to_the_only_other_party():
    [t] = read_text(HEAD + "\nSince Friday.\n\n> Since when does it drop?\n", options=BRIGHTWAVE)
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("Jonas Berg", "Since when does it drop?"),
        ("Mia Novak", "Since Friday."),
    ]


@pytest.mark.parametrize(
    "attribution, speaker, timestamp",
    [
        ("On Mon, Mar 3, 2025 at 8:15 AM Jonas Berg <jonas@brightwave.example> wrote:", "Jonas Berg",
         datetime(2025, 3, 3, 8, 15, tzinfo=timezone.utc)),
        ("On 03/03/2025 08:15, Jonas Berg wrote:", "Jonas Berg", datetime(2025, 3, 3, 8, 15, tzinfo=timezone.utc)),
        ("On Monday, 3 March 2025 08:15 +0100, jonas@brightwave.example wrote:", "Jonas Berg",
         datetime(2025, 3, 3, 8, 15, tzinfo=CET)),
        ("Le lun. 3 mars 2025 à 08:15, Jonas Berg <jonas@brightwave.example> a écrit :", "Jonas Berg", None),
        ("Am 03.03.2025 um 08:15 schrieb Jonas Berg <jonas@brightwave.example>:", "Jonas Berg",
         datetime(2025, 3, 3, 8, 15, tzinfo=timezone.utc)),
        ("El 3 mar 2025, a las 08:15, Jonas Berg <jonas@brightwave.example> escribió:", "Jonas Berg",
         datetime(2025, 3, 3, 8, 15, tzinfo=timezone.utc)),
        ("Jonas Berg <jonas@brightwave.example> wrote:", "Jonas Berg", None),
    ],
)
def test_attribution_lines(attribution, speaker, timestamp):
    [t] = read_text(HEAD + f"\nIt still drops.\n\n{attribution}\n> Did the reset help?\n", options=BRIGHTWAVE)
    first = t.turns[0]
    assert (first.role, first.speaker, first.text) == ("agent", speaker, "Did the reset help?")
    assert first.timestamp == timestamp
    assert t.turns[1].text == "It still drops."


def test_an_attribution_followed_by_unquoted_text_starts_the_history():
    body = "Any news?\n\nOn Mon, 3 Mar 2025 at 08:15, Jonas Berg <jonas@brightwave.example> wrote:\n\nWe are on it.\n"
    [t] = read_text(HEAD + "\n" + body, options=BRIGHTWAVE)
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("Jonas Berg", "We are on it."),
        ("Mia Novak", "Any news?"),
    ]


def test_forwarded_message_block_is_an_earlier_turn():
    body = ("See below, the refund never came.\n\n---------- Forwarded message ---------\n"
            "From: Brightwave <noreply@brightwave.example>\nDate: Mon, 3 Mar 2025 at 08:15\n"
            "Subject: Your refund\nTo: <mia@example.net>\n\nYour refund of 20 GBP has been issued.\n")
    [t] = read_text(HEAD + "\n" + body)
    assert [(turn.role, turn.speaker, turn.text) for turn in t.turns] == [
        ("agent", "Brightwave", "Your refund of 20 GBP has been issued."),  # noreply@ is a support mailbox
        ("customer", "Mia Novak", "See below, the refund never came."),
    ]


def test_extra_fields_in_an_outlook_header_block_are_not_text():
    body = ("Done.\n\nFrom: Jonas Berg <jonas@brightwave.example>\nSent: Monday, March 3, 2025 8:00 AM\n"
            "To: Mia Novak <mia@example.net>\nImportance: High\nSubject: Router\n\nPlease restart it.\n")
    [t] = read_text(HEAD + "\n" + body, options=BRIGHTWAVE)
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("Jonas Berg", "Please restart it."),
        ("Mia Novak", "Done."),
    ]
    assert t.turns[0].timestamp == datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)


# --- threads --------------------------------------------------------------------------------------------------------


def test_mbox_groups_interleaved_threads_orders_by_date_and_does_not_repeat_quotes():
    threads = read("two_threads.mbox", BRIGHTWAVE)
    assert [(t.id, t.format, t.channel) for t in threads] == [
        ("mia-1@example.net", "mbox", "email"),
        ("leo-1@example.com", "mbox", "email"),
    ]
    mia, leo = threads
    assert summary(mia) == [("customer", "Mia Novak"), ("agent", "Jonas Berg"), ("customer", "Mia Novak")]
    assert [turn.line for turn in mia.turns] == [1, 53, 27]  # the 'From ' line of each message
    assert mia.turns[2].text == "It failed again last night."
    assert mia.turns[1].text.endswith("Kind regards,\nJonas")
    # the image-only reply is skipped with a warning on its own thread
    assert any("line 100" in w and "no body text" in w for w in mia.warnings)
    assert summary(leo) == [("customer", "Leo Park"), ("agent", "Ana Silva"), ("customer", "Leo Park")]
    assert [turn.text for turn in leo.turns][1:] == [
        "Hi Leo, I'm sorry it arrived damaged. I've sent another one by courier today.",
        "Thank you, that was quick.",  # no In-Reply-To: joined by subject and participant
    ]
    assert "\nFrom the box it looks damaged" in leo.turns[0].text  # '>From ' unescaped, not a new message


def test_mbox_quote_of_a_message_missing_from_the_file_becomes_a_turn_once():
    first = ("From jonas@brightwave.example Mon Mar  3 10:00:00 2025\nFrom: Jonas Berg <jonas@brightwave.example>\n"
             "To: Mia Novak <mia@example.net>\nSubject: Re: Router\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n"
             "Message-ID: <a2@brightwave.example>\nIn-Reply-To: <m1@example.net>\n\nI reset the port.\n\n"
             "On Mon, 3 Mar 2025 at 09:00, Mia Novak <mia@example.net> wrote:\n> My router drops every evening.\n\n")
    second = ("From jonas@brightwave.example Mon Mar  3 12:00:00 2025\nFrom: Jonas Berg <jonas@brightwave.example>\n"
              "To: Mia Novak <mia@example.net>\nSubject: Re: Router\nDate: Mon, 3 Mar 2025 12:00:00 +0000\n"
              "Message-ID: <a4@brightwave.example>\nReferences: <m1@example.net> <a2@brightwave.example>\n\n"
              "Glad it works.\n\nOn Mon, 3 Mar 2025 at 11:00, Mia Novak <mia@example.net> wrote:\n> It works now.\n>\n"
              "> On Mon, 3 Mar 2025 at 10:00, Jonas Berg <jonas@brightwave.example> wrote:\n>> I reset the port.\n>>\n"
              ">> On Mon, 3 Mar 2025 at 09:00, Mia Novak <mia@example.net> wrote:\n"
              ">>> My router drops every evening.\n")
    [t] = read_text(first + second, "sent.mbox", BRIGHTWAVE)
    assert t.id == "a2@brightwave.example"
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("Mia Novak", "My router drops every evening."),
        ("Jonas Berg", "I reset the port."),
        ("Mia Novak", "It works now."),
        ("Jonas Berg", "Glad it works."),
    ]
    assert [turn.timestamp.hour for turn in t.turns] == [9, 10, 11, 12]


def test_mbox_a_reply_quoting_the_first_lines_of_the_message_it_answers_does_not_repeat_it():
    first = ("From marta@example.org Mon Nov 30 09:12:00 2026\nFrom: Marta Kowalska <marta@example.org>\n"
             "To: HomeGoods Support <support@homegoods.example>\nSubject: Sofa\nDate: Mon, 30 Nov 2026 09:12:00 +0000\n"
             "Message-ID: <m1@example.org>\n\nHello,\n\nI ordered the Linden sofa in sage green and the delivery men "
             "brought a grey one. They left before I could check it. What can you do?\n\nMarta\n\n")
    reply = ("From support@homegoods.example Tue Dec 01 16:40:00 2026\n"
             "From: HomeGoods Support <support@homegoods.example>\nTo: Marta Kowalska <marta@example.org>\n"
             "Subject: RE: Sofa\nDate: Tue, 01 Dec 2026 16:40:00 +0000\nMessage-ID: <s1@homegoods.example>\n"
             "In-Reply-To: <m1@example.org>\n\nDear Marta,\n\nPlease send photos of the label.\n\nKind regards,\n"
             "Darren\nHomeGoods Customer Care\nThis email and any attachments are confidential.\n\n"
             "> Hello,\n> I ordered the Linden sofa in sage green and the delivery men brought a grey one.\n")
    [t] = read_text(first + reply, "sofa.mbox")
    assert [(turn.role, turn.speaker) for turn in t.turns] == [("customer", "Marta Kowalska"), ("agent", "Darren")]
    assert t.turns[1].text.endswith("Kind regards,\nDarren")
    # a quote that is no passage of a message of the thread stays a turn of its own
    [t] = read_text(first + reply.replace("> I ordered the Linden sofa in sage green and the delivery men brought a "
                                          "grey one.", "> I ordered a different lamp."), "sofa.mbox")
    assert len(t.turns) == 3
    # the greeting and a line further down, the lines between left out: the same message
    [t] = read_text(first + reply.replace("> I ordered the Linden sofa in sage green and the delivery men brought a "
                                          "grey one.", "> They left before I could check it. What can you do?"),
                    "sofa.mbox")
    assert [(turn.role, turn.speaker) for turn in t.turns] == [("customer", "Marta Kowalska"), ("agent", "Darren")]


def _mbox_message(sender: str, subject: str, date: str | None, body: str, message_id: str | None = None,
                  extra: str = "") -> str:
    lines = [f"From {sender} Mon Mar  3 10:00:00 2025", f"From: {sender}", "To: support@brightwave.example",
             f"Subject: {subject}"]
    if date:
        lines.append(f"Date: {date}")
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    return "\n".join(lines) + extra + f"\n\n{body}\n\n"


def test_mbox_threads_without_ids_are_numbered_and_undated_messages_keep_their_place():
    data = (_mbox_message("leo@example.com", "Parcel", "Mon, 3 Mar 2025 12:00:00 +0000", "Second by date")
            + _mbox_message("ana@example.net", "Other", None, "Other thread")
            + _mbox_message("leo@example.com", "Re: Parcel", None, "No date, after the second")
            + _mbox_message("leo@example.com", "Parcel", "Mon, 3 Mar 2025 08:00:00 +0000", "First by date"))
    threads = read_text(data, "box.mbox")
    assert [t.id for t in threads] == ["box-1", "box-2"]
    # same subject and the same customer: one thread (the messages carry no links)
    assert [turn.text for turn in threads[0].turns] == ["First by date", "Second by date", "No date, after the second"]
    assert any("no Date header" in w for w in threads[1].warnings)


def test_one_agent_writing_to_two_customers_under_the_same_subject_gives_two_threads():
    def note(to: str, mid: str) -> str:
        return (f"From jonas@brightwave.example Mon Mar  3 10:00:00 2025\nFrom: jonas@brightwave.example\nTo: {to}\n"
                f"Subject: Planned maintenance\nMessage-ID: <{mid}>\n\nThe network is down tonight.\n\n")

    assert [t.id for t in read_text(note("leo@example.com", "n1@x") + note("ana@example.net", "n2@x"), "b.mbox")] == [
        "n1@x", "n2@x"]


def test_two_customers_with_the_same_subject_to_the_support_mailbox_stay_apart():
    data = (_mbox_message("leo@example.com", "Refund", "Mon, 3 Mar 2025 08:00:00 +0000", "Leo's refund", "l1@x")
            + _mbox_message("ana@example.net", "Refund", "Mon, 3 Mar 2025 09:00:00 +0000", "Ana's refund", "a1@x"))
    assert [t.id for t in read_text(data, "box.mbox")] == ["l1@x", "a1@x"]


def test_a_message_seen_twice_is_read_once():
    message = _mbox_message("leo@example.com", "Parcel", "Mon, 3 Mar 2025 08:00:00 +0000", "Where is it?", "l1@x")
    [t] = read_text(message + message, "box.mbox")
    assert [turn.text for turn in t.turns] == ["Where is it?"]
    assert any("same Message-ID" in w for w in t.warnings)


def test_eml_that_starts_with_an_mbox_envelope_line():
    data = "From leo@example.com Mon Mar  3 10:00:00 2025\nFrom: leo@example.com\nSubject: Hi\n\nWhere is my parcel?\n"
    [t] = read_text(data, "saved.eml")
    assert (t.id, t.format, [turn.text for turn in t.turns]) == ("saved", "email", ["Where is my parcel?"])
    assert t.turns[0].line == 1


def test_eml_without_message_id_uses_the_file_stem():
    [t] = read_text("From: leo@example.com\nSubject: Hi\n\nWhere is my parcel?\n", "case 17.eml")
    assert t.id == "case 17"


# --- roles ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, roles",
    [
        (BRIGHTWAVE, ["agent", "customer", "agent"]),
        (IngestOptions(agent_domains=("example.net",)), ["customer", "agent", "customer"]),  # the option decides
        (IngestOptions(agents=("ana@brightwave.example",)), ["agent", "customer", "agent"]),  # roster by address
        (IngestOptions(agent_pattern=re.compile(r"@brightwave\.")), ["agent", "customer", "agent"]),  # pattern
        (IngestOptions(agents=("Ana Silva",)), ["agent", "customer", "agent"]),  # roster by name, applied by finish
        # no roster and no support hint: finish's last resort takes the first speaker as the customer (wrong here)
        (IngestOptions(), ["customer", "agent", "customer"]),
    ],
)
def test_rosters_and_agent_domains(options, roles):
    [t] = read("outlook_reply.eml", options)  # Ana (agent) writes first; nothing in the mail marks her role
    assert [turn.role for turn in t.turns] == roles
    guessed = [w for w in t.warnings if w.startswith("roles:")]
    if options.agent_domains:
        assert guessed == []  # every address is decided
    elif options.agents or options.agent_pattern:
        assert guessed == []  # the roster names every agent, so everyone else is a customer
    else:
        assert len(guessed) == 2


@pytest.mark.parametrize(
    "sender, speaker",
    [
        ("help@brightwave.example", "help@brightwave.example"),
        ("Sam Reyes <customer.support@brightwave.example>", "Sam Reyes"),
        ("Sam Reyes <no-reply@brightwave.example>", "Sam Reyes"),
        ("Brightwave Team <sam@brightwave.example>", "Brightwave Team"),
        ("Sam Reyes via Brightwave Support <tickets@brightwave.example>", "Sam Reyes"),
    ],
)
def test_a_support_mailbox_is_the_agent_without_any_roster(sender, speaker):
    data = (f"From: {sender}\nTo: Mia Novak <mia@example.net>\nSubject: Re: Router\n"
            "Date: Mon, 3 Mar 2025 10:00:00 +0000\n\nThe engineer comes on Friday.\n\n"
            "On Mon, 3 Mar 2025 at 09:00, Mia Novak <mia@example.net> wrote:\n> When does the engineer come?\n")
    [t] = read_text(data)
    assert summary(t) == [("customer", "Mia Novak"), ("agent", speaker)]


@pytest.mark.parametrize(
    "sender, sign_off, speaker",
    [
        ("Brightwave Support Team <help@brightwave.example>", "Kind regards,\nJordan", "Jordan"),
        ("help@brightwave.example", "Thanks, Jordan Lee", "Jordan Lee"),
        ("Brightwave Customer Care <care@brightwave.example>", "Best,\nThe Brightwave Team",
         "Brightwave Customer Care"),  # a team signed it: no person to name
        ("Sam Reyes <customer.support@brightwave.example>", "Kind regards,\nSam", "Sam Reyes"),  # a person already
        ("Brightwave Support <help@brightwave.example>", "Jordan", "Brightwave Support"),  # a name, no sign-off
        # a support mailbox under the company's name: the display name is no person
        ("Brightwave Broadband <help@brightwave.example>", "Kind regards,\nElif Yilmaz", "Elif Yilmaz"),
        ("Brightwave <support@brightwave.example>", "Cheers,\nJordan", "Jordan"),
    ],
)
def test_an_agent_writing_as_a_team_is_named_by_the_sign_off(sender, sign_off, speaker):
    data = (f"From: {sender}\nTo: Mia Novak <mia@example.net>\nSubject: Re: Router\n"
            "Date: Mon, 3 Mar 2025 10:00:00 +0000\n\nThe engineer comes on Friday.\n\n"
            f"{sign_off}\nBrightwave Broadband\nTel: 0800 000 000\n\n"
            "On Mon, 3 Mar 2025 at 09:00, Mia Novak <mia@example.net> wrote:\n> When does the engineer come?\n")
    [t] = read_text(data)
    assert summary(t) == [("customer", "Mia Novak"), ("agent", speaker)]
    assert t.agents == (speaker,)


def test_a_support_role_in_the_signature_makes_the_agent_and_the_other_domain_the_customer():
    # the customer's text has an agent cue ("my name is"), the agent's text none: the signature decides
    data = ("From: Ines Duarte <ines.duarte@harbourline.example>\nTo: Siobhan Kelly <siobhan@example.org>\n"
            "Subject: Re: Booking\nDate: Wed, 25 Mar 2026 08:31:09 +0000\n\nDear Siobhan,\n\nThe booking now shows "
            "the right spelling.\n\nWarm regards,\n\n-- \nInes Duarte\nGuest Services | Harbourline Stays\n\n"
            "On Tue, 24 Mar 2026 at 21:18, Siobhan Kelly <siobhan@example.org> wrote:\n"
            "> My name is spelled wrong on the booking.\n")
    [t] = read_text(data)
    assert summary(t) == [("customer", "Siobhan Kelly"), ("agent", "Ines Duarte")]
    assert t.turns[1].text.endswith("Warm regards,\nInes Duarte")
    assert not any(w.startswith("roles:") for w in t.warnings)


def test_a_support_mailbox_among_the_recipients_marks_the_other_domain_as_customer():
    [_, leo] = read("two_threads.mbox")  # Leo wrote to support@brightwave.example
    assert summary(leo) == [("customer", "Leo Park"), ("agent", "Ana Silva"), ("customer", "Leo Park")]
    assert not any("'Leo Park'" in w for w in leo.warnings if w.startswith("roles:"))


def test_outbound_email_from_support_is_one_sided_agent():
    [t] = read("outbound.eml")
    assert summary(t) == [("agent", "Brightwave Support")]
    assert t.turns[0].text.endswith("Best regards,\nThe Brightwave Team")
    assert any(w.startswith("one-sided conversation: no customer messages") for w in t.warnings)


# --- dates ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date, expected, warning",
    [
        ("Mon, 3 Mar 2025 09:00:00 -0500", datetime(2025, 3, 3, 14, 0, tzinfo=timezone.utc), None),
        ("Mon, 3 Mar 2025 09:00:00", datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc), None),
        ("sometime last week", None, "unreadable Date header 'sometime last week'"),
    ],
)
def test_date_header(date, expected, warning):
    [t] = read_text(f"From: leo@example.com\nSubject: Hi\nDate: {date}\n\nWhere is my parcel?\n")
    stamp = t.turns[0].timestamp
    assert stamp == expected
    assert stamp is None or stamp.tzinfo is not None
    assert (warning is None) or any(warning in w for w in t.warnings)


@pytest.mark.parametrize(
    "attribution, expected",
    [
        ("On 01/02/2025 10:05 AM, Jonas Berg <jonas@brightwave.example> wrote:", datetime(2025, 2, 1, 10, 5)),
        ("On 2/14/2025 10:05 AM, Jonas Berg <jonas@brightwave.example> wrote:", datetime(2025, 2, 14, 10, 5)),
        ("Am 01.02.2025 um 10:05 schrieb Jonas Berg <jonas@brightwave.example>:", datetime(2025, 2, 1, 10, 5)),
    ],
)
def test_numeric_attribution_dates_are_read_day_first(attribution, expected):
    [t] = read_text(HEAD + f"\nStill broken.\n\n{attribution}\n> Try a restart.\n", options=BRIGHTWAVE)
    [quoted] = [turn for turn in t.turns if turn.speaker == "Jonas Berg"]
    assert quoted.timestamp == expected.replace(tzinfo=timezone.utc)


# --- detection and errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", [("message", "email"), ("export", "mbox")])
def test_files_without_a_suffix_are_sniffed(name, fmt):
    data = (FIXTURES / ("outbound.eml" if fmt == "email" else "two_threads.mbox")).read_bytes()
    assert {t.format for t in read_bytes(data, name)} == {fmt}


@pytest.mark.parametrize(
    "name, data, code, line, message",
    [
        ("a.eml", b"", "empty", None, "empty"),
        ("a.eml", b"  \n\n", "empty", None, "empty"),
        ("a.eml", b"hello there\nthis is not an email\n", "malformed_email", 1, "got 'hello there'"),
        ("a.eml", b"\n\nhello there\n", "malformed_email", 3, "expected RFC 5322 headers"),
        ("a.eml", b"\x00\x01\x02\x03binary" * 20, "malformed_email", 1, "binary"),
        ("a.eml", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 64, "malformed_email", 1, "Outlook .msg"),
        ("a.eml", b"Agent: hello\nCustomer: hi\n\nbody\n", "malformed_email", 1, "no email headers found"),
        ("a.eml", b"From: leo@example.com\nSubject: Hi\n", "no_turns", None, "no body text"),
        ("a.eml", b"From: leo@example.com\nContent-Type: image/png\n\niVBORw0KGgo=\n", "no_turns", None, "no body"),
        ("a.mbox", b"From: leo@example.com\nSubject: Hi\n\nbody\n", "malformed_email", 1, "'From ' separator"),
        ("a.mbox", b"\n\nSubject: Hi\n\nbody\n", "malformed_email", 3, "'From ' separator"),
        ("a.mbox", b"From leo@example.com Mon Mar  3 10:00:00 2025\nFrom: leo@example.com\nSubject: Hi\n\n\n",
         "no_turns", None, "no message in the mailbox has no body text"),
    ],
)
def test_errors(name, data, code, line, message):
    with pytest.raises(InputError) as caught:
        read_text(data, name)
    assert (caught.value.code, caught.value.line) == (code, line)
    assert message in caught.value.message


def test_hostile_nesting_is_read_without_errors():
    deep_quotes = HEAD + "\nTop\n" + "\n".join(">" * i + " level" for i in range(1, 300))
    deep_html = HEAD + "Content-Type: text/html\n\n" + "<blockquote>" * 3000 + "deep" + "</blockquote>" * 3000
    deep_mime = HEAD + "Content-Type: multipart/mixed; boundary=b0\n\n" + "".join(
        f"--b{i}\nContent-Type: multipart/mixed; boundary=b{i + 1}\n\n" for i in range(200)
    ) + "--b200\nContent-Type: text/plain\n\ninnermost\n"
    for data in (deep_quotes, deep_html, deep_mime):
        try:
            transcripts = read_text(data)
        except InputError:
            continue
        assert transcripts and all(t.turns for t in transcripts)
    assert read_text(deep_quotes)[0].turns[-1].text == "Top"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from(["a.eml", "a.mbox"]))
def test_arbitrary_bytes_raise_only_input_errors(tail, name):
    prefix = b"From leo@example.com Mon Mar  3 10:00:00 2025\n" if name == "a.mbox" else b""
    head = b"From: Leo <leo@example.com>\nSubject: =?utf-8?q?x?=\nContent-Type: multipart/mixed; boundary=q\n"
    data = prefix + head + tail
    try:
        transcripts = list(read_bytes(data, name))
    except InputError:
        return
    assert all(t.channel == "email" for t in transcripts)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("> \n-_:OnFromwrote@.,<>abc12Sent:To:Subject:Thanks,")), max_size=400))
def test_arbitrary_bodies_raise_only_input_errors(body):
    try:
        list(read_bytes((HEAD + "\n" + body).encode(), "a.eml"))
    except InputError as exc:
        assert exc.code == "no_turns"


# --- roles decided per file (QA regressions) ------------------------------------------------------------------------


def test_one_address_keeps_one_role_in_every_thread_of_a_mailbox():
    # Sam's address is at a support domain (a "care" label); Ola writes to a support mailbox, Kit to Sam directly.
    first, second = read("support_domain.mbox")
    assert summary(first) == [("customer", "Ola Berg"), ("agent", "Sam Reyes")]
    assert summary(second) == [("customer", "Kit Lund"), ("agent", "Sam Reyes")]
    for t in (first, second):
        assert not any(w.startswith("roles:") for w in t.warnings)


def _reply(sender: str, to: str, quoted: str, cc: str = "") -> str:
    return (f"From: {sender}\nTo: {to}\n" + (f"Cc: {cc}\n" if cc else "") +
            "Subject: Re: Router\nDate: Fri, 6 Mar 2026 09:00:00 +0000\nMessage-ID: <r1@mail.example>\n\n"
            "Still dropping every ten minutes.\n\n"
            f"On Thu, 5 Mar 2026 at 16:22, {quoted}\nwrote:\n\n> I pushed a firmware fix to your router.\n>\n> Tom\n")


@pytest.mark.parametrize(
    ("sender", "to", "quoted", "cc", "expected"),
    [
        # the quoted author is at a support domain (every domain label counts), the sender wrote to them
        ("Dana Kim <dana@example.com>", "Tom Becker <tom.becker@support.acme.example>",
         "Tom Becker <tom.becker@support.acme.example>", "", [("agent", "Tom Becker"), ("customer", "Dana Kim")]),
        ("Dana Kim <dana@example.com>", "Tom Becker <tom@acme-helpdesk.example>",
         "Tom Becker <tom@acme-helpdesk.example>", "", [("agent", "Tom Becker"), ("customer", "Dana Kim")]),
        # a support mailbox in Cc: whoever writes to it from outside is the customer, the other side the agent
        ("Dana Kim <dana@gmail.example>", "Tom Becker <tom@acme.example>", "Tom Becker <tom@acme.example>",
         "support@acme.example", [("agent", "Tom Becker"), ("customer", "Dana Kim")]),
        # nothing support-like anywhere: left to finish (which guesses, and says so)
        ("Dana Kim <dana@example.com>", "Tom Becker <tom@acme.example>", "Tom Becker <tom@acme.example>", "",
         None),
    ],
)
def test_roles_from_support_domains_and_recipients(sender, to, quoted, cc, expected):
    [t] = read_text(_reply(sender, to, quoted, cc))
    if expected is None:
        assert len([w for w in t.warnings if w.startswith("roles:")]) == 2
    else:
        assert summary(t) == expected
        assert not any(w.startswith("roles:") for w in t.warnings)


def test_a_roster_still_wins_over_the_support_domain():
    data = _reply("Dana Kim <dana@example.com>", "Tom Becker <tom.becker@support.acme.example>",
                  "Tom Becker <tom.becker@support.acme.example>")
    [t] = read_text(data, options=IngestOptions(agent_domains=("example.com",)))
    assert summary(t) == [("customer", "Tom Becker"), ("agent", "Dana Kim")]
    [t] = read_text(data, options=IngestOptions(agents=("Dana Kim",)))
    assert summary(t) == [("customer", "Tom Becker"), ("agent", "Dana Kim")]


# --- own_text: the zoning for other formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "html", "expected"),
    [
        ("Thank you, that was fast!\n\nOn Tue, 3 Mar 2026 at 10:05, Shop Help <help@shop.example> wrote:\n"
         "Hi Lena,\nWe sent the wrong size.", False, "Thank you, that was fast!"),
        ("Hi Lena,\n\nThe right size ships today.\n\nKind regards,\nJonas\nCustomer Care | Shop Example\n"
         "+1 555 010 0142", False, "Hi Lena,\n\nThe right size ships today.\n\nKind regards,\nJonas"),
        ('<div dir="ltr">Thank you!</div><div class="freshdesk_quote"><blockquote class="freshdesk_quote">'
         "On Tue, 3 Mar 2026 at 10:05, Shop Help &lt;help@shop.example&gt; wrote:<br>Hi Lena</blockquote></div>",
         True, "Thank you!"),
        ('<p>Works now.</p><div class="gmail_quote"><div class="gmail_attr">On Mon, Tom wrote:</div>'
         "<blockquote class=\"gmail_quote\">Try channel 36.</blockquote></div>", True, "Works now."),
        ('<p>Works now.</p><blockquote type="cite">Try channel 36.</blockquote>', True, "Works now."),
        ("<p>Plain <b>reply</b>.</p>", True, "Plain reply."),
        # nothing of its own would be left: the text stays as it is
        ("> only a quote", False, "> only a quote"),
    ],
)
def test_own_text_for_helpdesk_bodies(body, html, expected):
    from transcript_coach.ingest.email import own_text as zone

    assert zone(body, html=html) == expected


def test_a_header_value_met_again_is_not_parsed_again(monkeypatch):
    """The email package parses a header on every read; a value already parsed (the same Content-Type in every
    message, the same addresses all through a thread) is parsed once, and reads the same."""
    from email.policy import EmailPolicy

    from transcript_coach.ingest import email as email_ingest

    parsed: list[tuple[str, str]] = []
    original = EmailPolicy.header_fetch_parse

    def counting(policy, name, value):
        parsed.append((name.lower(), value))
        return original(policy, name, value)

    monkeypatch.setattr(EmailPolicy, "header_fetch_parse", counting)
    email_ingest._parsed_header.cache_clear()
    mailbox = (FIXTURES / "two_threads.mbox").read_bytes()
    first = [summary(t) for t in read_bytes(mailbox, "a.mbox")]
    assert [summary(t) for t in read_bytes(mailbox, "a.mbox")] == first
    assert parsed and len(parsed) == len(set(parsed))  # each distinct header once, over both readings
    email_ingest._parsed_header.cache_clear()


def _split_by_lines(data: bytes) -> list[tuple[bytes, int]]:
    """What ``_split_mbox`` gives, worked out the plain way, from a list of the mailbox's lines: a separator is the
    first line with more than white space on it, and every later line starting ``From `` that is followed by a
    header line and comes after a blank line or reads as an envelope; ``>From`` escapes lose one ``>``."""
    from transcript_coach.ingest.email import _ENVELOPE, _ESCAPED_FROM, _HEADER_LINE

    lines = data.split(b"\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    starts = [first] + [i for i in range(first + 1, len(lines) - 1)
                        if lines[i].startswith(b"From ") and _HEADER_LINE.match(lines[i + 1])
                        and (not lines[i - 1].strip() or _ENVELOPE.match(lines[i]))]
    return [(b"\n".join(line[1:] if _ESCAPED_FROM.match(line) else line for line in lines[start + 1:end]), start + 1)
            for start, end in zip(starts, [*starts[1:], len(lines)])]


_MBOX_LINES = [b"From alice@example.net Mon Jan  1 10:00:00 2024", b"From bob", b"From: Bob <bob@example.net>",
               b"Subject: Router", b"X-Id: 1", b">From the start", b">>From here", b"", b" ", b"\x0c", b"\r",
               b"The router blinks.", b"From", b"From x Sat Jan 1 1:00"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_MBOX_LINES), min_size=1, max_size=30), st.booleans())
@example([b"X-Id: 1", b" ", b"From bob", b"Subject: Router", b"\r", b"From bob", b"X-Id: 1"], False)  # blank-ish
@example([b"X-Id: 1", b"The router blinks.", b"From bob", b"Subject: Router"], True)  # not after a blank line
@example([b"X-Id: 1", b"The router blinks.", _MBOX_LINES[0], b"Subject: Router"], True)  # an envelope line
@example([b"X-Id: 1", b">From the start", b">>From here", b"", b"From bob"], True)  # escapes; last, no header
@example([_MBOX_LINES[0], b"X-Id: 1", b"", b"From bob", b"X-Id: 1"], False)  # separators right after each other
def test_a_mailbox_is_split_into_messages_without_splitting_it_into_lines(lines, newline_at_end):
    from transcript_coach.ingest.email import _split_mbox

    data = b"\n".join([_MBOX_LINES[0], *lines]) + (b"\n" if newline_at_end else b"")
    assert list(_split_mbox(data, "box.mbox")) == _split_by_lines(data)


def test_a_mailbox_not_starting_with_a_separator_is_refused_at_its_first_line_with_text():
    with pytest.raises(InputError, match="expected an mbox file that starts with a 'From ' separator") as caught:
        read_text("\n \n\x0c\nFrom: Mia <mia@example.net>\nSubject: Hi\n\nHello\n", "box.mbox")
    assert caught.value.line == 4


def _message(sender: str, to: str, when: str, ident: str, body: str, reply_to: str = "") -> str:
    return (f"From - {when}\nFrom: {sender}\nTo: {to}\nSubject: Invoice\nDate: {when}\nMessage-ID: <{ident}>\n"
            + (f"In-Reply-To: <{reply_to}>\n" if reply_to else "") + f"\n{body}\n\n")


def _shared_mailbox_thread(second_agent: str) -> str:
    return "".join([
        _message("Alison Reid <finance@joinery.example>", "Billing <billing@ledger.example>",
                 "Mon, 07 Sep 2026 08:30:00 +0100", "a1@joinery.example",
                 "Our invoice charges us for 25 seats, we have 12. Please correct it and refund the difference."),
        _message("Graham Pike <billing@ledger.example>", "Alison Reid <finance@joinery.example>",
                 "Tue, 08 Sep 2026 16:45:00 +0100", "b1@ledger.example",
                 "Dear Alison,\n\nI will look into it and get back to you by Friday.\n\nKind regards,\nGraham",
                 "a1@joinery.example"),
        _message("Alison Reid <finance@joinery.example>", "Billing <billing@ledger.example>",
                 "Mon, 14 Sep 2026 09:02:00 +0100", "a2@joinery.example",
                 "It is Monday and I have heard nothing. Please can someone deal with this today.",
                 "b1@ledger.example"),
        _message(f"{second_agent} <billing@ledger.example>", "Alison Reid <finance@joinery.example>",
                 "Mon, 14 Sep 2026 15:20:00 +0100", "b2@ledger.example",
                 "Dear Alison,\n\nI'm sorry you had to chase us. I have refunded the difference to your card.",
                 "a2@joinery.example"),
    ])


def test_two_people_writing_from_one_shared_mailbox_keep_their_own_names_and_one_role():
    # billing@ is no support mailbox by its name: finish guesses the roles, once for the address, not per person
    [t] = read_text(_shared_mailbox_thread("Priya Shah"), "billing.mbox")
    assert summary(t) == [("customer", "Alison Reid"), ("agent", "Graham Pike"), ("customer", "Alison Reid"),
                          ("agent", "Priya Shah")]
    assert t.agents == ("Graham Pike", "Priya Shah")
    assert any("'Graham Pike' and 'Priya Shah' (one e-mail address) have no role label" in w for w in t.warnings)


@pytest.mark.parametrize("written", ["Graham", "\"Pike, Graham\"", "graham pike"])
def test_one_person_written_two_ways_from_one_address_is_one_speaker(written):
    [t] = read_text(_shared_mailbox_thread(written), "billing.mbox")
    assert [turn.speaker for turn in t.turns if turn.role == "agent"] == ["Graham Pike", "Graham Pike"]
