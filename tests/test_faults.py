"""Faults the assistant must survive, each with the real CLI or app, real Chroma (on disk or a `chroma run` server)
and the real model: the server restarted under a running app, the server unreachable at start, the disk full
during an ingest, a damaged Chroma folder. Each must end in one line that says what to do, never a traceback, and
must not cost the index: the previous one answers, and the next ingest (or `ingest --rebuild`) repairs it.

Every test works on a copy of the session's ingested index (`ingested`), so none ingests the corpus from scratch.
"""

from __future__ import annotations

import json
import resource
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import chroma_server_at, free_port, make_settings
from streamlit.testing.v1 import AppTest
from test_cli import run_cli
from test_crash import differences, snapshot

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 120
QUESTIONS = ("Who handles trafficking victims?", "Which agency has worked on labour migration since 1919?",
             "Who trains harbour pilots?")
# A file added to the corpus, so that the next ingest has chunks to write (and a disk to fill).
NEW_FILE = "harbour-pilots.txt", "\n\n".join(
    ["Harbour pilots", "The Harbour Pilots Guild trains pilots for the port of Ostrava. It was founded in 1911 and "
     "certifies forty pilots a year."]
    + [f"Section {n}. The guild's course {n} covers tides, berths and radio procedure for pilots in their "
       f"year {n}, with {n + 2} supervised passages before the examination board meets." for n in range(1, 40)])


def index_copy(ingested, target: Path, chroma: bool = True):
    """Settings over a writable copy of the session's ingested index and its corpus (without the local Chroma
    folder when a server is to serve it)."""
    ignore = None if chroma else shutil.ignore_patterns("chroma")
    shutil.copytree(ingested.data_dir, target / "data", ignore=ignore)
    return make_settings(target / "data", shutil.copytree(ingested.corpus_dir, target / "corpus"))


def one_line_error(proc) -> str:
    """The CLI's failure: exit 1, a single `error:` line on stderr, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-3000:]
    return lines[0]


def app_env(monkeypatch, settings, **env: str) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def app_error(at: AppTest) -> str:
    """The one error the app shows instead of starting (no exception, no chat box)."""
    assert not at.exception, at.exception
    assert len(at.error) == 1 and not at.chat_input
    return at.error[0].value.replace("\\", "")  # shown as escaped Markdown


def ask(at: AppTest, question: str) -> dict:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at.session_state["messages"][-1]


# -- the Chroma server ------------------------------------------------------------------------------------------

@pytest.mark.server
def test_server_restart_under_the_running_app(ingested, tmp_path, monkeypatch):
    """The app's own Services (built once by its st.cache_resource) over a `chroma run` server; the server stops:
    a question is one error line; the server starts again on the same port and folder: the next question answers
    through the same Services, no app restart."""
    settings = index_copy(ingested, tmp_path, chroma=False)
    served = shutil.copytree(ingested.data_dir / "chroma", tmp_path / "server-data")
    port, log = free_port(), tmp_path / "chroma.log"
    app_env(monkeypatch, settings, ASSISTANT_CHROMA_HOST="127.0.0.1", ASSISTANT_CHROMA_PORT=str(port))
    with chroma_server_at(served, port, log):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        assert not at.exception, at.exception
        services = at.session_state["page_context"].services
        assert "UNODC" in ask(at, QUESTIONS[0])["result"].answer
    started = time.perf_counter()
    down = ask(at, QUESTIONS[1])
    down_seconds = time.perf_counter() - started
    assert down["result"] is None and "\n" not in down["error"]
    assert f"Chroma server at 127.0.0.1:{port}" in down["error"] and "make chroma-server" in down["error"]
    with chroma_server_at(served, port, log):
        started = time.perf_counter()
        again = ask(at, QUESTIONS[1])
        seconds = time.perf_counter() - started
    assert again["error"] is None and "ILO" in again["result"].answer and again["result"].citations
    assert at.session_state["page_context"].services is services  # the same objects: nothing was rebuilt
    print(f"\nserver down: error shown in {down_seconds:.2f} s; first question after the restart answered in "
          f"{seconds:.2f} s")


def test_unreachable_server_at_start_stops_the_app_with_one_line(ingested, tmp_path, monkeypatch):
    settings = index_copy(ingested, tmp_path, chroma=False)
    port = free_port()
    app_env(monkeypatch, settings, ASSISTANT_CHROMA_HOST="127.0.0.1", ASSISTANT_CHROMA_PORT=str(port))
    shown = app_error(AppTest.from_file(APP, default_timeout=TIMEOUT).run())
    assert f"Cannot reach the Chroma server at 127.0.0.1:{port}" in shown and "make chroma-server" in shown
    assert "\n" not in shown


# -- a full disk --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_grown(tmp_path_factory, embeddings):
    """A clean ingest of corpus/ plus NEW_FILE: what an ingest repaired after a full disk must equal."""
    from assistant.indexing import run_ingest
    from assistant.store import build_store

    base = tmp_path_factory.mktemp("clean-grown")
    corpus = shutil.copytree(ROOT / "corpus", base / "corpus")
    (corpus / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")
    settings = make_settings(base / "data", corpus, query_embedder="sentence-transformers")
    assert run_ingest(settings, embeddings, build_store(settings, embeddings)).added == 3
    return settings


def _size_limit(limit: int):
    """For preexec_fn: writes past `limit` bytes fail with EFBIG (SIGXFSZ ignored), as on a full disk."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _answers(settings, embeddings) -> list[dict]:
    from assistant.chain import build_assistant

    assistant = build_assistant(settings, embeddings=embeddings)
    return [{k: v for k, v in assistant.ask(q).to_json().items() if k != "timings_ms"} for q in QUESTIONS]


