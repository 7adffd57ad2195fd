"""Evaluation runs started from the app: where they are saved, which exist, and running one in the background.

A run started on the Evaluate page (`ui/evaluate.py`) goes to settings.data_dir / "eval-runs" / <UTC time>
(results.json, report.md, report.html, as `python -m evals run` writes them; for an uploaded question set also
its rows as questions.jsonl); `saved_runs` lists those and the latest `make eval` reports
(`evals/out/<suite>/results.json`); `questions_of` says which of them asked the same questions, the only runs
the page compares. A run works in a background thread over the app's
shared model and store, so the page stays usable and can show its progress from the job dict. No Streamlit here.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from evals.golden_io import SUITES, check_thresholds, load_golden, load_thresholds
from evals.question_sets import QuestionSet

CLI_OUT = Path(__file__).parent / "out"  # `make eval` writes one folder per suite
_RUN_LOCK = threading.Lock()


def runs_dir(settings) -> Path:
    return settings.data_dir / "eval-runs"


def saved_runs(settings) -> list[Path]:
    """results.json of every run, newest first: the app's runs, then the CLI's latest (`make eval`)."""
    found = sorted(runs_dir(settings).glob("*/results.json"), reverse=True)
    cli = [CLI_OUT / suite / "results.json" for suite in SUITES]
    return found + [p for p in cli if p.is_file()]


def questions_of(results: dict) -> frozenset[tuple[str, tuple[str, ...]]]:
    """The cases a run asked (each id with its turns, as its first system recorded them). Two runs are compared
    only when these are equal: deltas between different questions (an uploaded set against the gmg suite, or a
    subset against the whole suite) measure the questions, not the system, and no question could flip."""
    records = next(iter(results["systems"].values()))["records"]
    # a run written before records kept their turns: the question its answer records
    return frozenset((r["id"], tuple(r.get("turns") or [r.get("answer", {}).get("question", "")])) for r in records)


def start_run(services, settings, golden: Path, kinds: list[str], limit: int, baseline: bool) -> dict:
    """Start an evaluation of a golden suite in a background thread; returns its job dict (progress, then "out"
    or "error")."""
    every = load_golden(golden)
    cases = [c for c in every if not kinds or c.kind in kinds]
    cases = cases[:limit] if limit else cases
    if not cases:
        raise ValueError("No golden case matches these filters.")
    full = len(cases) == len(every) and golden.stem in SUITES  # thresholds are pinned for a whole suite
    return _launch(services, settings, cases, baseline, str(golden),
                   lambda results: _thresholds(results, golden, full))


def start_question_set(services, settings, qset: QuestionSet, baseline: bool) -> dict:
    """Start an evaluation of an uploaded question set (its good rows); its report states the whole run, not
    tune/test splits, and no pinned threshold applies. The rows run are saved beside the report."""
    if not qset.cases:
        raise ValueError(f"{qset.name} has no row that can be run.")

    def annotate(results: dict) -> None:
        results["meta"].update(question_set=True, subset=False, threshold_violations=None,
                               skipped_rows=[str(b) for b in qset.bad_rows])

    return _launch(services, settings, qset.cases, baseline, qset.name, annotate,
                   extra_files={"questions.jsonl": qset.to_jsonl()})


def _thresholds(results: dict, golden: Path, full: bool) -> None:
    results["meta"]["subset"] = not full
    results["meta"]["threshold_violations"] = (  # pinned on the suite's `test` split
        check_thresholds(results["systems"]["ours"]["splits"]["test"], load_thresholds(suite=golden.stem))
        if full else None)


def _launch(services, settings, cases: list, baseline: bool, label: str, annotate, extra_files=None) -> dict:
    out = runs_dir(settings) / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    job = {"done": 0, "total": len(cases) * (2 if baseline else 1), "label": "preparing the index",
           "cases": len(cases), "out": None, "error": None, "started": time.monotonic()}
    threading.Thread(target=_run, args=(job, services, settings, label, cases, baseline, out, annotate,
                                        extra_files or {}), daemon=True).start()
    return job


def _run(job: dict, services, settings, label: str, cases: list, baseline: bool, out: Path, annotate,
         extra_files: dict[str, str]) -> None:
    from evals.report import write_reports
    from evals.runner import Services, ensure_index, run_golden

    def on_case(system: str, case_id: str) -> None:
        job.update(done=job["done"] + 1, label=f"{system} {case_id}")

    try:
        job["label"] = "waiting for another evaluation to finish"
        with _RUN_LOCK:  # one at a time per process: runs share the baseline's collection and the CPU
            job["label"] = "preparing the index"
            shared = Services(settings, services.embeddings, services.client, services.store)
            with services.ingest_lock:  # not while the sidebar's re-ingest runs on the same store
                ensure_index(shared)
            results = run_golden(settings, cases, baseline=baseline, progress=False, services=shared,
                                 golden_path=label, on_case=on_case)
        annotate(results)
        write_reports(results, out)
        for name, text in extra_files.items():
            (out / name).write_text(text, encoding="utf-8")
        job["seconds"] = time.monotonic() - job["started"]
        job["out"] = out / "results.json"
    except Exception as exc:  # noqa: BLE001 - shown on the page; the chat must not suffer
        job["error"] = f"{type(exc).__name__}: {exc}"
