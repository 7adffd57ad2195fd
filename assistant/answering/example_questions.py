"""Questions a sentence of the corpus answers, written in users' words (doc2query): corpus/example_questions.jsonl.

MiniLM matches a question with a question much better than a question with the sentence that answers it in other
words ("who counts migrants?" vs "… statistics on international migration …"). So a corpus may ship, for its
sentences, questions that people would ask of them; the reader compares the user's question with those too
(`dense_asked`: the best cosine over the sentence alone and its example questions), and the search ranks passages by
them too (`AskedIndex`, a third ranking beside the dense and BM25 ones). A corpus without the file reads and searches
exactly as before; a sentence without entries has its own cosine as `dense_asked`, and its passage ranks in the
search only through its other sentences' questions.

The file has one JSON object per line: {"source": "<file under corpus/>", "sentence": "<the sentence as the
reader splits it, whitespace folded>", "questions": [...]}; lines without "sentence" (a header saying how the
file was made) are skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EXAMPLE_QUESTIONS = "example_questions.jsonl"  # beside a corpus' catalog.toml and glossary.toml


class ExampleQuestionsError(RuntimeError):
    """The example-questions file cannot be read (a RuntimeError naming the file and line: the CLI and the app show
    it as one line)."""


def fold(text: str) -> str:
    return " ".join(text.split())


@dataclass
class ExampleQuestions:
    by_sentence: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    digest: str = "none"  # of the file's bytes: a calibration made with other questions is stale
    _vectors: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> ExampleQuestions:
        """The questions in `path`; none when the corpus has no such file."""
        if not path.is_file():
            return cls()
        data = path.read_bytes()
        entries: dict[tuple[str, str], tuple[str, ...]] = {}
        for n, line in enumerate(data.split(b"\n"), 1):
            try:
                row = json.loads(line.decode("utf-8")) if line.strip() else {}
                if "sentence" in row:
                    if not isinstance(row["questions"], list):
                        raise TypeError("questions is not a list")
                    key = (str(row["source"]), fold(row["sentence"]))
                    asked = tuple(fold(q) for q in row["questions"] if q.strip())
                    if asked:  # a sentence with nothing to ask may be listed with no questions
                        entries[key] = (*entries.get(key, ()), *asked)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ExampleQuestionsError(
                    f"{path}:{n} is not an example-question line ({type(exc).__name__}: {exc}); each line is "
                    '{"source": ..., "sentence": ..., "questions": [...]}') from None
        return cls(entries, hashlib.sha256(data).hexdigest()[:12])

    def __len__(self) -> int:
        return len(self.by_sentence)

    def sources(self) -> list[str]:
        return sorted({source for source, _ in self.by_sentence})

    def of(self, source: str, sentence: str) -> tuple[str, ...]:
        return self.by_sentence.get((source, fold(sentence)), ())

    def prepare(self, sentences: list[tuple[str, str]], encoder) -> None:
        """Encode, in one batch, the example questions of those (source, sentence) not encoded yet (the reader's
        candidates for a question). Sessions sharing a reader may both encode a sentence: the results are equal."""
        keys = [k for k in dict.fromkeys((s, fold(t)) for s, t in sentences)
                if k in self.by_sentence and k not in self._vectors]
        questions = [q for k in keys for q in self.by_sentence[k]]
        if not questions:
            return
        pooled = iter([e.pooled() for e in encoder.encode(questions)])
        for key in keys:
            self._vectors[key] = np.stack([next(pooled) for _ in self.by_sentence[key]])

    def load_vectors(self, path: Path) -> bool:
        """Take the questions' vectors saved at `path` by `save_vectors` (an earlier build over the same file and
        embedder: startup then encodes none of them); False when there is no such file or it does not fit."""
        try:
            with np.load(path) as saved:
                counts, vectors = saved["counts"], saved["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # none, or damaged
            return False
        keys = list(self.by_sentence)
        if [len(self.by_sentence[k]) for k in keys] != counts.tolist() or len(vectors) != int(counts.sum()):
            return False
        ends = np.cumsum(counts)
        self._vectors.update({k: vectors[end - n : end] for k, n, end in zip(keys, counts, ends, strict=True)})
        return True

    def save_vectors(self, path: Path) -> None:
        """Save every question's vector (all must be encoded) for `load_vectors`. A folder that cannot be written is
        skipped: the next start encodes again."""
        keys = list(self.by_sentence)
        if not keys or any(k not in self._vectors for k in keys):
            return
        counts = np.array([len(self._vectors[k]) for k in keys])
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp.npz")  # concurrent starts each write their own
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, counts=counts, vectors=np.concatenate([self._vectors[k] for k in keys]))
            tmp.replace(path)
        except OSError:
            with contextlib.suppress(OSError):  # no such folder: unlink fails too (not only FileNotFoundError)
                tmp.unlink(missing_ok=True)

    def vectors(self, source: str, sentence: str, encoder) -> np.ndarray | None:
        """The pooled vectors of the sentence's example questions (encoded once, by the reader's `encoder`)."""
        key = (source, fold(sentence))
        if key not in self.by_sentence:
            return None
        if key not in self._vectors:
            self.prepare([key], encoder)
        return self._vectors[key]

    def best_cosine(self, source: str, sentence: str, question_vector: np.ndarray, encoder) -> float | None:
        """The best cosine of the question with the sentence's example questions, or None when it has none."""
        vectors = self.vectors(source, sentence, encoder)
        return None if vectors is None else float((vectors @ question_vector).max())


