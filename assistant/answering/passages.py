"""Helpers that turn chosen sentences into answer text and exact quoted spans."""

from __future__ import annotations

import re

from assistant.answering.checks import INSTRUCTION
from assistant.answering.reader import Candidate, is_question

# A sentence that opens by pointing back to the one before it ("They include …", "These include: …").
REFERS_BACK = re.compile(r"\s*(?:They|These|Those|This|It|Its|Their)\b")


def join_items(items: list) -> str:
    """List items as one readable sentence: "These include: a; b; c." """
    parts: list[str] = []
    for item, after in zip(items, [*items[1:], None], strict=True):
        text = re.sub(r"\s+", " ", item.text).strip()
        # An introduction keeps its colon; so does the sentence that leads into one ("… specific issues. These
        # include: …") keep its full stop.
        if text.endswith(":") or text.endswith(".") and after is not None and after.text.rstrip().endswith(":"):
            parts.append(text + " ")
        else:
            parts.append(text.rstrip(";,. ") + "; ")
    return "".join(parts).rstrip("; ") + "."


def coverage(candidates: list, source: str, start: int) -> int:
    """How far the retrieved chunks of `source` cover the text contiguously from `start`."""
    spans = sorted({(int(c.chunk.metadata["start"]), int(c.chunk.metadata["end"])) for c in candidates
                    if c.chunk.metadata["source"] == source})
    reach = start
    for a, b in spans:
        if a <= reach < b:
            reach = b
    return reach


def span_text(candidates: list, source: str, start: int, end: int) -> str:
    """source_text[start:end], stitched from the retrieved chunks that cover it (each chunk once, whatever the
    number of its sentences among the candidates)."""
    chunks = sorted({(int(c.chunk.metadata["start"]), c.chunk.page_content) for c in candidates
                     if c.chunk.metadata["source"] == source})
    pieces, pos = [], start
    while pos < end:
        base, content = next(((b, t) for b, t in chunks if b <= pos < b + len(t)), (None, ""))
        if base is None:
            raise LookupError("span not covered by the retrieved chunks")
        stop = min(end, base + len(content))
        pieces.append(content[pos - base : stop - base])
        pos = stop
    return "".join(pieces)


def same_version(cand, candidates: list) -> list:
    """The candidates `cand` may be quoted together with: those from chunks of the assistant's own index revision
    when `cand`'s is, else those that are not. Mid re-ingest the store holds both versions of an edited file, at
    shifted offsets; text stitched across them would be in neither."""
    own = cand.chunk.metadata.get("own_revision", True)
    return [c for c in candidates if c.chunk.metadata.get("own_revision", True) == own]


def elided(clauses: list[str], keep: list[int]) -> str:
    """The kept clauses in order, after the first clause's opening words; "…" wherever clauses were left out,
    so the shown text is still a quote of the sentence, piece by piece."""
    shown = sorted({0, *keep})
    text = ""
    for j, i in enumerate(shown):
        if j:
            text += "; " if i == shown[j - 1] + 1 and shown[j - 1] in keep else " … "
        text += clauses[i] if i in keep else " ".join(clauses[i].split()[:3])
    text += " …" if shown[-1] < len(clauses) - 1 else ""
    return text if text.rstrip().endswith((".", "…")) else text.rstrip(" ;,") + "."


def has_blank_line(gap: str) -> bool:
    """Whether text between two sentences holds a blank line (spaces allowed, as ingest/sections.py reads one)."""
    return any(not line.strip() for line in gap.split("\n")[1:-1])


def joins(neighbour: Candidate, source: str, gap_start: int, gap_end: int, candidates: list[Candidate],
           chosen: set[tuple[str, int]], spare: int) -> int | None:
    """The words `neighbour` adds to a span, or None when it cannot join: it does not fit, it asks (the next
    FAQ question), it reads as an instruction, or text the retrieved chunks do not cover separates them."""
    words = 0 if (neighbour.source, neighbour.start) in chosen else len(neighbour.text.split())
    if words > spare or neighbour.fragment or is_question(neighbour.text) or INSTRUCTION.search(neighbour.text):
        return None
    try:
        gap = span_text(candidates, source, gap_start, gap_end)
    except LookupError:
        return None
    return None if gap.strip() else words
