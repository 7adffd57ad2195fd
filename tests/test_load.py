"""A short load test (the full one is `make load-test`): 4 sessions x 5 questions on one shared assistant while
the corpus is re-ingested into the same store. No errors, no hung sessions, every citation resolves."""

from __future__ import annotations

import json

import pytest

from evals.bench.load import run


def test_concurrent_sessions_during_a_reingest(tmp_path, embeddings):
    result = run(sessions=4, questions=5, reingests=1, work=tmp_path, timeout_s=600, embeddings=embeddings,
                 query_embedder="sentence-transformers")
    print(f"\nload: {result['answers']} answers in {result['seconds']} s, p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms; citations {result['citations_resolved']} resolved, "
          f"{result['citations_replaced_during_ingest']} replaced during the re-ingest; "
          f"re-ingest {result['reingests']}")
    assert result["errors"] == 0, result["error_samples"]
    assert not result["hung_threads"]
    assert result["answers"] == 20
    assert result["citations"] > 0 and result["citations_unresolved"] == 0, result["unresolved_samples"]
    assert len(result["reingests"]) == 1 and result["reingests"][0]["embedded"] > 0
    assert result["assistant_builds"] >= 2  # rebuilt after the re-ingest, as the app does


def test_concurrent_bm25_builds_of_one_revision_share_the_folder_safely(tmp_path, ingested, embeddings, monkeypatch):
    """App replicas and a CLI ingest may ask for the same revision's BM25 index at once: one builds it under the
    folder's file lock, the others wait and load its copy, nobody fails; older revisions and the temporary
    folders of crashed builds go."""
    import threading

    from assistant.retrieval import KeywordIndex
    from assistant.store import build_store

    store = build_store(ingested, embeddings)
    directory = tmp_path / "bm25"
    directory.mkdir()
    for folder in (".rev-6.deadbeef.tmp", ".rev-7.cafecafe.tmp", "rev-5", "rev-6.tmp"):
        (directory / folder).mkdir()
    built = []
    real_build = KeywordIndex.build  # counted, not replaced: every build is the real one

    def counting_build(cls, texts, ids):
        built.append(len(ids))
        return real_build(texts, ids)

    monkeypatch.setattr(KeywordIndex, "build", classmethod(counting_build))

    barrier, results, errors = threading.Barrier(8), [], []

    def build():
        try:
            barrier.wait()
            results.append(KeywordIndex.load_or_build(store, directory, 7))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 8 and all(sorted(r.ids) == sorted(results[0].ids) for r in results)
    assert results[0].ids and results[0].search("trafficking victims", 3)
    assert len(built) == 1  # one thread built it; the others waited on the lock and loaded its copy
    assert sorted(p.name for p in directory.iterdir()) == ["rev-7"]
    again = KeywordIndex.load_or_build(store, directory, 7)  # loaded from disk, same ids
    assert again.ids == json.loads((directory / "rev-7" / "ids.json").read_text())


def test_sessions_keep_answering_while_another_rebuilds_the_assistant(tmp_path, embeddings):
    """After a re-ingest elsewhere (the CLI, another replica), one session rebuilds the shared assistant; the
    others get the one they had at once instead of queueing behind the build, then the new one."""
    import threading

    from conftest import fresh_services

    from assistant.indexing import run_ingest

    services = fresh_services(tmp_path, embeddings)
    settings, store = services.settings, services.store
    old = services.current()
    note = settings.corpus_dir / "gmg-information-note-2006.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\nThe GMG meets in Vienna every spring.\n", encoding="utf-8")
    run_ingest(settings, embeddings, store)  # behind the services' back, as `assistant ingest` does
    building, release = threading.Event(), threading.Event()

    def rebuild_in_progress():
        with services.lock:
            building.set()
            release.wait(60)

    holder = threading.Thread(target=rebuild_in_progress)
    holder.start()
    building.wait(10)
    try:
        assert services.current() is old  # not blocked: answers go on with the current index
    finally:
        release.set()
        holder.join(10)
    fresh = services.current()
    assert fresh is not old and fresh.manifest.revision > old.manifest.revision
    assert "Vienna" in fresh.ask("Where does the GMG meet every spring?").answer
    # the token vectors of passages are keyed by their text: the rebuilt assistant keeps them
    assert fresh.answerer.reader.encoder is old.answerer.reader.encoder


