"""A conversation, or one answer, as Markdown to keep or send on: each question and answer with its [n] markers and,
under it, the numbered sources (document title, date, section, the exact quoted passage).

The app's **Export conversation** and **Copy with sources**, and `assistant chat --save FILE`, all write this.
Text from the user or the documents is made inert for a Markdown viewer: `&` and `<` become entities (shown as
themselves, never read as HTML), and every line of a question, answer or passage is escaped where Markdown would
read it as structure (a heading, a list, a quote, a rule, a link), so a viewer shows the words as they were.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from assistant.models import Citation, CitedAnswer

TITLE = "GMG notes assistant: conversation"
# Where Markdown reads inline structure: emphasis, code, links, images, autolinks, escapes, tables, headings.
_INLINE = re.compile(r"([\\`*_\[\]()!|~#])")
# What makes a line's start structure: a quote, a list item, a rule, a setext underline, a numbered item.
_LINE_START = re.compile(r"^()(?:([>+=-])|(\d+)([.)]))")


def inert(text: str) -> str:
    """`text` as a Markdown viewer should show it, word for word: entities for `&` and `<`, backslashes before
    inline markup, and before whatever would start a quote or list at a line's start. Lines lose their leading
    blanks (four would make a code block, which shows escapes as typed); any line break is a newline."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _INLINE.sub(r"\\\1", text)
    lines = re.split(r"\r\n|\r|\n", text)
    return "\n".join(_LINE_START.sub(_escape_line_start, line.lstrip()) for line in lines)


def _one_line(text: str) -> str:
    """A heading's text: one line (a heading ends at the line's end), inert."""
    return inert(" ".join(text.split()))


def _escape_line_start(m: re.Match) -> str:
    """ "> x" → "\\> x", "1. x" → "1\\. x": the escaped character shows as itself."""
    indent, mark, digits, dot = m.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{digits}\\{dot}"


def _answer_text(answer: str) -> str:
    """The answer inert, its [n] markers kept as markers (they are the point of the export)."""
    # Not before a ":" (that would make "[1]: url" a link definition for every [1] of the page).
    return re.sub(r"\\\[(\d+(?:\s*[,;]\s*\d+)*)\\\](?!:)", r"[\1]", inert(answer))


def _source(c: Citation) -> str:
    """ "[n] **Title** (date) · Section: … · p. … · file, characters a–b" and the quoted passage under it."""
    head = f"**{_one_line(c.title)}**" + (f" ({_one_line(c.date)})" if c.date else "")
    where = [f"Section: {_one_line(c.section)}" if c.section else "", f"p. {c.page}" if c.page else "",
             f"{_one_line(c.source)}, characters {c.start}–{c.end}"]
    quote = "\n".join(f"    > {line}" if line.strip() else "    >" for line in inert(c.text.strip()).split("\n"))
    return f"- [{c.id}] {head} · " + " · ".join(filter(None, where)) + "\n\n" + quote


def answer_markdown(result: CitedAnswer, heading: str = "###") -> str:
    """One turn: the question, the rewrite it was searched as, the answer, its sources (or, for an abstention, the
    closest passages, marked as not cited)."""
    parts = [f"{heading} {_one_line(result.question)}"]
    if result.standalone_question:
        parts.append(f"*Searched as: {_one_line(result.standalone_question)}*")
    parts.append(_answer_text(result.answer))
    parts.extend(f"*{inert(note)}*" for note in result.notes)
    if result.citations:
        parts.append("**Sources**\n\n" + "\n\n".join(_source(c) for c in result.citations))
    elif result.closest:
        parts.append("**Closest passages** (not cited: the notes do not answer this)\n\n"
                     + "\n\n".join(_source(c) for c in result.closest))
    return "\n\n".join(parts) + "\n"


def conversation_markdown(turns: Sequence[CitedAnswer], when: datetime | None = None) -> str:
    """The whole conversation, oldest turn first, under a title and the time it was exported."""
    when = when or datetime.now().astimezone()
    head = f"# {TITLE}\n\nExported {when:%Y-%m-%d %H:%M %Z}".rstrip() + f" · {len(turns)} question"
    head += "s" if len(turns) != 1 else ""
    return "\n\n".join([head, *(answer_markdown(t, "##") for t in turns)]).rstrip() + "\n"
