"""The measuring processes of `make bench-scale` (evals/bench/scale.py), one per measurement so that each has its
own peak RSS: `python -m evals.bench.scale_child ingest|encode|query --out FILE [--pool FILE]`, with the index
folders in ASSISTANT_* set by the parent. Each prints its result as one JSON line on stdout.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from evals.metrics import percentile
from ingest.chroma_collection import bare_query

RAW_SAMPLE = 2_000  # raw encode is timed on at most this many chunks (evenly sampled) and scaled linearly


def settings_from_env():
    from assistant.settings import Settings

    return Settings()  # from ASSISTANT_* (set by the parent for each child)


class SyntheticEmbeddings:
    """The real tokenizer and model id, with vectors reused from a real run plus noise (no model inference)."""

    def __init__(self, real, pool_file: Path):
        import numpy as np

        self.real, self.model_id = real, real.model_id
        self.pool = np.load(pool_file)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def _vector(self, text: str):
        import zlib

        import numpy as np

        seed = zlib.crc32(text.encode("utf-8"))
        rng = np.random.default_rng(seed)
        v = self.pool[seed % len(self.pool)] + rng.normal(0.0, 0.05, self.pool.shape[1]).astype(np.float32)
        return (v / np.linalg.norm(v)).tolist()

    def embed_documents(self, texts):
        return [self._vector(t) for t in texts]

    def embed_query(self, text):
        return self.real.embed_query(text)


def paged_full_reads() -> None:
    """Read the whole collection in pages: one store.get() of ~33k+ chunks with documents and metadata fails in
    Chroma ("too many SQL variables"). KeywordIndex.load_or_build now pages itself; this keeps any other full read
    in the benchmark's processes safe too (identical results, one call per 10k chunks)."""
    from langchain_chroma import Chroma

    if getattr(Chroma.get, "_paged", False):
        return
    original = Chroma.get

    def get(self, ids=None, where=None, limit=None, offset=None, where_document=None, include=None):
        if ids is not None or limit is not None or offset is not None:
            return original(self, ids, where, limit, offset, where_document, include)
        merged: dict = {}
        start = 0
        while True:
            page = original(self, None, where, 10_000, start, where_document, include)
            for key, value in page.items():
                if isinstance(value, list):
                    merged.setdefault(key, []).extend(value)
                elif key not in merged:
                    merged[key] = value
            if len(page["ids"]) < 10_000:
                return merged
            start += len(page["ids"])

    get._paged = True
    Chroma.get = get


