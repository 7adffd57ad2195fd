"""The offline default answerer: picks the few source sentences that answer the question, cites each one.

Scoring combines the sentence's embedding similarity to the question with lexical evidence (IDF-weighted
coverage of the question's content words, glossary synonyms and section labels included), the expected
answer type (who → an agency, when → a date, how many → a number) and the bodies the question names.
A sentence that does not name its own subject is attributed to its section's body ("UNHCR: They include …").
When the best evidence is below a threshold calibrated on the golden set, the answerer abstains.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.answering.passages import coverage, join_items, span_text
from assistant.answering.question import (
    DATE_PATTERN,
    NUMBER_PATTERN,
    QuestionType,
    asks_about_each_document,
    question_words,
    split_parts,
    without_document_phrase,
)
from assistant.answering.specifics import missing_specifics
from assistant.models import Citation, CitedAnswer
from assistant.retrieval import KeywordIndex
from ingest.glossary import Glossary

# Calibrated on the golden set's single-turn questions (102 answerable, 21 unanswerable) with
# `python -m evals calibrate`: between 0.42 and 0.45 it gives 2 false abstentions and 11 unanswerable
# questions answered; above 0.45 false abstentions rise fast (7 at 0.50). False abstentions cost a user more
# than a missed one, so we sit at the low end. Re-run calibrate after changing scoring.
EVIDENCE_THRESHOLD = 0.43
_PRONOUN_START = re.compile(r"^(?:It|Its|They|Their|This|These|Those|He|She|His|Her)\b")


@dataclass
class Candidate:
    chunk: Document
    rank: int
    start: int
    end: int
    text: str
    section: str | None
    display: str = ""
    scored_text: str = ""  # what similarity is measured on: the display, plus its items for a list intro
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    terms: set[str] = field(default_factory=set)
    fragment: bool = False


class ExtractiveAnswerer:
    def __init__(self, embeddings: Embeddings, keyword: KeywordIndex, glossary: Glossary, *,
                 max_words: int = 60, threshold: float = EVIDENCE_THRESHOLD, max_sentences: int = 3):
        self.embeddings = embeddings
        self.keyword = keyword
        self.glossary = glossary
        self.max_words = max_words
        self.threshold = threshold
        self.max_sentences = max_sentences
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._ignored = {t for w in question_words() for t in keyword.terms(w)}
        self._synonyms = self._synonym_map()

    # -- public ---------------------------------------------------------------------------------------
    def answer(self, question: str, docs: list[Document]) -> CitedAnswer:
        candidates = self._candidates(docs)
        if not candidates:
            return self._abstain(question, [], 0.0)
        parts = split_parts(question)
        if len(parts) > 1 or asks_about_each_document(question):
            return self._answer_parts(question, parts, candidates)
        qtype = QuestionType.of(question)
        self._score(question, qtype, candidates)
        ranked = sorted((c for c in candidates if not c.fragment), key=lambda c: (-c.score, c.rank, c.start))
        if not ranked:
            return self._abstain(question, [], 0.0)
        # Evidence is the best plain match (similarity + coverage) among all sentences, before type bonuses.
        evidence = max(c.dense * 0.5 + c.lexical * 0.5 for c in ranked)
        if evidence < self.threshold or self._missing_specifics(question, qtype, ranked):
            return self._abstain(question, ranked, evidence)
        chosen = self._select(ranked, qtype)
        lead, rest = chosen[0], sorted(chosen[1:], key=lambda c: (c.chunk.metadata["source"], c.start))
        return self._compose(question, [(c, question, qtype) for c in [lead, *rest]], candidates, evidence)

    def _answer_parts(self, question: str, parts: list[str], candidates: list[Candidate]) -> CitedAnswer:
        """One sentence per sub-question (or per document, for "how do both notes describe …"), in order."""
        picks: list[tuple[Candidate, str, QuestionType]] = []
        evidences: list[float] = []
        ranked: list[Candidate] = []
        for part in self._resolve_parts(parts):
            part = without_document_phrase(part)
            qtype = QuestionType.of(part)
            self._score(part, qtype, candidates)
            ranked = sorted((c for c in candidates if not c.fragment), key=lambda c: (-c.score, c.rank, c.start))
            if not ranked:
                continue
            evidence = max(c.dense * 0.5 + c.lexical * 0.5 for c in ranked)
            evidences.append(evidence)
            if evidence < self.threshold or self._missing_specifics(part, qtype, ranked):
                continue
            taken = {id(c) for c, _, _ in picks}
            per_document = asks_about_each_document(question) and len(parts) == 1
            for cand in ranked:
                if id(cand) in taken:
                    continue
                if per_document and cand.chunk.metadata["source"] in {c.chunk.metadata["source"] for c, _, _ in picks}:
                    continue
                picks.append((cand, part, qtype))
                if not per_document or len({c.chunk.metadata["source"] for c, _, _ in picks}) >= 2:
                    break
        if not picks:
            return self._abstain(question, ranked, max(evidences, default=0.0))
        return self._compose(question, picks, candidates, max(evidences))

    def _resolve_parts(self, parts: list[str]) -> list[str]:
        """ "…, and what plan was it implementing?" — 'it' is the body the previous part names."""
        resolved = []
        for i, part in enumerate(parts):
            bodies = self.glossary.find(parts[i - 1]) if i else []
            if bodies and not self.glossary.find(part):
                part = re.sub(r"\b(it|they)\b", bodies[0].name, part, count=1, flags=re.I)
                part = re.sub(r"\b(its|their)\b", f"{bodies[0].name}'s", part, count=1, flags=re.I)
            resolved.append(part)
        return resolved

    # -- candidates -------------------------------------------------------------------------------------
    def _candidates(self, docs: list[Document]) -> list[Candidate]:
        seen: set[tuple[str, int, int]] = set()
        out: list[Candidate] = []
        for rank, doc in enumerate(docs):
            meta = doc.metadata
            base = int(meta["start"])
            for a, b, kind in json.loads(meta.get("units", "[]")):
                key = (meta["source"], a, b)
                if kind != "sentence" or key in seen:
                    continue
                seen.add(key)
                text = doc.page_content[a - base : b - base]
                cand = Candidate(doc, rank, a, b, text, meta.get("section"))
                # A short unpunctuated line ("World Bank" in a list, a banner) is never an answer on its own.
                cand.fragment = len(text.split()) < 6 and not text.rstrip().endswith(tuple(".;:!?"))
                cand.display = self._display(cand)
                out.append(cand)
        return out

    def _display(self, cand: Candidate) -> str:
        """The sentence as shown: whitespace folded, attributed to its section's body if it names none."""
        text = re.sub(r"\s+", " ", cand.text).strip()
        body = self._section_body(cand.section)
        if body and not self.glossary.mentions(text, body):
            return f"{body.name}: {text}"
        return text

    def _section_body(self, section: str | None):
        if not section:
            return None
        found = self.glossary.find(section)
        return found[0] if len(found) == 1 else None

    # -- scoring ----------------------------------------------------------------------------------------
    def _synonym_map(self) -> dict[str, list[frozenset[str]]]:
        """stem → alternatives, each a set of stems that must all be present ("witness protection")."""
        synonyms: dict[str, list[frozenset[str]]] = {}
        groups = [list(g) for g in self.glossary.term_groups] + [[b.name, *b.spellings] for b in self.glossary.bodies]
        for group in groups:
            alternatives = [frozenset(set(self.keyword.terms(w)) - self._ignored) for w in group]
            alternatives = [a for a in alternatives if a]
            for alt in alternatives:
                if len(alt) == 1:
                    synonyms.setdefault(next(iter(alt)), []).extend(alternatives)
        return synonyms

    def _matches(self, term: str, terms: set[str]) -> bool:
        return term in terms or any(alt <= terms for alt in self._synonyms.get(term, ()))

    def _vectorize(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = self.embeddings.embed_documents(missing)
            with self._lock:
                if len(self._vectors) > 50_000:
                    self._vectors.clear()
                self._vectors.update(zip(missing, (np.asarray(v, dtype=np.float32) for v in vectors), strict=True))
        with self._lock:
            return np.stack([self._vectors[t] for t in texts])

    def question_terms(self, question: str) -> list[str]:
        # What "how many" counts is the topic even when it is a framing word elsewhere ("organizations").
        counted = set(self.keyword.terms(" ".join(re.findall(r"\bhow many (\w+)", question, re.I))))
        return [t for t in dict.fromkeys(self.keyword.terms(question)) if t not in self._ignored or t in counted]

    def _score(self, question: str, qtype: QuestionType, candidates: list[Candidate]) -> None:
        qvec = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        for cand in candidates:
            items = self._list_items(cand, candidates)
            cand.scored_text = f"{cand.display} {join_items(items)}" if items else cand.display
        dense = self._vectorize([c.scored_text for c in candidates]) @ qvec
        qterms = self.question_terms(question)
        weights = {t: self.keyword.idf.get(t, self.keyword.max_idf) for t in qterms}
        total = sum(weights.values())
        mentioned = self.glossary.find(question)
        named = {b.name for b in mentioned if b.member}
        names_any = bool(mentioned)
        chunk_terms: dict[str, set[str]] = {}
        for cand, sim in zip(candidates, dense, strict=True):
            body = self._section_body(cand.section)
            context = " ".join(filter(None, [cand.section, body.full if body else None]))
            cand.terms = set(self.keyword.terms(f"{cand.scored_text} {context}"))
            key = cand.chunk.id or ""
            if key not in chunk_terms:
                chunk_terms[key] = set(self.keyword.terms(f"{cand.chunk.page_content} {context}"))
            own = sum(w for t, w in weights.items() if self._matches(t, cand.terms))
            near = sum(w for t, w in weights.items() if self._matches(t, chunk_terms[key]))
            cand.dense = float(sim)
            # Mostly the sentence itself, partly its paragraph: "Victim support…" sits in the trafficking one.
            cand.lexical = (0.6 * own + 0.4 * near) / total if total else cand.dense
            bonus = self._bonus(cand, qtype, named, body, names_any, mentioned)
            cand.score = 0.5 * cand.dense + 0.5 * cand.lexical + bonus - 0.01 * cand.rank

    def _defines(self, text: str, bodies: list) -> bool:
        for b in bodies:
            names = "|".join(re.escape(s) for s in sorted(b.spellings, key=len, reverse=True))
            if re.match(rf"^(?:The\s+)?(?:{names})(?:\s*\([^)]*\))?\s+(?:is|are)\s+(?:a|an|the)\b", text.strip()):
                return True
        return False

    def _bonus(self, cand: Candidate, qtype: QuestionType, named: set[str], body, names_any: bool,
               named_bodies: list | None = None) -> float:
        named_bodies = named_bodies or []
        bonus = 0.0
        if qtype.who:
            # "Who handles X?" asks which agency: an agency's own work beats the GMG's shared purposes.
            bodies = ([body] if body else []) + self.glossary.find(cand.text)
            if any(b.member for b in bodies):
                bonus += 0.08 if names_any else 0.25
        if qtype.wants_list and cand.text.rstrip().endswith(":"):
            bonus += 0.15
        if qtype.when:
            bonus += 0.12 if DATE_PATTERN.search(cand.text) else -0.05
        if qtype.definition and self._defines(cand.text, named_bodies):
            bonus += 0.15  # "The GFMD is a voluntary, informal … process": the defining sentence
        if qtype.acronym and re.search(rf"\({re.escape(qtype.acronym)}\)", cand.text):
            bonus += 0.3  # the sentence spells the acronym out: "… Crisis Initiative (MICI)"
        if qtype.how_many:
            bonus += 0.12 if NUMBER_PATTERN.search(cand.text) else -0.05
        if named:
            mentioned = {b.name for b in self.glossary.find(cand.text)}
            if (body is not None and body.name in named) or mentioned & named:
                bonus += 0.08
            elif body is not None and body.member:
                bonus -= 0.12
        return bonus

    def _missing_specifics(self, question: str, qtype: QuestionType, ranked: list[Candidate]) -> bool:
        return missing_specifics(question, qtype, [c.text for c in ranked], self.keyword, self.glossary)

    # -- selection and composition ---------------------------------------------------------------------
    def _select(self, ranked: list[Candidate], qtype: QuestionType) -> list[Candidate]:
        best = ranked[0]
        chosen = [best]
        if best.text.rstrip().endswith(":"):
            return chosen  # a list intro: its items follow in the answer, which is then complete
        covered = set(best.terms)
        words = len(best.display.split())
        for cand in ranked[1 : 12]:
            if len(chosen) >= self.max_sentences or words >= self.max_words:
                break
            new_words = len(cand.display.split())
            adds_terms = bool(cand.terms - covered) and cand.lexical > 0
            strong = cand.score >= best.score - 0.05
            useful = adds_terms and cand.score >= best.score - 0.12 and cand.lexical >= best.lexical * 0.6
            if (strong or useful) and words + new_words <= self.max_words + 15:
                chosen.append(cand)
                covered |= cand.terms
                words += new_words
        return chosen

    def _list_items(self, intro: Candidate, candidates: list[Candidate]) -> list[Candidate]:
        """Items following an intro that ends in ':' (a list), as far as the retrieved text reaches."""
        source = intro.chunk.metadata["source"]
        if not intro.text.rstrip().endswith(":"):
            # "…focusing on a number of specific issues. These include:" — the list hangs off the next unit.
            follower = next((c for c in sorted(candidates, key=lambda c: c.start) if c.start > intro.start
                             and c.chunk.metadata["source"] == source and c.section == intro.section), None)
            if follower is None or not follower.text.rstrip().endswith(":") or len(follower.text.split()) > 6:
                return []
            return [follower, *self._list_items(follower, candidates)]
        reach = coverage(candidates, source, intro.start)
        items = sorted((c for c in candidates if c.chunk.metadata["source"] == source and c.section == intro.section
                        and intro.start < c.start and c.end <= reach), key=lambda c: c.start)
        return items[:12]

    def _focus(self, cand: Candidate, question: str) -> str:
        """A long sentence made of ';'-separated clauses is shown as the clauses that match the question
        ("UNHCR: They include … provision of assistance for the voluntary repatriation …"). The citation
        still quotes the whole sentence."""
        clauses = [c.strip() for c in cand.display.split(";")]
        if len(cand.display.split()) <= self.max_words or len(clauses) < 3:
            return cand.display
        # A rewritten follow-up carries the previous question in brackets; the clause must match the new one.
        own = re.sub(r"\s*\(.*\)\s*$", "", question)
        named = {t for b in self.glossary.find(own) for t in self.keyword.terms(b.name)}  # the subject, not a topic
        qterms = [t for t in self.question_terms(own) if t not in named]
        hits = [sum(self._matches(t, set(self.keyword.terms(c))) for t in qterms) for c in clauses]
        best = max(hits)
        if best == 0:
            return cand.display
        keep = [i for i, h in enumerate(hits) if h == best][:2]
        head = clauses[0] if 0 in keep else " ".join(clauses[0].split()[:3]) + " …"
        body = "; ".join(clauses[i] for i in keep if i != 0)
        tail = " …" if keep[-1] < len(clauses) - 1 else ""
        text = f"{head} {body}{tail}" if body else f"{head}{tail}"
        return text if text.rstrip().endswith((".", "…")) else text.rstrip(" ;,") + "."

    def _compose(self, question: str, chosen: list[tuple[Candidate, str, QuestionType]],
                 candidates: list[Candidate], evidence: float) -> CitedAnswer:
        """The answer text: each chosen sentence (with its list, or focused on its clauses) and its [n]."""
        citations: list[Citation] = []
        sentences: list[str] = []
        used: set[tuple[str, int]] = set()
        single = len({part for _, part, _ in chosen}) == 1
        for position, (cand, part, qtype) in enumerate(chosen):
            key = (cand.chunk.metadata["source"], cand.start)
            if key in used:
                continue
            items = self._list_items(cand, candidates)
            end, shown = cand.end, self._focus(cand, part)
            if items:
                end = items[-1].end
                shown = f"{cand.display} {join_items(items)}"
                used |= {(i.chunk.metadata["source"], i.start) for i in items}
            if (position == 0 or not single) and qtype.who:
                shown = self._lead_with_body(cand, shown)
            used.add(key)
            text = span_text(candidates, key[0], cand.start, end) if items else cand.text
            citations.append(self._citation(len(citations) + 1, cand, cand.start, end, text))
            sentences.append(f"{shown} [{len(citations)}]")
            if position == 0 and items and single:
                break  # a list answer is complete on its own; more sentences would be padding
        return CitedAnswer(question=question, answer=" ".join(sentences), citations=citations, evidence=evidence)

    def _lead_with_body(self, cand: Candidate, shown: str) -> str:
        """A "who" answer starts with the agency's name, so the reader gets the answer first."""
        body = self._section_body(cand.section)
        if body is None or not body.member or shown.startswith(body.name):
            return shown
        return f"{body.name}: {shown}"

    def _citation(self, n: int, cand: Candidate, start: int, end: int, text: str) -> Citation:
        meta = cand.chunk.metadata
        return Citation(id=n, source=meta["source"], title=meta.get("title", meta["source"]),
                        section=meta.get("section"), page=meta.get("page"), start=start, end=end, text=text,
                        date=meta.get("date"), doc_id=meta.get("doc_id", ""), chunk_id=cand.chunk.id or "")

    def _abstain(self, question: str, ranked: list[Candidate], evidence: float) -> CitedAnswer:
        closest = []
        for cand in ranked[:3]:
            closest.append(self._citation(len(closest) + 1, cand, cand.start, cand.end, cand.text))
        return CitedAnswer(
            question=question,
            answer="The documents don't say. Nothing in the notes answers this question; "
            "the closest passages are listed for you to check.",
            abstained=True,
            closest=closest,
            evidence=evidence,
        )
