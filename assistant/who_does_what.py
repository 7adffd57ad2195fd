"""Who does what: topics × bodies, one cited sentence per cell, built from the index; and a quiz built from it.

Topics are the glossary's [[terms]] (a group's first word names it, its other words count as the topic too) and
the short items of the notes' own lists ("remittances; trade in labour-intensive services; GATS Mode 4
negotiations"). A body's sentences are those of its own section (an agency's paragraph, "Functions of the GFMD")
and, outside any one body's section, those that name it alone. A cell is the body's sentence on the topic that the
assistant's reader ranks best for "Who works on {topic}?", preferring one that names the body, so
the line reads as a sentence about it ("OHCHR also implements a technical cooperation project on Trafficking").
Nothing is typed by hand; parameters are data (assistant/data/who_does_what.toml). Drawing it is the `ui` layer's
business (ui/who_does_what.py, ui/start_here.py).
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from langchain_core.documents import Document

from assistant.answering.reader import Candidate, quotable
from assistant.models import Citation
from ingest.glossary import Body, Glossary

# A list item's lead-in: a bullet, a number ("1.", "(2)"), a joining "and"/"or".
_ITEM_LEAD = re.compile(r"^(?:[-•*]\s*)?(?:\(?\d+[.)]\s*)?(?:(?:and|or),?\s+)?", re.I)


@lru_cache(maxsize=1)
def params() -> dict:
    text = resources.files("assistant.data").joinpath("who_does_what.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Topic:
    label: str  # as shown: "Trafficking", "GATS Mode 4 negotiations"
    words: tuple[str, ...]  # any of them in a sentence puts the sentence under the topic
    origin: str  # "glossary" (its [[terms]]) or "notes" (an item of the notes' own lists)


@dataclass(frozen=True)
class Cell:
    topic: str
    body: str
    full: str  # the body's full name (for the filter and the tooltip)
    sentence: str  # whitespace folded; led by the body's name when the sentence itself does not name it
    citation: Citation

    def matches(self, query: str, topic_words: tuple[str, ...] = ()) -> bool:
        """Every word of `query` is in the topic (or its synonyms), the body's names or the sentence."""
        hay = " ".join([self.topic, *topic_words, self.body, self.full, self.sentence]).lower()
        return all(word in hay for word in query.lower().split())


@dataclass(frozen=True)
class WhoDoesWhat:
    topics: list[Topic]  # those with at least one cell, glossary topics first, then the notes' own
    bodies: list[str]  # the columns: bodies with at least one cell, in glossary order
    cells: list[Cell]  # topic by topic, bodies in column order
    revision: int  # the index revision it was built from

    def row(self, topic: str) -> list[Cell]:
        return [c for c in self.cells if c.topic == topic]

    def cell(self, topic: str, body: str) -> Cell | None:
        return next((c for c in self.cells if c.topic == topic and c.body == body), None)

    def filtered(self, query: str) -> list[Cell]:
        """The cells a filter box's text keeps (all of them for an empty query)."""
        words = {t.label: t.words for t in self.topics}
        return [c for c in self.cells if c.matches(query, words.get(c.topic, ()))]


# -- topics ---------------------------------------------------------------------------------------------------
def glossary_topics(glossary: Glossary) -> list[Topic]:
    return [Topic(group[0][:1].upper() + group[0][1:], tuple(group), "glossary")
            for group in glossary.term_groups if group]


def list_items(text: str, in_list: bool, max_words: int) -> list[str]:
    """The short items of a sentence that lists things: the parts between semicolons (after its colon, or after
    its first part when it has none: that part is the sentence's own lead-in), or the sentence itself when it is
    a bullet of a list. Items longer than `max_words` words are statements, not topics."""
    text = " ".join(text.split())
    parts = []
    if ";" in text:
        _, colon, tail = text.partition(":")
        segments = (tail if colon else text).split(";")
        parts += segments if colon else segments[1:]
    if in_list:
        parts.append(text)
    items = [_ITEM_LEAD.sub("", p.strip()).strip(" .,;:-") for p in parts]
    return [i for i in items if i and len(i.split()) <= max_words]