@pytest.mark.parametrize("where", ["at-open", "mid-upsert", "compaction"])
def test_disk_full_during_ingest(ingested, clean_grown, embeddings, tmp_path, where):
    """`ingest` under a file-size limit: at open, Chroma's first write fails; mid-upsert, the index may not grow,
    so the new file's chunks fail after the run began writing (the manifest marked dirty); with a little room,
    the chunks reach Chroma's log and its compactor fails, naming no cause (once seen in CI as "looks damaged").
    One error line; the previous index answers; the next ingest without the limit equals a clean ingest, answers
    included."""
    settings = index_copy(ingested, tmp_path)
    (settings.corpus_dir / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")
    room = {"at-open": None, "mid-upsert": 0, "compaction": 16384}[where]
    limit = 2048 if room is None else (settings.data_dir / "chroma" / "chroma.sqlite3").stat().st_size + room
    full = run_cli(settings, "ingest", "--json", check=False, preexec_fn=_size_limit(limit))
    line = one_line_error(full)
    assert "disk is full" in line and "run `assistant ingest` again" in line
    manifest = json.loads(next((settings.data_dir / "manifests").glob("*.json")).read_text())
    assert manifest["dirty"] is (where != "at-open")
    before = json.loads(run_cli(settings, "ask", "--json", QUESTIONS[0]).stdout)
    assert "UNODC" in before["answer"] and before["citations"]
    repaired = json.loads(run_cli(settings, "ingest", "--json").stdout)
    assert repaired["added"] == 1 and repaired["failed"] == []
    assert differences(snapshot(embeddings, settings.data_dir, settings.corpus_dir),
                       snapshot(embeddings, clean_grown.data_dir, clean_grown.corpus_dir)) == []
    assert _answers(settings, embeddings) == _answers(clean_grown, embeddings)


def test_a_full_disk_deep_inside_a_long_chroma_message_is_still_a_full_disk(tmp_path):
    """A cause past the first 200 characters of a chain of causes still decides; the line shown keeps the head and
    the innermost cause. With no disk words and a folder that takes writes, the index looks damaged."""
    from chromadb.errors import InternalError

    from assistant.store import store_failure

    settings = make_settings(tmp_path / "data", tmp_path / "corpus")
    chain = "Error in compaction: " + "Failed to apply logs to the metadata segment: " * 6
    line = str(store_failure(settings, InternalError(chain + "(code: 778) disk I/O error")))
    assert "the disk is full" in line and "disk I/O error" in line and "Error in compaction" in line
    assert len(line) < 500 and "\n" not in line
    damaged = str(store_failure(settings, InternalError(chain + "malformed database schema")))
    assert "looks damaged" in damaged and "malformed database schema" in damaged


def test_a_disk_or_limit_with_little_room_left_is_a_full_disk(tmp_path):
    """A limit a little above the largest file passes the one-byte probe, yet Chroma's next batch fails (the review
    saw "looks damaged" with 68-108 KB of room): room under WRITE_ROOM on the disk or under the limit is a full disk.
    Asked in a child process, whose file-size limit the test can set."""
    import subprocess
    import sys

    (tmp_path / "chroma.sqlite3").write_bytes(b"\0" * 4096)
    check = ("import resource, signal, sys; from pathlib import Path; from assistant.store import _disk_refuses_writes;"
             "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); limit = int(sys.argv[2]);"
             "limit and resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY));"
             "print(_disk_refuses_writes(Path(sys.argv[1])))")
    for limit, full in ((0, False), (1 << 20, True), (1 << 30, False)):
        out = subprocess.run([sys.executable, "-c", check, str(tmp_path), str(limit)], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout.strip()
        assert out == str(full), (limit, out)
    assert [p.name for p in tmp_path.iterdir()] == ["chroma.sqlite3"]  # the probe left nothing behind


# -- a damaged Chroma folder ----------------------------------------------------------------------------------

def damage(chroma: Path, how: str) -> None:
    sqlite = chroma / "chroma.sqlite3"
    if how == "garbage":  # the whole file overwritten: not a database any more
        sqlite.write_bytes(bytes(range(256)) * (sqlite.stat().st_size // 256))
    elif how == "truncated":  # cut in half: the schema's pages are gone
        with sqlite.open("r+b") as f:
            f.truncate(sqlite.stat().st_size // 2)
    elif how == "folder-is-a-file":
        shutil.rmtree(chroma)
        chroma.write_text("not a folder")


@pytest.mark.parametrize("how", ["garbage", "truncated", "folder-is-a-file"])
def test_damaged_index_names_the_rebuild(ingested, tmp_path, how):
    settings = index_copy(ingested, tmp_path)
    damage(settings.chroma_dir, how)
    for command in (["ask", QUESTIONS[0]], ["ingest"]):
        line = one_line_error(run_cli(settings, *command, check=False))
        assert "looks damaged" in line and "run `assistant ingest --rebuild`" in line, line


def test_ingest_rebuild_sets_the_damaged_folder_aside_and_answers(ingested, embeddings, tmp_path):
    settings = index_copy(ingested, tmp_path)
    damage(settings.chroma_dir, "garbage")
    damaged = (settings.chroma_dir / "chroma.sqlite3").read_bytes()
    rebuilt = run_cli(settings, "ingest", "--rebuild", "--json")
    report = json.loads(rebuilt.stdout)
    assert report["chunks"] > 0 and report["failed"] == [] and "moved to" in rebuilt.stderr
    aside = list(settings.data_dir.glob("chroma.damaged-*"))
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").read_bytes() == damaged  # kept as it was
    answer = json.loads(run_cli(settings, "ask", "--json", QUESTIONS[0]).stdout)
    assert "UNODC" in answer["answer"] and answer["citations"]
    assert differences(snapshot(embeddings, settings.data_dir, settings.corpus_dir),
                       snapshot(embeddings, ingested.data_dir, ingested.corpus_dir)) == []


def test_damaged_index_stops_the_app_with_one_line(ingested, tmp_path, monkeypatch):
    settings = index_copy(ingested, tmp_path)
    damage(settings.chroma_dir, "garbage")
    app_env(monkeypatch, settings)
    shown = app_error(AppTest.from_file(APP, default_timeout=TIMEOUT).run())
    assert "could not start" in shown and "looks damaged" in shown and "assistant ingest --rebuild" in shown
    assert "\n" not in shown
