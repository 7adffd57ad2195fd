"""Two app replicas share only a `chroma run` server: each process has its own data folder (and corpus folder), and
an ingest from either host is seen by both running processes, BM25 included, with no restart (ingest/shared_state.py).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import copy_corpus, make_settings
from test_cli import run_cli

from assistant.services import SERVER_POLL_SECONDS

pytestmark = pytest.mark.server

NEW_NOTE = ("Borrowdale fund\n\nThe Borrowdale fund pays for sign-language interpreters at GMG meetings. "
            "It was set up by the Zentrix working group in 2014.\n")

# A replica: the app's own process-wide Services (what ui/services.py builds once), asked one question per line.
REPLICA = textwrap.dedent("""
    import json, sys
    from assistant.services import Services
    from assistant.settings import Settings
    services = Services(Settings())
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        question, term = json.loads(line)
        assistant = services.current()
        answer = assistant.ask(question)
        hits = assistant.answerer.keyword.search(term, 3)
        sources = [m["source"] for m in assistant.store.get(ids=[i for i, _ in hits])["metadatas"]] if hits else []
        print(json.dumps({"answer": answer.answer, "cited": [c.source for c in answer.citations],
                          "bm25": sources, "revision": assistant.manifest.revision}), flush=True)
""")


class Replica:
    def __init__(self, settings, env: dict):
        full = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
                "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), **env}
        self.proc = subprocess.Popen([sys.executable, "-c", REPLICA], env=full, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._next(180).get("ready")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def _next(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                return json.loads(self.lines.get(timeout=0.5))
            except queue.Empty:
                continue
        self.proc.kill()
        pytest.fail(f"the replica did not answer: {self.proc.stderr.read()[-3000:]}")

    def ask(self, question: str, term: str) -> dict:
        self.proc.stdin.write(json.dumps([question, term]) + "\n")
        self.proc.stdin.flush()
        return self._next(120)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_an_ingest_on_one_host_reaches_both_replicas_through_the_server_alone(tmp_path, chroma_server):
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(chroma_server)}
    host_a = make_settings(tmp_path / "a" / "data", copy_corpus(tmp_path / "a" / "corpus"))
    host_b = make_settings(tmp_path / "b" / "data", copy_corpus(tmp_path / "b" / "corpus"))
    run_cli(host_a, "ingest", "--json", env_extra=env)
    replicas = [Replica(host_a, env), Replica(host_b, env)]
    try:
        for replica in replicas:  # B has never ingested: it took the manifest and texts from the server
            first = replica.ask("Who handles trafficking victims?", "trafficking")
            assert "UNODC" in first["answer"] and first["bm25"], first
        assert list((host_b.data_dir / "texts").glob("*.txt")), "B's citations need the saved texts"

        (host_b.corpus_dir / "borrowdale-fund.txt").write_text(NEW_NOTE, encoding="utf-8")
        report = json.loads(run_cli(host_b, "ingest", "--json", env_extra=env).stdout)  # from the other host
        assert (report["added"], report["removed"]) == (1, 0), report
        time.sleep(SERVER_POLL_SECONDS + 0.5)
        for replica in replicas:  # still running: each sees the new revision on its next question
            after = replica.ask("What does the Borrowdale fund pay for?", "Zentrix")
            assert after["revision"] == first["revision"] + 1
            assert after["cited"][:1] == ["borrowdale-fund.txt"] and "interpreters" in after["answer"], after
            assert after["bm25"][:1] == ["borrowdale-fund.txt"], after  # the keyword index has the new chunks
    finally:
        for replica in replicas:
            replica.close()
    for host in (host_a, host_b):
        assert not (host.data_dir / "chroma").exists(), "server mode must not write a local Chroma folder"
    text = {p.read_text(encoding="utf-8") for p in (host_a.data_dir / "texts").glob("*.txt")}
    assert NEW_NOTE in text, "A holds the new note's text (what its citations open) without ever having the file"
