"""Redaction recall on planted personal data, and what the redactor finds in text where nothing was planted.

    python benchmarks/eval_redaction.py [DATA_DIR] [--seed N] [--per-kind N]

1. **Planted** (recall): values of every kind are generated here, independently of the redactor (random names from
   our own lists; phone numbers in national and international formats of six countries; card numbers of four issuers
   with their Luhn check digit; IBANs of six countries with their mod-97 check digits; US and UK street addresses
   and postcodes; order and account numbers after the cue phrases people use), put into sentences of varied wording
   and appended to random turns of the sample transcripts (names: the customer's speaker label is replaced by a
   generated person, who is then greeted and signs off by name). Per kind: how many were planted, the share no
   longer present after redaction ("removed"), and the share replaced by the placeholder of their own kind with
   nothing of the value left ("typed").
2. **Unplanted samples** (false positives): every span found in the sample transcripts as written, per kind, against
   a hand-checked list of the personal data they really contain (``KNOWN_SAMPLE_PII``); anything else is printed as
   a false positive.
3. **ABCD** (independent, 3 conversations): the scenario metadata of the Action-Based Conversations Dataset sample
   gives each conversation's customer name, e-mail, phone number, order id and address; recall over the places where
   those values occur in the text.
4. **TWCS** (unlabelled): how often each kind fires on 5,000 real support tweets, with a few examples to judge by
   eye (customer handles there are already numbers).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from transcript_coach import Coach, Transcript
from transcript_coach.redact import (
    KINDS,
    redact_settings,
    redact_transcript,
    transcript_pii,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_transcripts"

FIRST = ["Ana", "Mohammed", "Siobhan", "Oluwaseun", "Wei", "Priyanka", "Jurgen", "Camille", "Mateo", "Ingrid",
         "Kwabena", "Yuki", "Fatima", "Lachlan", "Zofia", "Tariq", "Bronwyn", "Esperanza", "Dmitri", "Nomvula",
         "Haruto", "Aoife", "Rafael", "Lindiwe", "Bartholomew", "Ngozi", "Henrik", "Chiara", "Emeka", "Saoirse"]
LAST = ["Silva", "Haddad", "O'Connell", "Adebayo", "Zhang", "Raghunathan", "Schneider", "Dubois", "Fernandez",
        "Lindqvist", "Mensah", "Takahashi", "Al-Sayed", "McAllister", "Kowalczyk", "Qureshi", "Pritchard", "Morales",
        "Volkov", "Dlamini", "Sato", "Byrne", "Castellanos", "Ndlovu", "Whitcombe", "Okonkwo", "Nyberg", "Russo"]
DOMAINS = ["example.com", "mail.example.org", "example.co.uk", "inbox.example.net"]
STREETS = ["Oak", "Maple", "Cedar", "Church", "Station", "Victoria", "Mill", "Washington", "Lincoln", "Sunset",
           "Lakeview", "Hillcrest", "Chestnut", "Willow", "King George", "Riverside"]
SUFFIXES = ["Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Drive", "Close", "Way", "Court", "Boulevard",
            "Place", "Crescent", "Terrace"]
US_CITIES = [("Springfield", "IL"), ("Austin", "TX"), ("Portland", "OR"), ("Albany", "NY"), ("Columbus", "OH"),
             ("Boulder", "CO"), ("Tampa", "FL"), ("Madison", "WI")]
UK_TOWNS = ["Leeds", "Bristol", "Norwich", "Cardiff", "York", "Bath", "Derby", "Exeter"]
UK_AREAS = ["SW", "NW", "E", "N", "M", "B", "LS", "BS", "CF", "EH", "G", "YO"]

TEMPLATES = {
    "email": ["My email is {v}.", "You can write to {v} instead.", "Please send it to {v}", "{v}",
              "I've updated the address on file to {v} for you."],
    "phone": ["Call me on {v} please.", "My number is {v}.", "You can reach me at {v} after 5pm.",
              "Best number is {v}", "I'll call you back on {v} in ten minutes."],
    "card": ["I paid with my card {v}.", "The card number is {v}", "Charge it to {v} please.",
             "It was taken from {v} twice!"],
    "iban": ["Please refund to my IBAN {v}.", "My bank account is {v}", "Send the money to {v} please.",
             "The IBAN on file is {v}."],
    "address": ["I live at {v}.", "Please ship it to {v}", "My new address is {v}.",
                "It was delivered to {v} by mistake.", "my postcode is {v}"],
    "order": ["My order number is {v}.", "It's about order #{v}", "Order ID: {v}", "The order {v} never arrived.",
              "My booking reference is {v}.", "Tracking number {v} hasn't moved.", "I'm calling about order {v}.",
              "Any news on {v}?"],  # the last one has no cue: expected to be missed
    "account": ["My account number is {v}.", "Account no. {v}", "My customer ID is {v}",
                "The account {v} is locked.", "membership number: {v}", "It's {v}, as I said."],  # (no cue)
}


# --- generated values (independent of the redactor) -----------------------------------------------------------------

def luhn_digit(partial: str) -> str:
    total = 0
    for i, char in enumerate(reversed(partial)):
        d = int(char)
        if i % 2 == 0:  # doubled: the check digit will be appended at the right
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def iban_with_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in (bban + country + "00").upper())
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def grouped(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i:i + size] for i in range(0, len(text), size))


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def capitals(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))


def gen_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST).lower(), re.sub(r"\W", "", rng.choice(LAST)).lower()
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}", f"{last}_{first}"])
    email = f"{local}@{rng.choice(DOMAINS)}"
    return email.upper() if rng.random() < 0.1 else email


def gen_phone(rng: random.Random) -> str:
    d = functools.partial(digits, rng)
    area = rng.choice(["212", "415", "312", "617", "206", "303", "512", "404", "646", "718"])
    exchange = f"{rng.randint(2, 9)}{d(2)}"
    mobile = f"7{rng.choice('123457')}{d(2)}"
    return rng.choice([
        f"({area}) {exchange}-{d(4)}", f"{area}-{exchange}-{d(4)}", f"{area}.{exchange}.{d(4)}",
        f"+1 {area} {exchange} {d(4)}", f"1-{area}-{exchange}-{d(4)}",
        f"0{mobile} {d(6)}", f"+44 {mobile} {d(6)}", f"020 7{d(3)} {d(4)}", f"+44 20 3{d(3)} {d(4)}",
        f"0161 {rng.randint(2, 9)}{d(2)} {d(4)}",
        f"+49 30 {rng.randint(2, 9)}{d(7)}", f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}", f"+61 4{d(2)} {d(3)} {d(3)}",
        f"+91 9{d(4)} {d(5)}",
    ])


def gen_card(rng: random.Random) -> str:
    issuer = rng.choice(["visa", "mastercard", "amex", "discover"])
    prefix, length = {"visa": ("4", 16), "mastercard": (str(rng.randint(51, 55)), 16),
                      "amex": (rng.choice(["34", "37"]), 15), "discover": ("6011", 16)}[issuer]
    partial = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    number = partial + luhn_digit(partial)
    if issuer == "amex":
        return rng.choice([number, f"{number[:4]} {number[4:10]} {number[10:]}"])
    return rng.choice([number, grouped(number), grouped(number, sep="-")])


def gen_iban(rng: random.Random) -> str:
    d = functools.partial(digits, rng)
    up = functools.partial(capitals, rng)
    country, bban = rng.choice([("GB", up(4) + d(14)), ("DE", d(18)), ("FR", d(10) + up(1) + d(10) + d(2)),
                                ("NL", up(4) + d(10)), ("ES", d(20)), ("IT", up(1) + d(10) + d(12))])
    iban = iban_with_check(country, bban)
    return rng.choice([iban, grouped(iban)])


def gen_address(rng: random.Random) -> str:
    number, street, suffix = rng.randint(1, 9999), rng.choice(STREETS), rng.choice(SUFFIXES)
    postcode = (f"{rng.choice(UK_AREAS)}{rng.randint(1, 20)} {rng.randint(1, 9)}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")
    city, state = rng.choice(US_CITIES)
    if rng.random() < 0.15:  # typed in lower case, as in many chats
        return f"{number} {street} {suffix}".lower()
    return rng.choice([
        f"{number} {street} {suffix}",
        f"{number} {street} {suffix}, {city}, {state} {rng.randint(10000, 99999)}",
        f"{number} {street} {suffix}, Apt {rng.randint(1, 40)}",
        f"{rng.randint(1, 200)} {street} {suffix}, {rng.choice(UK_TOWNS)} {postcode}",
        postcode,
    ])


def gen_order(rng: random.Random) -> str:
    d = functools.partial(digits, rng)
    letters = "".join(rng.choice("ABCDEFGHKLMNPRSTWXZ") for _ in range(rng.randint(1, 3)))
    return rng.choice([f"{letters}-{d(6)}", d(rng.randint(6, 10)), f"{letters}{d(7)}", f"ORD-{d(4)}-{d(5)}"])


def gen_account(rng: random.Random) -> str:
    d = functools.partial(digits, rng)
    return rng.choice([d(8), f"{d(4)}-{d(4)}", f"C-{d(6)}", d(rng.randint(6, 12))])


GENERATORS = {"email": gen_email, "phone": gen_phone, "card": gen_card, "iban": gen_iban, "address": gen_address,
              "order": gen_order, "account": gen_account}


# --- 1. planted -----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Plant:
    kind: str
    transcript: int
    turn: int
    value: str
    sentence: str  # the planted sentence with "{v}" where the value is


def plant(transcripts: list[Transcript], per_kind: int, rng: random.Random
          ) -> tuple[list[Transcript], list[Plant]]:
    """Copies of ``transcripts`` with ``per_kind`` values of each kind appended to random turns, and what was planted
    where; every transcript with a customer also gets a generated customer whose name the agent uses."""
    texts = [[t.text for t in tr.turns] for tr in transcripts]
    speakers = [[t.speaker for t in tr.turns] for tr in transcripts]
    plants: list[Plant] = []
    used: set[tuple[int, int, str]] = set()  # one use of a sentence per turn, so that each plant can be told apart
    for kind, generate in GENERATORS.items():
        for _ in range(per_kind):
            i = rng.randrange(len(transcripts))
            j = rng.randrange(len(texts[i]))
            value, sentence = generate(rng), rng.choice(TEMPLATES[kind])
            while (i, j, sentence) in used:
                i, j = rng.randrange(len(transcripts)), 0
                j = rng.randrange(len(texts[i]))
            used.add((i, j, sentence))
            texts[i][j] = f"{texts[i][j]} {sentence.format(v=value)}"
            plants.append(Plant(kind, i, j, value, sentence))
    for i, tr in enumerate(transcripts):
        customer = [j for j, t in enumerate(tr.turns) if t.role == "customer"]
        agent = [j for j, t in enumerate(tr.turns) if t.role == "agent"]
        if not customer or not agent:
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rng.random() < 0.5:  # known from the label
            for j in customer:
                speakers[i][j] = f"{first} {last}"
        else:  # only said in the conversation
            texts[i][customer[0]] += f" My name is {first} {last}."
            plants.append(Plant("name", i, customer[0], f"{first} {last}", "My name is {v}."))
        j = rng.choice(agent)
        greeting = rng.choice(["Thanks, {v}.", "Hi {v}, thanks for waiting.", "You're welcome, {v}!"])
        texts[i][j] += " " + greeting.format(v=first)
        plants.append(Plant("name", i, j, first, greeting))
        j = rng.choice(customer)
        signed = first.lower() if rng.random() < 0.2 else first  # some sign off in lower case
        texts[i][j] += f"\n\n{signed}"
        plants.append(Plant("name", i, j, signed, "\n\n{v}"))
    planted = [dataclasses.replace(tr, turns=tuple(dataclasses.replace(t, text=texts[i][j], speaker=speakers[i][j])
                                                   for j, t in enumerate(tr.turns)))
               for i, tr in enumerate(transcripts)]
    return planted, plants


def recall(transcripts: list[Transcript], plants: list[Plant]) -> dict[str, tuple[int, float, float]]:
    settings = redact_settings()
    redacted = [redact_transcript(t, settings)[0] for t in transcripts]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    for p in plants:
        text = redacted[p.transcript].turns[p.turn].text
        words = [w for w in re.split(r"[\s,]+", p.value) if len(w) > 1]
        left = p.value in text if p.kind != "name" else any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)
        typed = p.sentence.format(v=settings.placeholder(p.kind)) in text
        tally[p.kind][0] += 1
        tally[p.kind][1] += not left
        tally[p.kind][2] += typed
        if not typed:
            misses[p.kind].append(p.sentence.format(v=p.value).strip())
    recall.misses = misses  # type: ignore[attr-defined]
    return {kind: (n, removed / n, typed / n) for kind, (n, removed, typed) in tally.items()}


# --- 2. unplanted samples -------------------------------------------------------------------------------------------

# The personal data really in sample_transcripts/ (checked by hand): company addresses and numbers count, as they are
# what the kinds describe; card endings and ticket, refund and fault references are not personal data here.
KNOWN_SAMPLE_PII = {
    "account": {"4410-2287", "5520-9184", "7731-0452"},
    "address": {"14 Elm Row", "27 Coldharbour Road", "40211", "41 Elm Row", "8 Mill Lane", "BR7 4QN",
                "Flat 2, 3 Harbour Lane, Port Esk, PE4 7QT"},
    "email": {"bookings@harbourline.example", "lan.nguyen@example.net", "m.lindqvist@example.net",
              "marta.lindqvist@example.com", "mei.ling.tan@example.com", "no-reply@lumora.example",
              "ola.adeyemi@example.com", "peter.lindgren@example.net", "rosa.bianchi@example.com",
              "sam.whitlock@example.net", "support@ledgerly.example", "support@lumora.example"},
    "name": {"Ahmed", "Ahmed Rahimi", "Alison", "Alison Reid", "Amara", "Beth", "Beth Calloway", "Bhriain", "Chris",
             "Dana", "Dana Kim", "Fiona", "Grace", "Grace Liu", "Hannah", "Hannah Osei", "Jordan", "Katarzyna",
             "Kwame", "Lan", "Leila", "Leo", "Marta", "Mei Ling", "Nguyen", "Nguyen Thi Lan", "Okoro", "Ola", "Owen",
             "Peter", "Peter Lindgren", "Robin", "Rosa", "Sam", "Sam Porter", "Sam Whitlock", "Siobhan Ni Bhriain",
             "Siobh\u00e1n", "Siobh\u00e1n N\u00ed Bhriain", "Tan", "Thi", "Tomasz", "Tomasz Wi\u015bniewski"},
    "order": {"HS-30655", "HS-31877", "INV-88213", "LH-448120", "LH-451876", "LH-463015", "LH-502377", "LH-511902",
              "PP-77310925", "PP-80455163", "PP-81220347"},
    "phone": {"+44 20 7946 0321", "01632 960114", "0808 555 0199"},
}


def unplanted(transcripts: list[Transcript]) -> tuple[Counter, Counter, list[tuple[str, str]]]:
    found: Counter = Counter()
    wrong: Counter = Counter()
    false: list[tuple[str, str]] = []
    for transcript in transcripts:
        for turn, spans in zip(transcript.turns, transcript_pii(transcript)[2], strict=True):
            for span in spans:
                text = turn.text[span.start:span.end]
                found[span.kind] += 1
                if text not in KNOWN_SAMPLE_PII.get(span.kind, ()):
                    wrong[span.kind] += 1
                    false.append((span.kind, text))
    return found, wrong, false


# --- 3. ABCD --------------------------------------------------------------------------------------------------------

def abcd(data: Path) -> tuple[dict[str, list[int]], list[str]]:
    """Recall over the occurrences of each conversation's scenario values (customer name parts, e-mail, phone, order
    id, street address, zip code) in its text."""
    path = data / "abcd" / "abcd_sample.json"
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed: list[str] = []
    if not path.exists():
        return tally, missed
    roles = {"agent": "agent", "customer": "customer", "action": "system"}
    for convo in json.loads(path.read_text(encoding="utf-8")):
        personal, order = convo["scenario"]["personal"], convo["scenario"]["order"]
        values = {"email": [personal.get("email")], "phone": [personal.get("phone")],
                  "order": [order.get("order_id")], "address": [order.get("street_address"), order.get("zip_code")],
                  "name": (personal.get("customer_name") or "").split()}
        transcript = Transcript.from_turns([{"role": roles[s], "speaker": s.capitalize(), "text": t}
                                            for s, t in convo["original"]], id=str(convo["convo_id"]))
        redacted, _ = redact_transcript(transcript, redact_settings())
        for original, after in zip(transcript.turns, redacted.turns, strict=True):
            for kind, wanted in values.items():
                for value in filter(None, wanted):
                    pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
                    for _ in pattern.finditer(original.text):
                        tally[kind][0] += 1
                    left = len(pattern.findall(after.text))
                    tally[kind][1] += len(pattern.findall(original.text)) - left
                    if left:
                        missed.append(f"{kind}: {original.text[:90]!r}")
    return tally, missed


# --- 4. TWCS --------------------------------------------------------------------------------------------------------

def twcs(data: Path, rng: random.Random) -> tuple[int, Counter, dict[str, list[str]], float]:
    path = data / "twcs" / "twcs_head5000.csv"
    if not path.exists():
        return 0, Counter(), {}, 0.0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from eval_twcs import read_threads, transcripts

    conversations = transcripts(read_threads(path))
    found: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    start = time.perf_counter()
    turns = 0
    for transcript in conversations:
        turns += len(transcript.turns)
        for turn, spans in zip(transcript.turns, transcript_pii(transcript)[2], strict=True):
            for span in spans:
                found[span.kind] += 1
                examples[span.kind].append(turn.text[max(0, span.start - 30):span.end + 20].replace("\n", " "))
    seconds = time.perf_counter() - start
    return turns, found, {k: rng.sample(v, min(4, len(v))) for k, v in examples.items()}, seconds


def rows(data_dir: Path, *, seed: int = 13, per_kind: int = 400) -> list[dict]:
    """The numbers of parts 1-3, as rows of ``benchmarks/accuracy.py``'s table."""
    transcripts = [t for t in Coach().read([SAMPLES]) if isinstance(t, Transcript)]
    planted, plants = plant(transcripts, per_kind, random.Random(seed))
    out = []
    dataset = f"sample_transcripts, values planted (seed {seed})"
    for kind, (n, removed, typed) in recall(planted, plants).items():
        uncued = {"order": "; one in 8 of its sentences has no cue word (expected to be missed)",
                  "account": "; one in 6 of its sentences has no cue word (expected to be missed)"}.get(kind, "")
        for metric, value, note in (("removed", removed, "share of the planted values no longer in the text"),
                                    ("typed", typed, f"share replaced by the {kind} placeholder, nothing left")):
            out.append({"signal": f"redaction.{kind}", "dataset": dataset, "metric": metric, "value": round(value, 4),
                        "target": None, "n": n, "note": note + uncued})
    found, wrong, _ = unplanted(transcripts)
    for kind in KINDS:
        if found[kind]:
            out.append({"signal": f"redaction.{kind}", "dataset": "sample_transcripts as written",
                        "metric": "precision", "value": round(1 - wrong[kind] / found[kind], 4), "target": None,
                        "n": found[kind],
                        "note": "spans found that are in the hand-checked list of the samples' personal data"})
    tally, _ = abcd(Path(data_dir))
    for kind in KINDS:
        occurs, removed = tally.get(kind, (0, 0))
        if occurs:
            out.append({"signal": f"redaction.{kind}", "dataset": "abcd_sample (3 conversations)", "metric": "recall",
                        "value": round(removed / occurs, 4), "target": None, "n": occurs,
                        "note": "occurrences of the scenario's values removed from the text"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-kind", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    transcripts = [t for t in Coach().read([SAMPLES]) if isinstance(t, Transcript)]

    planted, plants = plant(transcripts, args.per_kind, rng)
    start = time.perf_counter()
    rows = recall(planted, plants)
    seconds = time.perf_counter() - start
    print(f"1. Planted personal data in {len(transcripts)} sample transcripts (seed {args.seed}; "
          f"{seconds:.1f} s to redact them all)\n")
    print(f"{'kind':9} {'planted':>8} {'removed':>8} {'typed':>8}")
    for kind in KINDS:
        if kind in rows:
            n, removed, typed = rows[kind]
            print(f"{kind:9} {n:8d} {removed:8.1%} {typed:8.1%}")
    for kind, missed in recall.misses.items():  # type: ignore[attr-defined]
        print(f"  not typed ({kind}): " + " | ".join(repr(m[:70]) for m in missed[:4]))

    found, wrong, false = unplanted(transcripts)
    print("\n2. Unplanted sample transcripts: spans found / false positives (against KNOWN_SAMPLE_PII)\n")
    print(f"{'kind':9} {'found':>6} {'false':>6}")
    for kind in KINDS:
        print(f"{kind:9} {found[kind]:6d} {wrong[kind]:6d}")
    for kind, text in false[:20]:
        print(f"  false positive ({kind}): {text!r}")

    tally, missed = abcd(args.data)
    if tally:
        print("\n3. ABCD sample (3 conversations, values from the scenario metadata)\n")
        print(f"{'kind':9} {'occurs':>6} {'removed':>8}")
        for kind in KINDS:
            if kind in tally:
                n, removed = tally[kind]
                print(f"{kind:9} {n:6d} {f'{removed / n:.1%}' if n else '-':>8}")
        for line in missed:
            print(f"  left: {line}")

    turns, hits, examples, seconds = twcs(args.data, rng)
    if turns:
        print(f"\n4. TWCS (unlabelled): spans found in {turns} tweets ({seconds:.1f} s), per 1,000 tweets\n")
        for kind in KINDS:
            print(f"{kind:9} {hits[kind]:6d} {1000 * hits[kind] / turns:8.1f}")
            for example in examples.get(kind, []):
                print(f"    {example!r}")


if __name__ == "__main__":
    main()