@dataclass(frozen=True)
class AskedIndex:
    """The example questions as a retrieval ranking of their own (doc2query at search time): a chunk ranks by the
    best cosine of the question with the example questions of its sentences, beside the dense and BM25 rankings
    (retrieval.HybridRetriever). A passage the user's words miss is found through the questions written for it."""

    chunk_ids: tuple[str, ...]  # one per row of `vectors`: the chunk holding the question's sentence
    vectors: np.ndarray  # the questions' pooled vectors (unit length)
    sentences: frozenset[tuple[str, str]] = frozenset()  # the (source, sentence) entries the index holds
    _ids: tuple[str, ...] = field(init=False, repr=False, compare=False)  # the distinct chunk ids, sorted
    _rows: np.ndarray = field(init=False, repr=False, compare=False)  # each row's chunk: a position in _ids

    @classmethod
    def build(cls, reader, store) -> AskedIndex | None:
        """Over `reader`'s example questions (all encoded, so they can be saved) and the chunks holding their
        sentences; None without example questions."""
        examples = reader.examples
        if not len(examples):
            return None
        examples.prepare(list(examples.by_sentence), reader.encoder)
        ids, rows = [], []
        held = sentence_chunks(reader, store)
        for key, chunk_ids in held.items():
            vectors = examples.vectors(*key, reader.encoder)
            for cid in chunk_ids:
                ids += [cid] * len(vectors)
                rows.append(vectors)
        return cls(tuple(ids), np.concatenate(rows), frozenset(held)) if rows else None

    def __post_init__(self) -> None:
        if len(self.vectors) != len(self.chunk_ids):
            raise ValueError(f"{len(self.chunk_ids)} chunk ids for {len(self.vectors)} question vectors")
        # each row's chunk as a position in the sorted distinct ids: the search takes a chunk's best row in numpy
        ids, rows = np.unique(np.array(self.chunk_ids, dtype=object), return_inverse=True)
        object.__setattr__(self, "_ids", tuple(ids.tolist()))
        object.__setattr__(self, "_rows", rows.reshape(-1))

    def search(self, vector, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The `k` chunks whose example questions come closest to the question's `vector`, best first (ties by id)."""
        query = np.asarray(vector, dtype=np.float32)
        scores = self.vectors @ (query / (np.linalg.norm(query) or 1.0))
        best = np.full(len(self._ids), -np.inf, dtype=scores.dtype)
        np.maximum.at(best, self._rows, scores)
        if allowed is not None:
            best[~np.fromiter((cid in allowed for cid in self._ids), dtype=bool, count=len(self._ids))] = -np.inf
        order = np.lexsort((np.arange(len(best)), -best))[:k]  # ids are sorted: position order is id order
        return [(self._ids[i], float(best[i])) for i in order if best[i] > -np.inf]


def sentence_chunks(reader, store) -> dict[tuple[str, str], list[str]]:
    """For each (source, sentence) of the reader's example questions that the index holds: the chunks holding it as
    one of their sentence units (a sentence in the overlap of two chunks is in both; a list item "World Bank" is
    not in the World Bank's section, which only names it). Only the documents the file names are read."""
    from langchain_core.documents import Document

    examples = reader.examples
    got = store.get(where={"source": {"$in": examples.sources()}}, include=["documents", "metadatas"])
    found: dict[tuple[str, str], list[str]] = {}
    for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        for cand in reader.candidates([Document(page_content=text, metadata=meta or {}, id=cid)]):
            key = (cand.source, fold(cand.text))
            if key in examples.by_sentence and cid not in found.get(key, ()):
                found.setdefault(key, []).append(cid)
    return found
