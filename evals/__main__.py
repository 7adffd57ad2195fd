"""`python -m evals`: golden evaluation, run comparison, external benchmark, fitting the reader."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from evals.near_misses import near_misses_command

OUT = Path(__file__).parent / "out"
# A copy of shared/benchmarks/integreat_qa_en (CC BY 4.0, attribution in its README), so a fresh clone has it.
EXTERNAL = Path(__file__).parent / "benchmarks" / "integreat_qa_en"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evaluation of the GMG assistant (ours vs the LangChain-tutorial baseline).",
)
app.command("near-misses")(near_misses_command)  # evals/near_misses.py
GoldenOpt = Annotated[
    Path | None, typer.Option("--golden", help="A golden suite of evals/golden/ (default: every suite there), or "
                              "your own question set: any other file, CSV (question,facts,source,unanswerable) or "
                              "JSONL in the golden format, read as the app's uploader reads it (bad rows are "
                              "listed and skipped, the good ones run).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results JSON on stdout (tables go to stderr).")]
CheckOpt = Annotated[bool, typer.Option("--check", help="Exit 1 if a `test` metric misses evals/thresholds.toml.")]


def _console(as_json: bool):
    from rich.console import Console

    console = Console(stderr=as_json)
    if not console.is_terminal:  # piped or redirected: don't squeeze the tables into 80 columns
        console.width = max(console.width, 110)
    return console


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _llm_backend(settings) -> str | None:
    """settings.llm when it names a model backend (`openai:…`, `ollama:…`), None for `extractive`."""
    from assistant.llm import LLMConfigError, parse_llm

    try:
        mode, _ = parse_llm(settings.llm)
    except LLMConfigError as exc:
        _fail(str(exc))
    return None if mode == "extractive" else settings.llm


def _judge_model(settings, console):
    """The chat model the judge uses (settings.llm), or None, saying why the judge is skipped."""
    from assistant.llm import LLMConfigError, build_chat_model

    if _llm_backend(settings) is None:
        console.print("LLM judge skipped: no LLM backend is configured (set ASSISTANT_LLM, see README); only the "
                      "deterministic metrics are reported.", soft_wrap=True, markup=False)
        return None
    try:
        return build_chat_model(settings)
    except LLMConfigError as exc:
        _fail(str(exc))


def _suites(golden: Path | None, settings=None, console=None) -> dict[str, tuple[Path, list]]:
    """suite name → (file, cases): the one --golden file (named by its stem), or every suite in evals/golden/."""
    from evals.golden_io import SUITES, GoldenError, load_golden
    from evals.question_sets import is_own_question_set

    if golden is not None and is_own_question_set(golden):
        return {golden.stem: (golden, _question_set(golden, settings, console))}
    paths = {golden.stem: golden} if golden else {n: p for n, p in SUITES.items() if p.is_file()}
    try:
        return {name: (path, load_golden(path)) for name, path in paths.items()}
    except (GoldenError, OSError) as exc:
        _fail(str(exc))


def _question_set(path: Path, settings, console) -> list:
    """The good rows of your own question set (evals/question_sets.py, as the app reads an upload); the bad ones
    are listed on stderr, one line each."""
    from evals.question_sets import QuestionSetError, load_question_set
    from ingest.discovery import corpus_documents

    try:
        qset = load_question_set(path, corpus_documents(settings.corpus_dir), settings.max_question_chars)
    except (QuestionSetError, OSError) as exc:
        _fail(str(exc))
    for bad in qset.bad_rows:
        typer.echo(f"skipped {bad}", err=True)
    if qset.ignored_columns:
        typer.echo(f"ignored columns: {', '.join(qset.ignored_columns)}", err=True)
    if not qset.cases:
        _fail(f"{path.name}: no row can be run ({len(qset.bad_rows)} bad)")
    bad = len(qset.bad_rows)
    console.print(f"{path.name}: {len(qset.cases)} questions to run"
                  + (f", {bad} bad row{'s' * (bad != 1)} skipped" if bad else ""), markup=False)
    return qset.cases


@app.command("run")
def run_command(
    golden: GoldenOpt = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the reports (one subfolder per suite when --golden is not given).")
    ] = OUT,
    as_json: JsonOpt = False,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Only run our system.")] = False,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also score our answers with the LLM of ASSISTANT_LLM (a trend, never "
                           "gated): faithfulness and answer relevancy.")
    ] = False,
    judge_runs: Annotated[
        int, typer.Option("--judge-runs", min=1, help="Runs of the LLM judge to average (with --judge).")
    ] = 3,
    check: CheckOpt = False,
    split: Annotated[
        str | None, typer.Option("--split", help="Print only this split (`tune` while you tune, so `test` stays "
                                 "unseen); the reports hold both.")
    ] = None,
) -> None:
    """Run the golden suites (gmg, natural, conversations) through our system and the baseline; print each suite's
    tune and test figures, write the reports, check the test split against the pinned thresholds."""
    from assistant.settings import Settings
    from evals.question_sets import is_own_question_set
    from evals.runner import build_services, quiet

    console = _console(as_json)
    settings = Settings()
    suites = _suites(golden, settings, console)
    judge_model = _judge_model(settings, console) if judge else None
    quiet()
    try:
        services = build_services(settings)
    except RuntimeError as exc:
        _fail(str(exc))
    failed, payload = False, {}
    for name, (path, cases) in suites.items():
        target = out if golden else out / name
        judged = (judge_model, judge_runs) if judge_model is not None else None
        own = is_own_question_set(path)  # your own question set: reported whole, no thresholds, no splits
        results = _run_suite(settings, services, name, path, cases, target, no_baseline, console,
                             None if own else split, judged, own)
        failed |= bool(results["meta"]["threshold_violations"])
        payload[name] = results
    if as_json:
        sys.stdout.write(json.dumps(payload if not golden else next(iter(payload.values())), ensure_ascii=False)
                         + "\n")
    if check and failed:
        raise typer.Exit(1)


def _run_suite(settings, services, name: str, path: Path, cases: list, out: Path, no_baseline: bool, console,
               split: str | None = None, judged: tuple | None = None, question_set: bool = False) -> dict:
    """One suite: run, judge (with `judged` = (chat model, runs)), check the test split, print, write."""
    from evals.golden_io import check_thresholds, load_thresholds
    from evals.report import print_summary, write_reports
    from evals.runner import run_golden

    try:
        results = run_golden(settings, cases, baseline=not no_baseline, golden_path=path, services=services)
    except RuntimeError as exc:
        _fail(str(exc))
    if judged is not None:
        results["judge"] = _run_judge(settings, judged[0], services.embeddings, results, judged[1], console)
    violations = [] if question_set else check_thresholds(results["systems"]["ours"]["splits"]["test"],
                                                          load_thresholds(suite=name))
    results["meta"]["suite"] = name
    if question_set:
        results["meta"]["question_set"] = True
    results["meta"]["threshold_violations"] = violations
    paths = write_reports(results, out)
    print_summary(results, console, split)
    console.print(f"Wrote {paths['json']}, {paths['md']}, {paths['html']}")
    if violations and split != "tune":
        console.print(f"{name}: test split below the pinned thresholds (evals/thresholds.toml, [{name}]):\n  "
                      + "\n  ".join(violations), style="red", markup=False)
    return results


def _run_judge(settings, model, embeddings, results: dict, runs: int, console) -> dict:
    from assistant.llm import describe_failure
    from evals.judge import run_judge

    console.print(f"LLM judge: {settings.llm}, {runs} run(s) of our answered questions (a trend, not gated).",
                  markup=False)
    try:
        section = run_judge(model, embeddings, results["systems"]["ours"]["records"], runs=runs,
                            backend=settings.llm, progress=True, describe=lambda exc: describe_failure(exc, settings))
    except Exception as exc:  # the judge is optional: nothing it does may lose the deterministic results
        section = {"backend": settings.llm, "runs": runs, "faithfulness": None, "answer_relevancy": None,
                   "per_run": [], "per_question": {}, "failed_judgements": 0, "error": f"{type(exc).__name__}: {exc}"}
    if section["error"]:
        console.print(f"LLM judge: {section['error']} The deterministic results are written all the same.",
                      style="yellow", markup=False, soft_wrap=True)
    elif section["failed_judgements"]:
        console.print(f"LLM judge: {section['failed_judgements']} judgement(s) failed (replies that could not be "
                      "read); see results.json, judge.per_question.", markup=False)
    return section


@app.command("compare")
def compare_command(
    a: Annotated[Path, typer.Argument(help="results.json of the earlier run (A).")],
    b: Annotated[Path, typer.Argument(help="results.json of the later run (B).")],
    as_json: JsonOpt = False,
) -> None:
    """Metric deltas (B − A) and the questions that flipped between two runs."""
    from evals.compare import compare, load_results, print_comparison

    try:
        diff = compare(load_results(a), load_results(b))
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    if not diff:
        _fail("the two runs have no system in common")
    print_comparison(diff, str(a), str(b), _console(as_json))
    if as_json:
        sys.stdout.write(json.dumps(diff, ensure_ascii=False) + "\n")


@app.command("promote-feedback")
def promote_feedback_command(
    out: Annotated[Path, typer.Option("--out", help="Draft cases file (JSONL, appended).")] = Path(
        "evals/golden/drafts.jsonl"),
    as_json: JsonOpt = False,
) -> None:
    """Turn thumbs-down feedback from the app into draft golden cases to complete and commit."""
    from assistant.settings import Settings
    from evals.promote import promote

    settings = Settings()
    try:
        drafts = promote(settings.data_dir / "feedback.sqlite3", out)
    except FileNotFoundError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(drafts, ensure_ascii=False))
    else:
        typer.echo(f"{len(drafts)} new draft case(s) appended to {out}; complete required_facts and "
                   "expected_sources, remove \"draft\"/\"todo\", then move them into gmg.jsonl.")


@app.command("external")
def external_command(
    path: Annotated[Path, typer.Argument(help="The benchmark folder (docs/, qa.jsonl).")] = EXTERNAL,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for results.json and report.md (default "
                                             "evals/out/external, or external_city with --scope-city).")] = None,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Index folder for the benchmark's docs.")] = (
        OUT / "external-data"
    ),
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Ask a fixed sample of N questions.")
    ] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Only run our system.")] = False,
    scope_city: Annotated[
        bool, typer.Option("--scope-city", help="Search only the question's city pages, as the Integreat app does "
                           "(checked against [external_city]).")
    ] = False,
    split: Annotated[
        str | None, typer.Option("--split", help="Ask only this split's questions (pages split by id: `tune` "
                                 "while you tune, `test` to report); default both.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if a `test`-split metric misses evals/thresholds.toml "
                           "[external] ([external_city] with --scope-city).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest the external benchmark's pages into their own index and score ours vs the baseline."""
    from evals.external import print_external, run_external, write_external

    console = _console(as_json)
    suite = "external_city" if scope_city else "external"  # the city-scoped run has its own pins
    try:
        results = run_external(
            path, data_dir=data_dir, limit=limit, baseline=not no_baseline, scope_city=scope_city, split=split
        )
    except (FileNotFoundError, RuntimeError) as exc:
        _fail(str(exc))
    violations = []
    if split != "tune":
        from evals.golden_io import check_thresholds, load_thresholds

        violations = check_thresholds(results["systems"]["ours"]["metrics"]["splits"]["test"],
                                      load_thresholds(suite=suite))
    results["meta"]["threshold_violations"] = violations
    paths = write_external(results, out or OUT / suite)
    print_external(results, console, split)
    console.print(f"Wrote {paths['json']}, {paths['md']}")
    if violations:
        console.print(f"external: test split below the pinned thresholds (evals/thresholds.toml, [{suite}]):\n  "
                      + "\n  ".join(violations), style="red", markup=False)
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    if check and violations:
        raise typer.Exit(1)


