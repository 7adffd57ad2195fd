"""Checks on a model's answer before anyone sees it: sentence splitting (streaming), [n] markers, support.

The support check is deterministic and lexical (SUPPORT_METHOD): a sentence is supported by the passages it
cites when (1) the IDF-weighted share of its content words (stemmed, stop words and question-framing words
left out) found in those passages (text, section, title and their glossary synonyms) reaches the threshold,
and (2) every number, acronym and capitalised name it states appears in them. A sentence shorter than three
content words is read together with the question ("In 2006." answers "When was the GMG created?").

Passage sentences that read as instructions to a model ("ignore previous instructions", "reply with …") are
left out of what counts as support, so an answer that obeys text injected into a document finds none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from langchain_core.documents import Document

SUPPORT_METHOD = "lexical-overlap-v1"
SUPPORT_METHOD_TEXT = (
    "lexical overlap: IDF-weighted share of the sentence's content words (stemmed) found in the cited passages "
    "(with section, title and glossary synonyms) >= threshold, and every number, acronym and name in the sentence "
    "present in them; passage sentences that read as instructions to a model are not counted"
)
SUPPORT_THRESHOLD = 0.6
SHORT_SENTENCE_TERMS = 3

# [1] · [1, 2] · [1][2] · [Passage 3] · [1-3]
MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*(?:passage\s*)?\d{1,3})*)\s*\]", re.I)
_LEADING_MARKERS = re.compile(r"^\s*(?:\[[^\]\n]{0,40}\]\s*)+")
_BULLET = re.compile(r"^\s*(?:[-*•]\s+|\d{1,2}[.)]\s+|#{1,6}\s+)")
_EMPHASIS = re.compile(r"\*\*|__|`")
_WORD = re.compile(r"[A-Za-z][\w'’/&-]*|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&/-]*[A-Z0-9]$")
_NAME = re.compile(r"^[A-Z][a-z][\w'’-]+$")
_COMMON_CAPS = {"the", "this", "that", "these", "those", "it", "its", "they", "their", "in", "on", "at", "for", "and",
                "but", "however", "also", "both", "each", "a", "an", "as", "by", "of", "to", "with", "according"}
REFUSAL_PATTERNS = re.compile(
    r"^\W*(?:(?:i'?m|i am)\s+sorry[,.]?\s*)?(?:(?:the|these)\s+)?(?:provided\s+|given\s+|retrieved\s+)?"
    r"(?:documents?|passages?|notes|context|sources?|texts?)\s+(?:do(?:es)?\s*(?:not|n['’]t)|did\s*(?:not|n['’]t))\s+"
    r"(?:say|answer|contain|mention|cover|specify|state|provide|include|address|tell)"
    r"|\bnot\s+(?:in|found\s+in|mentioned\s+in|covered\s+(?:by|in)|stated\s+in|given\s+in)\s+the\s+"
    r"(?:provided\s+)?(?:documents?|passages?|notes|context|sources?)"
    r"|^\W*i\s+(?:do\s+not|don['’]t)\s+know\b|^\W*no\s+answer\b",
    re.I,
)
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,60}\b(?:instructions?|prompts?|rules|directions|"
    r"guidelines)\b|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\b(?:reply|respond|answer|say|output|print)\s+"
    r"(?:only\s+|just\s+)?(?:with\s+)?(?:the\s+word|exactly)\b|\b(?:reply|respond)\s+(?:only\s+)?with\b",
    re.I,
)


def marker_numbers(text: str) -> list[int]:
    out: list[int] = []
    for match in MARKER.finditer(text):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1), flags=re.I):
            nums = [int(n) for n in re.findall(r"\d+", part)]
            if len(nums) == 2 and re.search(r"[-–]", part) and 0 < nums[1] - nums[0] < 10:
                out.extend(range(nums[0], nums[1] + 1))
            else:
                out.extend(nums)
    return list(dict.fromkeys(out))


def strip_raw_markers(text: str) -> str:
    """A model's raw text without any marker it may write ("[passage 2]", "[1-3]"), whitespace folded."""
    return " ".join(MARKER.sub(" ", text).split())


