"""Ingest and ask through a real `chroma run` server on a free loopback port (ASSISTANT_CHROMA_HOST)."""

from __future__ import annotations

import json

import pytest
from conftest import copy_corpus, free_port, make_settings
from test_cli import run_cli

pytestmark = pytest.mark.server


def test_ingest_and_ask_through_a_chroma_server(tmp_path, chroma_server):
    settings = make_settings(tmp_path / "data", copy_corpus(tmp_path / "corpus"))
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(chroma_server)}
    first = json.loads(run_cli(settings, "ingest", "--json", env_extra=env).stdout)
    assert first["added"] == 2 and first["chunks"] > 0
    assert not (settings.data_dir / "chroma").exists(), "server mode must not write a local Chroma folder"
    answer = json.loads(run_cli(settings, "ask", "--json", "Who handles trafficking victims?", env_extra=env).stdout)
    assert "UNODC" in answer["answer"] and answer["citations"]
    again = json.loads(run_cli(settings, "ingest", "--json", env_extra=env).stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)


@pytest.mark.parametrize("command", [["ask", "What is the GMG?"], ["ingest"]])
def test_unreachable_server_gives_a_clear_error(tmp_path, command):
    settings = make_settings(tmp_path / "data", copy_corpus(tmp_path / "corpus"))
    port = free_port()
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)}
    proc = run_cli(settings, *command, env_extra=env, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr  # one line
    assert f"Cannot reach the Chroma server at 127.0.0.1:{port}" in proc.stderr and "make chroma-server" in proc.stderr