@app.command("followups")
def followups_command(
    as_json: JsonOpt = False,
    check: CheckOpt = False,
    split: Annotated[
        str | None, typer.Option("--split", help="Print only this split's figures and failures (`tune` while you "
                                 "tune).")
    ] = None,
) -> None:
    """Short chats (evals/golden/followups.jsonl): is each final question read right in its context (a follow-up
    resolved, a standalone question used as asked)? Prints each split's figures and the failed chats."""
    from assistant.settings import Settings
    from evals.followups import load_followups, run_followups
    from evals.golden_io import check_thresholds, load_thresholds
    from evals.runner import build_ours, build_services, ensure_index, quiet

    console = _console(as_json)
    quiet()
    try:
        services = build_services(Settings())
        ensure_index(services, progress=not as_json)
    except RuntimeError as exc:
        _fail(str(exc))
    results = run_followups(build_ours(services).assistant, load_followups())
    violations = check_thresholds(results["splits"]["test"], load_thresholds(suite="followups"))
    results["threshold_violations"] = violations
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    else:
        for name, figures in results["splits"].items():
            if split in (None, name):
                console.print(f"{name}: {json.dumps(figures)}", markup=False)
        for r in results["records"]:
            if not r["passed"] and split in (None, r["split"]):
                offer = f" (offered: {r['offered']!r})" if r.get("offered") else ""
                console.print(f"  {r['id']} [{r['form']}] {r['question']!r} -> {r['rewritten']!r}{offer}", markup=False)
        if violations and split != "tune":
            console.print("test split below the pinned thresholds ([followups]):\n  " + "\n  ".join(violations),
                          style="red", markup=False)
    if check and violations:
        raise typer.Exit(1)