def clean_sentence(text: str) -> str:
    """The sentence as shown: markers, list bullets and Markdown emphasis removed, whitespace folded."""
    text = _EMPHASIS.sub("", strip_raw_markers(text))
    text = _BULLET.sub("", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def is_refusal(text: str) -> bool:
    """The model's "not in the documents" form (or a close variant of it)."""
    plain = clean_sentence(text)
    return bool(plain) and len(plain.split()) <= 40 and bool(REFUSAL_PATTERNS.search(plain))


# -- splitting a streamed reply into sentences ---------------------------------------------------------------
@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _segments(text: str) -> list[str]:
    """Sentences of one line; markers that open a segment ("X. [1] Y.") close the sentence before it."""
    out: list[str] = []
    for seg in _segmenter().segment(text):
        lead = _LEADING_MARKERS.match(seg)
        if lead and out:
            out[-1] += seg[: lead.end()]
            seg = seg[lead.end():]
        if seg.strip():
            out.append(seg)
        elif out:
            out[-1] += seg
    return out


class SentenceStream:
    """Feed text pieces as they stream in; get back each sentence once it is complete (with its markers)."""

    def __init__(self) -> None:
        self.buffer = ""
        self._carry = ""

    def feed(self, piece: str) -> list[str]:
        self.buffer += piece
        done: list[str] = []
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            done.extend(_segments(line))
        if not any(c.isspace() for c in piece) or not self.buffer.strip():
            return self._merge(done, final=False)
        segs = _segments(self.buffer)
        if len(segs) >= 2:
            # The last segment may still grow; the one before it may still get markers until text follows.
            keep = segs[-1]
            if _LEADING_MARKERS.sub("", keep).strip():
                done.extend(segs[:-1])
                self.buffer = keep
        return self._merge(done, final=False)

    def close(self) -> list[str]:
        rest, self.buffer = self.buffer, ""
        return self._merge(_segments(rest) if rest.strip() else [], final=True)

    def _merge(self, sentences: list[str], final: bool) -> list[str]:
        """A fragment of under three words without a marker ("e.g.") joins the sentence after it."""
        out: list[str] = []
        carry = self._carry
        for s in sentences:
            s = carry + s
            carry = ""
            if len(strip_raw_markers(s).split()) < 3 and not MARKER.search(s):
                carry = s if s.endswith((" ", "\n")) else s + " "
                continue
            out.append(s)
        if final and carry.strip():
            out.append(carry)
            carry = ""
        self._carry = carry
        return out


# -- support ---------------------------------------------------------------------------------------------------
@dataclass
class Passage:
    n: int
    doc: Document
    terms: set[str]
    text: str  # lower-cased text (instructions left out) + section + title, for the entity check
    units: list[tuple[int, int, set[str]]]  # (start, end, terms) of its trusted sentence units
    bodies: set[str] = field(default_factory=set)  # glossary bodies it mentions (or its section is about)
    suspicious: list[str] = field(default_factory=list)


@dataclass
class Support:
    score: float
    missing: list[str]
    passages: list[int]  # the cited passages that contributed matched words

    def ok(self, threshold: float) -> bool:
        return self.score >= threshold and not self.missing and bool(self.passages)


class SupportChecker:
    """Lexical support of answer sentences by numbered passages (1-based, in prompt order)."""

    method = SUPPORT_METHOD

    def __init__(self, question: str, docs: list[Document], terms: Callable[[str], list[str]],
                 idf: dict[str, float], max_idf: float, glossary, ignored: set[str],
                 threshold: float = SUPPORT_THRESHOLD):
        self._terms = terms
        self._term_cache: dict[str, list[str]] = {}
        self.idf, self.max_idf = idf, max_idf
        self.glossary = glossary
        self.ignored = ignored
        self.threshold = threshold
        self.question_terms = self._content(question)
        self._entities: dict[str, list[str]] = {}
        self._bodies: dict[str, list[str]] = {}
        self.passages = [self._passage(n, doc) for n, doc in enumerate(docs, 1)]

    def terms_of(self, text: str) -> list[str]:
        if text not in self._term_cache:
            self._term_cache[text] = self._terms(text)
        return self._term_cache[text]

    def _content(self, text: str) -> set[str]:
        return {t for t in self.terms_of(text) if t not in self.ignored}

    def _expanded(self, text: str) -> set[str]:
        return set(self.terms_of(" ".join([text, *self.glossary.expansions(text)])))

    def _passage(self, n: int, doc: Document) -> Passage:
        meta = doc.metadata
        base, content = int(meta.get("start", 0)), doc.page_content
        spans = [(a, b) for a, b, _kind in json.loads(meta.get("units") or "[]")] or [(base, base + len(content))]
        trusted, suspicious, units = [], [], []
        for a, b in spans:
            text = content[a - base : b - base]
            if INSTRUCTION.search(text):
                suspicious.append(text)
                continue
            trusted.append(text)
            units.append((a, b, self._expanded(text)))
        context = " ".join(filter(None, [meta.get("section"), meta.get("title")]))
        body = " ".join(trusted)
        bodies = {b.name for b in self.glossary.find(f"{body} {context}")} | {meta.get("section") or ""}
        return Passage(n, doc, self._expanded(f"{body} {context}"), f"{body} {context}".lower(), units, bodies,
                       suspicious)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)

    def _coverage(self, terms: set[str], covered: set[str]) -> float:
        total = sum(self.weight(t) for t in terms)
        return sum(self.weight(t) for t in terms if t in covered) / total if total else 0.0

    def claim_terms(self, sentence: str) -> set[str]:
        own = self._content(clean_sentence(sentence))
        return own | self.question_terms if 0 < len(own) < SHORT_SENTENCE_TERMS else own

    def entities(self, sentence: str) -> list[str]:
        """Numbers, acronyms and capitalised names the sentence states (bodies the glossary knows excluded)."""
        text = clean_sentence(sentence)
        for body in self.glossary.find(text):
            for spelling in sorted(body.spellings, key=len, reverse=True):
                text = re.sub(re.escape(spelling), " ", text, flags=re.I)
        words = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
        out = []
        for i, (word, pos) in enumerate(words):
            word = word.rstrip("'’").removesuffix("'s").removesuffix("’s")
            after_break = i == 0 or re.search(r"[.:;!?(\"“]\s*$", text[:pos])
            if _NUMBER.match(word) or _ACRONYM.match(word):
                out.append(word)
            elif _NAME.match(word) and not after_break and word.lower() not in _COMMON_CAPS:
                out.append(word)
        return list(dict.fromkeys(out))

    def _bodies_missing(self, sentence: str, passages: list[Passage]) -> list[str]:
        if sentence not in self._bodies:
            self._bodies[sentence] = [b.name for b in self.glossary.find(clean_sentence(sentence))]
        return [name for name in self._bodies[sentence]
                if not any(name in p.bodies or name.lower() in p.text for p in passages)]

    def _entity_found(self, entity: str, passages: list[Passage]) -> bool:
        pattern = re.compile(rf"(?<![\w]){re.escape(entity.lower())}(?![\w])")
        if any(pattern.search(p.text) for p in passages):
            return True
        stems = set(self.terms_of(entity))
        return bool(stems) and any(stems <= p.terms for p in passages)

    def support(self, sentence: str, numbers: list[int]) -> Support:
        passages = [self.passages[n - 1] for n in numbers if 1 <= n <= len(self.passages)]
        own = self._content(clean_sentence(sentence))
        claim = self.claim_terms(sentence)
        if not claim or not passages:
            return Support(0.0, [], [])
        covered = set().union(*(p.terms for p in passages))
        score = self._coverage(claim, covered)
        if claim != own:  # a short sentence: the question helps read it, but its own words must all be there
            score = min(score, self._coverage(own, covered))
        if sentence not in self._entities:
            self._entities[sentence] = self.entities(sentence)
        missing = [e for e in self._entities[sentence] if not self._entity_found(e, passages)]
        missing += self._bodies_missing(sentence, passages)
        contributing = [p.n for p in passages if claim & p.terms]
        return Support(round(score, 3), missing, contributing)

    def best(self, sentence: str) -> tuple[int, Support] | None:
        """The passage that alone supports the sentence best: a passing one first, then by score, then earlier."""
        ranked = [(p.n, self.support(sentence, [p.n])) for p in self.passages]
        ranked.sort(key=lambda r: (not r[1].ok(self.threshold), -r[1].score, len(r[1].missing), r[0]))
        return ranked[0] if ranked else None

    def span(self, n: int, sentence: str) -> tuple[int, int]:
        """The contiguous run of passage n's sentences that carries the sentence's words (all of it if none)."""
        passage = self.passages[n - 1]
        meta = passage.doc.metadata
        base = int(meta.get("start", 0))
        whole = (base, base + len(passage.doc.page_content))
        claim = self.claim_terms(sentence)
        total = sum(self.weight(t) for t in claim) or 1.0
        chosen: list[int] = []  # indexes into passage.units
        covered: set[str] = set()
        units = passage.units
        while len(chosen) < len(units):
            gains = [(sum(self.weight(t) for t in (units[i][2] & claim) - covered), i)
                     for i in range(len(units)) if i not in chosen]
            gain, i = max(gains, key=lambda g: (g[0], -g[1]))
            if chosen and gain < 0.15 * total:
                # A far sentence that adds one common word would stretch the quote; but the next item of a list
                # the sentence enumerates ("… ILO, IOM, …, the World Bank") adds little each and belongs in it.
                near = [g for g in gains if g[1] in (min(chosen) - 1, max(chosen) + 1)]
                gain, i = max(near, key=lambda g: (g[0], -g[1])) if near else (0.0, -1)
            if gain <= 0:
                break
            chosen.append(i)
            covered |= units[i][2] & claim
        if not chosen:
            return whole
        return min(units[i][0] for i in chosen), max(units[i][1] for i in chosen)
