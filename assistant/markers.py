"""The [n] markers of an answer, read in one place.

An answer is a run of cited spans, each closed by the markers of the passages it rests on ("UNODC … [1] The
GFMD … [2]"). The cap on an answer's length, the metrics and the benchmark read answers through these functions;
only a model's raw output, before it becomes an answer, is read more leniently ("[passage 2]", "[1-3]"), by
answering/checks.py.
"""

from __future__ import annotations

import re

MARKER_GROUP = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")  # "[1]", "[1, 2]", "[1][3]", with the space before
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def marker_ids(text: str) -> list[int]:
    """Every n of every [n] (or [n, m]) marker, in order of appearance."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"\s*[,;]\s*", m.group(1))]


def strip_markers(text: str) -> str:
    """The text without its markers (each with the space before it: "claim [1]." → "claim."), whitespace folded."""
    return " ".join(MARKER_GROUP.sub("", text).split())


def cited_spans(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """The answer as (text, the ids of the markers that close it), in order; the last span holds whatever
    follows the last markers (usually nothing) with no ids."""
    spans, pos = [], 0
    for match in MARKER_GROUP.finditer(answer):
        spans.append((answer[pos : match.start()], tuple(marker_ids(match.group(0)))))
        pos = match.end()
    spans.append((answer[pos:], ()))
    return spans


def span_ends(answer: str) -> list[int]:
    """Where each cited span ends: after its markers, when a space or the end of the answer follows them."""
    return [m.end() for m in MARKER_GROUP.finditer(answer) if m.end() == len(answer) or answer[m.end()].isspace()]