def test_a_question_reads_the_manifest_only_when_it_changed(tmp_path, embeddings, monkeypatch):
    """Every question asks whether the index changed; at 100k chunks parsing the manifest takes ~100 ms, so it
    is parsed again only when the file changed (counted, not replaced: every load is the real one)."""
    from conftest import fresh_services

    from assistant.indexing import run_ingest
    from ingest.manifest import Manifest

    services = fresh_services(tmp_path, embeddings)
    first = services.current()
    loads = []
    real_load = Manifest.load.__func__

    def counting_load(cls, path):
        loads.append(path)
        return real_load(cls, path)

    monkeypatch.setattr(Manifest, "load", classmethod(counting_load))
    for _ in range(5):
        assert services.current() is first
    assert loads == []
    note = services.settings.corpus_dir / "gmg-information-note-2006.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\nThe GMG meets in Vienna every spring.\n", encoding="utf-8")
    run_ingest(services.settings, embeddings, services.store)
    loads.clear()
    fresh = services.current()
    assert fresh is not first and fresh.manifest.revision == first.manifest.revision + 1
    assert loads  # the changed file was read


@pytest.mark.parametrize("damage", ["no ids.json", "corrupt files"])
def test_a_damaged_bm25_folder_is_replaced_not_fatal(tmp_path, ingested, embeddings, damage):
    from assistant.retrieval import KeywordIndex
    from assistant.store import build_store

    store = build_store(ingested, embeddings)
    directory = tmp_path / "bm25"
    good = KeywordIndex.load_or_build(store, directory, 3)
    target = directory / "rev-3"
    if damage == "no ids.json":  # a crash while the folder was being removed
        (target / "ids.json").unlink()
    else:
        for f in target.iterdir():
            if f.name != "ids.json":
                f.write_bytes(b"\x00garbage")
    index = KeywordIndex.load_or_build(store, directory, 3)
    assert sorted(index.ids) == sorted(good.ids) and index.search("trafficking victims", 3)
    again = KeywordIndex.load_or_build(store, directory, 3)  # and the repaired copy loads from disk
    assert again.ids == json.loads((target / "ids.json").read_text())
    assert [p.name for p in directory.iterdir()] == ["rev-3"]


def test_no_quote_is_stitched_from_two_versions_of_a_file_mid_reingest(tmp_path, embeddings, monkeypatch):
    """Mid re-ingest the store holds the chunks of both versions of an edited file, at shifted offsets (the old
    ones go in the closing sweep, maybe before the app's assistant is rebuilt). An assistant built before it
    still answers from every chunk, but quotes neighbouring sentences together only from one version: the
    50-session load test once quoted text that was in neither."""
    from conftest import fresh_services

    import ingest.pipeline
    from assistant.indexing import run_ingest

    services = fresh_services(tmp_path, embeddings)
    settings, store = services.settings, services.store
    old = services.current()
    note = settings.corpus_dir / "gmg-information-note-2006.txt"
    before = note.read_text(encoding="utf-8")
    cut = before.index("\n\n") + 2
    after = before[:cut] + "Update: the arrangements were reviewed by all partners.\n\n" + before[cut:]
    note.write_text(after, encoding="utf-8")
    monkeypatch.setattr(ingest.pipeline, "_sweep_orphans", lambda store, manifest: 0)  # frozen before the sweep
    run_ingest(settings, embeddings, store)
    mine = old.manifest.chunk_ids()
    assert len(store.get(include=[])["ids"]) > len(mine)  # both versions are in the store
    quoted = 0
    for question in ("Who chaired the first meeting of the GMG?", "Does the GMG have a permanent chair, or does it "
                     "change?", "Which 2006 General Assembly event did all GMG members help prepare?"):
        result = old.ask(question)
        assert not result.abstained, question
        for c in result.citations:
            if c.source == note.name:
                quoted += 1
                assert c.text in (before[c.start : c.end], after[c.start : c.end]), (question, c.text)
    assert quoted
