"""Shared fixtures: the real bundled model, loaded once; a real Chroma index of the corpus, built once.

Every fixture that writes uses its own tmp_path_factory folder, so no test depends on another's leftovers.
"""

from __future__ import annotations

import shutil
import socket
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