def notes_topics(candidates: list[Candidate], glossary: Glossary, terms: Callable[[str], list[str]],
                 known: list[Topic], max_words: int) -> list[Topic]:
    """Topics from the notes' own lists, in the order the notes give them: items that name no body (an agency is a
    column, not a topic) and say something other than a topic already known (the glossary's "remittances")."""
    seen = {frozenset(terms(w)) for t in known for w in t.words}
    out = []
    for cand in candidates:
        for item in list_items(cand.text, cand.list_item, max_words):
            stems = frozenset(terms(item))
            if stems and stems not in seen and not glossary.find(item):
                seen.add(stems)
                out.append(Topic(item[:1].upper() + item[1:], (item,), "notes"))
    return out


# -- whose sentence --------------------------------------------------------------------------------------------
def owner(cand: Candidate, glossary: Glossary) -> Body | None:
    """The body a sentence is about: its section's (when the section names one body), else the one it names alone.
    A sentence of a section that names another member and not the section's body is about that member, not by
    the section's body ("Office of the United Nations High Commissioner for Refugees (UNHCR)" in the GMG's list of
    members): it belongs to neither."""
    in_section = glossary.find(cand.section) if cand.section else []
    named = glossary.find(cand.text)
    if len(in_section) == 1:
        body = in_section[0]
        others = any(b.member and b.name != body.name for b in named)
        return None if others and body not in named else body
    return named[0] if len(named) == 1 else None


