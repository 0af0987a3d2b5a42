from __future__ import annotations

import re

import pytest

from transcript_coach.ingest.base import IngestOptions, RawTurn
from transcript_coach.ingest.roles import parse_label, resolve_roles


@pytest.mark.parametrize(
    "label, role, name, internal",
    [
        ("Agent (Tom)", "agent", "Tom", False),
        ("Tom (Agent)", "agent", "Tom", False),
        ("Sarah (Support)", "agent", "Sarah", False),
        ("Agent (Support - Kim)", "agent", "Kim", False),
        ("Agent Ravi", "agent", "Ravi", False),
        ("Tom - Support", "agent", "Tom", False),
        ("Customer", "customer", "Customer", False),
        ("caller", "customer", "caller", False),
        ("Visitor 4821", "customer", "Visitor 4821", False),
        ("Bot", "bot", "Bot", False),
        ("Lumora Assistant (bot)", "bot", "Lumora Assistant", False),
        ("Virtual Agent", "bot", "Virtual Agent", False),
        ("Customer Service", "agent", "Customer Service", False),
        ("System", "system", "System", False),
        ("Tom (internal note)", "agent", "Tom", True),
        ("Dana", None, "Dana", False),
        ("Client Support", "agent", "Client Support", False),
        ("Customer Success", "agent", "Customer Success", False),
        ("Member Services", "agent", "Member Services", False),
        ("Account Manager", "agent", "Account Manager", False),
        ("Support Bot", "bot", "Support Bot", False),
        ("Support Agent Tom", "agent", "Tom", False),
        ("Customer Dana", "customer", "Dana", False),
        ("Mary-Jane O'Neil", None, "Mary-Jane O'Neil", False),
    ],
)
def test_parse_label(label, role, name, internal):
    parsed = parse_label(label)
    assert (parsed.role, parsed.name, parsed.internal) == (role, name, internal)


def turns(*pairs):
    return [RawTurn(text=text, label=label) for label, text in pairs]


def roles_of(raw, **options):
    resolved, warnings = resolve_roles(raw, IngestOptions(**options))
    return [r[0] for r in resolved], warnings


def test_labelled_roles_need_no_guess():
    roles, warnings = roles_of(turns(("Customer", "My parcel is late"), ("Agent (Tom)", "Let me check")))
    assert roles == ["customer", "agent"]
    assert warnings == []


def test_a_name_keeps_the_role_its_label_gave_it_elsewhere():
    roles, warnings = roles_of(turns(("Agent (Tom)", "Hello"), ("Dana", "Hi, my order is late"), ("Tom", "Checking")))
    assert roles == ["agent", "customer", "agent"]
    assert len(warnings) == 1 and "'Dana'" in warnings[0] and "customer" in warnings[0]


def test_roster_and_pattern_decide_unlabelled_names():
    raw = turns(("Dana", "Hello there"), ("Tom", "Hello"))
    assert roles_of(raw, agents=("Tom",))[0] == ["customer", "agent"]
    assert roles_of(raw, agent_pattern=re.compile("^t", re.I))[0] == ["customer", "agent"]


def test_speakers_outside_a_roster_are_customers_without_a_guess():
    roles, warnings = roles_of(turns(("Dana", "How can I help you today?"), ("Tom", "hi")), agents=("Tom",))
    assert roles == ["customer", "agent"] and warnings == []


def test_roster_matches_first_name_of_full_name():
    raw = turns(("Dana Kim", "Hello there"), ("Tom Baker", "Hello"))
    assert roles_of(raw, agents=("tom",))[0] == ["customer", "agent"]


def test_cue_phrases_guess_roles_with_a_warning():
    raw = turns(
        ("Ben", "Thanks for contacting Lumora, my name is Ben. How can I help?"),
        ("Ola", "My order never arrived and I want a refund"),
    )
    roles, warnings = roles_of(raw)
    assert roles == ["agent", "customer"]
    assert len(warnings) == 2 and all("--agents" in w for w in warnings)


def test_colleagues_labelled_with_one_organisation_are_one_side():
    raw = turns(("Fiona", "I want to speak to a manager. My boiler has been broken for 9 days."),
                ("Luca (Arbor Homes)", "Nine days without heating is awful. I'll get my manager on this chat now."),
                ("Priya (Arbor Homes)", "Hi Fiona, I'm Priya, Luca's manager. I've booked our senior engineer."),
                ("Fiona", "Thank you."))
    roles, warnings = roles_of(raw)
    assert roles == ["customer", "agent", "agent", "customer"]
    assert any("'Luca (Arbor Homes)' and 'Priya (Arbor Homes)' (one organisation) have" in w for w in warnings)


def test_no_cues_takes_first_speaker_as_customer_and_says_so():
    roles, warnings = roles_of(turns(("A", "hello"), ("B", "hi")))
    assert roles == ["customer", "agent"]
    assert all("nothing tells the roles apart" in w for w in warnings)


def test_email_domain_decides_roles():
    raw = [RawTurn("Hi, my bill is wrong", label="Dana", address="dana@example.com"),
           RawTurn("Let me check", label="Jonas", address="jonas@support.lumora.example")]
    assert roles_of(raw, agent_domains=("lumora.example",))[0] == ["customer", "agent"]


def test_stated_role_wins_over_label_words():
    raw = [RawTurn("text", label="Support", role="customer")]
    assert roles_of(raw)[0] == ["customer"]


def test_internal_label_marks_the_turn_internal():
    resolved, _ = resolve_roles(turns(("Customer", "hi"), ("Tom (internal note)", "refund approved")), IngestOptions())
    assert resolved[1] == ("agent", "Tom", True)


def test_a_roster_that_names_nobody_here_is_reported_and_not_applied():
    roles, warnings = roles_of(turns(("Ben", "Thanks for contacting us, how can I help?"), ("Ola", "My order is late")),
                               agents=("Patel",))
    assert roles == ["agent", "customer"]
    assert any("Patel" in w and "speaks" in w for w in warnings)


def test_agents_declared_by_a_file_only_count_when_they_speak():
    raw = turns(("Tom Becker", "Thank you for calling, how can I help?"), ("Dana Kim", "My internet is down"))
    resolved, _ = resolve_roles(raw, IngestOptions(), extra_agents=("Tom Becker. Customer: Dana Kim.",))
    assert [r[0] for r in resolved] == ["agent", "customer"]
