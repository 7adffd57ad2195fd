"""Shared fixtures: the real bundled model, loaded once; a real Chroma index of the corpus, built once.

Every fixture that writes uses its own tmp_path_factory folder, so no test depends on another's leftovers.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.embeddings import build_embeddings
from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def make_settings(data_dir: Path, corpus_dir: Path, **overrides) -> Settings:
    """Settings for a test: explicit folders, never the developer's .env."""
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target)
    return target


def app_index(tmp_path_factory, name: str, embeddings=None, **env: str | None) -> Iterator[Settings]:
    """For a module fixture of app tests (`yield from app_index(...)`): a copy of corpus/ ingested into its own
    data folder, with the app's environment pointing at both (ASSISTANT_DATA_DIR, ASSISTANT_CORPUS_DIR, and
    `env`, where None unsets a variable) until the fixture is torn down. Without `embeddings`, the settings are
    read as the app reads them and the index is built with their embedder."""
    from assistant.indexing import run_ingest
    from assistant.store import build_store

    base = tmp_path_factory.mktemp(name)
    corpus = copy_corpus(base / "corpus")
    patch = pytest.MonkeyPatch()
    patch.setenv("ASSISTANT_DATA_DIR", str(base / "data"))
    patch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    for key, value in env.items():
        patch.delenv(key, raising=False) if value is None else patch.setenv(key, value)
    settings = Settings() if embeddings is None else make_settings(base / "data", corpus)
    embeddings = embeddings if embeddings is not None else build_embeddings(settings)
    report = run_ingest(settings, embeddings, build_store(settings, embeddings))
    assert report.chunks > 0 and not report.failed
    yield settings
    patch.undo()


def fresh_services(tmp_path: Path, embeddings):
    """The app's Services over a copy of corpus/ ingested into its own data folder under `tmp_path`: for tests that
    change the corpus or the glossary under a running app (`services.settings`, `services.store` to do so)."""
    from assistant.indexing import run_ingest
    from assistant.services import Services
    from assistant.store import build_store

    settings = make_settings(tmp_path / "data", copy_corpus(tmp_path / "corpus"))
    store = build_store(settings, embeddings)
    run_ingest(settings, embeddings, store)
    return Services(settings, embeddings, store=store)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_server_at(path: Path, port: int, log: Path) -> Iterator[subprocess.Popen]:
    """A real `chroma run` serving the folder `path` on 127.0.0.1:`port`, answering its heartbeat, until the block
    ends (then stopped). Starting it again with the same path and port is a server restart."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    with log.open("a") as out:
        proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"chroma server did not start: {log.read_text()[-2000:]}")
                    time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture
def chroma_server(tmp_path) -> Iterator[int]:
    """The port of a `chroma run` server over an empty folder (tmp_path/server-data), for one test."""
    port = free_port()
    with chroma_server_at(tmp_path / "server-data", port, tmp_path / "chroma.log"):
        yield port


@pytest.fixture(scope="session")
def embeddings():
    # The reference embedder, sentence-transformers, whether or not the local .data holds an ONNX export.
    return build_embeddings(Settings(_env_file=None, query_embedder="sentence-transformers"))


@pytest.fixture(scope="session")
def ingested(tmp_path_factory, embeddings):
    """Settings of a data folder holding a fresh ingest of a copy of corpus/ (read-only for tests)."""
    from assistant.indexing import run_ingest
    from assistant.store import build_store

    base = tmp_path_factory.mktemp("ingested")
    settings = make_settings(base / "data", copy_corpus(base / "corpus"))
    report = run_ingest(settings, embeddings, build_store(settings, embeddings))
    assert report.added == 2 and not report.failed
    return settings


@pytest.fixture(scope="session")
def assistant(ingested, embeddings):
    from assistant.chain import build_assistant

    return build_assistant(ingested, embeddings=embeddings)
