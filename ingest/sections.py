"""Structure of a document's text: sections (from headings and agency paragraphs) and sentence units.

Nothing here changes the text: every span is an offset pair into the original string, so that
`text[start:end]` is always exactly what a citation quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.glossary import Glossary

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
# Bullets include the private-use glyphs PDF extraction leaves behind (U+F0B7 and friends).
_LIST_ITEM = re.compile(r"^\s*(?:[-*•\u2022\u25aa\u25cf\ue000-\uf8ff]\s*(?:\d{1,2}[.)]\s+)?|\d{1,2}[.)]\s+)")
_TERMINAL = tuple(".!?:;")
_MARKUP = re.compile(r"[#*_`]+")
# A PDF footnote as text extraction leaves it: a paragraph opening with its number ("1 Paragraph 29 of …").
_FOOTNOTE = re.compile(r"\s*(\d{1,2})\s+[A-Z]")
FOOTNOTE_MAX_WORDS = 60  # a footnote is a reference or an aside, not a paragraph of the note
FOOTNOTE_REACH = 3000  # its mark is on the same page, a few paragraphs before it at most


@dataclass(frozen=True)
class Unit:
    """A sentence, heading or footnote span of the source text."""

    start: int
    end: int
    kind: str  # "sentence", "heading" or "footnote" (kept in the text, never quoted as an answer)
    section: int  # index into the document's sections


@dataclass(frozen=True)
class Section:
    name: str | None  # None for text before the first heading
    start: int


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # excluding the newline
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append(_Line(pos, pos + len(body), body))
        pos += len(raw)
    return lines


def _is_plain_heading(lines: list[_Line], i: int, heading_flags: list[bool]) -> bool:
    """A short title-like line standing apart from prose (the coordination note's headings)."""
    s = lines[i].stripped
    if not (3 <= len(s) <= 70) or not s[0].isupper() or s.endswith((*_TERMINAL, ",")):
        return False
    if len(s.split()) > 10 or _LIST_ITEM.match(lines[i].text):
        return False
    prev = lines[i - 1].stripped if i > 0 else ""
    if prev and not prev.endswith(_TERMINAL) and not (i > 0 and heading_flags[i - 1]):
        return False
    nxt = lines[i + 1].stripped if i + 1 < len(lines) else None
    if nxt is None:
        return False
    return nxt == "" or _looks_like_heading_before_blank(lines, i + 1)


def _looks_like_heading_before_blank(lines: list[_Line], j: int) -> bool:
    s = lines[j].stripped
    after = lines[j + 1].stripped if j + 1 < len(lines) else ""
    return bool(s) and len(s) <= 70 and s[0].isupper() and not s.endswith(_TERMINAL) and after == ""


def clean_heading(raw: str) -> str:
    text = _MARKUP.sub("", raw).strip()
    # Drop trailing extraction debris such as emoji or "..." that follow the heading words.
    text = re.sub(r"[\s.…]*[^\w\s?)!]+$", "", text).strip()
    return re.sub(r"\s+", " ", text)


def _blocks(text: str, lines: list[_Line]) -> list[tuple[int, int, str]]:
    """Group lines into (start, end, kind) blocks: headings, list items and prose paragraphs.

    A paragraph broken by a blank line in mid-sentence (a PDF page break) stays one block.
    """
    flags: list[bool] = []
    for i, line in enumerate(lines):
        flags.append(bool(_MD_HEADING.match(line.text)) or _is_plain_heading(lines, i, flags))
    title = _title_lines(lines)
    blocks: list[list] = []
    gap = False
    for i, line in enumerate(lines):
        s = line.stripped
        if not s:
            gap = True
            continue
        if i in title:
            if blocks and blocks[-1][2] == "title":
                blocks[-1][1] = line.end
            else:
                blocks.append([line.start, line.end, "title"])
        elif flags[i]:
            blocks.append([line.start, line.end, "heading"])
        elif _LIST_ITEM.match(line.text):
            blocks.append([line.start, line.end, "item"])
        elif blocks and _continues(blocks[-1], text, s, gap):
            blocks[-1][1] = line.end
        else:
            blocks.append([line.start, line.end, "prose"])
        gap = False
    return [(b[0], b[1], "heading" if b[2] == "title" else b[2]) for b in blocks]


def _title_lines(lines: list[_Line]) -> set[int]:
    """The document's title: an opening paragraph without a full stop (up to 40 words), or else an
    opening line of up to 15 words without one. It must not run into the first sentence."""
    first = next((i for i, line in enumerate(lines) if line.stripped), None)
    if first is None or _MD_HEADING.match(lines[first].text) or _LIST_ITEM.match(lines[first].text):
        return set()
    para = []
    for i in range(first, len(lines)):
        if not lines[i].stripped:
            break
        para.append(i)
    words = sum(len(lines[i].stripped.split()) for i in para)
    ends_open = not lines[para[-1]].stripped.endswith(_TERMINAL)
    if ends_open and words <= 40 and len(para) < len([x for x in lines if x.stripped]):
        return set(para)
    opening = lines[first].stripped
    if len(para) > 1 and len(opening.split()) <= 15 and not opening.endswith((*_TERMINAL, ",")):
        return {first}
    return set()


def _continues(block: list, text: str, line: str, gap: bool) -> bool:
    start, end, kind = block
    if kind in ("heading", "title"):
        return False
    previous = text[start:end].rstrip()
    open_sentence = not previous.endswith((*_TERMINAL, '"', "”", ")"))
    if not gap:
        return kind == "prose" or open_sentence
    # Across a blank line: only an unfinished prose sentence continues (page breaks in the PDF export).
    return kind == "prose" and open_sentence and len(previous) > 60 and not line[:1].isdigit()


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end], trimmed of surrounding whitespace and list markers."""
    chunk = text[start:end].replace("\n", " ").replace("\r", " ")  # same length: offsets survive
    spans = []
    for piece in _segmenter().segment(chunk):
        a, b = start + piece.start, start + piece.end
        a, b = _trim(text, a, b)
        if b > a:
            spans.append((a, b))
    return spans or [_trim(text, start, end)]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    marker = _LIST_ITEM.match(text[a:b])
    if marker and marker.end() < b - a:
        a += marker.end()
    return a, b


def is_footnote(text: str, start: int, end: int) -> bool:
    """Whether the paragraph text[start:end] is a footnote: it opens with a number that the text shortly before it
    sets as a reference mark, glued to a word ("… the Declaration from the High-level Dialogue1.", "… (HLD)1,2").
    Numbered list items ("1. Identification …"), a number that opens a sentence ("2 agencies …") and numbers that
    belong to a name ("Rev.1", "No.1", "G8") are not marks."""
    found = _FOOTNOTE.match(text, start, end)
    if not found or len(text[start:end].split()) > FOOTNOTE_MAX_WORDS:
        return False
    n = found.group(1)
    mark = re.compile(rf"(?<=[a-z)\]])(?:\d{{1,2}},)*{n}(?:,\d{{1,2}})*(?=[\s.,;:)]|$)")
    return bool(mark.search(text, max(0, start - FOOTNOTE_REACH), start))


def segment(text: str, glossary: Glossary) -> tuple[list[Section], list[Unit]]:
    """Sections and sentence units of a document, all as offsets into `text`."""
    sections = [Section(None, 0)]
    units: list[Unit] = []
    for start, end, kind in _blocks(text, _lines(text)):
        if kind == "heading":
            name = clean_heading(text[start:end])
            label = glossary.heading_label(name) or name or None
            sections.append(Section(label, start))
            a, b = _trim(text, start, end)
            units.append(Unit(a, b, "heading", len(sections) - 1))
            continue
        if kind == "prose" and is_footnote(text, start, end):
            units += [Unit(a, b, "footnote", len(sections) - 1) for a, b in split_sentences(text, start, end)]
            continue
        if kind == "prose":
            agency = glossary.paragraph_agency(text[start:end])
            if agency and sections[-1].name != agency:
                sections.append(Section(agency, start))
        if kind == "item":
            # Split after the marker, or "- 6. Pooling…" would yield a sentence "6."
            marker = _LIST_ITEM.match(text[start:end])
            start += marker.end() if marker else 0
        for a, b in split_sentences(text, start, end):
            units.append(Unit(a, b, "sentence", len(sections) - 1))
    return sections, units
