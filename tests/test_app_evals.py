"""The app's evaluator page, driven with AppTest over a real index: run the golden evaluation (a small subset,
ours and the baseline), read the report with its plots, drill into a question."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import app_index
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 300


@pytest.fixture(scope="module")
def env(tmp_path_factory, embeddings):
    yield from app_index(tmp_path_factory, "app-evals", embeddings)


def evaluator() -> AppTest:
    """The app opened on its default page (Chat), then the Evaluate page picked in the navigation."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.chat_input and at.title[0].value == "GMG notes assistant"
    at.switch_page("ui/pages/evaluate.py").run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    kinds = ("markdown", "subheader", "caption", "error", "success", "info", "warning")
    parts = [e.value for kind in kinds for e in at.get(kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # Markdown escapes removed


def test_evaluator_page_runs_a_subset_and_drills_into_a_question(env):
    at = evaluator()
    assert at.title[0].value == "Evaluate answer quality"
    assert not at.chat_input  # the chat is another page
    at.number_input(key="eval_limit").set_value(3)
    at.multiselect(key="eval_kinds").set_value(["lookup"])
    next(b for b in at.button if b.label == "Run the evaluation").click().run()
    assert not at.exception, at.exception
    assert any("Evaluation finished" in s.value for s in at.success), text_of(at)
    [run] = sorted((env.data_dir / "eval-runs").glob("*/results.json"))
    assert {p.name for p in run.parent.iterdir()} >= {"results.json", "report.md", "report.html"}
    results = json.loads(run.read_text())
    assert set(results["systems"]) == {"ours", "baseline"} and results["meta"]["cases"] == 3
    assert {r["kind"] for r in results["systems"]["ours"]["records"]} == {"lookup"}
    assert at.selectbox(key="eval_report_pick").value == run
    assert "A subset of the golden set" in text_of(at)
    summary = next(d.value for d in at.dataframe if "metric" in d.value.columns
                   and any(str(c).startswith("ours") for c in d.value.columns))
    columns = list(summary.columns)  # each system per split of the cases run: "ours tune", "ours test", …
    assert columns[0] == "metric" and "case pass rate" in set(summary["metric"])
    assert any(c.startswith("ours ") for c in columns) and any(c.startswith("baseline ") for c in columns)
    assert len(at.get("image")) == 3  # per-kind bars, latency histogram, abstention confusion
    assert {b.label for b in at.get("download_button")} >= {"results.json", "report.md", "report.html"}

    at.segmented_control(key="eval_filter").set_value("all").run()
    assert not at.exception, at.exception
    ids = [r["id"] for r in results["systems"]["ours"]["records"]]
    assert at.selectbox(key="eval_case").options == [f"{i}: " + r["turns"][-1][:90] for i, r in zip(
        ids, results["systems"]["ours"]["records"], strict=True)]
    record = next(r for r in results["systems"]["ours"]["records"] if r["required_facts"])
    at.selectbox(key="eval_case").set_value(record["id"]).run()
    page = text_of(at)
    assert record["turns"][-1] in page
    assert "#### ours" in page and "#### baseline" in page
    assert ("Passed" in page) or any(f in page for f in record["failures"])
    assert ("✓" in page or "✗" in page)
    next(b for b in at.button if b.label == "Ask it in the chat").click().run()
    assert not at.exception, at.exception
    assert at.chat_input and at.session_state["messages"][-1]["question"] == record["turns"][-1]


def test_the_old_view_link_opens_the_evaluate_page(env):
    """?view=evaluate (the address of the former "View" switch) still lands on the Evaluate page."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["view"] = "evaluate"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Evaluate answer quality" and not at.chat_input
    assert "view" not in at.query_params


def test_an_unusable_golden_file_is_an_error_not_a_crash(env, monkeypatch):
    from ui import evaluate as page

    golden = env.data_dir.parent / "golden"
    golden.mkdir(exist_ok=True)
    (golden / "gmg.jsonl").write_text((page.DEFAULT_GOLDEN).read_text(encoding="utf-8"), encoding="utf-8")
    (golden / "drafts.jsonl").write_text('{"id": "draft-1", "turns": ["half written"]\n', encoding="utf-8")
    monkeypatch.setattr(page, "GOLDEN_DIR", golden)
    at = evaluator()
    at.selectbox(key="eval_golden").set_value(golden / "drafts.jsonl").run()
    assert not at.exception, at.exception
    assert "drafts.jsonl cannot be used" in text_of(at) and "not JSON" in text_of(at)
    assert not [b for b in at.button if b.label == "Run the evaluation"]  # nothing to run with a broken file


def test_a_judged_report_shows_its_trend_section(env):
    """A results.json with the --judge section (as `python -m evals run --judge` writes it) shows it as a trend."""
    [run] = sorted((env.data_dir / "eval-runs").glob("*/results.json"))
    results = json.loads(run.read_text())
    results["judge"] = {"backend": "openai:stub", "runs": 2, "answers": 3, "faithfulness": 0.75,
                        "answer_relevancy": 0.61, "failed_judgements": 1, "error": None, "per_question": {},
                        "per_run": [{"run": 1, "faithfulness": 0.7, "answer_relevancy": 0.6, "failed": 1},
                                    {"run": 2, "faithfulness": 0.8, "answer_relevancy": 0.62, "failed": 0}]}
    judged = run.parent.parent / "99999999T999999999999Z" / "results.json"  # sorts first: the newest
    judged.parent.mkdir()
    judged.write_text(json.dumps(results))
    at = evaluator()
    page = text_of(at)
    assert "LLM-judged (trend only, not gated)" in page and "openai:stub" in page
    assert at.selectbox(key="eval_compare_pick").value == run  # the earlier run, compared with this one
    deltas = next(d.value for d in at.dataframe if "Δ (B − A)" in d.value.columns)
    assert set(deltas["Δ (B − A)"]) <= {"+0.000", ""}  # the same answers: nothing moved
    assert "Fixed (0): none" in page and "Broken (0): none" in page
    table = next(d.value for d in at.dataframe if "run 2" in d.value.columns)
    assert list(table["mean"])[:2] == ["0.750", "0.610"]
