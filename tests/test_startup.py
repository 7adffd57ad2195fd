"""The query path starts without torch: `python -m assistant ask` and the app, each in a fresh process over an
ingested index (whose ingest exported the ONNX model), and the same printed answers as sentence-transformers'."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "langchain_huggingface", "transformers")


def run_python(code: str, settings, *args: str, env_extra: dict | None = None) -> tuple[dict, str]:
    """Run `code` in a fresh interpreter over the index of `settings`; (the JSON it prints last on stderr, stdout)."""
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_QUERY_EMBEDDER"}  # the default: auto
    env.update(ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir))
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report, proc.stdout


def test_cli_ask_never_imports_torch(ingested):
    from evals.bench.speed import PROBE

    report, stdout = run_python(PROBE, ingested, "Who handles trafficking victims?")
    assert report["exit"] in (0, None)
    assert "UNODC" in stdout and "Sources:" in stdout
    assert report["loaded"]["onnxruntime"] and report["loaded"]["chromadb"]
    assert not [name for name in HEAVY if report["loaded"][name]], report


def test_app_never_imports_torch(ingested):
    code = f"""
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(REPO / "app.py")!r}, default_timeout=300).run()
assert not at.exception, at.exception
at.chat_input[0].set_value("Who handles trafficking victims?").run()
assert not at.exception, at.exception
result = at.session_state["messages"][-1]["result"]
print(result.answer)
print(json.dumps({{name: name in sys.modules for name in {HEAVY!r} + ("onnxruntime",)}}), file=sys.stderr)
"""
    loaded, stdout = run_python(code, ingested)
    assert "UNODC" in stdout
    assert loaded["onnxruntime"] and not [name for name in HEAVY if loaded[name]], loaded


def test_embedding_modules_import_nothing_heavy(ingested):
    code = """
import json, sys
import assistant.embeddings, assistant.onnx_embeddings, assistant.store, assistant.settings
print(json.dumps({name: name in sys.modules for name in ("torch", "sentence_transformers", "langchain_huggingface",
                                                          "transformers", "onnxruntime", "chromadb")}), file=sys.stderr)
"""
    loaded, _ = run_python(code, ingested)
    assert not any(loaded.values()), loaded  # onnxruntime and chromadb load when an embedder or store is built


def test_both_paths_print_the_same_answers(ingested):
    code = """
import json, runpy, sys
sys.argv = ["assistant", "ask", "--json", *sys.argv[1:]]
try:
    runpy.run_module("assistant", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps({"torch": "torch" in sys.modules}), file=sys.stderr)
"""
    questions = ["Who handles trafficking victims?", "Which agency has worked on labour migration since 1919?",
                 "Who won the 2022 World Cup?"]
    fast, fast_out = run_python(code, ingested, *questions)
    slow, slow_out = run_python(code, ingested, *questions,
                                env_extra={"ASSISTANT_QUERY_EMBEDDER": "sentence-transformers"})
    assert not fast["torch"] and slow["torch"]  # the setting really switches the path

    def answers(out: str) -> list[dict]:
        rows = [json.loads(line) for line in out.splitlines()]
        return [{k: row[k] for k in ("answer", "abstained", "citations", "closest")} for row in rows]

    assert answers(fast_out) == answers(slow_out)
    assert len(answers(fast_out)) == len(questions)
