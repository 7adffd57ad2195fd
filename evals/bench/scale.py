"""`make bench-scale`: ingest and query cost at 1k, 10k and 100k chunks, in one run, as ratios to the bare parts.

    python -m evals.bench.scale [--sizes 1000,10000,100000] [--questions 30] [--budget-min 40] [--always-real N]

`make bench-scale` passes --always-real 100000: every size is embedded for real (the 100k ingest took 82 min on
this project's 2-core machine). Without it, a quick run reuses vectors above 10k (see below).

Corpus recipe (deterministic): the external benchmark's 619 pages (evals/benchmarks/integreat_qa_en/docs,
CC BY 4.0, Hinz et al. KONVENS 2024), then generated variants of them — variant v of a page keeps its title line
(suffixed "(variant v)") and shuffles its other lines with the seed (page, v) — until the chunk count reaches
the size (pages and variants are taken in a fixed order; the per-page chunk counts come from the real chunker).

Every process uses the sentence-transformers embedder (ASSISTANT_QUERY_EMBEDDER=sentence-transformers unless
set otherwise), so ingest, raw encode and queries run the same model runtime at every size.

Per size, each measurement runs in its own process (evals/bench/scale_child.py; peak RSS from os.wait4 of that
process):
- ingest: `run_ingest` (the CLI's code path) from an empty data folder; chunks/s, and the ratio of its time to a
  raw `SentenceTransformer.encode` of the same chunk texts (batch 64, normalised) in a separate process;
- query: one warm process builds the assistant once (as the app does), then asks the benchmark's questions
  (retrieve + answer) and, for each, one bare query (embed the question + one Chroma query of top_k); p50/p95 of
  both and their ratio. It also times the BM25 side alone and counts full-collection reads during the asks
  (must be 0: the BM25 index is loaded once from disk, never rebuilt or scanned per question);
- index size on disk (Chroma folder, BM25 index, manifest).

Ratios are given on wall time and on CPU time (time.process_time, all threads of the measuring process): on a
machine shared with other work the wall-clock ratio of two processes run minutes apart mostly measures how the
load changed in between; the CPU ratio does not.

A size above --always-real (10k) whose ingest would take longer than --budget-min (projected from the previous
size) is not embedded for real: its chunks go through the real pipeline with vectors reused from the previous
size's real embeddings plus noise (marked "synthetic"), so everything but the model is measured at that size,
and the ingest time is projected as (pipeline time at that size) + (chunks / raw encode rate measured at the
previous size). Raw encode is timed on at most 2,000 evenly sampled chunks and scaled linearly.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from evals.bench.scale_child import settings_from_env

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO / "evals" / "benchmarks" / "integreat_qa_en"
DEFAULT_OUT = REPO / "evals" / "out" / "bench_scale.json"


def _env(data: Path, corpus: Path) -> dict:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CORPUS_DIR": str(corpus),
           "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.setdefault("ASSISTANT_QUERY_EMBEDDER", "sentence-transformers")
    return env


# -- corpus -------------------------------------------------------------------------------------------------------

def _variant(text: str, v: int, seed: str) -> str:
    if v == 0:
        return text
    lines = text.splitlines()
    title, body = (lines[0], lines[1:]) if lines else ("", [])
    random.Random(f"{seed}:{v}").shuffle(body)
    return "\n".join([f"{title} (variant {v})", *body]) + "\n"


def page_chunk_counts(docs: Path) -> dict[str, int]:
    """Chunks the real chunker makes of each original page (variants make about as many)."""
    from assistant.embeddings import build_embeddings
    from ingest.chunking import Chunker
    from ingest.loaders import load_bytes

    settings = settings_from_env()
    embeddings = build_embeddings(settings)
    chunker = Chunker(count_tokens=embeddings.count_tokens, max_tokens=settings.chunk_max_tokens)
    counts = {}
    for path in sorted(docs.glob("*.txt")):
        loaded = load_bytes(path.suffix, path.read_bytes())
        counts[path.name] = len(chunker.chunk(path.name, path.stem, loaded))
    return counts


def build_corpus(target: Path, docs: Path, counts: dict[str, int], size: int) -> dict:
    """Pages, then variant 1 of every page, then variant 2…, until the estimated chunk count reaches `size`."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    names = sorted(counts)
    total, files, v = 0, 0, 0
    while total < size:
        for name in names:
            if total >= size:
                break
            if counts[name] == 0:
                continue
            text = (docs / name).read_text(encoding="utf-8")
            folder = target / (f"v{v:03d}" if v else "pages")
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(_variant(text, v, name), encoding="utf-8")
            total += counts[name]
            files += 1
        v += 1
    return {"files": files, "variants": v, "estimated_chunks": total}


