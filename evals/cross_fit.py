"""A held-out estimate on `tune`: how the golden suites fare with a reader that never saw their cases.

    python -m evals cross-fit --cache evals/out/fit-reader-cache.json  # 1-2 min; 5 when the tune data is asked

`evals run --split tune` answers with the shipped reader.json, which was fitted on those very cases, so its `tune`
figures overstate; `test` must not be used to choose. This splits the golden `tune` cases into folds (a fixed hash
of the case id, a conversation's turns together), fits the reader on the other folds' cases plus every benchmark
`tune` question and calibration probe (`fit_reader.fit_all`, as `make fit-reader` does), and asks each fold's cases
with the reader fitted without them (Settings.reader_model). The held-out records are scored like `evals run`'s.
Compare two versions of the code (or of the fitting) by this, not by their `tune` figures. Each fold's reader is
calibrated on the index as it is built (saved in the data folder's profiles), so the next start with the shipped
reader calibrates again (seconds). Two things leak a little: a question asked in two suites (gmg-001 and conv-01
open alike) may fall in two folds, and the follow-up turns' readings were made with the shipped reader.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evals.golden_io import SUITES, load_golden

FOLD_SEED = "cross-fit-2026-12"


def fold_of(case_id: str, folds: int) -> int:
    """The fold a golden case (all of a conversation's turns) is held out in."""
    key = case_id.split("#")[0].split("/")[0]
    return int.from_bytes(hashlib.sha256(f"{FOLD_SEED}:{key}".encode()).digest()[:4], "big") % folds


def training_questions(questions: list[dict], fold: int, folds: int) -> list[dict]:
    """The tune data a fold's reader is fitted on: every question but the golden ones of that fold (the benchmark's
    questions are kept: the folds hold out golden cases, and the benchmark is scored elsewhere)."""
    return [q for q in questions if q["corpus"] != "gmg" or fold_of(q["qid"], folds) != fold]


def fit_fold_readers(data: dict, folds: int, out: Path) -> list[Path]:
    """One reader.json per fold, fitted without that fold's golden cases; their paths."""
    from evals.fit_reader import fit_all, write

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fold in range(folds):
        payload, report = fit_all(training_questions(data["questions"], fold, folds), data["nulls"])
        path = out / f"reader-fold{fold}.json"
        write(payload, {"fitted_on": f"tune without the golden cases of fold {fold} of {folds}",
                        "command": "python -m evals cross-fit", "report": report}, path)
        paths.append(path)
    return paths


def held_out_records(settings, readers: list[Path], progress: bool = True) -> dict[str, list[dict]]:
    """Each suite's `tune` cases asked with the reader of their fold, scored as `evals run` scores them."""
    from evals.baseline import SourceTexts
    from evals.runner import build_ours, build_services, ensure_index, quiet, run_system

    quiet()
    services = build_services(settings)
    ensure_index(services, progress=progress)
    source_text = SourceTexts(settings.corpus_dir)
    records: dict[str, list[dict]] = {suite: [] for suite in SUITES}
    for fold, reader in enumerate(readers):
        ours = build_ours(services, reader_model=reader)
        for suite, path in SUITES.items():
            cases = [c for c in load_golden(path) if c.split == "tune" and fold_of(c.id, len(readers)) == fold]
            records[suite] += run_system(ours, cases, source_text)["records"]
    return records


def summary(records: dict[str, list[dict]]) -> dict[str, dict]:
    """Per suite: held-out cases (turns), passed, abstention recall and false-abstention rate."""
    from evals.metrics import aggregate

    out = {}
    for suite, recs in records.items():
        metrics = aggregate(recs)
        out[suite] = {"n": len(recs), **{k: metrics.get(k) for k in (
            "pass_rate", "fact_recall", "abstention_recall", "false_abstention_rate")}}
    return out


def write_summary(result: dict, out: Path) -> Path:
    path = out / "summary.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return path


def report(result: dict, path: Path) -> str:
    from evals.report import fmt

    lines = [f"Held out on tune ({result['folds']} folds; the fold readers and {path.name} in {path.parent}):"]
    for suite, m in result["suites"].items():
        lines.append(f"  {suite:14} {m['n']:4} cases  " + "  ".join(
            f"{label} {fmt(key, m[key])}" for label, key in (("passed", "pass_rate"), ("abstention recall",
            "abstention_recall"), ("false abstentions", "false_abstention_rate"))))
    return "\n".join(lines)
