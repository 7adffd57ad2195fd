"""`python -m evals`: golden evaluation, run comparison, abstention calibration, external benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

OUT = Path(__file__).parent / "out"
# shared/ sits beside the repository (on a developer machine and in CI alike).
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "integreat_qa_en"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evaluation of the GMG assistant (ours vs the LangChain-tutorial baseline).",
)
GoldenOpt = Annotated[
    Path | None, typer.Option("--golden", help="Golden JSONL file (default: evals/golden/gmg.jsonl).")
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the results JSON on stdout (tables go to stderr).")
]


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


def _cases(golden: Path | None):
    from evals.golden_io import DEFAULT_GOLDEN, GoldenError, load_golden

    path = golden or DEFAULT_GOLDEN
    try:
        return path, load_golden(path)
    except (GoldenError, OSError) as exc:
        _fail(str(exc))


@app.command("run")
def run_command(
    golden: GoldenOpt = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for results.json, report.md, report.html.")
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
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if a metric misses evals/thresholds.toml.")
    ] = False,
) -> None:
    """Run the golden set through our system and the baseline; print the summary and write the reports."""
    from assistant.settings import Settings
    from evals.golden_io import check_thresholds, load_thresholds
    from evals.report import print_summary, write_reports
    from evals.runner import run_golden

    console = _console(as_json)
    settings = Settings()
    path, cases = _cases(golden)
    judge_model = _judge_model(settings, console) if judge else None
    try:
        services = None
        if judge_model is not None:  # the judge embeds with the eval's own embeddings
            from evals.runner import build_services, quiet

            quiet()
            services = build_services(settings)
        results = run_golden(settings, cases, baseline=not no_baseline, golden_path=path, services=services)
    except RuntimeError as exc:
        _fail(str(exc))
    if judge_model is not None:
        results["judge"] = _run_judge(settings, judge_model, services.embeddings, results, judge_runs, console)
    violations = check_thresholds(results["systems"]["ours"]["metrics"], load_thresholds())
    results["meta"]["threshold_violations"] = violations
    paths = write_reports(results, out)
    print_summary(results, console)
    console.print(f"Wrote {paths['json']}, {paths['md']}, {paths['html']}")
    if violations:
        console.print(
            "[red]Below the pinned thresholds (evals/thresholds.toml):[/]\n  " + "\n  ".join(violations)
        )
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    if check and violations:
        raise typer.Exit(1)


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


@app.command("calibrate")
def calibrate_command(golden: GoldenOpt = None, as_json: JsonOpt = False) -> None:
    """Evidence scores of answerable vs unanswerable cases (abstention off) and the best threshold."""
    from assistant.settings import Settings
    from evals.calibrate import collect, print_calibration, summarize

    try:
        from assistant.answering.extractive import EVIDENCE_THRESHOLD
    except ImportError:  # the answerer moved: fall back to the absolute threshold only
        EVIDENCE_THRESHOLD = 0.0  # noqa: N806
    settings = Settings()
    _, cases = _cases(golden)
    points = collect(settings, cases)
    summary = summarize(points, current=EVIDENCE_THRESHOLD + settings.abstain_threshold)
    summary["evidence_threshold_constant"] = EVIDENCE_THRESHOLD
    print_calibration(summary, EVIDENCE_THRESHOLD, _console(as_json))
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")


@app.command("external")
def external_command(
    path: Annotated[Path, typer.Argument(help="The benchmark folder (docs/, qa.jsonl).")] = EXTERNAL,
    out: Annotated[Path, typer.Option("--out", help="Folder for results.json and report.md.")] = OUT
    / "external",
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Index folder for the benchmark's docs.")] = (
        OUT / "external-data"
    ),
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Ask a fixed sample of N questions.")
    ] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Only run our system.")] = False,
    scope_city: Annotated[
        bool, typer.Option("--scope-city", help="Search only the question's city pages.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest the external benchmark's pages into their own index and score ours vs the baseline."""
    from evals.external import print_external, run_external, write_external

    console = _console(as_json)
    try:
        results = run_external(
            path, data_dir=data_dir, limit=limit, baseline=not no_baseline, scope_city=scope_city
        )
    except (FileNotFoundError, RuntimeError) as exc:
        _fail(str(exc))
    paths = write_external(results, out)
    print_external(results, console)
    console.print(f"Wrote {paths['json']}, {paths['md']}")
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    app()
