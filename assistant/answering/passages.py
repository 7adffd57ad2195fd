"""Helpers that turn chosen sentences into answer text and exact quoted spans."""

from __future__ import annotations

import re


def join_items(items: list) -> str:
    """List items as one readable sentence: "These include: a; b; c." """
    parts: list[str] = []
    for item in items:
        text = re.sub(r"\s+", " ", item.text).strip()
        if text.endswith(":"):
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
    """source_text[start:end], stitched from the retrieved chunks that cover it."""
    pieces: dict[int, str] = {}
    for c in candidates:
        meta = c.chunk.metadata
        if meta["source"] != source:
            continue
        base = int(meta["start"])
        for i, ch in enumerate(c.chunk.page_content):
            pos = base + i
            if start <= pos < end:
                pieces[pos] = ch
    if len(pieces) != end - start:
        raise LookupError("span not covered by the retrieved chunks")
    return "".join(pieces[p] for p in range(start, end))
