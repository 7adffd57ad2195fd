"""A question that names one of the documents: "what does the 2006 note say about the chair?", "according to the
newer note, who does the SRSG link?", "in the coordination note, how often do they meet?".

Asked by evaluators and newcomers who have the notes in front of them, these abstained or quoted the other note:
"2014" (what people call the later note) is a year the notes never print, and "newer" a word they never use. The
question is now searched in the one document it names, and read without the phrase that named it. A phrase names a
document by "the" + a year ("the 2006 note": the document whose title, date or file name holds the year, else the
one dated within a year of it), an order in time (data/reference_words.txt, `earliest` and `latest`: among the
dated documents; "the second document": its place among them, `ordinals`), or words of one document's title or
body ("the coordination note"). Only a singular noun of data/overview.txt's document words counts ("the required
documents" names none), and only a match to exactly one document of two or more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answering.evidence import YEAR
from assistant.answering.question import question_words, split_parts
from assistant.overview import document_words
from assistant.words import courtesies, ordinal_place, reference_words, words_of

_TOKEN = re.compile(r"[A-Za-z0-9][\w'’-]*")  # words and numbers ("the 2006 note")
_OPENER = re.compile(r"\b(?:according to|in|from)\s+$", re.I)  # "according to the 2006 note, …"


@dataclass(frozen=True)
class IndexedDocument:
    """What names a document in a question: its file, title, date and issuing body (the catalog's, as ingested)."""

    source: str
    title: str
    date: str = ""
    body: str = ""

    def years(self) -> set[int]:
        return {int(y) for y in YEAR.findall(f"{self.title} {self.date} {self.source}")}


@dataclass(frozen=True)
class Scope:
    question: str  # the question without the phrase naming the document
    document: IndexedDocument
    phrase: str  # that phrase as written ("according to the older note")

    def without_phrase(self, text: str) -> str:
        """`text` (the question as rewritten or searched) without the phrase, when it still holds it."""
        at = text.lower().find(self.phrase.lower())
        return text if at < 0 else _joined(text[:at], text[at + len(self.phrase) :])


@lru_cache(maxsize=1)
def _nouns() -> frozenset[str]:
    listed = document_words()
    return frozenset(w[:-1] for w in listed if w.endswith("s") and w[:-1] in listed)  # "note", "document", …


def scope_of(question: str, store, manifest) -> Scope | None:
    """named_document over the indexed documents, read from the store only when the question holds a document
    noun after "the" and a word (the first chunk of each file carries its title, date and body). Not for a question
    of several parts ("how many … in 2006, and how many … in the later note?"): the phrase scopes one of them."""
    said = [m.group().lower() for m in _TOKEN.finditer(question)]
    nouns = _nouns()
    if not any(w in nouns and "the" in said[max(i - 3, 0) : i - 1] for i, w in enumerate(said)):
        return None
    if len(split_parts(question)) > 1:
        return None
    firsts = [entry.chunk_ids[0] for entry in manifest.files.values() if entry.chunk_ids]
    documents = []
    for page in range(0, len(firsts), 500):  # a long id list in one call exceeds SQLite's variables
        got = store.get(ids=firsts[page : page + 500], include=["metadatas"])
        documents += [IndexedDocument(str(m.get("source", "")), str(m.get("title", "")),
                                      str(m.get("date") or ""), str(m.get("body") or ""))
                      for m in got["metadatas"] if m]
    return named_document(question, documents)


def named_document(question: str, documents: list[IndexedDocument]) -> Scope | None:
    """The one document `question` names, and the question without that phrase; None when it names none, names
    two ("compare what the 2006 note and the 2014 note say"), or says nothing else ("in the newer note", a
    follow-up the conversation explains)."""
    if len(documents) < 2:
        return None
    words, nouns = list(_TOKEN.finditer(question)), _nouns()
    found: list[tuple[int, int, IndexedDocument]] = []
    for i, noun in enumerate(words):
        if noun.group().lower() not in nouns:
            continue
        start = next((j for j in range(i - 1, max(i - 4, -1), -1) if words[j].group().lower() == "the"), None)
        if start is None or start == i - 1:
            continue
        document = _by_modifiers([w.group().lower() for w in words[start + 1 : i]], documents)
        if document is not None:
            opener = _OPENER.search(question[: words[start].start()])
            found.append((opener.start() if opener else words[start].start(), noun.end(), document))
    if len({d.source for _, _, d in found}) != 1:
        return None
    start, end, document = found[0]
    rest = _joined(question[:start], question[end:])
    return Scope(rest, document, question[start:end]) if _asks_something(rest) else None


def _asks_something(rest: str) -> bool:
    """A word besides question framing, glue and courtesy ("how often do they meet", not "and?")."""
    ref = reference_words()
    glue = question_words() | courtesies() | ref["ellipsis_glue"] | ref["prepositions"] | ref["conjunctions"]
    return any(m.group().lower() not in glue for m in words_of(rest))


def _joined(before: str, after: str) -> str:
    return re.sub(r"\s+([?.!,;:])", r"\1", " ".join((before + after).strip(" ,;:-").split()))


def _by_modifiers(modifiers: list[str], documents: list[IndexedDocument]) -> IndexedDocument | None:
    years = [int(m) for m in modifiers if YEAR.fullmatch(m)]
    if years:
        return _by_year(years[0], documents) if len(modifiers) == 1 else None
    ref = reference_words()
    dated = sorted((d for d in documents if d.years()), key=lambda d: min(d.years()))
    if len(modifiers) == 1 and len(dated) >= 2 and min(dated[0].years()) < min(dated[-1].years()):
        if modifiers[0] in ref["earliest"]:
            return dated[0]
        if modifiers[0] in ref["latest"]:
            return dated[-1]
        place = ordinal_place(modifiers[0])  # "the second document": the second in time
        if place is not None and place < len(dated) and len(dated) == len(documents):
            return dated[place]
    said = set(modifiers)
    fits = [d for d in documents if said <= {w.group().lower() for w in words_of(f"{d.title} {d.body}")}]
    return fits[0] if len(fits) == 1 else None


def _by_year(year: int, documents: list[IndexedDocument]) -> IndexedDocument | None:
    """The document whose title, date or file name holds `year`; else the one dated a year before or after it
    (the note written "after October 2013" is "the 2014 note")."""
    for distance in (0, 1):
        fits = [d for d in documents if any(abs(y - year) == distance for y in d.years())]
        if fits:
            return fits[0] if len(fits) == 1 else None
    return None
