"""The answer as text: attribution prefixes, words and sentences (its [n] markers are read by assistant/markers.py),
and whether a passage contains a quoted sentence. Shared by the metrics (evals/metrics.py) and the benchmark."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.markers import cited_spans, strip_markers

# "UNHCR: They include …" / "World Bank: The focus …": the answerer's attribution of a sentence to its body.
ATTRIBUTION = re.compile(r"^(?:[A-Z][\w/&'-]*)(?: [A-Z][\w/&'-]*){0,4}:\s+")
# List markers at a line start ("- 1. ", "2) ", "• "): the extractive answer quotes list items without them.
LIST_MARKER = re.compile(r"(?m)^\s*(?:[-*•]\s+(?:\d{1,2}[.)]\s+)?|\d{1,2}[.)]\s+)")
_WORD = re.compile(r"\w+")


# -- text helpers -----------------------------------------------------------------------------------------
def strip_attribution(text: str) -> str:
    return ATTRIBUTION.sub("", text, count=1)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_count(answer: str) -> int:
    return len(strip_markers(answer).split())


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    if not text:
        return []
    return [s.strip() for s in _segmenter().segment(text) if _WORD.search(s)]


@dataclass(frozen=True)
class AnswerSentence:
    text: str  # without its markers
    ids: tuple[int, ...]  # the [n] markers that close it (empty: an uncited sentence)


def answer_sentences(answer: str) -> list[AnswerSentence]:
    """The answer cut into sentences; markers attach to every sentence since the previous marker (a quote of
    several sentences carries one marker), and each such sentence is then checked against the cited passages."""
    out: list[AnswerSentence] = []
    for text, ids in cited_spans(answer):
        sentences = split_sentences(text)
        for sentence in sentences:
            out.append(AnswerSentence(sentence, ids))
    return out


def contains_text(passage: str, sentence: str) -> bool:
    """True if the sentence's words appear contiguously in the passage (case, punctuation and list markers
    ignored): "the passage contains the sentence" for quotes that fold whitespace or join list items. A quote the
    answer elided ("They include … advocacy relating to asylum …") is contained when its pieces are, in order."""
    pieces = [p for p in sentence.split("…") if _WORD.search(p)] or [sentence]
    hays = [tokens(LIST_MARKER.sub(" ", passage)), tokens(passage)]
    return any(_in_order(h, pieces) for h in hays)


def _in_order(hay: list[str], pieces: list[str]) -> bool:
    pos = 0
    for piece in pieces:
        ends = [_find(hay, needle, pos) for needle in (tokens(LIST_MARKER.sub(" ", piece)), tokens(piece))]
        pos = min((e for e in ends if e >= 0), default=-1)
        if pos < 0:
            return False
    return True


def _find(hay: list[str], needle: list[str], start: int) -> int:
    """Where the first occurrence of `needle` at or after `start` ends, or -1."""
    n = len(needle)
    for i in range(start, len(hay) - n + 1) if n else ():
        if hay[i : i + n] == needle:
            return i + n
    return -1


# -- retrieval ----------------------------------------------------------------------------------------------
