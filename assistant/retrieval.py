"""Hybrid retrieval: dense (Chroma, cosine) + BM25 (bm25s, persisted), fused, as a LangChain BaseRetriever."""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from ingest.glossary import Glossary

RRF_K = 60
LEADER_RANK = 2  # where a retriever's best hit that fusion left out is put back (0-based)
# A term's BM25 idf, log((n - df + 0.5) / (df + 0.5) + 1), is under log 2 exactly when the term is in over half the
# chunks: a common word of the corpus (its subject), not one section's.
COMMON_IDF = math.log(2)


def _discard(folder: Path) -> None:
    """Move a damaged index folder aside (atomic, so readers never see half of it), then delete it."""
    aside = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        os.rename(folder, aside)
    except OSError:
        return  # gone already
    shutil.rmtree(aside, ignore_errors=True)


def _remove_stale(directory: Path, revision: int) -> None:
    """Drop saved indexes of older revisions and temporary folders. Called under the build lock, so a temporary
    folder is a crashed build's leftover, never a live build's."""
    for path in directory.iterdir():
        name = path.name
        older = name.startswith("rev-") and name[4:].isdigit() and int(name[4:]) < revision
        if older or name.endswith(".tmp"):
            shutil.rmtree(path, ignore_errors=True)


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


TERMS_MEMO = 20_000  # texts whose BM25 terms KeywordIndex.terms remembers
MEMO_CHARS = 600  # ... each at most this long: at most ~12 MB


