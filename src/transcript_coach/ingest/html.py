"""HTML message bodies (helpdesk exports, HTML email) to plain text that reads as the customer saw it.

Built on Beautiful Soup with the standard library's parser: tolerant of the broken markup exports contain, and no
compiled dependency. Paragraphs and line breaks become newlines, list items become ``- `` lines, links keep their
text (and the address when the text does not show it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

_BLOCKS = frozenset(
    "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre section article header footer hr".split()
)
_SKIP = frozenset({"script", "style", "head", "title", "meta"})
_INLINE_SPACE = re.compile(r"[ \t\u00a0\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LIST_MARK = re.compile(r"- |\d+\. ")
_TAG_HINT = re.compile(r"<[a-zA-Z][^<>]*>|&[a-zA-Z#0-9]+;")  # [^<>]: each "<" is scanned from once


def looks_like_html(text: str) -> bool:
    return bool(_TAG_HINT.search(text))


def parse_html(markup: str) -> BeautifulSoup:
    """``markup`` parsed by Beautiful Soup. It is imported here, on first use: text without markup never pays the
    0.06 s its import takes."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "html.parser")


def html_to_text(markup: str | Tag) -> str:
    """Plain text of an HTML fragment or document, or of an already parsed tree."""
    if not isinstance(markup, str):  # a parsed tree (BeautifulSoup is a Tag too)
        soup = markup
    elif not looks_like_html(markup):
        return markup.strip()
    else:
        soup = parse_html(markup)
    parts: list[str] = []
    _walk(soup, parts)
    text = "".join(parts)
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _walk(root: Tag, parts: list[str]) -> None:
    """Depth-first over the tree with an explicit stack: hostile nesting cannot exhaust Python's recursion."""
    from bs4 import NavigableString, Tag

    stack: list[tuple[Tag | NavigableString, bool]] = [(child, False) for child in reversed(list(root.children))]
    counters: dict[int, int] = {}
    while stack:
        node, closing = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # skip comments, doctypes, CDATA
                parts.append(str(node).replace("\n", " "))
            continue
        if not isinstance(node, Tag) or node.name in _SKIP:
            continue
        name = node.name
        if closing:
            if name == "a":
                href = node.get("href")
                shown = node.get_text(" ", strip=True)
                if isinstance(href, str) and href.startswith(("http://", "https://")) and href not in shown:
                    parts.append(f" ({href})")
            if name in _BLOCKS:
                parts.append("\n\n" if name in ("p", "blockquote", "pre", "table") else "\n")
            continue
        if name == "br":
            parts.append("\n")
            continue
        if name in _BLOCKS and not (parts and (parts[-1].endswith("\n") or _LIST_MARK.fullmatch(parts[-1]))):
            parts.append("\n")
        if name == "li":
            parent = node.parent
            if parent is not None and parent.name == "ol":  # numbered steps keep their numbers
                counters[id(parent)] = counters.get(id(parent), _list_start(parent) - 1) + 1
                parts.append(f"{counters[id(parent)]}. ")
            else:
                parts.append("- ")
        if name in ("td", "th"):
            parts.append(" ")
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.children)))


def _list_start(ol: Tag) -> int:
    start = ol.get("start")
    return int(start) if isinstance(start, str) and start.isdigit() and len(start) < 7 else 1