@app.command("fit-reader")
def fit_reader_command(
    bench: Annotated[Path, typer.Option("--bench", help="The external benchmark folder.")] = EXTERNAL,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Index folder for the benchmark's docs.")] = (
        OUT / "external-data"),
    out: Annotated[Path, typer.Option("--out", help="Where to write the fitted reader.")] = Path(
        "assistant/data/reader.json"),
    cache: Annotated[Path | None, typer.Option("--cache", help="Read (or write) the collected tune data here, "
                                               "to refit without asking every question again.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the reader's models on the `tune` splits (golden suites + the benchmark's tune pages); write reader.json."""
    from evals.fit_reader import fit_all, write
    from evals.tune_data import collect_tune_data

    data = collect_tune_data(bench, data_dir, cache)
    payload, report = fit_all(data["questions"], data["nulls"])
    meta = {"fitted_on": "tune splits only: " + ", ".join(f"{n} {c} questions" for c, n in report["questions"].items())
            + f", {len(data['nulls'])} calibration probes", "command": "python -m evals fit-reader",
            "report": report}
    write(payload, meta, out)
    typer.echo(json.dumps(report, indent=1) if as_json else f"Wrote {out}\n{json.dumps(report, indent=1)}")


@app.command("cross-fit")
def cross_fit_command(
    bench: Annotated[Path, typer.Option("--bench", help="The external benchmark folder.")] = EXTERNAL,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Index folder for the benchmark's docs.")] = (
        OUT / "external-data"),
    cache: Annotated[Path | None, typer.Option("--cache", help="As fit-reader's --cache.")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=10, help="Folds of the golden tune cases.")] = 5,
    out: Annotated[Path, typer.Option("--out", help="Folder for the fold readers and summary.json.")] = (
        OUT / "cross-fit"),
    as_json: JsonOpt = False,
) -> None:
    """Held-out figures on `tune`: each fold of the golden tune cases asked with a reader fitted without it."""
    from assistant.settings import Settings
    from evals.cross_fit import fit_fold_readers, held_out_records, report, summary, write_summary
    from evals.tune_data import collect_tune_data

    data = collect_tune_data(bench, data_dir, cache)
    readers = fit_fold_readers(data, folds, out)
    result = {"folds": folds, "suites": summary(held_out_records(Settings(), readers, progress=not as_json))}
    path = write_summary(result, out)
    typer.echo(json.dumps(result, indent=1) if as_json else report(result, path))


if __name__ == "__main__":
    app()
