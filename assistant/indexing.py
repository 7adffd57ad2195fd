"""run_ingest: the ingest library wired to our settings, embedder and store (used by the CLI and the app).

After an ingest, the bundled model is exported to ONNX for the query path if it is not already (see
assistant/embeddings.py): ingest has sentence-transformers loaded, queries then never need torch. The new index's
abstention threshold is calibrated too (assistant/answering/calibration.py), so the first question does not wait.
"""

from __future__ import annotations

import time
from pathlib import Path

from assistant.chain import manifest_path, pull_shared_state, shared_extras
from assistant.embeddings import ensure_onnx_export
from assistant.retrieval import KeywordIndex
from assistant.settings import Settings
from assistant.store import StoreError, collection_name, store_errors
from ingest.chunking import Chunker
from ingest.glossary import Glossary
from ingest.manifest import Manifest
from ingest.pipeline import IngestReport, ProgressFn, ingest


def run_ingest(settings: Settings, embeddings, store, paths: list[Path] | None = None, *, dry_run: bool = False,
               progress: ProgressFn | None = None) -> IngestReport:
    """Ingest the corpus (or `paths` inside it) into `store`, then refresh the saved BM25 index."""
    root = settings.corpus_dir
    if not root.is_dir():
        raise FileNotFoundError(f"The corpus folder {root} does not exist; set ASSISTANT_CORPUS_DIR.")
    name = collection_name(settings.collection, embeddings.model_id)
    # A full disk (the store's SQLite, the manifest, a saved text) or a damaged store ends the run with one line;
    # what was written so far is what a crash leaves, and the next run repairs it (ingest/pipeline.py).
    with store_errors(settings):
        if not dry_run:
            pull_shared_state(settings, store)  # another host's ingest is where this one starts from
        manifest = Manifest.load(manifest_path(settings, name))
        chunker = build_chunker(settings, embeddings)
        report = ingest(root, store, chunker, manifest, model_id=embeddings.model_id, paths=paths,
                        text_dir=settings.data_dir / "texts", dry_run=dry_run,
                        max_bytes=int(settings.max_file_mb * 1_000_000), progress=progress)
        if not dry_run:
            KeywordIndex.load_or_build(store, settings.data_dir / "bm25" / name, manifest.revision)
            onnx = ensure_onnx_export(settings, embeddings)  # the torch-free query embedder (no-op when up to date)
            assistant = _calibrate(settings, _reading_embedder(settings, embeddings, onnx), store)
            _publish(settings, store, manifest, name)  # replicas see the new revision once it is ready
            report.notices += stale_example_questions(assistant) if assistant is not None else []
    return report


def _publish(settings: Settings, store, manifest: Manifest, name: str) -> None:
    """With a Chroma server: the index revision, manifest and texts go to the server for the other replicas
    (ingest/shared_state.py); when the server already has this version, nothing is sent."""
    if not settings.chroma_host:
        return
    from ingest.shared_state import publish, published_stamp, stamp

    manifest = Manifest.load(manifest.path)  # as saved: the stamp another host will compare with
    if published_stamp(store) != stamp(manifest):
        publish(store, manifest, settings.data_dir / "texts", shared_extras(settings, name))


def set_aside_index(settings: Settings) -> Path | None:
    """Move the local Chroma folder (a damaged one) to `chroma.damaged-<time>` beside it, for `ingest --rebuild`;
    the next store built finds no folder and starts empty. Never deleted: it may still hold what a SQLite repair
    can recover, and it is the user's to remove. The manifest stays: finding its chunks missing from the store,
    the next ingest redoes every file and raises the index revision, so no BM25 index or calibration of the old
    revision is reused. None when there was no folder."""
    if settings.chroma_host:
        raise StoreError("--rebuild moves the local index folder aside; the Chroma server keeps its own: stop the "
                         "server, move its --path folder aside, start it again, then run `assistant ingest`.")
    source = settings.chroma_dir
    if not source.exists() and not source.is_symlink():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = source.with_name(f"{source.name}.damaged-{stamp}"), 1
    while target.exists():
        n += 1
        target = source.with_name(f"{source.name}.damaged-{stamp}-{n}")
    source.rename(target)
    return target


def build_chunker(settings: Settings, embeddings) -> Chunker:
    """The chunker an ingest of settings.corpus_dir uses (its glossary labels agency sections)."""
    return Chunker(count_tokens=embeddings.count_tokens, glossary=Glossary.load(settings.corpus_dir / "glossary.toml"),
                   max_tokens=settings.chunk_max_tokens)


def _reading_embedder(settings: Settings, embeddings, onnx: Path | None):
    """What questions will be read with, so what calibrates: the ONNX export when there is one. Its token vectors
    are the reader's main cost, and here it computes them 4-14x faster than the sentence-transformers model an
    ingest embeds with (the same threshold to 4 decimals on the corpus)."""
    from assistant.onnx_embeddings import OnnxEmbeddings

    if onnx is None or isinstance(embeddings, OnnxEmbeddings):
        return embeddings
    from assistant.embeddings import build_embeddings

    try:
        return build_embeddings(settings)
    except Exception:  # noqa: BLE001 - the export cannot be loaded after all: calibrate with the ingest's model
        return embeddings


def _calibrate(settings: Settings, embeddings, store):
    """Build the assistant over the new index once: that calibrates and saves its abstention threshold. The
    assistant, or None when nothing was ingested (an empty corpus: nothing to calibrate)."""
    from assistant.chain import EmptyIndexError, build_assistant

    try:
        return build_assistant(settings.model_copy(update={"llm": "extractive"}), embeddings, store=store)
    except EmptyIndexError:
        return None


def stale_example_questions(assistant) -> list[str]:
    """One line when some entries of the corpus' example questions name sentences the index does not hold (a note
    edited or removed since the file was written): their questions stop counting, silently but for this line. The
    search's AskedIndex, built with the assistant, knows which entries the index holds."""
    from assistant.answering.example_questions import EXAMPLE_QUESTIONS

    examples = assistant.answerer.reader.examples
    if not len(examples):
        return []
    held = assistant.retriever.asked.sentences if assistant.retriever.asked is not None else frozenset()
    stale = [key for key in examples.by_sentence if key not in held]
    if not stale:
        return []
    source, sentence = stale[0]
    shown = sentence if len(sentence) <= 60 else sentence[:60] + "…"
    many = f"{len(stale)} of the {len(examples)} sentences in {EXAMPLE_QUESTIONS} are"
    return [f"{'1 sentence in ' + EXAMPLE_QUESTIONS + ' is' if len(stale) == 1 else many} not in the indexed "
            f"documents ({source}: \"{shown}\"{'' if len(stale) == 1 else ', …'}); "
            f"{'its' if len(stale) == 1 else 'their'} questions are ignored until the file is updated."]
