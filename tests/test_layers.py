"""The layers import one way (ingest <- assistant <- evals <- ui) and only ui imports Streamlit: the import-linter
contracts in pyproject.toml, over this code and over small trees that break them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
        "--no-cache"]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(LINT, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_code_keeps_its_layers():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Contracts: 2 kept" in result.stdout, result.stdout  # the layers, and Streamlit only in ui


def test_the_layers_cover_every_package_and_ui_may_run_evals():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_packages"] == ["ingest", "assistant", "evals", "ui"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    assert layers == ["ui", "evals", "assistant", "ingest"]  # one above the other: ui may import evals, not back
    [forbidden] = [c for c in config["contracts"] if c["type"] == "forbidden"]
    assert sorted(forbidden["source_modules"]) == ["assistant", "evals", "ingest"]
    assert forbidden["forbidden_modules"] == ["streamlit"]


@pytest.mark.parametrize("module, source, broken", [
    ("ingest/loaders.py", "import assistant\n", "ingest.loaders -> assistant"),
    ("assistant/chain.py", "import evals\n", "assistant.chain -> evals"),
    ("evals/runner.py", "import ui\n", "evals.runner -> ui"),
    ("assistant/auth.py", "def form():\n    import streamlit\n", "assistant.auth -> streamlit"),
    ("evals/page.py", "import streamlit as st\n", "evals.page -> streamlit"),
    ("ingest/pipeline.py", "from streamlit import progress\n", "ingest.pipeline -> streamlit"),
])
def test_the_contracts_catch_an_import_against_the_layers(tmp_path, module, source, broken):
    """The same contracts over a tree with one import against them: broken, so the first test can fail."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "ui" / "chat.py").write_text("import streamlit\nimport evals\nimport assistant\n")  # allowed
    (tmp_path / module).write_text(source)
    lines = [f"root_packages = {config['root_packages']!r}".replace("'", '"'), "include_external_packages = true"]
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in contract.items()]
    (tmp_path / "pyproject.toml").write_text("[tool.importlinter]\n" + "\n".join(lines) + "\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "1 kept, 1 broken" in result.stdout, result.stdout  # ui's own imports break nothing
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout
