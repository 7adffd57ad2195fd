"""Your own question set on the Evaluate page (AppTest over a real index) and from a terminal
(`python -m evals run --golden FILE.csv`, a real subprocess over the same temp index)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import app_index
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 300
NOTE = "gmg-information-note-2006.txt"
THREE = ("question,facts,source,unanswerable\n"
         f"How many organizations make up the GMG?,10 organizations|ten organizations,{NOTE},false\n"
         f"When was the Geneva Migration Group set up?,April 2003,{NOTE} > When was the GMG created?,false\n"
         "Who won the 2006 FIFA World Cup?,,,true\n")


@pytest.fixture(scope="module")
def env(tmp_path_factory, embeddings):
    yield from app_index(tmp_path_factory, "app-question-set", embeddings)


@pytest.fixture(autouse=True)
def cli_out(monkeypatch, tmp_path) -> Path:
    """The page also lists the latest `make eval` reports (evals/out): here an empty folder instead, so what a
    checkout happens to have there changes nothing."""
    from evals import app_runs

    folder = tmp_path / "cli-out"
    folder.mkdir()
    monkeypatch.setattr(app_runs, "CLI_OUT", folder)
    return folder


def evaluate_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    at.switch_page("ui/pages/evaluate.py").run()
    assert not at.exception, at.exception
    return at


def upload(name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at = evaluate_page()
    [uploader] = [u for u in at.get("file_uploader") if u.label == "Your own question set"]
    uploader.set_value((name, data, mime))
    at.run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    kinds = ("markdown", "subheader", "caption", "error", "success", "info", "warning")
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for kind in kinds for e in at.get(kind)))


def run_button(at: AppTest):
    return next((b for b in at.button if b.label == "Run these questions"), None)


def runs(settings) -> list[Path]:
    return sorted((settings.data_dir / "eval-runs").glob("*/results.json"))


def test_an_uploaded_csv_of_three_questions_gives_a_report_of_three_cases(env):
    at = upload("my questions.csv", THREE.encode())
    assert "my questions.csv: 3 cases ready to run (2 answerable, 1 unanswerable)." in text_of(at)
    before = runs(env)
    run_button(at).click().run()
    assert not at.exception, at.exception
    assert any("Evaluation finished" in s.value for s in at.success), text_of(at)
    [run] = sorted(set(runs(env)) - set(before))
    results = json.loads(run.read_text())
    assert results["meta"]["cases"] == 3 and results["meta"]["question_set"] and results["meta"]["golden"] == \
        "my questions.csv"
    assert {r["id"] for r in results["systems"]["ours"]["records"]} == {"row-2", "row-3", "row-4"}
    page = text_of(at)
    rate = results["systems"]["ours"]["metrics"]["pass_rate"]
    assert re.search(rf"3 cases · pass rate: ours {rate:.3f} \(\d of 3 passed\), baseline", page), page
    assert "Your own question set: reported as a whole" in page
    summary = next(d.value for d in at.dataframe if {"metric", "ours"} <= set(d.value.columns))  # not a comparison
    assert list(summary.columns)[:3] == ["metric", "ours", "baseline"]  # the whole run, no tune/test columns
    assert "case pass rate" in set(summary["metric"])
    assert {b.label for b in at.get("download_button")} >= {"results.json", "report.md", "report.html",
                                                           "questions.jsonl"}
    assert (run.parent / "questions.jsonl").read_text().count("\n") == 3
    assert "3 cases · pass rate" in (run.parent / "report.md").read_text()
    assert any("your own question set my questions.csv" in o for o in at.selectbox(key="eval_report_pick").options)


def write_run(path: Path, results: dict) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(results), encoding="utf-8")
    return path


def test_a_question_set_run_is_compared_only_with_runs_of_the_same_questions(env, cli_out):
    """A report of other questions (here a `make eval` gmg report) is never offered against an uploaded set's run,
    nor the other way round; an earlier run of the same questions is."""
    at = upload("my questions.csv", THREE.encode())
    at.checkbox(key="eval_upload_baseline").uncheck().run()  # ours only: quicker, and enough to compare
    before = runs(env)
    run_button(at).click().run()
    assert not at.exception, at.exception
    [run] = sorted(set(runs(env)) - set(before))
    results = json.loads(run.read_text())
    write_run(env.data_dir / "eval-runs" / "00000000T000000000000Z" / "results.json",  # sorts last: the oldest
              {**results, "meta": {**results["meta"], "created": "2000-01-01T00:00:00+00:00"}})
    gmg = json.loads(run.read_text())
    gmg["meta"].update(created="1999-12-31T00:00:00+00:00", golden="evals/golden/gmg.jsonl", question_set=False)
    for n, record in enumerate(gmg["systems"]["ours"]["records"]):
        record.update(id=f"gmg-{n:03d}", turns=[f"Question {n} of the gmg suite?"])
    gmg_run = write_run(cli_out / "gmg" / "results.json", gmg)
    at.run()
    assert not at.exception, at.exception
    options = at.selectbox(key="eval_compare_pick").options
    assert any("2000-01-01" in o for o in options), options  # the same three questions, asked earlier
    assert not any("1999-12-31" in o for o in options), options  # never the gmg report
    at.selectbox(key="eval_report_pick").set_value(gmg_run).run()
    assert not at.exception, at.exception
    assert not [s for s in at.selectbox if s.key == "eval_compare_pick"]  # no run of its questions to compare


@pytest.mark.parametrize(("name", "data", "message"), [
    ("questions.xlsx", b"PK\x03\x04 not a csv", "questions.xlsx is not a CSV or JSONL file"),
    ("big.csv", b"question\n" + b"x" * (5 * 1024 * 1024), "big.csv is 5.0 MB, over the 5 MB limit"),
    ("long.csv", b"question\n" + b"What is the GMG?\n" * 2001, "long.csv has 2,001 questions, over the 2,000 limit"),
    ("cols.csv", b"query,facts\nWhat is the GMG?,x\n", "cols.csv has no `question` column"),
])
def test_a_file_that_cannot_be_used_gets_one_message_and_runs_nothing(env, name, data, message):
    before = runs(env)
    at = upload(name, data)
    [error] = at.error
    assert message in text_of(at) and "Nothing was run." in text_of(at)
    assert run_button(at) is None and runs(env) == before
    assert not at.get("file_uploader")[0].disabled  # the app is still up: another file can be uploaded


def test_bad_rows_are_listed_inert_and_the_good_rows_can_run(env):
    nasty = "<img src=x onerror=alert(1)> **bold** [link](javascript:alert(2))"
    data = (THREE + f"{nasty},a fact,,maybe\n" + ",orphan fact,,false\n").encode()
    at = upload("<b>set</b>.csv", data)
    page = text_of(at)
    assert "<b>set</b>.csv: 3 cases ready to run" in page
    assert "2 of 5 rows cannot be run and are skipped:" in page
    assert "row 5: unanswerable is 'maybe': write true or false" in page and "row 6: the question is empty" in page
    assert nasty in page  # shown as typed ...
    for element in [*at.warning, *at.success]:  # ... and never as markup
        rendered = MarkdownIt("commonmark").render(element.value)
        assert "<img" not in rendered and "<b>" not in rendered and "<strong>" not in rendered
        assert "<a " not in rendered
    assert run_button(at) is not None and not run_button(at).disabled


def test_a_file_with_only_bad_rows_cannot_run(env):
    at = upload("bad.jsonl", b'{"id": "a"}\nnot json\n', "application/jsonl")
    page = text_of(at)
    assert "No row of bad.jsonl can be run (2 bad)" in page
    assert "line 1: case a: needs `question` or `turns`" in page and "line 2: not JSON" in page
    assert run_button(at).disabled


def evals_run(settings, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m evals run ARGS` over the module's temp index (env vars point at it: the main index is never
    touched)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    environ.update(ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir))
    return subprocess.run([sys.executable, "-m", "evals", "run", *args], env=environ, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_the_same_csv_runs_from_a_terminal(env, tmp_path):
    """`python -m evals run --golden FILE.csv`: the bad row is named on stderr and the good ones run."""
    questions = tmp_path / "mine.csv"
    questions.write_text(THREE + "Who chairs it?,rotating,,maybe\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = evals_run(env, tmp_path, "--golden", str(questions), "--no-baseline", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "skipped row 5: unanswerable is 'maybe': write true or false (Who chairs it?)" in proc.stderr
    assert "mine.csv: 3 questions to run, 1 bad row skipped" in proc.stdout
    assert re.search(r"3 cases · pass rate: ours \d\.\d{3} \(\d of 3 passed\)", proc.stdout), proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["cases"] == 3 and results["meta"]["question_set"] and "baseline" not in results["systems"]
    assert results["meta"]["threshold_violations"] == []

    bad = tmp_path / "bad.csv"
    bad.write_text("query\nWhat is the GMG?\n", encoding="utf-8")
    proc = evals_run(env, tmp_path, "--golden", str(bad))
    assert proc.returncode == 2 and "error: bad.csv has no `question` column" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_jsonl_question_set_runs_from_a_terminal_as_on_the_page(env, tmp_path):
    """A JSONL file of yours (outside evals/golden/) is read as the page reads it: one line on stderr per bad row,
    and the good rows run (a committed golden suite would not run at all)."""
    questions = tmp_path / "mine.jsonl"
    rows = [{"id": "a", "question": "How many organizations make up the GMG?",
             "required_facts": [["10 organizations", "ten organizations"]], "expected_sources": [NOTE]},
            {"id": "b"},
            {"id": "c", "question": "Who won the 2006 FIFA World Cup?", "unanswerable": True}]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    proc = evals_run(env, tmp_path, "--golden", str(questions), "--no-baseline", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == ["skipped line 2: case b: needs `question` or `turns`"]  # the page's words for that row
    assert "mine.jsonl: 2 questions to run, 1 bad row skipped" in proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["cases"] == 2 and results["meta"]["question_set"]
    assert [r["id"] for r in results["systems"]["ours"]["records"]] == ["a", "c"]
    assert re.search(r"2 cases · pass rate: ours \d\.\d{3} \(\d of 2 passed\)", proc.stdout), proc.stdout
