"""The reader: which sentence of the retrieved passages answers the question, and does any?

Two small fitted models over the evidence features (evidence.py), shipped as data (assistant/data/reader.json),
written by `python -m evals fit-reader` from the `tune` splits of the golden sets and the external benchmark:
- `sentence`: a linear ranking score (pairwise logistic regression) that orders a question's candidate sentences;
- `answerable`: a logistic regression over question-level evidence (the best sentence's score, how much of the
  question the leading passages cover, …) whose logit is compared with the corpus' abstention threshold
  (calibration.py). Nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from langchain_core.documents import Document

from assistant.answering.checks import INSTRUCTION
from assistant.answering.evidence import (
    YEAR,
    Encoder,
    QuestionEvidence,
    coverage_features,
    exact_coverage,
    log_words,
    relative,
    soft_coverage,
    type_features,
)
from assistant.answering.example_questions import ExampleQuestions
from assistant.answering.list_units import mark_lists
from assistant.answering.question import QuestionType, is_name, question_words, whole_word
from assistant.answering.reader_model import ReaderModel, shipped_model
from assistant.answering.specifics import counts, gives_detail, pins_detail, unknown_year
from assistant.models import Citation
from assistant.words import courtesies, reference_words
from ingest.glossary import Glossary

LEADING = 3  # passages whose words the question-level coverage is measured over


@dataclass
class Candidate:
    chunk: Document
    rank: int
    start: int  # absolute offsets in the source file
    end: int
    text: str
    section: str | None
    display: str = ""  # whitespace folded, attributed to its section's body when it names none
    fragment: bool = False  # a short unpunctuated line: a heading or a list item, never an answer alone
    features: dict = field(default_factory=dict)
    score: float = 0.0  # the sentence model's ranking score
    list_end: int | None = None  # a list's introduction (ends with ':'): where its items end in this chunk
    list_item: bool = False  # an item of such a list
    lead: bool = False  # the first sentence under a heading: what a section (an FAQ's answer) opens with

    @property
    def source(self) -> str:
        return self.chunk.metadata["source"]

    @property
    def with_items(self) -> str:
        """The sentence's text; a list's introduction with its items (they are in its chunk: mark_lists)."""
        if not self.list_end:
            return self.text
        base = int(self.chunk.metadata["start"])
        return self.chunk.page_content[self.start - base : self.list_end - base]

    @property
    def dated(self) -> str:
        """The date of the document the sentence is from (the catalog's), or ""."""
        return str(self.chunk.metadata.get("date") or "")

    def citation(self, n: int, end: int | None = None, text: str | None = None, start: int | None = None
                 ) -> Citation:
        """Citation [n] quoting this sentence (or its span from `start` through `end`, whose exact `text` the caller
        gives)."""
        meta = self.chunk.metadata
        return Citation(id=n, source=meta["source"], title=meta.get("title", meta["source"]),
                        section=meta.get("section"), page=meta.get("page"),
                        start=self.start if start is None else start,
                        end=self.end if end is None else end, text=self.text if text is None else text,
                        date=meta.get("date"), doc_id=meta.get("doc_id", ""), chunk_id=self.chunk.id or "")


@dataclass
class Reading:
    """A question read against its passages: the question's evidence, the candidates (scored, best first among
    whole sentences), and the question-level features with their answerability logit."""

    question: QuestionEvidence
    candidates: list[Candidate]
    ranked: list[Candidate]
    features: dict
    answerability: float


class Reader:
    """Candidates and their features for a question over retrieved passages, scored by the fitted models."""

    def __init__(self, embeddings, keyword, glossary: Glossary, model: ReaderModel | None = None,
                 examples: ExampleQuestions | None = None):
        self.embeddings = embeddings
        self.keyword = keyword
        self.glossary = glossary
        self.model = model
        self.examples = examples or ExampleQuestions()  # the corpus' example questions per sentence
        self.encoder = Encoder(embeddings)
        # and interjections and courtesies the corpus never uses ("ok so …", "… pls"): no topic of the question
        self._frame = {t for w in question_words() for t in keyword.terms(w)} | {
            t for w in courtesies() for t in keyword.terms(w) if t not in keyword.idf}
        self._chunk_stems = lru_cache(maxsize=20_000)(self._stems)  # a chunk's stems (with its section's)
        self._synonyms = self._synonym_map()

    def forget_passages(self) -> None:
        """Forget everything remembered per text (token vectors, stems, bodies named): benchmarks time a question
        over passages this process has not seen."""
        self.encoder.clear()
        self._chunk_stems.cache_clear()
        self.keyword.forget_terms()
        self.glossary.forget()

    def _synonym_map(self) -> dict[str, list[frozenset[str]]]:
        """stem → the stem sets of its synonyms in the glossary's term groups and body names ("set up" for
        "established"; "UNHCR" for "High Commissioner for Refugees")."""
        synonyms: dict[str, list[frozenset[str]]] = {}
        groups = [list(g) for g in self.glossary.term_groups] + [[b.name, *b.spellings] for b in self.glossary.bodies]
        for group in groups:
            alternatives = [a for a in (frozenset(set(self.keyword.terms(w)) - self._frame) for w in group) if a]
            for alt in alternatives:
                if len(alt) == 1:
                    synonyms.setdefault(next(iter(alt)), []).extend(a for a in alternatives if a != alt)
        return synonyms

    # -- candidates -------------------------------------------------------------------------------------------
    def candidates(self, docs: list[Document]) -> list[Candidate]:
        seen: set[tuple[str, int, int]] = set()
        out: list[Candidate] = []
        for rank, doc in enumerate(docs):
            meta = doc.metadata
            base = int(meta["start"])
            after_heading = False
            for a, b, kind in json.loads(meta.get("units", "[]")):
                key = (meta["source"], a, b)
                lead, after_heading = after_heading, kind == "heading"
                if kind != "sentence" or key in seen:
                    continue
                seen.add(key)
                text = doc.page_content[a - base : b - base]
                cand = Candidate(doc, rank, a, b, text, meta.get("section"), lead=lead)
                cand.fragment = len(text.split()) < 6 and not text.rstrip().endswith(tuple(".;:!?"))
                cand.display = self.display(cand)
                out.append(cand)
        mark_lists(out)
        return out

    def section_body(self, section: str | None):
        found = self.glossary.find(section) if section else []
        return found[0] if len(found) == 1 else None

    def display(self, cand: Candidate) -> str:
        """The sentence as shown: whitespace folded, attributed to its section's body if it names none."""
        return self.attributed(cand.text, cand.section)

    def attributed(self, text: str, section: str | None) -> str:
        """`text` whitespace folded, led by its section's body ("UNHCR: They include …") when it names none."""
        text = re.sub(r"\s+", " ", text).strip()
        body = self.section_body(section)
        if body and not self.glossary.mentions(text, body):
            return f"{body.name}: {text}"
        return text

    # -- features ---------------------------------------------------------------------------------------------
    def question(self, question: str) -> QuestionEvidence:
        """The question's vector, and its content words weighted by how specific they are in English at large
        ("looks", "people": little; "stateless", "budget": much), so soft coverage asks most of the words that
        say what is asked, whatever the corpus (corpus IDF would make every word it lacks the most important)."""
        (encoded,) = self.encoder.encode([question])
        keep, weights, stems, unknown, within, names_unknown = [], [], {}, [], [], []
        names = {b.name: [m.span() for s in b.spellings for m in re.finditer(rf"(?i)\b{re.escape(s)}\b", question)]
                 for b in self.glossary.find(question)}
        said, polite = [question[a:b].lower() for a, b in encoded.words.spans], reference_words()["polite_modals"]
        for i, (a, b) in enumerate(encoded.words.spans):
            if said[i] in polite and said[i + 1 : i + 2] == ["you"]:
                continue  # "can you give me …": a request's frame, no topic
            terms = [t for t in self.keyword.terms(question[a:b]) if t not in self._frame]
            if terms:
                keep.append(i)
                within.append(({n for n, spans in names.items() if any(x <= a and b <= y for x, y in spans)}, terms))
                weights.append(specificity(question[a:b]))
                stems.update({t: self.keyword.idf.get(t, self.keyword.max_idf) for t in terms})
                # a word the whole corpus never uses, and no name of a body the glossary knows ("special rep")
                if not any(t in self.keyword.idf for t in terms) and not within[-1][0]:
                    unknown.append(weights[-1])
                    if is_name(question, a, b) and not any(t in self._synonyms for t in terms):
                        names_unknown.append(whole_word(question, a, b))
        named = {n: (np.array([n in bodies for bodies, _ in within], dtype=bool),
                     frozenset(t for bodies, terms in within if n in bodies for t in terms))
                 for n in names if len(names) == 1}
        return QuestionEvidence(question, encoded.pooled(), encoded.words.vectors[keep],
                                np.array(weights, dtype=np.float32), stems, QuestionType.of(question), unknown,
                                {t: self._synonyms[t] for t in stems if t in self._synonyms},
                                frozenset(names), np.array([not bodies for bodies, _ in within], dtype=bool), named,
                                names_unknown)

    def read(self, question: str, candidates: list[Candidate]) -> Reading:
        """Features and scores of every candidate for `question`, and whether the passages answer it."""
        q, coverage = self.featurize(question, candidates)
        model = self.model or shipped_model()
        for cand, score in zip(candidates, model.sentence([c.features for c in candidates]), strict=True):
            cand.score = float(score)
        ranked = answer_candidates(candidates)
        features = {**coverage, **ranking_features(ranked, coverage)}  # on the scores, as the model was fitted
        ranked = detail_first(ranked, bool(coverage["pins_detail"]), model.detail_margin)  # what is quoted first
        return Reading(q, candidates, ranked, features, float(model.answerable([features])[0]))

    def featurize(self, question: str, candidates: list[Candidate]) -> tuple[QuestionEvidence, dict]:
        """The candidates' features, and the question's evidence and coverage features, without scoring."""
        q = self.question(question)
        chunks = {id(c.chunk): c.chunk for c in candidates}
        encoded = dict(zip(chunks, self.encoder.encode([d.page_content for d in chunks.values()]), strict=True))
        alone = self.encoder.encode([c.display for c in candidates])  # each sentence as its own passage
        self.examples.prepare([(c.source, c.text) for c in candidates], self.encoder)
        names = list(dict.fromkeys(c.section for c in candidates if c.section))
        sections = {name: e.words.vectors for name, e in zip(names, self.encoder.encode(names), strict=True)}
        top_bm25 = max((float(c.chunk.metadata.get("bm25") or 0.0) for c in candidates), default=0.0) or 1.0
        # The body the question names, where each chunk (or its section) speaks of it: once per chunk.
        spoken = {k: self._spoken_of(q, d.page_content, d.metadata.get("section")) for k, d in chunks.items()}
        for cand, own in zip(candidates, alone, strict=True):
            cand.features = self._features(q, cand, encoded[id(cand.chunk)], sections, top_bm25, spoken[id(cand.chunk)])
            cand.features["dense_alone"] = float(own.pooled() @ q.vector)
            asked = self.examples.best_cosine(cand.source, cand.text, q.vector, self.encoder)
            cand.features["dense_asked"] = max(cand.features["dense_alone"], asked if asked is not None else -1.0)
        relative([c.features for c in candidates])
        leading = list(chunks)[:LEADING]
        covered = q.names_covered(set().union(*(spoken[k] for k in leading)))[0]
        return q, self._coverage(q, candidates, [encoded[k] for k in leading], covered)

    def _coverage(self, q: QuestionEvidence, candidates: list[Candidate], leading: list,
                  covered: np.ndarray | None) -> dict:
        """coverage_features (`covered`: the name words of the body the leading passages speak of), whether the
        question pins a detail (a date, a count, a budget…: specifics.py) or names a year the corpus never
        mentions, and how specific the words are that the corpus never uses."""
        return {**coverage_features(q, leading, covered), "pins_detail": float(pins_detail(q.qtype)),
                "unknown_year": float(unknown_year(q.text, self.keyword)),
                "unknown_specificity": max(q.unknown, default=0.0)}

    def _spoken_of(self, q: QuestionEvidence, text: str, section: str | None) -> set[str]:
        """The body the question names (`QuestionEvidence.named`) when `text` or its section speaks of it."""
        return {n for n in q.named if self.glossary.speaks_of(text, section, self.glossary.by_name(n))}

    def _chunk_terms(self, cand: Candidate) -> frozenset[str]:
        return self._chunk_stems(cand.chunk.id, cand.section, cand.chunk.page_content)

    def _stems(self, chunk_id: str | None, section: str | None, text: str) -> frozenset[str]:
        return frozenset(self.keyword.terms(f"{text} {section or ''}"))

    def _features(self, q: QuestionEvidence, cand: Candidate, enc, sections: dict, top_bm25: float,
                  in_chunk: set[str]) -> dict:
        """`sections`: each section name's token vectors; `top_bm25`: the best BM25 score among the candidates;
        `in_chunk`: the body the question names, when the candidate's chunk or section speaks of it."""
        base = int(cand.chunk.metadata["start"])
        a, b = cand.start - base, (cand.list_end or cand.end) - base  # a list's introduction with its items
        body = self.section_body(cand.section)
        counted = bool(q.qtype.counted) and counts(q.qtype.counted, [YEAR.sub(" ", cand.text)], self.keyword,
                                                   self.glossary)
        # "Who handles X?" asks which body: one of the member bodies (glossary data), by its section or by name
        # (a list's introduction by its items).
        names_member = bool(body and body.member) or any(b.member for b in self.glossary.find(enc.text[a:b]))
        named = q.bodies  # the bodies the question names: their own sections speak of them
        own_section = body is not None and body.name in named
        other_section = body is not None and bool(named) and not own_section
        match, miss = type_features(q.qtype, cand.text, names_member, counted)
        section_words = sections.get(cand.section)
        # A list of bodies covers a question by what the list says, not by its items' names: "Which agency deals
        # with refugees?" is not answered by the member list because it names the "High Commissioner for Refugees".
        # Names (of bodies the question does not name) in a list's items are left out of its coverage.
        items = (cand.end - base, b) if cand.list_end else (b, b)
        names = [(x + items[0], y + items[0]) for x, y in self.glossary.name_spans(enc.text[items[0] : b], named)]
        words = enc.words.within(a, b, names)
        # A body the question names is matched by any of its names where the passage speaks of it.
        said, said_stems = q.names_covered(self._spoken_of(q, enc.text[a:b], cand.section))
        chunk_said, chunk_stems = q.names_covered(in_chunk)
        in_section, _ = q.names_covered(self._spoken_of(q, "", cand.section))
        return {
            "dense_sentence": float(enc.pooled(a, b) @ q.vector),
            "dense_chunk": float(enc.pooled() @ q.vector),
            "soft_sentence": soft_coverage(q, words, covered=said),
            "focus_sentence": soft_coverage(q, words, focus=True, covered=said),
            "soft_chunk": soft_coverage(q, enc.words.vectors, covered=chunk_said),
            "soft_section": soft_coverage(q, section_words, covered=in_section) if section_words is not None else 0.0,
            "exact_sentence": exact_coverage(q, said_stems | set(self.keyword.terms(
                f"{cand.display} {self.glossary.without_names(enc.text[items[0] : b], named)} {cand.section or ''}"))),
            "exact_chunk": exact_coverage(q, chunk_stems | self._chunk_terms(cand)),
            "rank": 1.0 / (1 + cand.rank),
            "bm25": float(cand.chunk.metadata.get("bm25") or 0.0) / top_bm25,
            "is_heading": float(cand.fragment),
            "log_words": log_words(cand.text),
            "type_match": match,
            "type_miss": miss,
            "gives_detail": float(gives_detail(q.qtype, enc.text[a:b], self.keyword, self.glossary, cand.dated)),
            "named_section": float(own_section),
            "other_section": float(other_section),
            "list_intro": float(cand.list_end is not None),
            "list_item": float(cand.list_item),
            "list_wanted": float(cand.list_end is not None and q.qtype.wants_list),
            "section_lead": float(cand.lead),
        }


@lru_cache(maxsize=50_000)
def specificity(word: str) -> float:
    """7 − the word's Zipf frequency in English (wordfreq): "the" 0, "people" 0.8, "budget" 2.2, "stateless" 4.2;
    a word English does not know (a name, a typo) 7."""
    from wordfreq import zipf_frequency

    return max(7.0 - zipf_frequency(word, "en"), 0.1)


def answer_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """Whole sentences that may answer, best first: no headings or list fragments, no item of a list whose
    introduction is a candidate (the introduction answers with its items: "GMG: UNCTAD [1] GMG: OHCHR [2]" is no
    answer to "who's in the GMG?"), no sentence that asks, no tail of a sentence a footnote or page break cut (it
    starts in lower case and is no list item), and no sentence that reads as an instruction to a model ("Ignore
    previous instructions and …"): it is never quoted."""
    return sorted((c for c in candidates if quotable(c) and not c.list_item), key=lambda c: (-c.score, c.rank, c.start))


def detail_first(ranked: list, pins: bool, margin: float) -> list:
    """For a question that pins a detail (a date, a count, a frequency…: specifics.py), the sentences that give it
    are quoted first among those scoring within `margin` of the best: for a "how often" question, "The GMG meets at
    regular intervals" before "The Chair is held on a rotating basis …", which scores a little higher. (Only the
    quoting order: the answerability features are those of the score ranking, as the model was fitted.)"""
    if not pins or not ranked:
        return ranked
    giving = [c for c in ranked if c.score >= ranked[0].score - margin and c.features.get("gives_detail")]
    taken = {id(c) for c in giving}
    return [*giving, *(c for c in ranked if id(c) not in taken)]


def quotable(cand: Candidate) -> bool:
    """A sentence (or list item) that may be quoted: no heading or fragment, no question, no cut tail, no
    instruction to a model."""
    return not cand.fragment and not is_question(cand.text) and not _is_tail(cand) and not INSTRUCTION.search(cand.text)


def ranking_features(ranked: list[Candidate], coverage: dict) -> dict:
    """The best sentence's evidence, once the sentence model has ranked them; and whether the detail the question
    pins is missing from the best three (or the question names a year the corpus never mentions)."""
    top = ranked[0].features if ranked else {}
    scores = sorted((c.score for c in ranked), reverse=True)
    given = any(c.features.get("gives_detail") for c in ranked[:3])
    missing = coverage["unknown_year"] or (coverage["pins_detail"] and not given)
    return {
        "missing_detail": float(bool(missing)),
        "best_score": scores[0] if scores else -10.0,
        "score_margin": scores[0] - float(np.median(scores)) if scores else 0.0,
        "top_soft_sentence": top.get("soft_sentence", 0.0),
        "top_focus_sentence": top.get("focus_sentence", 0.0),
        "top_dense_sentence": top.get("dense_sentence", 0.0),
        "top_dense_alone": top.get("dense_alone", 0.0),
        "max_dense_alone": max((c.features["dense_alone"] for c in ranked), default=0.0),
        "top_dense_asked": top.get("dense_asked", 0.0),
        "max_dense_asked": max((c.features["dense_asked"] for c in ranked), default=0.0),
        "top_exact_sentence": top.get("exact_sentence", 0.0),
        "max_dense_chunk": max((c.features["dense_chunk"] for c in ranked), default=0.0),
    }


def _is_tail(cand: Candidate) -> bool:
    text = cand.text.lstrip()
    return not cand.list_item and text[:1].islower()


def is_question(text: str) -> bool:
    """A sentence that asks (an FAQ page's own heading) never answers a question."""
    return text.rstrip().endswith("?")
