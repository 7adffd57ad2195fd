"""The words questions are read with: the reviewed lists of data/reference_words.txt and word-level tests (a
question word, a frequent function word, the words that say what a question is about, a name). references.py
reads a question's dependence on the conversation with them; nothing here names a body.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from assistant.answering.question import WH_START, without_s
from ingest.glossary import Glossary

_WORD = re.compile(r"[A-Za-z][\w'’-]*")
# A term the user quotes ("what does 'return' mean …"): an opening mark after a space, a closing one before a
# non-letter, so "what's the GMG's role" holds none.
QUOTED = re.compile(r"(?:^|\s)[\"“‘'][A-Za-z][^\"”’'\n]{0,40}[\"”’'](?![A-Za-z])")


@lru_cache(maxsize=1)
def _reference_lines() -> dict[str, tuple[str, ...]]:
    """kind → words in order, from data/reference_words.txt ("kind: word word …"; "-" joins a phrase's words)."""
    text = resources.files("assistant.data").joinpath("reference_words.txt").read_text(encoding="utf-8")
    lines = [line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#")]
    return {kind.strip(): tuple(w.replace("-", " ") for w in words.split()) for kind, words in lines}


@lru_cache(maxsize=1)
def reference_words() -> dict[str, frozenset[str]]:
    return {kind: frozenset(words) for kind, words in _reference_lines().items()}


def courtesies() -> frozenset[str]:
    """Interjections and courtesies ("ok", "pls", "thx"; data/reference_words.txt): words that ask nothing."""
    ref = reference_words()
    return ref["interjections"] | ref["courtesy"]


def ordinal_place(word: str) -> int | None:
    """Where an ordinal points ("second" → 1; the line's last word, "last", → -1); None for other words."""
    order = _reference_lines()["ordinals"]
    return None if word not in order else -1 if word == order[-1] else order.index(word)


def words_of(text: str) -> list[re.Match]:
    return list(_WORD.finditer(text))


def asks_word(word: str) -> bool:
    """A question word or an auxiliary that opens a question ("who", "does", "is", "how's")."""
    return bool(re.fullmatch(WH_START, without_s(word), re.I))


def is_function_word(word: str) -> bool:
    """One of the most frequent words of English (Zipf ≥ 5, wordfreq: "since", "what", "the"): no topic of its own."""
    from wordfreq import zipf_frequency  # imported when first needed: startup stays fast
    return zipf_frequency(word, "en") >= 5.0


def content_words(text: str, frame: frozenset[str]) -> list[str]:
    """Words that say what a question is about: not question framing, frequent function words or pronouns."""
    ref = reference_words()
    skip = frame | ref["pronoun"] | ref["demonstrative"]
    words = [without_s(m.group().lower().strip("'’")) for m in words_of(text)]  # "UNHCR's": the word itself
    return [w for w in words if w not in skip and not is_function_word(w)]


def names_something(text: str, glossary: Glossary) -> bool:
    """A body of the glossary or a proper name (a capitalised word after the first)."""
    return bool(glossary.find(text)) or any(m.start() > 0 and m.group()[0].isupper() and m.group() != "I"
                                            for m in words_of(text))


def set_aside_span(question: str) -> tuple[int, int] | None:
    """Where the question sets bodies aside ("… apart from IOM?", "besides UNHCR, who …?"): from the first of
    data/reference_words.txt's "besides" words to the end of its clause; None when it sets none aside."""
    pattern = "|".join(re.escape(w) for w in sorted(reference_words()["besides"], key=len, reverse=True))
    found = re.search(rf"\b(?:{pattern})\b", question, re.I)
    if found is None:
        return None
    ends = r"[;?(]|,\s*(?=(?:who|which|what|does|do|is|are)\b)|\b(?:who|which|what|does|do|is|are)\b"
    clause = re.split(ends, question[found.end() :], maxsplit=1, flags=re.I)[0]
    return found.start(), found.end() + len(clause)


def without_set_aside(question: str) -> str:
    """The question without what it sets aside: "which agencies help out with the forum apart from iom?" is about
    "the forum", not IOM; "Besides, does IOM work with the forum?" still names IOM."""
    span = set_aside_span(question)
    return question[: span[0]] + question[span[1] :] if span else question