class KeywordIndex:
    """A BM25 index over the collection's chunks (text + title + section), saved beside the Chroma data."""

    def __init__(self, bm25, ids: list[str]):
        self.bm25 = bm25
        self.ids = ids
        self.position = {cid: i for i, cid in enumerate(ids)}
        self._stem = _stemmer()
        self._lock = threading.Lock()
        self._stem_lock = threading.Lock()
        self._terms_short = lru_cache(maxsize=TERMS_MEMO)(self._terms)  # question words and sentences recur
        vocab = bm25.vocab_dict if bm25 is not None else {}
        if bm25 is not None and ids:
            df = np.diff(bm25.scores["indptr"])
            n = len(ids)
            self.idf = {term: math.log((n - df[i] + 0.5) / (df[i] + 0.5) + 1.0)
                        for term, i in vocab.items() if i < len(df)}
            self.max_idf = math.log((n + 0.5) / 0.5 + 1.0)
            self._share = {term: float(df[i]) / n for term, i in vocab.items() if i < len(df)}
        else:
            self.idf, self.max_idf, self._share = {}, 1.0, {}

    def share(self, word: str) -> float:
        """The share of the passages that use the word (its most used stem; 0 for a word none uses)."""
        return max((self._share.get(t, 0.0) for t in self.terms(word)), default=0.0)

    @staticmethod
    def document_text(text: str, meta: dict) -> str:
        return " ".join(filter(None, [meta.get("title"), meta.get("section"), text]))

    @classmethod
    def build(cls, texts: list[str], ids: list[str]) -> KeywordIndex:
        import bm25s

        if not ids:
            return cls(None, [])
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(bm25, ids)

    @classmethod
    def load_or_build(cls, store, directory: Path, revision: int) -> KeywordIndex:
        """Load the saved index for this store revision, or build it from the store's chunks and save it.

        Several processes (app replicas, a CLI ingest) and threads may ask at once over one folder: a build holds
        a file lock beside the folder (filelock), so one of them builds a revision and the others wait and load
        its copy. A build writes a temporary folder and renames it into place, so a crash never leaves half an
        index; older revisions and a crashed build's leftovers are removed under the lock."""
        from filelock import FileLock

        target = directory / f"rev-{revision}"
        index = cls._load(target)  # the usual case, without waiting for the lock
        if index is not None:
            return index
        directory.mkdir(parents=True, exist_ok=True)
        with FileLock(directory.parent / f"{directory.name}.lock"):
            index = cls._load(target)  # built by whoever held the lock before us
            if index is not None:
                return index
            if target.exists():
                _discard(target)  # damaged, or a crash left it without ids.json: replace it
            index = cls.build(*cls._read_store(store))
            if index.bm25 is not None:
                cls._save(index, directory, target)
                _remove_stale(directory, revision)
        return index

    @classmethod
    def _load(cls, target: Path) -> KeywordIndex | None:
        """The saved index in `target`, or None when there is none or it is damaged."""
        import bm25s

        if not (target / "ids.json").is_file():
            return None
        try:
            bm25 = bm25s.BM25.load(str(target), show_progress=False)
            return cls(bm25, json.loads((target / "ids.json").read_text()))
        except (OSError, ValueError):
            return None

    @classmethod
    def _read_store(cls, store) -> tuple[list[str], list[str]]:
        texts: list[str] = []
        ids: list[str] = []
        offset, page = 0, 10_000  # paged: one get() of ~33k+ chunks exceeds SQLite's variable limit in Chroma
        while True:
            got = store.get(include=["documents", "metadatas"], limit=page, offset=offset)
            texts += [cls.document_text(t, m or {}) for t, m in zip(got["documents"], got["metadatas"], strict=True)]
            ids += list(got["ids"])
            if len(got["ids"]) < page:
                return texts, ids
            offset += page

    @staticmethod
    def _save(index: KeywordIndex, directory: Path, target: Path) -> None:
        """Write the index to a temporary folder and rename it into place (atomic; the caller holds the lock)."""
        tmp = directory / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            index.bm25.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(index.ids))
            try:
                os.rename(tmp, target)
            except OSError:  # another host's build won (a shared disk that does not honour the lock): keep it
                if not (target / "ids.json").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def forget_terms(self) -> None:
        self._terms_short.cache_clear()

    def terms(self, text: str) -> list[str]:
        # Words, questions, sentences are remembered; whole chunks are not (the Reader keeps those).
        return list(self._terms_short(text) if len(text) <= MEMO_CHARS else self._terms(text))

    def knows(self, word: str) -> bool:
        """Whether some document uses `word` (as a BM25 term, stemmed)."""
        return any(t in self.idf for t in self.terms(word))

    def stems(self, words: list[str]) -> list[str]:
        """The BM25 stem of each lower-case word (stop words included), in one call."""
        with self._stem_lock:
            return self._stem.stemWords(words)

    def _terms(self, text: str) -> tuple[str, ...]:
        import bm25s

        with self._stem_lock:  # PyStemmer instances must not be shared between threads
            return tuple(bm25s.tokenize([text], stopwords="en", stemmer=self._stem, return_ids=False,
                                        show_progress=False)[0])

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        if self.bm25 is None:
            return []
        terms = [t for t in self.terms(query) if t in self.bm25.vocab_dict]
        if not terms:
            return []
        mask = None
        if allowed is not None:
            mask = np.array([1.0 if cid in allowed else 0.0 for cid in self.ids], dtype=np.float32)
        with self._lock:  # bm25s keeps per-call state; one query at a time
            docs, scores = self.bm25.retrieve([terms], k=min(k, len(self.ids)), show_progress=False,
                                              weight_mask=mask, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def fuse(dense: list[str], keyword: list[str], dense_scores: dict[str, float], keyword_scores: dict[str, float],
         method: str, alpha: float = 0.6, asked: list[str] = ()) -> dict[str, float]:
    """Fused score per chunk id: reciprocal rank fusion (of the example questions' ranking too, when the corpus
    has one), or a convex mix of normalised scores."""
    fused: dict[str, float] = {}
    if method == "rrf":
        for ranking in (dense, keyword, asked):
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        return fused
    top_kw = max(keyword_scores.values(), default=1.0) or 1.0
    for cid in set(dense) | set(keyword):
        fused[cid] = alpha * dense_scores.get(cid, 0.0) + (1 - alpha) * keyword_scores.get(cid, 0.0) / top_kw
    return fused


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval fused into one ranking; documents carry their scores in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    keyword: KeywordIndex
    embeddings: Embeddings
    glossary: Glossary
    k: int = 6
    fetch_k: int = 24
    fusion: str = "rrf"
    section_extra: int = 6
    # The chunk ids of the index revision this retriever was built for (None: not known). While a re-ingest
    # writes the next revision, the store holds chunks of both versions of a changed file (the old ones go in its
    # closing sweep, maybe before this assistant is rebuilt): every passage is used, each marked with whether it
    # is of this revision (metadata "own_revision"), so the answer step does not stitch text of two versions (an
    # assistant two revisions behind, whose rebuild failed, sees the newer ones as one group).
    known: frozenset[str] | None = Field(default=None, repr=False)
    # The corpus' example questions as a third ranking (answering/example_questions.AskedIndex); None: none.
    asked: Any = Field(default=None, repr=False)

    def _own(self, cid: str) -> bool:
        return self.known is None or cid in self.known

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k") or self.k)
        where = kwargs.get("filter")
        vector = self.embeddings.embed_query(query)
        dense_hits = self.store.similarity_search_by_vector_with_relevance_scores(
            vector, k=max(self.fetch_k, k), filter=where
        )
        docs = {d.id: d for d, _ in dense_hits}
        dense_scores = {d.id: 1.0 - dist for d, dist in dense_hits}
        allowed = None
        if where:
            allowed = set(self.store.get(where=where, include=[])["ids"])
        expanded = " ".join([query, *self.glossary.expansions(query)])
        kw_hits = self.keyword.search(expanded, max(self.fetch_k, k), allowed)
        kw_scores = dict(kw_hits)
        asked = self.asked.search(vector, max(self.fetch_k, k), allowed) if self.asked is not None else []
        fused = fuse([d.id for d, _ in dense_hits], [cid for cid, _ in kw_hits], dense_scores, kw_scores, self.fusion,
                     asked=[cid for cid, _ in asked])
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        # Each retriever's best hit always reaches the answer step (k > 1): rank fusion can bury a passage that BM25
        # finds by far the best (the question's exact words) when the dense side ranks it low, and vice versa. The
        # BM25 leader comes first, at LEADER_RANK, among the passages whose coverage of the question decides whether
        # it is answered ("does any UN agency look at brain drain": UNCTAD's chunk).
        leaders = [cid for cid in dict.fromkeys((kw_hits[0][0] if kw_hits else None,
                                                 dense_hits[0][0].id if dense_hits else None))
                   if cid is not None and cid not in ranked]
        if leaders and k > 1:
            at = max(0, min(LEADER_RANK, k - len(leaders)))
            ranked = [*ranked[:at], *leaders, *ranked[at : k - len(leaders)]]
        if k > 1:  # k=1 asks for one passage
            ranked += [cid for cid in self.named_sections(query, allowed, docs) if cid not in ranked]
        missing = [cid for cid in ranked if cid not in docs]
        if missing:
            got = self.store.get(ids=missing, include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                docs[cid] = Document(page_content=text, metadata=meta or {}, id=cid)
        # A BM25 hit whose chunk a concurrent re-ingest has just deleted is not in the store any more: drop it.
        ranked = [cid for cid in ranked if cid in docs]
        results = []
        for cid in ranked:
            doc = docs[cid]
            meta = dict(doc.metadata, id=cid, score=fused.get(cid, 0.0),  # a named section's chunk may be unfused
                        dense=dense_scores.get(cid), bm25=kw_scores.get(cid), own_revision=self._own(cid))
            results.append(Document(page_content=doc.page_content, metadata=meta, id=cid))
        return results + self._section_neighbours(results, where)

    def named_sections(self, query: str, allowed: set[str] | None, docs: dict) -> list[str]:
        """For each body the question names (at most two), the chunk BM25 finds best for the body's name alone,
        when it lies in that body's own section and the name is in at most half the chunks: "Functions of the
        GFMD" for a question naming the Global Forum in full, whose words the dense side does not link to "GFMD".
        The passages the fusion chose stay; this chunk joins them."""
        bodies = self.glossary.find(query)
        if not 0 < len(bodies) <= 2:
            return []
        found = []
        for body in bodies:
            if min((self.keyword.idf.get(t, 0.0) for t in self.keyword.terms(body.name)), default=0.0) < COMMON_IDF:
                continue  # named in over half the chunks: the corpus's subject, not one section's
            hits = self.keyword.search(body.name, 1, allowed)
            if not hits:
                continue
            cid = hits[0][0]
            if cid not in docs:
                got = self.store.get(ids=[cid], include=["documents", "metadatas"])
                if not got["ids"]:
                    continue
                docs[cid] = Document(page_content=got["documents"][0], metadata=got["metadatas"][0] or {}, id=cid)
            section = docs[cid].metadata.get("section")
            if section and [b.name for b in self.glossary.find(section)] == [body.name]:
                found.append(cid)
        return found

    def _section_neighbours(self, results: list[Document], where: dict | None) -> list[Document]:
        """When the two best chunks come from one section, the rest of that section (a list, an argument
        spread over paragraphs) is likely needed too: append up to `section_extra` of its other chunks."""
        if len(results) < 2 or self.section_extra <= 0:
            return []
        first, second = results[0].metadata, results[1].metadata
        key = (first.get("source"), first.get("section"))
        if key != (second.get("source"), second.get("section")) or key[1] is None:
            return []
        clauses = [{"source": key[0]}, {"section": key[1]}] + ([where] if where else [])
        got = self.store.get(where={"$and": clauses}, include=["documents", "metadatas"])
        have = {d.id for d in results}
        extra = [
            Document(page_content=text, id=cid,
                     metadata=dict(meta, id=cid, score=0.0, dense=None, bm25=None, own_revision=self._own(cid)))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            if cid not in have
        ]
        extra.sort(key=lambda d: int(d.metadata.get("start", 0)))
        return extra[: self.section_extra]
