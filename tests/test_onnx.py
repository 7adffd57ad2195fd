"""The ONNX query embedder against the sentence-transformers reference: the same vectors, token counts and
collection, and the same retrieved chunks and answers on the whole golden set; the export and its freshness."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, make_settings

from assistant.embeddings import BUNDLED_ID, build_embeddings, ensure_onnx_export, onnx_dir, resolve_model
from assistant.onnx_embeddings import MODEL_FILE, OnnxEmbeddings, export_status, read_meta
from assistant.onnx_export import MIN_CHECK_COSINE
from assistant.settings import Settings
from assistant.store import collection_name


@pytest.fixture(scope="module")
def reference(embeddings):
    """The sentence-transformers embedder (conftest's, unless the local .data already holds an ONNX export)."""
    from assistant.embeddings import SentenceEmbeddings

    if isinstance(embeddings, SentenceEmbeddings):
        return embeddings
    return build_embeddings(Settings(_env_file=None, query_embedder="sentence-transformers"))


@pytest.fixture(scope="module")
def onnx(ingested):
    emb = build_embeddings(ingested.model_copy(update={"query_embedder": "onnx"}))
    assert isinstance(emb, OnnxEmbeddings)
    return emb


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return Path(resolve_model(Settings(_env_file=None))[0])


def corpus_sentences(limit: int = 250) -> list[str]:
    """The corpus's sentences, then some of them with the next one (longer inputs, towards the 256-token limit)."""
    sentences = []
    for path in sorted(CORPUS.glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            sentences += [s.strip() for s in re.split(r"(?<=[.!?;:])\s+", block) if len(s.split()) >= 2]
    pairs = [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]
    return list(dict.fromkeys(sentences + pairs))[:limit]


def golden_questions() -> list[str]:
    from evals.golden_io import load_golden

    return list(dict.fromkeys(turn for case in load_golden() for turn in case.turns))


def test_ingest_exports_the_model_and_auto_picks_it(ingested, model_dir, reference):
    folder = onnx_dir(ingested)
    assert export_status(folder, model_dir) is None
    meta = read_meta(folder)
    assert meta["model_id"] == BUNDLED_ID and meta["check_min_cosine"] >= MIN_CHECK_COSINE
    assert {"model.onnx", "tokenizer.json", "config.json", "vocab.txt", "export.json"} <= set(os.listdir(folder))
    auto = build_embeddings(ingested)  # ASSISTANT_QUERY_EMBEDDER=auto, the default
    assert isinstance(auto, OnnxEmbeddings)
    assert auto.model_id == reference.model_id  # hence the same Chroma collection
    assert collection_name("gmg", auto.model_id) == collection_name("gmg", reference.model_id)


def test_vectors_and_token_counts_agree(reference, onnx):
    sentences, questions = corpus_sentences(), golden_questions()
    assert len(sentences) >= 240 and len(questions) >= 100
    odd = ["", "?", "  leading and trailing  ", "line one\nline two", " ".join(["migration"] * 400)]
    texts = sentences + odd
    a = np.asarray(reference.embed_documents(texts))
    b = np.asarray(onnx.embed_documents(texts))
    assert a.shape == b.shape
    cosine = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() >= 0.9999, [texts[i] for i in np.argsort(cosine)[:3]]
    q_ref = np.asarray(reference.embed_documents(questions))  # batched: embed_query one by one is slow on torch
    q_onnx = np.asarray([onnx.embed_query(q) for q in questions])
    assert ((q_ref * q_onnx).sum(axis=1)).min() >= 0.9999
    for q in questions[:10]:
        assert np.dot(reference.embed_query(q), onnx.embed_query(q)) >= 0.9999
    assert np.allclose(np.linalg.norm(q_onnx, axis=1), 1.0, atol=1e-5)
    for text in texts + questions:
        assert onnx.count_tokens(text) == reference.count_tokens(text), text


@pytest.fixture(scope="module")
def reference_trace(ingested, reference):
    """The golden set through the reference path: sentence-transformers index, sentence-transformers queries."""
    from assistant.chain import build_assistant
    from evals.bench.speed import golden_trace
    from evals.golden_io import load_golden

    trace = golden_trace(build_assistant(ingested, embeddings=reference), load_golden())
    assert len(trace) > 100
    return trace


def test_golden_set_same_chunks_and_answers(ingested, onnx, reference_trace):
    """ONNX queries over the same index: the same retrieved chunk ids, answers, citations on every case."""
    from assistant.chain import build_assistant
    from evals.bench.speed import golden_trace, trace_differences
    from evals.golden_io import load_golden

    got = golden_trace(build_assistant(ingested, embeddings=onnx), load_golden())
    assert trace_differences(reference_trace, got) == []


def test_golden_set_same_with_an_index_built_by_onnx(onnx, reference_trace, tmp_path):
    """The app re-ingests with the embedder it has (ONNX): that index answers the same as the reference too."""
    from assistant.chain import build_assistant
    from assistant.indexing import run_ingest
    from assistant.store import build_store
    from evals.bench.speed import golden_trace, trace_differences
    from evals.golden_io import load_golden

    settings = make_settings(tmp_path / "data", shutil.copytree(CORPUS, tmp_path / "corpus"))
    report = run_ingest(settings, onnx, build_store(settings, onnx))
    assert report.added == 2 and not report.failed
    got = golden_trace(build_assistant(settings, embeddings=onnx), load_golden())
    assert trace_differences(reference_trace, got) == []


def test_embedder_is_thread_safe(onnx):
    texts = corpus_sentences(40)
    expected = onnx.embed_documents(texts)
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = onnx.embed_documents(texts[n:] + texts[:n])
        onnx.embed_query(f"thread {n}: who handles trafficking victims?")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, vectors in results.items():
        assert np.allclose(vectors, expected[n:] + expected[:n], atol=1e-6)


def _fake_model_dir(source: Path, target: Path) -> Path:
    """The bundled model's files, symlinked (config.json copied, so a test can change it)."""
    for path in source.rglob("*"):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(source)).symlink_to(path)
    (target / "config.json").unlink()
    shutil.copy2(source / "config.json", target / "config.json")
    return target


def test_export_status_follows_the_weights(ingested, model_dir, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(onnx_dir(ingested), folder)
    fake = _fake_model_dir(model_dir, tmp_path / "model")
    assert export_status(folder, fake) is None  # same files (sizes and times): fresh, without hashing
    config = fake / "config.json"
    text = config.read_text()
    config.write_text(text)  # same content, new time (a reinstall): fresh, and remembered
    assert export_status(folder, fake) is None
    assert read_meta(folder)["source_stat"]["config.json"][1] == config.stat().st_mtime_ns
    config.write_text(text.replace('"hidden_act": "gelu"', '"hidden_act": "relu"'))  # other weights
    assert export_status(folder, fake) == "the model weights changed since the ONNX export"
    assert export_status(tmp_path / "nothing", fake) == "no ONNX export yet"
    with (folder / MODEL_FILE).open("r+b") as f:
        f.truncate(1000)
    assert export_status(folder, model_dir) == "the ONNX export is incomplete"


class FakeSentenceEmbeddings:
    """Stands in for SentenceEmbeddings where a test only checks which embedder the factory picks."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.model_id = kwargs["model_id"]


def test_factory_choices(ingested, tmp_path, monkeypatch):
    import assistant.embeddings as module

    monkeypatch.setattr(module, "SentenceEmbeddings", FakeSentenceEmbeddings, raising=False)
    empty = make_settings(tmp_path / "empty", ingested.corpus_dir)
    assert isinstance(build_embeddings(empty), FakeSentenceEmbeddings)  # auto, no export: the reference
    forced = ingested.model_copy(update={"query_embedder": "sentence-transformers"})
    assert isinstance(build_embeddings(forced), FakeSentenceEmbeddings)  # even with an export
    assert isinstance(build_embeddings(ingested), OnnxEmbeddings)
    other = ingested.model_copy(update={"embedding_model": str(tmp_path), "query_embedder": "auto"})
    assert isinstance(build_embeddings(other), FakeSentenceEmbeddings)  # not MiniLM: sentence-transformers
    with pytest.raises(RuntimeError, match="bundled"):
        build_embeddings(other.model_copy(update={"query_embedder": "onnx"}))
    damaged = make_settings(tmp_path / "damaged", ingested.corpus_dir)
    shutil.copytree(onnx_dir(ingested), onnx_dir(damaged))
    (onnx_dir(damaged) / MODEL_FILE).write_bytes(b"not a model")
    assert isinstance(build_embeddings(damaged), FakeSentenceEmbeddings)  # a damaged export is not used


def test_an_onnx_embedder_seeds_another_data_folder(onnx, tmp_path, model_dir):
    settings = make_settings(tmp_path / "data", tmp_path / "corpus")
    folder = ensure_onnx_export(settings, onnx)  # linked from the embedder's own export, not re-traced
    assert folder == onnx_dir(settings) and export_status(folder, model_dir) is None
    assert np.allclose(OnnxEmbeddings(folder, BUNDLED_ID).embed_query("What is the GFMD?"),
                       onnx.embed_query("What is the GFMD?"), atol=1e-6)
    assert ensure_onnx_export(settings.model_copy(update={"query_embedder": "sentence-transformers"}), onnx) is None


def test_export_json_is_readable(ingested):
    meta = json.loads((onnx_dir(ingested) / "export.json").read_text())
    assert meta["max_seq_length"] == 256 and meta["dimension"] == 384 and meta["format"] == 1
