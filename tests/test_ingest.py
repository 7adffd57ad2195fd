"""Ingest into a real Chroma on disk: idempotent, incremental, and tolerant of bad files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from conftest import copy_corpus, make_settings

from assistant.chain import manifest_path
from assistant.embeddings import SentenceEmbeddings
from assistant.indexing import run_ingest
from assistant.store import build_store, collection_name
from ingest.chroma_collection import name_of
from ingest.manifest import Manifest


class CountingEmbeddings(SentenceEmbeddings):
    """The real model, counting how many texts it embeds (to prove unchanged files are not re-embedded)."""

    embedded: int = 0

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture
def workspace(tmp_path):
    return make_settings(tmp_path / "data", copy_corpus(tmp_path / "corpus"))


@pytest.fixture(scope="module")
def counting(embeddings):
    return CountingEmbeddings(model_name=embeddings.model_name, model_id=embeddings.model_id,
                              encode_kwargs=embeddings.encode_kwargs)


def _ids(store) -> set[str]:
    return set(store.get(include=[])["ids"])


def test_reingest_of_unchanged_corpus_embeds_nothing(workspace, counting):
    store = build_store(workspace, counting)
    first = run_ingest(workspace, counting, store)
    ids = _ids(store)
    counting.embedded = 0
    second = run_ingest(workspace, counting, store)
    assert (first.added, second.added, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert counting.embedded == 0 and second.embedded == 0
    assert _ids(store) == ids and len(ids) == first.chunks


def test_changed_file_is_replaced_and_deleted_file_removed(workspace, embeddings):
    store = build_store(workspace, embeddings)
    run_ingest(workspace, embeddings, store)
    note = workspace.corpus_dir / "srsg-gfmd-gmg-coordination-note.txt"
    old_ids = set(store.get(where={"source": note.name}, include=[])["ids"])
    note.write_text(note.read_text(encoding="utf-8") + "\nThe meetings will take place twice a year in Geneva.\n",
                    encoding="utf-8")
    report = run_ingest(workspace, embeddings, store)
    assert (report.updated, report.added, report.unchanged) == (1, 0, 1)
    new = store.get(where={"source": note.name}, include=["documents"])
    assert any("twice a year in Geneva" in d for d in new["documents"])
    assert old_ids - set(new["ids"]), "stale chunks of the old version must be gone"
    assert len(_ids(store)) == report.chunks

    note.unlink()
    report = run_ingest(workspace, embeddings, store)
    assert report.removed == 1
    assert store.get(where={"source": note.name}, include=[])["ids"] == []
    assert len(_ids(store)) == report.chunks


def test_catalog_and_glossary_edits_reach_the_index(workspace, counting):
    """catalog.toml names documents in citations and glossary.toml labels agency sections: editing either
    re-ingests the files it changes (and only those), without re-embedding chunks whose text did not change."""
    store = build_store(workspace, counting)
    run_ingest(workspace, counting, store)
    catalog = workspace.corpus_dir / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace('date = "September 2006"',
                                                                   'date = "12 September 2006"'), encoding="utf-8")
    report = run_ingest(workspace, counting, store)
    assert (report.updated, report.unchanged) == (1, 1)
    dates = {m["date"] for m in store.get(where={"source": "gmg-information-note-2006.txt"},
                                          include=["metadatas"])["metadatas"]}
    assert dates == {"12 September 2006"}
    assert run_ingest(workspace, counting, store).unchanged == 2  # and then it is settled
    good = catalog.read_text(encoding="utf-8")
    catalog.write_text(good + "\n[broken\n", encoding="utf-8")  # a typo must not rewrite the whole index
    counting.embedded = 0
    report = run_ingest(workspace, counting, store)
    assert [f["path"] for f in report.failed] == ["catalog.toml"] and report.unchanged == 2
    assert counting.embedded == 0
    catalog.write_text(good, encoding="utf-8")
    assert run_ingest(workspace, counting, store).unchanged == 2

    glossary = workspace.corpus_dir / "glossary.toml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + '\n[[bodies]]\nname = "GFMD Friends"\n'
                        'full = "Friends of the Global Forum"\n', encoding="utf-8")
    counting.embedded = 0
    report = run_ingest(workspace, counting, store)
    assert report.updated == 2 and report.unchanged == 0  # every file is sectioned again with the new bodies
    assert counting.embedded == 0  # the new body is not in the notes: the same chunks, reused
    assert run_ingest(workspace, counting, store).unchanged == 2


def test_dry_run_reports_without_writing(workspace, embeddings):
    store = build_store(workspace, embeddings)
    report = run_ingest(workspace, embeddings, store, dry_run=True)
    assert report.dry_run and [c["status"] for c in report.changes] == ["added", "added"]
    assert _ids(store) == set()


def test_model_change_uses_a_new_collection(workspace, embeddings):
    other = SentenceEmbeddings(model_name=embeddings.model_name, model_id="test/other-model",
                               encode_kwargs=embeddings.encode_kwargs)
    assert collection_name("gmg", other.model_id) != collection_name("gmg", embeddings.model_id)
    first_store = build_store(workspace, embeddings)
    run_ingest(workspace, embeddings, first_store)
    second_store = build_store(workspace, other)
    report = run_ingest(workspace, other, second_store)
    assert report.added == 2 and report.embedded > 0
    assert name_of(second_store) != name_of(first_store)
    assert len(_ids(first_store)) == len(_ids(second_store))


def test_interrupted_ingest_is_repaired_by_the_next_run(workspace, embeddings):
    """Chunks written but not recorded (a crash before the manifest save) are swept on the next run."""
    store = build_store(workspace, embeddings)
    run_ingest(workspace, embeddings, store)
    clean = _ids(store)
    store.add_texts(["orphan chunk from a crashed run"], [{"source": "gone.txt", "start": 0, "end": 1}],
                    ids=["orphan-1"])
    manifest = Manifest.load(manifest_path(workspace, name_of(store)))
    manifest.dirty = True
    manifest.save()
    report = run_ingest(workspace, embeddings, store)
    assert report.unchanged == 2
    assert _ids(store) == clean


def _pdf_bytes(text: str, encrypt: bool = False) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    if not encrypt:
        return buffer.getvalue()
    writer = PdfWriter()
    for p in PdfReader(io.BytesIO(buffer.getvalue())).pages:
        writer.add_page(p)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _docx_bytes(heading: str, text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=2)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_bad_files_are_reported_and_good_files_ingested(tmp_path, embeddings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("Outside the corpus: must never be read.", encoding="utf-8")
    good = {
        "good.md": b"# Remittances\n\nThe World Bank works on reducing the costs of remittances.\n",
        "good.html": b"<html><body><h2>Refugees</h2><p>UNHCR protects refugees and finds durable solutions "
        b"for them.</p><script>alert(1)</script></body></html>",
        "good.docx": _docx_bytes("Labour", "ILO has dealt with labour migration since 1919."),
        "good.pdf": _pdf_bytes("UNODC supports victims of trafficking and protects witnesses."),
    }
    bad = {
        "empty.txt": b"",
        "binary.txt": bytes(range(256)) * 4,
        "latin1.txt": "Caf\xe9 migration".encode("latin-1"),
        "truncated.pdf": _pdf_bytes("A PDF cut in half.")[:300],
        "encrypted.pdf": _pdf_bytes("Secret text.", encrypt=True),
        "fake.docx": b"PK\x03\x04 not really a zip file",
        "huge.txt": b"word " * 300_000,
    }
    for name, data in {**good, **bad}.items():
        (corpus / name).write_bytes(data)
    (corpus / "notes.xyz").write_text("unknown format", encoding="utf-8")
    os.symlink(outside, corpus / "link.txt")
    settings = make_settings(tmp_path / "data", corpus, max_file_mb=1.0)
    store = build_store(settings, embeddings)
    report = run_ingest(settings, embeddings, store)
    failed = {f["path"] for f in report.failed}
    assert failed == set(bad) | {"link.txt"}
    assert all(f["error"].startswith(f["path"] + " ") for f in report.failed), report.failed
    assert {s["path"] for s in report.skipped} == {"notes.xyz"}
    assert report.added == len(good)
    docs = store.get(include=["documents", "metadatas"])
    sources = {m["source"] for m in docs["metadatas"]}
    assert sources == set(good)
    assert not any("Outside the corpus" in d for d in docs["documents"])
    assert not any("alert(1)" in d for d in docs["documents"])
    pdf_meta = next(m for m in docs["metadatas"] if m["source"] == "good.pdf")
    assert pdf_meta["page"] == 1


def test_ingest_refuses_paths_outside_the_corpus(workspace, embeddings, tmp_path):
    store = build_store(workspace, embeddings)
    with pytest.raises(ValueError, match="outside the corpus"):
        run_ingest(workspace, embeddings, store, [Path(tmp_path)])
