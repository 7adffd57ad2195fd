"""`make bench`: ingest and query cost of our pipeline as ratios to the raw model and a bare Chroma query, and the
start-up of the two query embedders (ONNX, the default, and sentence-transformers, the reference):

- `assistant ask` from a cold process: median of 5 to the printed answer, its CPU time and peak memory;
- the import-time breakdown of that path (`python -X importtime`, self time per top-level package);
- the Streamlit app: launch to the first answer shown in Chromium, and its RSS after 50 questions;
- equivalence: the same retrieved chunk ids and the same answer text on the whole golden set.

All figures come from one run on one machine (shared: other work may be running); read the ratios between
the two paths, not the absolute times. `python -m evals.bench --quick` skips the app and the golden set.
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
from typing import Annotated

import typer

from evals.bench.processes import cpu_seconds, free_port, rss_mb, run_measured, stop_process
from evals.metrics import percentile
from ingest.chroma_collection import bare_query

QUESTIONS = [
    "Who handles trafficking victims?", "Which agency has worked on labour migration since 1919?",
    "What is the GFMD?", "Who chairs the GMG?", "When was the GMG created?", "Who helps refugees return home?",
    "What does UNCTAD do?", "Who are the members of the GMG?", "What is the SRSG's role?",
    "Who do I ask about remittance costs?", "What does UNFPA care about?", "Who won the 2022 World Cup?",
]
PREFIXES = ["Please say: ", "Tell me: ", "I wonder: ", "Quick question: ", "Newcomer here: "]
PATHS = {"onnx": "auto", "sentence-transformers": "sentence-transformers"}  # label → ASSISTANT_QUERY_EMBEDDER
COLD_RUNS = 5
APP_QUESTIONS = 50
CHROMIUM = Path(os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
# `python -m assistant ask …` run in-process (exactly as runpy runs it), then what it imported.
PROBE = """
import json, runpy, sys, time
started = time.perf_counter()
sys.argv = ["assistant", "ask", *sys.argv[1:]]
try:
    runpy.run_module("assistant", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
names = ("torch", "sentence_transformers", "transformers", "langchain_huggingface", "onnxruntime", "chromadb")
print(json.dumps({"exit": code, "seconds": time.perf_counter() - started,
                  "modules": len(sys.modules), "loaded": {n: n in sys.modules for n in names}}), file=sys.stderr)
"""


# -- equivalence on the golden set ----------------------------------------------------------------------------

def golden_trace(assistant, cases) -> dict[str, list[dict]]:
    """Per case and turn (asked with the conversation so far): the retrieved chunk ids and the answer."""
    out = {}
    for case in cases:
        history: list[tuple[str, str]] = []
        turns = []
        for question in case.turns:
            result = assistant.ask(question, history=history)
            searched = result.standalone_question or question
            turns.append({
                "retrieved": [d.id for d in assistant.retriever.invoke(searched, k=10)],
                "answer": result.answer,
                "abstained": result.abstained,
                "citations": [(c.source, c.start, c.end) for c in result.citations],
                "closest": [(c.source, c.start, c.end) for c in result.closest],
                "evidence": result.evidence,
            })
            history.append((question, result.answer))
        out[case.id] = turns
    return out


def trace_differences(reference: dict, other: dict, tolerance: float = 1e-4) -> list[str]:
    """What differs between two golden traces (evidence scores within `tolerance` count as equal)."""
    diffs = []
    for case_id, turns in reference.items():
        for n, (a, b) in enumerate(zip(turns, other.get(case_id, []), strict=False)):
            for key in a:
                same = abs(a[key] - b[key]) <= tolerance if key == "evidence" else a[key] == b[key]
                if not same:
                    diffs.append(f"{case_id} turn {n + 1} {key}: {a[key]!r} != {b[key]!r}")
        if len(turns) != len(other.get(case_id, [])):
            diffs.append(f"{case_id}: missing turns")
    return diffs


# -- cold start -----------------------------------------------------------------------------------------------

def cold_start(env: dict, question: str, runs: int = COLD_RUNS) -> dict:
    walls, cpus, rsss, outputs = [], [], [], set()
    for _ in range(runs):
        wall, cpu, rss, stdout, _ = run_measured([sys.executable, "-m", "assistant", "ask", question], env)
        walls.append(wall)
        cpus.append(cpu)
        rsss.append(rss)
        outputs.add(stdout)
    return {"median_s": round(statistics.median(walls), 2), "runs_s": [round(w, 2) for w in walls],
            "cpu_s_median": round(statistics.median(cpus), 2), "peak_rss_mb": round(max(rsss)),
            "output": outputs.pop() if len(outputs) == 1 else None}


def import_breakdown(env: dict, question: str) -> dict:
    """Self import time per top-level package on the `assistant ask` path, and what that path loaded."""
    _, _, _, _, stderr = run_measured([sys.executable, "-X", "importtime", "-c", PROBE, question], env)
    per_package: dict[str, float] = {}
    probe = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            self_us, _, name = line.removeprefix("import time:").split("|")
            if self_us.strip().isdigit():
                package = name.strip().split(".")[0]
                per_package[package] = per_package.get(package, 0.0) + int(self_us) / 1e6
        elif line.startswith("{"):
            probe = json.loads(line)
    ranked = dict(sorted(per_package.items(), key=lambda kv: -kv[1]))
    return {"total_import_s": round(sum(per_package.values()), 2),
            "by_package_s": {k: round(v, 3) for k, v in ranked.items()},
            "process_s": round(probe.get("seconds", float("nan")), 2), "modules": probe.get("modules"),
            "loaded": probe.get("loaded", {})}


# -- the app --------------------------------------------------------------------------------------------------

def app_figures(env: dict, work: Path, label: str, questions: int = APP_QUESTIONS) -> dict:
    """`streamlit run app.py` over the index, driven by Chromium: launch → first answer, RSS after N questions."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        return {"skipped": "the playwright package is not installed"}
    if not CHROMIUM.is_file():
        return {"skipped": f"{CHROMIUM} is missing (apt-get install chromium)"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / f"streamlit-{label}.log"
    timeout = 180_000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with log.open("wb") as out:
            launched = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited:\n{log.read_text(errors='replace')[-3000:]}")
                try:
                    page.goto(url, wait_until="domcontentloaded", timeout=5_000)
                    break
                except Exception:
                    time.sleep(0.1)
            served_s = time.monotonic() - launched
            box = page.get_by_test_id("stChatInputTextArea")
            messages = page.get_by_test_id("stChatMessage")
            first_s = None
            for n in range(questions):
                question = QUESTIONS[n % len(QUESTIONS)] if n < len(QUESTIONS) else \
                    PREFIXES[(n // len(QUESTIONS)) % len(PREFIXES)] + QUESTIONS[n % len(QUESTIONS)]
                expect(box).to_be_enabled(timeout=timeout)
                if n == 0:
                    ready_s = time.monotonic() - launched
                box.fill(question)
                box.press("Enter")
                answer = messages.nth(2 * n + 1)
                if n == 0:
                    expect(answer).to_contain_text("UNODC", timeout=timeout)
                    first_s = time.monotonic() - launched
                    first_cpu = cpu_seconds(proc.pid)
                expect(answer.get_by_role("radio", name="Thumbs up")).to_be_visible(timeout=timeout)
            page.wait_for_timeout(2000)  # let the last rerun and any background work settle
            memory = rss_mb(proc.pid)
        finally:
            browser.close()
            stop_process(proc)
    return {"launch_to_first_answer_s": round(first_s, 2), "page_served_s": round(served_s, 2),
            "chat_input_ready_s": round(ready_s, 2), "cpu_s_to_first_answer": round(first_cpu, 2),
            "questions": questions,
            "rss_mb_after": memory.get("VmRSS"), "peak_rss_mb": memory.get("VmHWM")}


# -- in this process: ingest and warm asks --------------------------------------------------------------------

def ingest_seconds(settings, embeddings, store) -> dict:
    """Seconds of the ONNX export, a full ingest, a raw encode of its chunks and an unchanged re-ingest."""
    from assistant.embeddings import ensure_onnx_export
    from assistant.indexing import run_ingest

    started = time.perf_counter()
    ensure_onnx_export(settings, embeddings)  # once per weights; run_ingest would do it (reported apart)
    export = time.perf_counter() - started
    started = time.perf_counter()
    report = run_ingest(settings, embeddings, store)
    full = time.perf_counter() - started
    chunks = store.get(include=["documents"])["documents"]
    started = time.perf_counter()
    embeddings._client.encode(chunks, batch_size=64, normalize_embeddings=True)
    raw = time.perf_counter() - started
    started = time.perf_counter()
    run_ingest(settings, embeddings, store)
    again = time.perf_counter() - started
    return {"chunks": report.chunks, "export": export, "full": full, "raw": raw, "again": again}


def warm_ask_seconds(assistant, store, top_k: int) -> tuple[list[float], list[float], list[float]]:
    """Per question variant, seconds of a warm `ask` through the query path a user gets (the assistant's embedder,
    ONNX by default; what the reader remembers per text forgotten first, as for passages it has not seen),
    of its reader model pass (`reader_ms`), and of a bare query (the same embedder, one Chroma query of top_k)."""
    for q in QUESTIONS:  # warm: model, BM25
        assistant.ask(q)
    ours, reader, bare = [], [], []
    for prefix in PREFIXES:
        for q in QUESTIONS:
            variant = prefix + q  # a new string each round: no cache can answer it
            assistant.answerer.reader.forget_passages()
            t0 = time.perf_counter()
            result = assistant.ask(variant)
            ours.append(time.perf_counter() - t0)
            reader.append(result.timings_ms.get("reader_ms", 0.0) / 1000)
            t0 = time.perf_counter()
            vector = assistant.embeddings.embed_query(variant + "?")
            bare_query(store, vector, top_k)
            bare.append(time.perf_counter() - t0)
    return ours, reader, bare


def golden_equivalence(settings, assistant, client) -> dict:
    """The golden set through `assistant` (sentence-transformers) and through an ONNX one: what differs."""
    from assistant.chain import build_assistant
    from assistant.embeddings import build_embeddings
    from assistant.store import build_store
    from evals.golden_io import load_golden

    onnx = build_embeddings(settings.model_copy(update={"query_embedder": "onnx"}))
    onnx_assistant = build_assistant(settings, embeddings=onnx, store=build_store(settings, onnx, client))
    cases = load_golden()
    t0 = time.perf_counter()
    reference = golden_trace(assistant, cases)
    st_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    candidate = golden_trace(onnx_assistant, cases)
    onnx_s = time.perf_counter() - t0
    diffs = trace_differences(reference, candidate)
    return {"cases": len(cases), "turns": sum(len(t) for t in reference.values()),
            "identical_cases": len(cases) - len({d.split()[0] for d in diffs}), "differences": diffs[:10],
            "seconds": {"sentence-transformers": round(st_s, 1), "onnx": round(onnx_s, 1)}}


# -- in child processes: start-up and the app -----------------------------------------------------------------

def process_figures(settings, work: Path, quick: bool) -> tuple[dict, dict, dict]:
    """Cold start, import breakdown and (unless `quick`) the app, per query embedder in PATHS, over the index."""
    base_env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
                "ASSISTANT_CORPUS_DIR": str(work / "corpus"), "PYTHONUNBUFFERED": "1"}
    envs = {label: {**base_env, "ASSISTANT_QUERY_EMBEDDER": value} for label, value in PATHS.items()}
    cold = {label: cold_start(env, QUESTIONS[0]) for label, env in envs.items()}
    imports = {label: import_breakdown(env, QUESTIONS[0]) for label, env in envs.items()}
    app = {label: app_figures(env, work, label) for label, env in envs.items()} if not quick else {}
    return cold, imports, app


# -- results --------------------------------------------------------------------------------------------------

def summary(ingest: dict, ours: list[float], reader: list[float], bare: list[float], cold: dict, imports: dict,
            app: dict, golden: dict | None) -> dict:
    """Every figure of the run, as ratios first (the JSON `make bench` prints)."""
    full, raw, again = ingest["full"], ingest["raw"], ingest["again"]
    return {
        "chunks": ingest["chunks"],
        "ingest_vs_raw_encode": round(full / raw, 2),
        "reingest_vs_full_ingest": round(again / full, 3),
        "warm_ask_p50_vs_bare_query": round(statistics.median(ours) / statistics.median(bare), 2),
        "warm_ask_p95_vs_bare_query_p95": round(percentile(ours, 95) / percentile(bare, 95), 2),
        "warm_ask_without_reader_p50_vs_bare_query": round(
            statistics.median([o - r for o, r in zip(ours, reader, strict=True)]) / statistics.median(bare), 2),
        "cold_start_to_answer_s_median": cold["onnx"]["median_s"],
        "cold_start_vs_warm_ask": round(cold["onnx"]["median_s"] / statistics.median(ours), 1),
        "cold_start_st_vs_onnx": round(cold["sentence-transformers"]["median_s"] / cold["onnx"]["median_s"], 1),
        "same_printed_answer": cold["onnx"]["output"] is not None
        and cold["onnx"]["output"] == cold["sentence-transformers"]["output"],
        "cold_start": {k: {kk: vv for kk, vv in v.items() if kk != "output"} for k, v in cold.items()},
        "imports": imports,
        "app": app,
        "golden": golden,
        "seconds": {"onnx_export": round(ingest["export"], 3), "full_ingest": round(full, 3),
                    "raw_encode": round(raw, 3), "reingest": round(again, 3),
                    "warm_ask_p50": round(statistics.median(ours), 4),
                    "reader_p50": round(statistics.median(reader), 4),
                    "bare_query_p50": round(statistics.median(bare), 4)},
    }


def print_costs(results: dict, export_s: float) -> None:
    print(f"ingest / raw encode            {results['ingest_vs_raw_encode']}x   (target <= 1.15x; the one-time ONNX "
          f"export, {export_s:.1f} s, is apart)")
    print(f"re-ingest unchanged / full     {results['reingest_vs_full_ingest']}x  (target <= 0.05x)")
    print(f"warm ask p50 / bare query p50  {results['warm_ask_p50_vs_bare_query']}x   (passages not seen before)")
    print(f"  without the reader's model   {results['warm_ask_without_reader_p50_vs_bare_query']}x   (target <= 1.5x; "
          f"reader model pass p50 {results['seconds']['reader_p50'] * 1000:.0f} ms)")


def print_startup(results: dict) -> None:
    """The two query embedders side by side: cold `assistant ask`, the app, and the golden set."""
    cold, imports, app, golden = results["cold_start"], results["imports"], results["app"], results["golden"]
    print(f"{'':34}{'onnx (default)':>18}{'sentence-transformers':>24}")
    o, s = cold["onnx"], cold["sentence-transformers"]
    print(f"{'cold ask -> answer, median of 5':34}{o['median_s']:>16} s{s['median_s']:>22} s   (target <= 3 s)")
    print(f"{'  CPU time (user+sys), median':34}{o['cpu_s_median']:>16} s{s['cpu_s_median']:>22} s")
    print(f"{'  peak RSS':34}{o['peak_rss_mb']:>15} MB{s['peak_rss_mb']:>21} MB")
    print(f"{'  torch imported':34}{str(imports['onnx']['loaded'].get('torch')):>18}"
          f"{str(imports['sentence-transformers']['loaded'].get('torch')):>24}   (target: False)")
    print(f"{'  import time (self, all modules)':34}{imports['onnx']['total_import_s']:>16} s"
          f"{imports['sentence-transformers']['total_import_s']:>22} s")
    for key, unit, target in (("launch_to_first_answer_s", "s", "(target <= 5 s)"),
                              ("rss_mb_after", "MB", f"after {APP_QUESTIONS} questions (target <= 600 MB)"),
                              ("peak_rss_mb", "MB", "")):
        if app:
            a, b = app["onnx"], app["sentence-transformers"]
            print(f"{'app ' + key.replace('_', ' '):34}{str(a.get(key, a.get('skipped'))):>{18 - len(unit) - 1}} "
                  f"{unit}{str(b.get(key, b.get('skipped'))):>{24 - len(unit) - 1}} {unit}   {target}")
    print(f"cold start: sentence-transformers / onnx = {results['cold_start_st_vs_onnx']}x; same printed answer: "
          f"{results['same_printed_answer']}")
    if golden:
        print(f"golden set: {golden['identical_cases']}/{golden['cases']} cases ({golden['turns']} turns) identical "
              f"(retrieved chunk ids, answer text, citations); {len(golden['differences'])} differences; run in "
              f"{golden['seconds']['onnx']} s (onnx) vs {golden['seconds']['sentence-transformers']} s (in-process)")


def print_imports(imports: dict, top: int = 14) -> None:
    """Self import time per top-level package, the `top` slowest of each path, then the rest and the total."""
    print("import time on the `assistant ask` path, self time per top-level package (s):")
    names = list(dict.fromkeys([*list(imports["onnx"]["by_package_s"])[:top],
                                *list(imports["sentence-transformers"]["by_package_s"])[:top]]))
    print(f"  {'package':30}{'onnx':>10}{'sentence-transformers':>24}")
    for name in names:
        a, b = (imports[p]["by_package_s"].get(name) for p in PATHS)
        print(f"  {name:30}{'-' if a is None else a:>10}{'-' if b is None else b:>24}")
    rest = [round(sum(v for k, v in imports[p]["by_package_s"].items() if k not in names), 3) for p in PATHS]
    print(f"  {'(all other packages)':30}{rest[0]:>10}{rest[1]:>24}")
    totals = [imports[p]["total_import_s"] for p in PATHS]
    print(f"  {'total':30}{totals[0]:>10}{totals[1]:>24}")


# -- main -----------------------------------------------------------------------------------------------------

def main(quick: Annotated[bool, typer.Option("--quick", help="Skip the app and the golden set.")] = False) -> None:
    """Ingest and query cost against the raw model and a bare Chroma query; start-up of the two query embedders."""
    from assistant.chain import build_assistant
    from assistant.embeddings import build_embeddings
    from assistant.settings import Settings
    from assistant.store import build_client, build_store

    work = Path(tempfile.mkdtemp(prefix="gmg-bench-"))
    shutil.copytree(REPO / "corpus", work / "corpus")
    settings = Settings(_env_file=None, data_dir=work / "data", corpus_dir=work / "corpus")
    embeddings = build_embeddings(settings.model_copy(update={"query_embedder": "sentence-transformers"}))
    embeddings.embed_documents(["warm up the model"])
    client = build_client(settings)
    store = build_store(settings, embeddings, client)
    ingest = ingest_seconds(settings, embeddings, store)
    assistant = build_assistant(settings, embeddings=embeddings, store=store)
    user_path = build_assistant(settings, embeddings=build_embeddings(settings), store=store)  # ONNX: the default
    ours, reader, bare = warm_ask_seconds(user_path, store, settings.top_k)
    golden = None if quick else golden_equivalence(settings, assistant, client)
    cold, imports, app = process_figures(settings, work, quick)
    results = summary(ingest, ours, reader, bare, cold, imports, app, golden)
    print(json.dumps(results, indent=2))
    print()
    print_costs(results, ingest["export"])
    print()
    print_startup(results)
    print()
    print_imports(imports)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    typer.run(main)
