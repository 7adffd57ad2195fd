"""The README stays in step with the code: every setting and every CLI command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.cli import app
from assistant.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_table(field):
    assert re.search(rf"^\| `ASSISTANT_{field.upper()}` \|", README, re.M), f"ASSISTANT_{field.upper()} missing"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_described(field):
    assert Settings.model_fields[field].description, f"{field} has no description"


@pytest.mark.parametrize("command", [c.name for c in app.registered_commands])
def test_every_cli_command_is_in_the_readme(command):
    assert f"assistant {command}" in README


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("doc", ["README.md", "Makefile", "ui/data/tour.toml"])
def test_every_python_file_named_in_the_docs_exists(doc):
    """A module that moved or went away (as evals/page.py did, into ui/evaluate.py) is not named in the docs, nor in
    the tour's data file, whose header says which test guards it."""
    root = Path(__file__).resolve().parents[1]
    text = (root / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w./-])((?:ui|evals|assistant|ingest|tests)/[\w/.-]*\.py|app\.py)\b", text))
    assert named, f"{doc} names no Python file: the pattern is wrong"
    assert not [p for p in sorted(named) if not (root / p).is_file()]