def _all_candidates(assistant) -> list[Candidate]:
    """Every sentence of the index that may answer, each read as its chunk's own (rank 0: no retrieval order)."""
    got = assistant.store.get(include=["documents", "metadatas"])
    docs = [Document(page_content=text, metadata=meta or {}, id=cid)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
    docs.sort(key=lambda d: (d.metadata.get("source", ""), int(d.metadata.get("start", 0))))
    reader, seen, out = assistant.answerer.reader, set(), []
    for doc in docs:
        for cand in reader.candidates([doc]):
            key = (cand.source, cand.start, cand.end)  # chunks overlap: one candidate per sentence
            if key not in seen:
                seen.add(key)
                out.append(cand)
    # List items too (answer_candidates leaves them to their list's introduction): a bullet is a topic, maybe a cell.
    return sorted((c for c in out if quotable(c)), key=lambda c: (-c.score, c.rank, c.start))


# -- the map ---------------------------------------------------------------------------------------------------
def topic_pattern(words) -> re.Pattern:
    """Any of `words` as a whole word or phrase, in any case, plural or not ("refugee" finds "Refugees")."""
    spelled = sorted({re.escape(" ".join(w.split())) for w in words if w.strip()}, key=len, reverse=True)
    return re.compile(rf"(?i)\b(?:{'|'.join(spelled)})(?:s|es)?\b")


def build_map(assistant, progress: Callable[[int, int], None] | None = None) -> WhoDoesWhat:
    """The map over `assistant`'s index (seconds: one reader pass per topic). `progress(done, total)` per topic."""
    p, glossary = params(), assistant.glossary
    candidates = _all_candidates(assistant)
    owned = [(c, b, " ".join(c.text.split())) for c in candidates if (b := owner(c, glossary)) is not None]
    topics = glossary_topics(glossary)
    topics += notes_topics(candidates, glossary, assistant.answerer.keyword.terms, topics, p["max_item_words"])
    limit = p["max_body_share"] * len({b.name for _, b, _ in owned})

    def speakers(words) -> set[str]:  # the bodies with a sentence holding one of `words`
        pattern = topic_pattern(words)
        return {b.name for _, b, text in owned if pattern.search(text)}

    kept, cells = [], []
    for done, topic in enumerate(topics, start=1):
        # A word most bodies use ("work", "agencies") says nothing about who does what: the topic goes without it.
        words = tuple(w for w in topic.words if len(speakers([w])) <= limit)
        pattern = topic_pattern(words) if words else None
        matching = [(c, b) for c, b, text in owned if pattern and pattern.search(text)]
        if matching and len({b.name for _, b in matching}) <= limit:
            kept.append(Topic(topic.label, words, topic.origin))
            cells += _topic_cells(assistant, topic, matching, p["question"])
        if progress:
            progress(done, len(topics))
    order = {b.name: i for i, b in enumerate(glossary.bodies)}
    rank = {t.label: i for i, t in enumerate(kept)}
    cells.sort(key=lambda c: (rank[c.topic], order[c.body]))
    bodies = sorted({c.body for c in cells}, key=order.__getitem__)
    return WhoDoesWhat(kept, bodies, cells, assistant.manifest.revision)


def _topic_cells(assistant, topic: Topic, matching: list[tuple[Candidate, Body]], question: str) -> list[Cell]:
    """One cell per body: its sentence on the topic that names it, best ranked by the reader for the question
    (one reading per topic: the bodies' sentences are ranked together, each body keeps its best)."""
    reader, glossary = assistant.answerer.reader, assistant.glossary
    reader.read(question.format(topic=topic.label.lower()), [c for c, _ in matching])
    best: dict[str, tuple[Body, Candidate]] = {}
    for cand, body in matching:
        key = (glossary.mentions(cand.text, body), cand.score)
        held = best.get(body.name)
        if held is None or key > (glossary.mentions(held[1].text, body), held[1].score):
            best[body.name] = (body, cand)
    # Led by the section's body when the sentence does not name it ("UNHCR: They include …").
    return [Cell(topic.label, body.name, body.full, reader.attributed(cand.text, cand.section), cand.citation(1))
            for body, cand in best.values()]


# -- the quiz --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuizQuestion:
    topic: str
    quote: str  # the cell's sentence with the body's name masked
    options: tuple[str, ...]  # member agencies, the answer among them
    answer: str
    cell: Cell


def mask(text: str, body: Body, glossary: Glossary, blank: str) -> str:
    """`text` with every spelling of `body` (name, full name, variants) replaced by `blank`."""
    for _ in range(20):  # a sentence names a body a few times at most
        found = glossary.spelling_in(text, body)
        if found is None:
            break
        text = re.sub(rf"(?<![\w/-]){re.escape(found)}s?(?![\w/])", blank, text)  # "ILOs": the glossary's possessive
    return text


def quiz_questions(wdw: WhoDoesWhat, glossary: Glossary, seed: int = 0) -> list[QuizQuestion]:
    """Multiple-choice questions from the map: a member's sentence on a topic with its name masked, the member
    and three others the map has nothing from on that topic (so exactly one option is right), none of them named
    in the sentence. One question per topic, spread over as many members as the map allows; `seed` varies the
    pick and the order of the options."""
    p, rng = params()["quiz"], random.Random(seed)
    members = [b.name for b in glossary.members]
    fair = []
    for cell in wdw.cells:
        body = glossary.by_name(cell.body)
        named = {b.name for b in glossary.find(cell.sentence)}
        others = [m for m in members if m not in {c.body for c in wdw.row(cell.topic)} | named]
        if body is not None and body.member and len(others) >= p["choices"] - 1:
            fair.append((cell, body, others))
    rng.shuffle(fair)
    picked: list[tuple[Cell, Body, list[str]]] = []
    for new_body in (True, False):  # first a new member for each question, then any member, never a topic twice
        for item in fair:
            topics, bodies = {c.topic for c, _, _ in picked}, {c.body for c, _, _ in picked}
            fresh = item[0].topic not in topics and not (new_body and item[0].body in bodies)
            if fresh and len(picked) < p["questions"]:
                picked.append(item)
    questions = []
    for cell, body, others in picked:
        options = [*rng.sample(others, p["choices"] - 1), body.name]
        rng.shuffle(options)
        questions.append(QuizQuestion(cell.topic, mask(cell.sentence, body, glossary, p["mask"]), tuple(options),
                                      body.name, cell))
    return questions
