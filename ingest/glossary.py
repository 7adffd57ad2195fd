"""The reviewed glossary (corpus/glossary.toml): clean names for the bodies the notes mention.

Used at ingest to label sections whose headings carry PDF-extraction artifacts ("UNHCR DUNHCE"), to detect
agency paragraphs that start a new section without a heading, and at query time to expand questions.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Body:
    name: str
    full: str
    variants: tuple[str, ...] = ()
    member: bool = False
    # "he"/"she" when the body is a person's office (the SRSG): person pronouns in a follow-up then mean it.
    pronoun: str | None = field(default=None, repr=False)  # not in repr: it never changes what ingest writes

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, self.full, *self.variants)

    @property
    def head(self) -> str:
        """The noun the full name is built on, in lower case: its last capitalised word before a lower-case one
        ("World Bank" → "bank", "Global Forum on Migration and Development" → "forum", "Office of the United Nations
        High Commissioner for Refugees" → "office"): what "the bank", "the forum" say of it."""
        head = None
        for word in (w for w in self.full.split() if w[:1].isalpha()):  # not "(WHO)"
            if word[0].isupper():
                head = word
            elif head:
                break
        return (head or self.name).lower()


FIND_MEMO = 20_000  # texts whose bodies Glossary.find remembers
FIND_MEMO_CHARS = 600  # ... each at most this long


def _spelling_pattern(spelling: str) -> str:
    # One-word names match on word boundaries ("ILO", not "silo"): case-sensitively, except acronyms of three or
    # more capitals, which people type in lower case too ("what about undp?") and with a possessive "s" and no
    # apostrophe ("UNHCRs work on statelessness", "IOMs members"); phrases match in any case.
    escaped = re.escape(spelling)
    if " " in spelling:
        return rf"(?i:\b{escaped}\b)"
    if len(spelling) >= 3 and spelling.isupper():
        return rf"(?i:(?<![\w/-]){escaped}s?(?![\w/]))"
    return rf"(?<![\w/-]){escaped}(?![\w/])"


@dataclass
class Glossary:
    bodies: list[Body] = field(default_factory=list)
    term_groups: list[tuple[str, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._patterns = [
            (body, re.compile("|".join(_spelling_pattern(s) for s in sorted(body.spellings, key=len, reverse=True))))
            for body in self.bodies
        ]
        # find() memo: the reader asks about the same section names and sentences many times per question
        self._find_short = lru_cache(maxsize=FIND_MEMO)(self._find)

    @classmethod
    def load(cls, path: Path | None) -> Glossary:
        """Read a glossary file; a missing file gives an empty glossary (other corpora need none)."""
        if path is None or not path.is_file():
            return cls()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        bodies = [
            Body(b["name"], b.get("full", b["name"]), tuple(b.get("variants", ())), bool(b.get("member", False)),
                 b.get("pronoun"))
            for b in data.get("bodies", [])
        ]
        groups = [tuple(t["words"]) for t in data.get("terms", [])]
        return cls(bodies, groups)

    @property
    def digest(self) -> str:
        """Short hash of the bodies (they decide agency sections at ingest): a change re-chunks the corpus."""
        return hashlib.sha256(repr(self.bodies).encode("utf-8")).hexdigest()[:12]

    @property
    def members(self) -> list[Body]:
        return [b for b in self.bodies if b.member]

    def forget(self) -> None:
        """Drop find()'s memo."""
        self._find_short.cache_clear()

    def find(self, text: str) -> list[Body]:
        """Bodies mentioned in `text`, in order of first mention."""
        # Names, questions, sentences are remembered (at most ~12 MB); whole chunks are not.
        return list(self._find_short(text) if len(text) <= FIND_MEMO_CHARS else self._find(text))

    def _find(self, text: str) -> tuple[Body, ...]:
        hits: list[tuple[int, Body]] = []
        for body, pattern in self._patterns:
            m = pattern.search(text)
            if m:
                hits.append((m.start(), body))
        return tuple(b for _, b in sorted(hits, key=lambda h: h[0]))

    def spelling_in(self, text: str, body: Body) -> str | None:
        """How `text` spells `body` ("High-level Dialogue", "undp"; "IOM" in "IOMs members"), or None when it does
        not name it."""
        pattern = next(p for b, p in self._patterns if b.name == body.name)
        m = pattern.search(text)
        if m is None:
            return None
        spelled = m.group()
        return spelled[:-1] if spelled.lower() not in {s.lower() for s in body.spellings} else spelled

    def name_spans(self, text: str, keep: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
        """Where `text` spells a body's name, for every body but those named in `keep`."""
        return [m.span() for body, pattern in self._patterns if body.name not in keep for m in pattern.finditer(text)]

    def without_names(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        """`text` with the bodies' names (but those in `keep`) blanked: what it says beyond naming them."""
        for a, b in self.name_spans(text, keep):
            text = text[:a] + " " * (b - a) + text[b:]
        return text

    def mentions(self, text: str, body: Body) -> bool:
        return any(b.name == body.name for b in self.find(text))

    def speaks_of(self, text: str, section: str | None, body: Body) -> bool:
        """A passage speaks of `body` when it names it or sits in its section."""
        return self.mentions(text, body) or bool(section and self.mentions(section, body))

    def by_name(self, name: str) -> Body | None:
        return next((b for b in self.bodies if b.name == name), None)

    def heading_label(self, heading: str) -> str | None:
        """The member agency a heading names, when it names exactly one (agency headings are short)."""
        members = {b.name for b in self.find(heading) if b.member}
        if len(members) == 1 and len(heading.split()) <= 8:
            return members.pop()
        return None

    def paragraph_agency(self, paragraph: str) -> str | None:
        """The member agency a paragraph opens with ("UNDP's aim…", "The World Bank's…"), if any."""
        head = re.sub(r"^(?:The\s+)", "", paragraph.lstrip())[:80]
        for body, pattern in self._patterns:
            m = pattern.match(head)
            if m and body.member:
                return body.name
        return None

    def expansions(self, text: str) -> list[str]:
        """Extra words for keyword search: full names of bodies mentioned and synonyms of topic words."""
        extra: list[str] = []
        for body in self.find(text):
            extra.extend([body.name, body.full])
        lowered = text.lower()
        for group in self.term_groups:
            if any(re.search(rf"\b{re.escape(w.lower())}\b", lowered) for w in group):
                extra.extend(group)
        return extra
