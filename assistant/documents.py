"""The corpus as documents, for the app's Documents page: list them, add an uploaded file, remove one.

An upload is checked as an ingest checks a file (size cap, loader, at least one passage: the same one-line reasons)
before anything is written; then the file goes into the corpus folder (atomically), its title, date and body into
corpus/catalog.toml, and only that file is ingested. A file the ingest still fails on is taken out again. Removing
a document moves its file to data_dir/removed-documents (a copy to restore by hand), drops its catalog entry and
re-ingests, which takes its chunks out of the index. Both reload the shared assistant, so every chat session
answers from the new index on its next question. Who may do this is assistant/auth.py's `corpus_edit_refusal`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from assistant.chain import manifest_path
from assistant.indexing import build_chunker, run_ingest
from assistant.settings import Settings
from ingest.catalog import CatalogError, add_entry, remove_entry
from ingest.discovery import check_upload, corpus_documents, load_catalog, unsupported_extension
from ingest.loaders import LOADERS, LoadError
from ingest.manifest import Manifest
from ingest.pipeline import NO_PASSAGE, IngestReport

# A name an upload may keep: letters (any script), digits, spaces, dots, dashes, underscores and brackets,
# starting with a letter or digit (a leading dot would hide it from ingest).
_SAFE_NAME = re.compile(r"[^\W_][\w .()\[\]-]{0,119}")
MAX_TITLE = 300
MAX_FIELD = 200


class DocumentError(ValueError):
    """A document that cannot be added or removed; the message is one line for the user."""


@dataclass(frozen=True)
class Document:
    source: str  # its path in the corpus folder, as citations name it
    title: str
    date: str
    body: str
    chunks: int  # 0: in the folder but not (yet) in the index
    ingested_at: float | None


def list_documents(settings: Settings, manifest: Manifest | None) -> list[Document]:
    """Every document in the index or the corpus folder, by title, with its catalog entry and chunk count."""
    try:
        catalog = load_catalog(settings.corpus_dir)
    except (OSError, ValueError):  # an unreadable catalog: the titles ingest recorded still show
        catalog = {}
    files = manifest.files if manifest is not None else {}
    docs = []
    for source in sorted(set(files) | set(corpus_documents(settings.corpus_dir))):
        entry, meta = files.get(source), catalog.get(source) if isinstance(catalog.get(source), dict) else {}
        docs.append(Document(source, str(meta.get("title") or (entry.title if entry else "") or source),
                             str(meta.get("date") or ""), str(meta.get("body") or ""),
                             len(entry.chunk_ids) if entry else 0, entry.ingested_at if entry else None))
    return sorted(docs, key=lambda d: (d.title.casefold(), d.source))


def _field(label: str, value: str, limit: int, required: bool) -> str:
    value = " ".join(str(value or "").split())
    if required and not value:
        raise DocumentError(f"Give the document a {label}.")
    if len(value) > limit or not value.isprintable():
        raise DocumentError(f"The {label} must be one line of at most {limit} printable characters.")
    return value


def check_document(settings: Settings, embeddings, name: str, data: bytes, title: str, date: str,
                   body: str = "") -> tuple[str, dict[str, str]]:
    """(source name, catalog fields) of an upload that ingest would accept; DocumentError (one line) if not."""
    base = Path(str(name).replace("\\", "/")).name.strip()
    if not _SAFE_NAME.fullmatch(base):
        raise DocumentError(f"The file name {base!r} cannot be used: rename the file with letters, digits, spaces, "
                            "dots and dashes only (at most 120 characters).")
    if Path(base).suffix.lower() not in LOADERS:  # what an ingest says as it skips such a file
        raise DocumentError(f"{base}: {unsupported_extension(Path(base))}")
    try:
        loaded = check_upload(base, data, int(settings.max_file_mb * 1_000_000))
    except LoadError as exc:
        raise DocumentError(f"{base} {exc}") from None
    fields = {"title": _field("title", title, MAX_TITLE, True), "date": _field("date", date, MAX_FIELD, True),
              "body": _field("issuing body", body, MAX_FIELD, False)}
    extra = {k: v for k, v in fields.items() if k != "title" and v}  # as ingest passes a catalog entry
    if not build_chunker(settings, embeddings).chunk(base, fields["title"], loaded, extra):
        raise DocumentError(f"{base} {NO_PASSAGE}")
    return base, fields


@contextmanager
def _editing(services):
    """One corpus change at a time: in this process (no re-ingest or evaluation meanwhile) and across processes."""
    lock = FileLock(str(services.settings.data_dir / "corpus-edit.lock"), timeout=600)
    services.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with services.ingest_lock, lock:
        yield


def add_document(services, name: str, data: bytes, title: str, date: str, body: str = "",
                 progress=None) -> IngestReport:
    """Check, write and ingest an uploaded document; the shared assistant then answers from it."""
    settings = services.settings
    source, fields = check_document(settings, services.embeddings, name, data, title, date, body)
    root = settings.corpus_dir
    with _editing(services):
        path = root / source
        if path.exists():
            raise DocumentError(f"{source} is already in the corpus: remove it first, or rename the file.")
        tmp = root / f".upload-{uuid.uuid4().hex}.tmp"  # hidden: an ingest meanwhile never reads it
        tmp.write_bytes(data)
        os.replace(tmp, path)
        try:
            remove_entry(root, source)  # an entry left behind by a file removed by hand describes another file
            add_entry(root, source, fields)
            report = run_ingest(settings, services.embeddings, services.store, paths=[path], progress=progress)
        except CatalogError as exc:
            _take_back(root, source)
            raise DocumentError(str(exc)) from None
        except Exception:
            _take_back(root, source)
            raise
        failed = [f["error"] for f in report.failed if f.get("path") == source]
        if failed:
            _take_back(root, source)
            raise DocumentError(failed[0])
    services.reload()
    return report


def _take_back(root: Path, source: str) -> None:
    """Undo an upload that did not make it into the index: its file and catalog entry go."""
    (root / source).unlink(missing_ok=True)
    try:
        remove_entry(root, source)
    except CatalogError:
        pass  # left for a person to tidy: a stray entry for a missing file changes nothing


def remove_document(services, source: str, progress=None) -> IngestReport:
    """Take a document out of the corpus and the index (its file is kept in data_dir/removed-documents)."""
    settings = services.settings
    root = settings.corpus_dir
    with _editing(services):
        indexed = Manifest.load(manifest_path(settings, services.collection)).files
        if source not in set(corpus_documents(root)) | set(indexed):  # never a path the user typed
            raise DocumentError(f"{source} is not a document of the corpus.")
        try:
            remove_entry(root, source)  # first: a catalog that cannot be edited safely leaves everything as it was
        except CatalogError as exc:
            raise DocumentError(str(exc)) from None
        path = root / source
        if path.exists():
            kept = settings.data_dir / "removed-documents" / f"{time.strftime('%Y%m%dT%H%M%S')}-{path.name}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, kept)
        report = run_ingest(settings, services.embeddings, services.store, progress=progress)
    services.reload()
    return report
