"""What a question asks for: its expected answer type and its content terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_WHO = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose|which\s+(?:agency|agencies|organi[sz]ation|organi[sz]ations|body|"
                  r"bodies|member|members|un\s+agency|entity|entities|office))\b", re.I)
_WHO_ANYWHERE = re.compile(r"\b(?:who|which agency|which organi[sz]ation|which body|which un agency)\b", re.I)
_WHEN = re.compile(r"^\s*(?:and\s+)?(?:when|what year|in what year|since when|what date|on what date)\b", re.I)
_HOW_MANY = re.compile(r"\bhow\s+many\b|\bnumber of\b|\bhow much\b", re.I)
_DEFINE = re.compile(r"\bstand(?:s)? for\b|\bfull name\b|\bacronym\b|\babbreviation\b|\bshort for\b", re.I)
_LIST = re.compile(r"\b(?:list|what are|who are|name the|which are|members?|areas|purposes|objectives)\b", re.I)

DATE_PATTERN = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b", re.I)
NUMBER_PATTERN = re.compile(
    r"\b\d+\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|third)\b", re.I)


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    text = resources.files("assistant.data").joinpath("question_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@dataclass(frozen=True)
class QuestionType:
    who: bool
    when: bool
    how_many: bool
    wants_list: bool
    acronym: str | None = None  # "What does MICI stand for?" → "MICI"

    @classmethod
    def of(cls, question: str) -> QuestionType:
        return cls(
            who=bool(_WHO.search(question) or _WHO_ANYWHERE.search(question)),
            when=bool(_WHEN.search(question)),
            how_many=bool(_HOW_MANY.search(question)),
            wants_list=bool(_LIST.search(question)),
            acronym=_acronym(question) if _DEFINE.search(question) else None,
        )


def _acronym(question: str) -> str | None:
    found = re.findall(r"\b[A-Z][A-Z0-9-]{1,9}\b", question)
    return found[-1] if found else None
