"""Evidence features of candidate sentences, from one forward pass of the model over each retrieved passage.

MiniLM was trained on question → passage pairs, so its passage-level similarity is its strength; exact word
coverage and sentence-level similarity are weak on paraphrase ("looks after stateless people" vs "advocacy
relating to … statelessness"). So each retrieved chunk is encoded once into contextual token vectors; from them:
- the chunk's and each sentence's pooled vector (mean of the span's token vectors) against the question's;
- soft coverage of the question (MaxSim, ColBERT-style): each content word of the question takes its best cosine
  with the words of the sentence (or the chunk, or the section's name), weighted by how specific the word is in
  English (reader.specificity);
- exact coverage of the question's stems (IDF-weighted), as BM25 sees them;
plus the form of the sentence (a question, a heading, its length), its passage's retrieval rank and BM25 score,
and whether it has what the question's type asks for (a body for "who", a date for "when", a number for
"how many"). The fitted reader (reader.py) turns these into one probability.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np

from assistant.answering.question import DATE_PATTERN, NUMBER_PATTERN, QuestionType

YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")  # a year is no count


@dataclass
class Words:
    """The words of a text (word pieces joined back), with L2-normalised contextual vectors."""

    spans: list[tuple[int, int]]  # character offsets in the text
    vectors: np.ndarray  # [n_words, dim], normalised

    def within(self, start: int, end: int, exclude: list[tuple[int, int]] = ()) -> np.ndarray:
        """The vectors of the words inside [start, end), but those inside an `exclude` span."""
        rows = [i for i, (a, b) in enumerate(self.spans) if a >= start and b <= end
                and not any(x <= a and b <= y for x, y in exclude)]
        return self.vectors[rows]


@dataclass
class Encoded:
    """One text encoded once: pooled vector, its words, and the raw token rows for pooling any sub-span."""

    text: str
    hidden: np.ndarray  # raw token vectors [n_tokens, dim]
    offsets: list[tuple[int, int]]
    words: Words

    def pooled(self, start: int = 0, end: int | None = None) -> np.ndarray:
        end = len(self.text) if end is None else end
        rows = [i for i, (a, b) in enumerate(self.offsets) if a >= start and b <= end]
        if not rows:
            return np.zeros(self.hidden.shape[1], dtype=np.float32)
        v = self.hidden[rows].mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)


def _words(text: str, hidden: np.ndarray, offsets: list[tuple[int, int]]) -> Words:
    """Join word pieces ("state", "##less", "##ness") into words; punctuation pieces are dropped."""
    groups: list[list[int]] = []
    for i, (a, b) in enumerate(offsets):
        piece = text[a:b]
        if not any(ch.isalnum() for ch in piece):
            groups.append([])
            continue
        if groups and groups[-1] and offsets[groups[-1][-1]][1] == a and text[a - 1 : a].isalnum():
            groups[-1].append(i)
        else:
            groups.append([i])
    groups = [g for g in groups if g]
    if not groups:
        return Words([], np.zeros((0, hidden.shape[1]), dtype=np.float32))
    # Each group is a run of consecutive pieces: its mean from running sums (one pass, not one mean per word).
    sums = np.cumsum(np.vstack([np.zeros((1, hidden.shape[1])), hidden]), axis=0, dtype=np.float64)
    first = np.array([g[0] for g in groups])
    after = np.array([g[-1] + 1 for g in groups])
    vectors = ((sums[after] - sums[first]) / (after - first)[:, None]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return Words([(offsets[g[0]][0], offsets[g[-1]][1]) for g in groups], vectors)


# Milliseconds the reader spends in the model (token vectors) within a `model_time()` block of this thread.
_MODEL_MS: ContextVar[list[float] | None] = ContextVar("reader_model_ms", default=None)


@contextmanager
def model_time():
    """Sums, into the one-item list it yields, the milliseconds this thread's Encoder calls spend in the model
    inside the block: the reader's per-question model pass (`timings_ms.reader_ms`)."""
    total = [0.0]
    token = _MODEL_MS.set(total)
    try:
        yield total
    finally:
        _MODEL_MS.reset(token)