def _du(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _run_child(kind: str, data: Path, corpus: Path, *extra: str, timeout: float = 6 * 3600) -> tuple[dict, float, int]:
    """(result, wall seconds, peak RSS in MB) of `python -m evals.bench.scale_child kind …`."""
    log = data.parent / f"{kind}.log"
    data.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "evals.bench.scale_child", kind, *extra],
                                env=_env(data, corpus), stdout=subprocess.PIPE, stderr=handle, text=True, cwd=REPO)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({proc.returncode}): {log.read_text()[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), seconds, usage.ru_maxrss // 1024


# -- driver -------------------------------------------------------------------------------------------------------

def measure(size: int, work: Path, docs: Path, counts: dict, questions: Path, previous: dict | None,
            budget_s: float, always_real: int) -> dict:
    base = work / f"size-{size}"
    corpus, data = base / "corpus", base / "data"
    shutil.rmtree(data, ignore_errors=True)
    recipe = build_corpus(corpus, docs, counts, size)
    synthetic = None
    projected = None
    if previous is not None:
        rate = previous["raw_encode_chunks_per_s"]
        projected = size / previous["ingest_chunks_per_s"]
        if projected > budget_s and size > always_real:
            synthetic = str(previous["pool"])
    print(f"[{size}] corpus: {recipe}; ingest {'synthetic vectors' if synthetic else 'real'}"
          f"{f', projected {projected / 60:.0f} min' if projected else ''}", flush=True)
    texts = base / "texts.json"
    ingest, ingest_wall, ingest_rss = _run_child("ingest", data, corpus, "--out", str(texts),
                                                 *(["--pool", synthetic] if synthetic else []))
    chunks = ingest["chunks"]
    print(f"[{size}] ingest: {chunks} chunks in {ingest['run_ingest_s']:.0f} s; peak RSS {ingest_rss} MB", flush=True)
    cpu_ratio = None
    if synthetic:
        raw_s = chunks / previous["raw_encode_chunks_per_s"]
        raw = {"seconds_all": raw_s, "projected_from": previous["size"]}
        ingest_s = ingest["run_ingest_s"] + raw_s  # the pipeline at this size + the model's time, projected
    else:
        raw, _, _ = _run_child("encode", data, corpus, "--out", str(texts))
        raw_s, ingest_s = raw["seconds_all"], ingest["run_ingest_s"]
        rate = chunks / raw_s
        cpu_ratio = round(ingest["run_ingest_cpu_s"] / raw["cpu_s_all"], 2) if raw.get("cpu_s_all") else None
    print(f"[{size}] raw encode: {raw_s:.0f} s for {chunks} chunks", flush=True)
    query, _, query_rss = _run_child("query", data, corpus, "--out", str(questions))
    print(f"[{size}] query: ask p50 {query['ask_p50'] * 1000:.0f} ms vs bare {query['bare_p50'] * 1000:.0f} ms; "
          f"BM25 {query['bm25_p50_ms']:.1f} ms; warm ask process {query_rss} MB", flush=True)
    disk = {"chroma_mb": _du(data / "chroma") / 1e6, "bm25_mb": _du(data / "bm25") / 1e6,
            "manifest_mb": _du(data / "manifests") / 1e6, "texts_mb": _du(data / "texts") / 1e6}
    result = {
        "size": size, "chunks": chunks, "files": recipe["files"], "synthetic_vectors": bool(synthetic),
        "ingest_s": round(ingest_s, 1), "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "raw_encode_s": round(raw_s, 1), "raw_encode_chunks_per_s": round(rate if not synthetic else
                                                                         previous["raw_encode_chunks_per_s"], 1),
        "ingest_vs_raw_encode": round(ingest_s / raw_s, 2), "ingest_vs_raw_encode_cpu": cpu_ratio,
        "pipeline_without_model_s": round(ingest["run_ingest_s"], 1) if synthetic else None,
        "ask_p50_ms": round(query["ask_p50"] * 1000, 1), "ask_p95_ms": round(query["ask_p95"] * 1000, 1),
        "bare_p50_ms": round(query["bare_p50"] * 1000, 1), "bare_p95_ms": round(query["bare_p95"] * 1000, 1),
        "ask_vs_bare_p50": round(query["ask_p50"] / query["bare_p50"], 2),
        "ask_vs_bare_p95": round(query["ask_p95"] / query["bare_p95"], 2),
        "ask_vs_bare_cpu_p50": round(query["ask_cpu_p50"] / query["bare_cpu_p50"], 2)
        if query.get("bare_cpu_p50") else None,
        "bm25_p50_ms": round(query["bm25_p50_ms"], 2), "bm25_p95_ms": round(query["bm25_p95_ms"], 2),
        "bm25_loaded_from_disk": query["bm25_loaded_from_disk"],
        "full_collection_reads_during_asks": query["full_collection_reads_during_asks"],
        "build_assistant_s": round(query["build_assistant_s"], 1),
        "peak_rss_ingest_mb": ingest_rss, "peak_rss_warm_ask_mb": query_rss,
        "disk_mb": {k: round(v, 1) for k, v in disk.items()}, "index_mb": round(sum(disk.values()), 1),
        "embedder_ingest": ingest["embedder"], "embedder_query": query["embedder"], "asks": query["asks"],
        "pool": synthetic or str(texts.with_suffix(".pool.npy")),
    }
    return result


