"""`make bench`: ingest and query cost of our pipeline as ratios to the raw model and a bare Chroma query.

All figures come from one run on one machine; read the ratios, not the absolute times.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "Who handles trafficking victims?", "Which agency has worked on labour migration since 1919?",
    "What is the GFMD?", "Who chairs the GMG?", "When was the GMG created?", "Who helps refugees return home?",
    "What does UNCTAD do?", "Who are the members of the GMG?", "What is the SRSG's role?",
    "Who do I ask about remittance costs?", "What does UNFPA care about?", "Who won the 2022 World Cup?",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    from assistant.chain import build_assistant
    from assistant.embeddings import build_embeddings
    from assistant.indexing import run_ingest
    from assistant.settings import Settings
    from assistant.store import build_store

    repo = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="gmg-bench-"))
    shutil.copytree(repo / "corpus", work / "corpus")
    settings = Settings(_env_file=None, data_dir=work / "data", corpus_dir=work / "corpus")
    embeddings = build_embeddings(settings)
    embeddings.embed_documents(["warm up the model"])
    store = build_store(settings, embeddings)

    started = time.perf_counter()
    report = run_ingest(settings, embeddings, store)
    full = time.perf_counter() - started
    chunks = store.get(include=["documents"])["documents"]
    model = embeddings._client
    started = time.perf_counter()
    model.encode(chunks, batch_size=64, normalize_embeddings=True)
    raw = time.perf_counter() - started
    started = time.perf_counter()
    run_ingest(settings, embeddings, store)
    again = time.perf_counter() - started

    assistant = build_assistant(settings, embeddings=embeddings, store=store)
    for q in QUESTIONS:  # warm: model, BM25, caches
        assistant.ask(q)
    ours, bare = [], []
    for prefix in ["Please say: ", "Tell me: ", "I wonder: ", "Quick question: ", "Newcomer here: "]:
        for q in QUESTIONS:
            variant = prefix + q  # a new string each round: no cache can answer it
            t0 = time.perf_counter()
            assistant.ask(variant)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            vector = model.encode([variant + "?"], normalize_embeddings=True)[0].tolist()
            store._collection.query(query_embeddings=[vector], n_results=settings.top_k)
            bare.append(time.perf_counter() - t0)

    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CORPUS_DIR": str(work / "corpus")}
    cold = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "ask", QUESTIONS[0]], env=env, check=True,
                       capture_output=True)
        cold.append(time.perf_counter() - t0)
    results = {
        "chunks": report.chunks,
        "ingest_vs_raw_encode": round(full / raw, 2),
        "reingest_vs_full_ingest": round(again / full, 3),
        "warm_ask_p50_vs_bare_query": round(statistics.median(ours) / statistics.median(bare), 2),
        "warm_ask_p95_vs_bare_query_p95": round(_pct(ours, 0.95) / _pct(bare, 0.95), 2),
        "cold_start_to_answer_s_median": round(statistics.median(cold), 2),
        "cold_start_vs_warm_ask": round(statistics.median(cold) / statistics.median(ours), 1),
        "seconds": {"full_ingest": round(full, 3), "raw_encode": round(raw, 3), "reingest": round(again, 3),
                    "warm_ask_p50": round(statistics.median(ours), 4),
                    "bare_query_p50": round(statistics.median(bare), 4)},
    }
    print(json.dumps(results, indent=2))
    print(f"ingest / raw encode            {results['ingest_vs_raw_encode']}x   (target <= 1.15x)")
    print(f"re-ingest unchanged / full     {results['reingest_vs_full_ingest']}x  (target <= 0.05x)")
    print(f"warm ask p50 / bare query p50  {results['warm_ask_p50_vs_bare_query']}x   (target <= 1.5x)")
    print(f"cold process -> first answer   {results['cold_start_to_answer_s_median']} s median of 3 "
          f"({results['cold_start_vs_warm_ask']}x a warm ask)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