def child_ingest(out: Path, synthetic_pool: str | None) -> dict:
    from assistant.embeddings import build_embeddings
    from assistant.indexing import run_ingest
    from assistant.store import build_store

    settings = settings_from_env()
    started = time.perf_counter()
    embeddings = build_embeddings(settings)
    if synthetic_pool:
        embeddings = SyntheticEmbeddings(embeddings, Path(synthetic_pool))
    store = build_store(settings, embeddings)
    loaded = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    report = run_ingest(settings, embeddings, store)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    got = store.get(include=["documents"])
    out.write_text(json.dumps(got["documents"]))
    if not synthetic_pool and len(got["ids"]) >= 500:  # a pool of real vectors for a later synthetic size
        import numpy as np

        sample = store.get(ids=got["ids"][:: max(1, len(got["ids"]) // 10_000)], include=["embeddings"])
        np.save(out.with_suffix(".pool.npy"), np.asarray(sample["embeddings"], dtype=np.float32))
    return {"chunks": report.chunks, "embedded": report.embedded, "pipeline_s": report.seconds,
            "run_ingest_s": total, "run_ingest_cpu_s": cpu, "model_load_s": loaded, "failed": len(report.failed),
            "embedder": type(embeddings).__name__}


def child_encode(texts_file: Path) -> dict:
    from sentence_transformers import SentenceTransformer

    from assistant.embeddings import resolve_model

    texts = json.loads(texts_file.read_text())
    sample = texts[:: max(1, -(-len(texts) // RAW_SAMPLE))]
    target, _ = resolve_model(settings_from_env())
    model = SentenceTransformer(target, device="cpu")
    model.encode(["warm up"], normalize_embeddings=True)
    started, cpu = time.perf_counter(), time.process_time()
    model.encode(sample, batch_size=64, normalize_embeddings=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    scale = len(texts) / max(1, len(sample))
    return {"encoded": len(sample), "of": len(texts), "seconds": seconds, "seconds_all": seconds * scale,
            "cpu_s_all": cpu * scale}


def child_query(questions_file: Path) -> dict:
    from chromadb.api.models.Collection import Collection

    from assistant.chain import build_assistant, manifest_path
    from assistant.store import collection_name
    from ingest.manifest import Manifest

    settings = settings_from_env()
    questions = json.loads(questions_file.read_text())
    started = time.perf_counter()
    assistant = build_assistant(settings)
    name = collection_name(settings.collection, assistant.embeddings.model_id)
    revision = Manifest.load(manifest_path(settings, name)).revision
    bm25_saved = (settings.data_dir / "bm25" / name / f"rev-{revision}" / "ids.json").is_file()
    build_s = time.perf_counter() - started
    for q in questions[:5]:
        assistant.ask(q)
    scans = {"n": 0}
    original_get = Collection.get

    def counting_get(coll, ids=None, where=None, *args, **kwargs):
        if ids is None and where is None:
            scans["n"] += 1
        return original_get(coll, ids, where, *args, **kwargs)

    Collection.get = counting_get
    ours, bare, bm25, ours_cpu, bare_cpu = [], [], [], [], []
    store = assistant.store
    for i, question in enumerate(questions[5:]):
        variant = f"{question} ({i})"  # a new string: no query cache can answer it
        t0, c0 = time.perf_counter(), time.process_time()
        assistant.ask(variant)
        ours.append(time.perf_counter() - t0)
        ours_cpu.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        vector = assistant.embeddings.embed_documents([variant + " "])[0]
        bare_query(store, vector, settings.top_k)
        bare.append(time.perf_counter() - t0)
        bare_cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        assistant.retriever.keyword.search(variant, 24)
        bm25.append(time.perf_counter() - t0)
    Collection.get = original_get
    return {"asks": len(ours), "ask_p50": statistics.median(ours), "ask_p95": percentile(ours, 95),
            "bare_p50": statistics.median(bare), "bare_p95": percentile(bare, 95),
            "ask_cpu_p50": statistics.median(ours_cpu), "bare_cpu_p50": statistics.median(bare_cpu),
            "bm25_p50_ms": statistics.median(bm25) * 1000, "bm25_p95_ms": percentile(bm25, 95) * 1000,
            "full_collection_reads_during_asks": scans["n"], "bm25_loaded_from_disk": bm25_saved,
            "build_assistant_s": build_s, "embedder": type(assistant.embeddings).__name__,
            "bm25_docs": len(assistant.retriever.keyword.ids)}


def main(
    kind: Annotated[str, typer.Argument(help="ingest, encode or query.")],
    out: Annotated[Path, typer.Option(help="ingest: where the chunk texts go; encode: those texts; query: the "
                                           "questions file.")],
    pool: Annotated[str | None, typer.Option(help="ingest: vectors to reuse instead of the model's.")] = None,
) -> None:
    """One measurement of `make bench-scale` in this process; its result as a JSON line on stdout."""
    paged_full_reads()
    measurements = {"ingest": lambda: child_ingest(out, pool), "encode": lambda: child_encode(out),
                    "query": lambda: child_query(out)}
    if kind not in measurements:
        raise typer.BadParameter(f"{kind!r}: one of {', '.join(measurements)}")
    print(json.dumps(measurements[kind]()))


if __name__ == "__main__":
    typer.run(main)