def main(
    sizes: Annotated[str, typer.Option(help="Index sizes in chunks, comma-separated.")] = "1000,10000,100000",
    questions: Annotated[int, typer.Option(help="Questions asked at each size.")] = 30,
    budget_min: Annotated[float, typer.Option(help="Largest projected ingest to run for real.")] = 40.0,
    always_real: Annotated[int, typer.Option(help="Sizes up to this are always embedded.")] = 10_000,
    source: Annotated[Path, typer.Option(help="The integreat_qa_en folder (docs/, qa.jsonl).")] = DEFAULT_SOURCE,
    work: Annotated[Path | None, typer.Option(help="Work folder (default: a temporary one, removed).")] = None,
    out: Annotated[Path, typer.Option(help="Where the results JSON goes.")] = DEFAULT_OUT,
    resume: Annotated[Path | None, typer.Option(help="An earlier output JSON: its sizes are kept, not measured again.")]
    = None,
) -> None:
    """Ingest/query/RSS/disk of the pipeline at growing index sizes (each measured in child processes)."""
    temporary = work is None
    docs = source / "docs"
    if not docs.is_dir():
        sys.exit(f"error: {docs} not found; pass --source with the integreat_qa_en folder")
    work = work or Path(tempfile.mkdtemp(prefix="gmg-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update(_env(work / "count-data", docs))
    started = time.perf_counter()
    counts = page_chunk_counts(docs)
    print(f"619-page recipe: {sum(counts.values())} chunks from {len(counts)} pages "
          f"({time.perf_counter() - started:.0f} s to count)", flush=True)
    asked = [json.loads(line)["question"] for line in (source / "qa.jsonl").read_text().splitlines()]
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(asked[: questions + 5]))
    results, previous = [], None
    done = {r["size"]: r for r in json.loads(resume.read_text())["results"]} if resume else {}
    for size in (int(s) for s in sizes.split(",")):
        if size in done:
            previous = done[size]
            print(f"[{size}] kept from {resume}", flush=True)
        else:
            previous = measure(size, work, docs, counts, qfile, previous, budget_min * 60, always_real)
        results.append(previous)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"recipe": "integreat_qa_en 619 pages + line-shuffled variants",
                                   "results": results}, indent=1))
    header = (f"{'chunks':>8} {'ingest/s':>9} {'vs raw (cpu)':>13} {'ask p50':>8} {'p95':>7} "
              f"{'vs bare p50/p95 (cpu)':>22} {'BM25 ms':>8} {'RSS ingest':>10} {'RSS ask':>8} {'index MB':>9}")
    print(header)
    for r in results:
        mark = "*" if r["synthetic_vectors"] else " "
        print(f"{r['chunks']:>8}{mark}{r['ingest_chunks_per_s']:>8} "
              f"{r['ingest_vs_raw_encode']:>6} ({r.get('ingest_vs_raw_encode_cpu')}) "
              f"{r['ask_p50_ms']:>8} {r['ask_p95_ms']:>7} "
              f"{r['ask_vs_bare_p50']:>8}/{r['ask_vs_bare_p95']} ({r.get('ask_vs_bare_cpu_p50')}) "
              f"{r['bm25_p50_ms']:>8} {r['peak_rss_ingest_mb']:>10} {r['peak_rss_warm_ask_mb']:>8} {r['index_mb']:>9}")
    if any(r["synthetic_vectors"] for r in results):
        print("* vectors reused from the previous size plus noise; ingest time = pipeline at this size + projected "
              "model time at the measured raw encode rate")
    print(f"written to {out} in {(time.perf_counter() - started) / 60:.1f} min")
    if temporary:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    typer.run(main)
