"""The `openai:` backend over real HTTP: the stub server in openai_stub.py, driven from the CLI and the app.

Each question is mapped to one scripted reply (stub.cases); every case must end as specified: checked
citations, removed markers, abstention, or the extractive answer with a visible note when the server fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port
from openai_stub import INVENTED, OpenAIStub

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
CASES = {
    "Who handles trafficking victims?": "cited",
    "What is the GFMD?": "bad_marker",
    "What is the GMG?": "uncited",
    "Which agency has worked on labour migration since 1919?": "not_in_docs",
    "Who helps refugees return home?": "error500",
    "What does UNFPA do?": "hang",
    "What does UNCTAD do?": "pwned",
    "What does the World Bank do?": "malformed",
}


@pytest.fixture(scope="module")
def stub():
    with OpenAIStub(hang_s=6) as server:
        yield server


@pytest.fixture
def scripted(stub):
    stub.reset()
    stub.cases = dict(CASES)
    return stub


def llm_env(settings, url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    return {**env, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
            "ASSISTANT_LLM": "openai:test-model", "ASSISTANT_LLM_BASE_URL": url, "ASSISTANT_LLM_API_KEY": "test",
            "ASSISTANT_LLM_TIMEOUT_S": "2", **extra}


def run_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def check_citations(answer: dict, corpus_dir: Path) -> None:
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])} == {c["id"] for c in answer["citations"]}
    for c in [*answer["citations"], *answer["closest"]]:
        text = (corpus_dir / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"] : c["end"]] == c["text"]


def test_cli_json_every_scripted_case_ends_as_specified(scripted, ingested):
    proc = run_cli(llm_env(ingested, scripted.url), "ask", "--json", "-k", "4", *CASES)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    results = {r["question"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert list(results) == list(CASES)
    calls = [r for r in scripted.requests if r["path"] == "/v1/chat/completions"]
    assert len(calls) == len(CASES), "every question passed the evidence gate and reached the model"
    for call in calls:
        assert call["headers"]["authorization"] == "Bearer test"
        assert call["body"]["model"] == "test-model" and call["body"]["stream"]  # silences are timed, not answers
        assert call["body"]["temperature"] == 0
    for r in results.values():
        check_citations(r, ingested.corpus_dir)

    cited = results["Who handles trafficking victims?"]
    assert cited["backend"] == "openai:test-model" and not cited["abstained"] and cited["notes"] == []
    assert cited["answer"].count("[1]") == 1 and cited["answer"].endswith("[2]")
    assert [s["status"] for s in cited["checks"]["sentences"]] == ["supported", "supported"]

    bad = results["What is the GFMD?"]
    assert bad["checks"]["removed_markers"] == [9] and "[9]" not in bad["answer"]
    assert len(bad["citations"]) == 2 and any("[9]" in n for n in bad["notes"])

    uncited = results["What is the GMG?"]
    statuses = [s["status"] for s in uncited["checks"]["sentences"]]
    assert statuses == ["supported", "auto_cited", "unsupported"]
    assert "Moon" not in uncited["answer"] and len(uncited["citations"]) == 2
    assert INVENTED in [s["text"] for s in uncited["checks"]["sentences"]]

    refused = results["Which agency has worked on labour migration since 1919?"]
    assert refused["abstained"] and refused["citations"] == [] and refused["closest"]
    assert refused["answer"].startswith("The documents don't say")

    for question, words in [("Who helps refugees return home?", "HTTP error 500"),
                            ("What does UNFPA do?", "did not answer within 2 s"),
                            ("What does the World Bank do?", "could not be used")]:
        failed = results[question]
        assert failed["backend"] == "extractive" and not failed["abstained"] and failed["citations"], question
        assert failed["notes"][0].startswith("Model unavailable (openai:test-model)") and words in failed["notes"][0]

    pwned = results["What does UNCTAD do?"]
    assert "PWNED" not in pwned["answer"] and pwned["backend"] == "extractive" and "withheld" in pwned["notes"][0]


def test_cli_text_mode_streams_and_replaces_an_interrupted_answer(scripted, ingested):
    scripted.cases = {"Who handles trafficking victims?": "cited", "What does UNFPA do?": "hang_mid"}
    proc = run_cli(llm_env(ingested, scripted.url), "ask", "-k", "4", *scripted.cases)
    assert proc.returncode == 0, proc.stderr
    assert all(r["body"].get("stream") for r in scripted.requests), "text mode streams from the server"
    first, second = proc.stdout.split("Q: What does UNFPA do?")
    assert "Sources:" in first and "[1]" in first and "[2]" in first and "Note:" not in first
    assert "[the model stopped before finishing" in second
    assert "Note: Model unavailable (openai:test-model)" in second and "did not answer within 2 s" in second
    assert "Sources:" in second


def test_cli_follow_up_chat_uses_the_model_rewrite(scripted, app_index):
    scripted.rewrite_reply = "Which protocols is UNODC custodian of?"
    proc = subprocess.run([sys.executable, "-m", "assistant", "chat"], env=llm_env(app_index, scripted.url),
                          input="What does UNODC do?\nWhich protocols is it custodian of?\n", capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "(searched: Which protocols is UNODC custodian of?)" in proc.stdout
    rewrites = [r for r in scripted.requests if "standalone question" in r["body"]["messages"][0]["content"]]
    assert len(rewrites) == 1 and "What does UNODC do?" in rewrites[0]["body"]["messages"][1]["content"]
    assert not rewrites[0]["body"].get("stream"), "the rewrite is one short non-streamed reply"


@pytest.mark.parametrize("mode, fix", [("openai:test-model", "fix ASSISTANT_LLM_BASE_URL"),
                                       ("ollama:llama3.2", "`ollama serve`")])
def test_cli_unreachable_server_gives_the_extractive_answer_and_the_fix(ingested, mode, fix):
    if mode.startswith("ollama"):
        pytest.importorskip("langchain_ollama", reason="the ollama extra is not installed")
    url = f"http://127.0.0.1:{free_port()}" + ("/v1" if mode.startswith("openai") else "")
    proc = run_cli(llm_env(ingested, url, ASSISTANT_LLM=mode), "ask", "--json", "Who handles trafficking victims?")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["backend"] == "extractive" and result["citations"]
    assert "could not be reached" in result["notes"][0] and fix in result["notes"][0]


def test_cli_missing_base_url_is_a_one_line_error(ingested):
    env = llm_env(ingested, "")
    del env["ASSISTANT_LLM_BASE_URL"]
    proc = run_cli(env, "ask", "What is the GMG?")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ASSISTANT_LLM=openai:test-model needs ASSISTANT_LLM_BASE_URL")


# -- the app -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app_index(tmp_path_factory, ingested):
    """A copy of the ingested index (the app writes feedback, `assistant chat` its history, into it)."""
    base = tmp_path_factory.mktemp("llm-app")
    shutil.copytree(ingested.data_dir, base / "data")
    shutil.copytree(ingested.corpus_dir, base / "corpus")
    return ingested.model_copy(update={"data_dir": base / "data", "corpus_dir": base / "corpus"})


@pytest.fixture
def app_env(app_index, scripted, monkeypatch):
    for key, value in llm_env(app_index, scripted.url).items():
        if key.startswith("ASSISTANT_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASSISTANT_TOP_K", "4")
    return scripted


def plain(markdown: str) -> str:
    """What escaped Markdown shows."""
    return re.sub(r"\\(.)", r"\1", markdown)


def app_ask(question: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="answer_mode").value == "openai:test-model"
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    message = at.chat_message[-1]
    assert message.name == "assistant"
    return at, message, at.session_state["messages"][-1]


def test_app_streams_a_checked_model_answer_with_sources(app_env, app_index):
    at, message, turn = app_ask("Who handles trafficking victims?")
    result = turn["result"]
    assert result.backend == "openai:test-model" and turn["settings"]["answer_mode"] == "openai:test-model"
    shown = plain(message.markdown[0].value)
    assert shown == result.answer and "[2]" in shown
    assert any("Written by openai:test-model" in plain(c.value) for c in message.caption)
    texts = [m.value for m in message.markdown]
    assert "**Sources**" in texts
    assert not message.warning
    assert [r["body"].get("stream") for r in app_env.requests] == [True]  # the Agencies view never asks it
    check_citations(result.to_json(), app_index.corpus_dir)


@pytest.mark.parametrize("question, words", [("Who helps refugees return home?", "HTTP error 500"),
                                             ("What does UNFPA do?", "did not answer within 2 s"),
                                             ("What does UNCTAD do?", "withheld")])
def test_app_shows_the_extractive_answer_and_a_warning_when_the_model_fails(app_env, question, words):
    at, message, turn = app_ask(question)
    result = turn["result"]
    assert result.backend == "extractive" and result.citations
    assert message.warning and words in plain(message.warning[0].value)
    assert plain(message.markdown[0].value) == result.answer
    assert "PWNED" not in result.answer


def test_app_model_not_in_documents_is_an_abstention(app_env):
    at, message, turn = app_ask("Which agency has worked on labour migration since 1919?")
    assert turn["result"].abstained
    assert "**You may want to read:**" in [m.value for m in message.markdown]


def test_app_extractive_mode_does_not_call_the_model(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.selectbox(key="answer_mode").set_value("extractive").run()
    at.chat_input[0].set_value("Who handles trafficking victims?").run()
    assert not at.exception, at.exception
    turn = at.session_state["messages"][-1]
    assert turn["result"].backend == "extractive" and turn["result"].citations
    assert app_env.requests == []


def test_app_follow_up_shows_the_model_rewrite(app_env):
    at, _, _ = app_ask("What does UNODC do?")
    app_env.rewrite_reply = "Which protocols is UNODC custodian of?"
    at.chat_input[0].set_value("Which protocols is it custodian of?").run()
    assert not at.exception, at.exception
    message, turn = at.chat_message[-1], at.session_state["messages"][-1]
    assert turn["result"].standalone_question == "Which protocols is UNODC custodian of?"
    assert "Searched: Which protocols is UNODC custodian of?" in [plain(c.value) for c in message.caption]


def test_app_with_an_unusable_llm_setting_says_what_to_fix(app_env, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("ASSISTANT_LLM_BASE_URL")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "needs ASSISTANT_LLM_BASE_URL" in plain(at.error[0].value) and not at.chat_input
