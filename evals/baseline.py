"""The baseline: "the LangChain tutorial RAG", run through the same harness as our system.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True) over the same corpus
files, the same embeddings, a separate Chroma collection (cosine space) on the same client, and
similarity_search(k=4). The answer is the top chunk's text with a single [1] citation to it; it never
abstains.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.models import Citation, CitedAnswer
from assistant.settings import Settings
from ingest.chroma_collection import chunk_count
from ingest.discovery import CORPUS_METADATA_FILES, load_catalog
from ingest.glossary import Glossary
from ingest.loaders import LOADERS, LoadError, load_bytes
from ingest.sections import segment

CHUNK_SIZE, CHUNK_OVERLAP, K = 1000, 200, 4
BASELINE_VERSION = 1  # bump when the way the baseline is built changes: its collection is rebuilt


def corpus_files(root: Path) -> list[Path]:
    """The files our ingest would load: supported extensions, hidden files and corpus metadata skipped."""
    out = []
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root)
        if any(p.startswith(".") for p in rel.parts) or not path.is_file():
            continue
        if path.parent == Path(root) and path.name in CORPUS_METADATA_FILES:
            continue
        if path.suffix.lower() in LOADERS:
            out.append(path)
    return out


def load_source_text(root: Path, source: str) -> str | None:
    """The text a source's offsets index, as our loaders produce it (the file itself for .txt/.md)."""
    path = Path(root) / source
    if not path.is_file():
        return None
    try:
        return load_bytes(path.suffix, path.read_bytes()).text
    except LoadError:
        return None


class SourceTexts:
    """source → text, loaded once (the citation-validity check reads every cited file)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[str, str | None] = {}

    def __call__(self, source: str) -> str | None:
        if source not in self._cache:
            self._cache[source] = load_source_text(self.root, source)
        return self._cache[source]


def _section_spans(text: str, glossary: Glossary) -> list[tuple[int, int, str | None]]:
    sections, _ = segment(text, glossary)
    bounds = [s.start for s in sections[1:]] + [len(text)]
    return [(s.start, end, s.name) for s, end in zip(sections, bounds, strict=True)]


class UncachedEmbeddings(Embeddings):
    """The same model without our query cache: the tutorial has none; its latency must not borrow ours."""

    def __init__(self, inner):
        self.inner = inner
        self.model_id = getattr(inner, "model_id", "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_documents([text])[0]


class TutorialBaseline:
    """The LangChain RAG tutorial's pipeline, answering with its top chunk."""

    name = "baseline"

    def __init__(self, settings: Settings, embeddings, client, k: int = K):
        from langchain_chroma import Chroma

        self.settings = settings
        self.k = k
        embeddings = UncachedEmbeddings(embeddings)
        self.collection = f"{settings.collection}-baseline-tutorial"
        self.store = Chroma(
            collection_name=self.collection,
            embedding_function=embeddings,  # never Chroma's default embedding function
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.embeddings = embeddings
        self.client = client
        self.ingest_seconds = 0.0
        self.chunks = 0

    # -- ingest ---------------------------------------------------------------------------------------
    def _fingerprint(self, files: list[Path]) -> str:
        digest = hashlib.sha256(
            f"v{BASELINE_VERSION}|{CHUNK_SIZE}|{CHUNK_OVERLAP}|"
            f"{getattr(self.embeddings, 'model_id', '')}".encode()
        )
        for path in files:
            digest.update(str(path.relative_to(self.settings.corpus_dir)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def _state_path(self) -> Path:
        return self.settings.data_dir / "manifests" / f"{self.collection}.json"

    def ensure_index(self, progress=None) -> int:
        """(Re)build the baseline collection if the corpus changed since it was built; returns chunk count."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        root = self.settings.corpus_dir
        files = corpus_files(root)
        fingerprint = self._fingerprint(files)
        state = self._state_path()
        count = chunk_count(self.store)
        if count and state.is_file() and json.loads(state.read_text()).get("fingerprint") == fingerprint:
            self.chunks = count
            return count
        started = time.perf_counter()
        if count:
            self.store.delete_collection()
            self.store = type(self.store)(
                collection_name=self.collection,
                embedding_function=self.embeddings,
                client=self.client,
                collection_configuration={"hnsw": {"space": "cosine"}},
            )
        catalog = load_catalog(root)
        glossary = Glossary.load(root / "glossary.toml")
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        texts, metas = [], []
        for path in files:
            source = str(path.relative_to(root)).replace("\\", "/")
            text = load_source_text(root, source)
            if not text:
                continue
            title = catalog.get(source, {}).get("title") or path.stem
            spans = _section_spans(text, glossary)
            for doc in splitter.create_documents([text]):
                start = doc.metadata["start_index"]
                end = start + len(doc.page_content)
                over = [name for a, b, name in spans if a < end and start < b and name]
                texts.append(doc.page_content)
                metas.append(
                    {
                        "source": source,
                        "title": title,
                        "start": start,
                        "end": end,
                        "section": over[0] if over else "",
                        "sections": json.dumps(over),
                    }
                )
        ids = [hashlib.sha1(f"{m['source']}\x00{m['start']}".encode()).hexdigest() for m in metas]
        for i in range(0, len(texts), 64):
            self.store.add_texts(texts[i : i + 64], metas[i : i + 64], ids=ids[i : i + 64])
            if progress:
                progress(min(i + 64, len(texts)), len(texts))
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(texts)}))
        self.ingest_seconds = time.perf_counter() - started
        self.chunks = len(texts)
        return len(texts)

    # -- querying ---------------------------------------------------------------------------------------
    @staticmethod
    def _meta(doc) -> dict:
        meta = dict(doc.metadata)
        meta["sections"] = json.loads(meta.get("sections") or "[]")
        meta["id"] = doc.id
        return meta

    def retrieve(self, question: str, k: int = 10, filter: dict | None = None) -> list[dict]:  # noqa: A002
        docs = self.store.similarity_search(question, k=k, filter=filter)
        return [self._meta(d) | {"text": d.page_content} for d in docs]

    def ask(
        self, question: str, history: list[tuple[str, str]] | None = None, filter: dict | None = None
    ) -> CitedAnswer:  # noqa: A002
        """The tutorial has no memory: the history is ignored, the question is searched as typed."""
        started = time.perf_counter()
        docs = self.store.similarity_search(question, k=self.k, filter=filter)
        if not docs:
            return CitedAnswer(question=question, answer="", evidence=0.0)
        top = docs[0]
        meta = top.metadata
        citation = Citation(
            id=1,
            source=meta["source"],
            title=meta.get("title", meta["source"]),
            section=meta.get("section") or None,
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=top.page_content,
        )
        elapsed = (time.perf_counter() - started) * 1000
        return CitedAnswer(
            question=question,
            answer=f"{top.page_content} [1]",
            citations=[citation],
            timings_ms={"total_ms": round(elapsed, 1)},
        )