class Encoder:
    """Encodes texts into token vectors once and keeps the most recently used (passages repeat across questions).
    Safe to share between threads; an entry is a few hundred kB, hence the small default size."""

    def __init__(self, embeddings, max_items: int = 3_000):
        self.embeddings = embeddings
        self.max_items = max_items
        self._cache: OrderedDict[str, Encoded] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached text (benchmarks time the reader as a question over passages it has not seen)."""
        with self._lock:
            self._cache.clear()

    def encode(self, texts: list[str]) -> list[Encoded]:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        found: dict[str, Encoded] = {}
        with self._lock:
            for key in keys:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    found[key] = self._cache[key]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            started = time.perf_counter()
            encoded = self.embeddings.encode_tokens(missing)
            if (total := _MODEL_MS.get()) is not None:
                total[0] += (time.perf_counter() - started) * 1000
            for text, (hidden, offsets) in zip(missing, encoded, strict=True):
                hidden = np.asarray(hidden, dtype=np.float32)
                key = hashlib.sha1(text.encode("utf-8")).hexdigest()
                found[key] = Encoded(text, hidden, list(offsets), _words(text, hidden, offsets))
            with self._lock:
                for key in found:
                    self._cache[key] = found[key]
                    self._cache.move_to_end(key)
                while len(self._cache) > self.max_items:
                    self._cache.popitem(last=False)
        return [found[k] for k in keys]


@dataclass
class QuestionEvidence:
    """What the features compare against: the question's vector, its content words with their weights
    (specificity), its stems with their IDF (exact coverage), its type."""

    text: str
    vector: np.ndarray
    words: np.ndarray  # [n_content, dim]
    weights: np.ndarray  # [n_content]
    stems: dict[str, float]  # content stem → IDF weight
    qtype: QuestionType
    unknown: list[float] = field(default_factory=list)  # specificity of content words the corpus never uses
    synonyms: dict[str, list[frozenset[str]]] = field(default_factory=dict)  # stem → its glossary synonyms' stems
    bodies: frozenset[str] = frozenset()  # names of the glossary bodies the question names
    focus: np.ndarray | None = None  # per content word: True unless it names a body of the glossary (the topic)
    # body name → (per content word: it is part of the body's name as the question spells it, the name's stems);
    # only when the question names one body: naming several, it asks how they relate, which their words show.
    named: dict[str, tuple[np.ndarray, frozenset[str]]] = field(default_factory=dict)
    # unknown words written as a name ("Germany", "the EU", "WHO"): something the documents never mention
    unknown_names: list[str] = field(default_factory=list)

    def names_covered(self, spoken_of: set[str]) -> tuple[np.ndarray | None, frozenset[str]]:
        """The content words (a mask) and stems of the names of those bodies the question names that a passage
        speaks of (`spoken_of`), by whichever of their names: "the Global Forum on Migration and Development" is
        matched by a sentence on the GFMD as fully as by one spelling it out."""
        mask, stems = None, frozenset()
        for name in spoken_of & self.named.keys():
            words, name_stems = self.named[name]
            mask = words if mask is None else mask | words
            stems |= name_stems
        return mask, stems


def soft_coverage(question: QuestionEvidence, words: np.ndarray, focus: bool = False,
                  covered: np.ndarray | None = None) -> float:
    """Weighted mean over the question's content words of their best cosine with `words` (MaxSim); with `focus`,
    over the words that say what is asked about the topic only ("took over" in "who took over as SRSG?"), or over
    all of them when the topic is all it asks about ("what does the GMG do?"). `covered`: words matched whatever
    `words` are (a body's name, when the passage speaks of the body: QuestionEvidence.names_covered)."""
    weights = question.weights
    if focus and question.focus is not None and (weights * question.focus).sum() > 0:
        weights = weights * question.focus
    if len(weights) == 0 or len(words) == 0 or weights.sum() == 0:
        return 0.0
    best = (question.words @ words.T).max(axis=1)
    if covered is not None:
        best = np.where(covered, 1.0, best)
    return float((best * weights).sum() / weights.sum())


def exact_coverage(question: QuestionEvidence, terms: set[str] | frozenset[str]) -> float:
    """IDF-weighted share of the question's stems in `terms`; a stem also counts when all the stems of one of its
    glossary synonyms are there ("set up" → "established")."""
    total = sum(question.stems.values())
    found = sum(w for t, w in question.stems.items()
                if t in terms or any(alt <= terms for alt in question.synonyms.get(t, ())))
    return found / total if total else 0.0


def relative(rows: list[dict]) -> None:
    """Add how far each candidate is from the best of its question (ranking among the candidates)."""
    for name, source in (("dense_sentence_gap", "dense_sentence"), ("soft_sentence_gap", "soft_sentence"),
                         ("dense_chunk_gap", "dense_chunk"), ("dense_alone_gap", "dense_alone"),
                         ("dense_asked_gap", "dense_asked")):
        best = max((r[source] for r in rows), default=0.0)
        for r in rows:
            r[name] = r[source] - best


def type_features(qtype: QuestionType, text: str, names_body: bool, counts: bool) -> tuple[float, float]:
    """(the sentence has what the question's type asks for, it lacks it). `counts`: it gives a number of what a
    "how many" question counts (specifics.counts)."""
    wants = []
    if qtype.who:
        wants.append(names_body)
    if qtype.when:
        wants.append(bool(DATE_PATTERN.search(text)))
    if qtype.how_many:
        wants.append(counts if qtype.counted else bool(NUMBER_PATTERN.search(YEAR.sub(" ", text))))
    if not wants:
        return 0.0, 0.0
    return float(all(wants)), float(not any(wants))


def log_words(text: str) -> float:
    return math.log1p(len(text.split()))


def coverage_features(q: QuestionEvidence, leading: list, covered: np.ndarray | None = None) -> dict:
    """How much of the question the leading passages cover: on average (IDF-weighted MaxSim), at its weakest
    word, and how many content words there are to cover. `covered`: as soft_coverage's."""
    words = [e.words.vectors for e in leading if len(e.words.vectors)]
    if len(q.weights) and words:
        best = (q.words @ np.concatenate(words).T).max(axis=1)
        if covered is not None:
            best = np.where(covered, 1.0, best)
        soft, weakest = float((best * q.weights).sum() / q.weights.sum()), float(best.min())
        unmatched = float((q.weights * (1.0 - best)).max())
    else:
        soft = weakest = unmatched = 0.0
    return {"soft_leading": soft, "weakest_word": weakest, "unmatched_specific": unmatched,
            "content_words": float(len(q.weights))}
