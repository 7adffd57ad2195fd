"""ingest(root, store, chunker, manifest) → IngestReport: load, chunk, embed and upsert what changed.

Idempotent and incremental: chunk ids are deterministic; unchanged files are skipped without embedding;
changed files have stale chunks removed (and chunks whose id and metadata are already in the store are reused,
not re-embedded); deleted files lose their chunks and saved text. All deletions happen in one sweep at the end
of a run (every chunk the manifest no longer lists), so readers see old + new chunks during an ingest, never
a file with neither. Each bad file is reported with a reason and
skipped while the rest ingests; nothing outside the corpus folder is ever opened (links out of it are reported).

Crash safety (see ingest/manifest.py for the rules): the store is written before the manifest, a `dirty` flag
brackets every writing run, and a run that starts dirty re-checks the store against the manifest and sweeps
orphans. tests/test_crash.py SIGKILLs ingest at 20+ points and checks the index equals a clean ingest.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.chroma_collection import chunk_count
from ingest.chunking import Chunk, Chunker, doc_id_for
from ingest.discovery import (
    CORPUS_METADATA_FILES,
    check_path,
    discover,
    in_scope,
    read_catalog,
    read_regular_file,
    source_name,
    unsupported_extension,
)
from ingest.loaders import LOADERS, LoadError, load_bytes
from ingest.manifest import FileEntry, Manifest

ProgressFn = Callable[[int, int, str], None]
# Chroma caps the ids of one call; pages of this size stay well under it.
_PAGE = 2000
# Reads of the whole collection go in pages: one get() of 100k chunks fails in Chroma ("too many SQL variables").
_READ_PAGE = 10_000
# The manifest is saved at most this often while a run is going (and always at its end): a crash loses at most
# this much bookkeeping, which the next run redoes cheaply (chunks already stored are reused, not re-embedded).
_SAVE_EVERY_S = 2.0
NO_PASSAGE = "has no text that makes a passage (only headings or fragments)"
# Chunks written per window (one existence check, then length-sorted batches that may span files).
_WINDOW = 512


@dataclass
class IngestReport:
    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0  # chunks in the index after the run
    embedded: int = 0  # chunks embedded by this run
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # {"path", "status"} for every non-unchanged file
    dry_run: bool = False
    seconds: float = 0.0
    reused: int = 0  # chunks of changed files already in the store (same id and metadata): not re-embedded
    repaired: int = 0  # files redone because the store lacked some of their chunks (after a crash)
    swept: int = 0  # chunks deleted by the closing sweep: old versions, removed files, leftovers of a crash
    notices: list[str] = field(default_factory=list)  # about the corpus' own data files (added by the assistant)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Candidate:
    source: str
    path: Path
    sha256: str


def ingest(
    root: Path,
    store,
    chunker: Chunker,
    manifest: Manifest,
    *,
    model_id: str,
    paths: list[Path] | None = None,
    text_dir: Path | None = None,
    dry_run: bool = False,
    max_bytes: int = 20_000_000,
    batch_size: int = 64,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Bring `store` (a langchain_chroma.Chroma) in line with the files under `root` (or `paths` in it)."""
    started, wall_start = time.perf_counter(), time.time()
    root = Path(root)
    batch_size = max(1, int(batch_size))
    report = IngestReport(dry_run=dry_run)
    requested = [Path(p) for p in (paths or [root])]
    for path in requested:  # refuse paths outside the corpus before anything is locked or written
        check_path(root, path)
    catalog = read_catalog(root, report)
    fingerprint = f"{chunker.fingerprint}|{model_id}"
    with manifest.lock():
        fresh = Manifest.load(manifest.path)
        manifest.files, manifest.dirty, manifest.revision = fresh.files, fresh.dirty, fresh.revision
        if not dry_run:
            manifest.remove_stale_temporaries()
            if not manifest.dirty and _count(store) != manifest.chunk_count():
                manifest.dirty = True  # the store was changed behind the manifest's back: re-check it
            if manifest.dirty:
                _recheck(store, manifest, report)
                requested = [root]  # a repair covers the whole corpus, not only the paths asked for
            _recheck_texts(text_dir, manifest, report)
        files, scopes = discover(root, requested, report)
        changed, seen = _classify(root, files, manifest, fingerprint, max_bytes, report, catalog)
        readable = {c.source for c in seen}
        gone = [s for s in manifest.files if in_scope(s, scopes) and s not in readable and not (root / s).exists()]
        if dry_run:
            report.removed = len(gone)
            report.changes += [{"path": s, "status": "removed"} for s in gone]
            report.chunks = manifest.chunk_count()
            report.seconds = time.perf_counter() - started
            return report
        if changed or gone or manifest.dirty:
            manifest.dirty = True
            manifest.save()
            writer = _Writer(root, store, chunker, manifest, catalog or {}, fingerprint, model_id, text_dir, max_bytes,
                             batch_size, progress, report)
            writer.apply(changed, gone)
            report.swept = _sweep_orphans(store, manifest)
            manifest.dirty = False
            manifest.revision += 1
            manifest.save()
        if text_dir is not None:
            _sweep_texts(text_dir, manifest, older_than=wall_start)
        report.chunks = manifest.chunk_count()
    report.seconds = time.perf_counter() - started
    return report


def _count(store) -> int:
    try:
        return chunk_count(store)
    except Exception:  # noqa: BLE001 - a store without a count: fall back to trusting the manifest
        return -1


def _store_ids(store) -> set[str]:
    """Every id in the store, read in pages (one read of a very large collection can exceed SQLite's limits)."""
    ids: set[str] = set()
    offset = 0
    while True:
        page = store.get(include=[], limit=_READ_PAGE, offset=offset)["ids"]
        ids.update(page)
        if len(page) < _READ_PAGE:
            return ids
        offset += len(page)


def _recheck(store, manifest: Manifest, report: IngestReport) -> None:
    """After an interrupted run: files whose chunks are not all in the store are redone by this run."""
    present = _store_ids(store)
    for entry in manifest.files.values():
        if not set(entry.chunk_ids) <= present:
            entry.sha256 = ""  # never matches a file's hash: _classify sends the file to be ingested again
            report.repaired += 1


def _recheck_texts(text_dir: Path | None, manifest: Manifest, report: IngestReport) -> None:
    """Files whose saved text is missing (a crash, a hand-cleaned folder) are redone: their chunks are reused."""
    if text_dir is None:
        return
    for source, entry in manifest.files.items():
        if entry.sha256 and not (text_dir / f"{doc_id_for(source)}.txt").is_file():
            entry.sha256 = ""
            report.repaired += 1


def _sweep_texts(text_dir: Path, manifest: Manifest, older_than: float) -> None:
    """Delete saved texts no manifest in the folder lists (removed files). Texts written since `older_than` are
    kept: an ingest into another collection may have written them and not yet saved its manifest."""
    if not text_dir.is_dir():
        return
    known: set[str] = set()
    for path in manifest.path.parent.glob("*.json"):
        listed = manifest if path == manifest.path else Manifest.load(path)
        known |= {doc_id_for(source) for source in listed.files}
    for text in text_dir.glob("*.txt"):
        try:
            if text.stem not in known and text.stat().st_mtime < older_than:
                text.unlink()
        except FileNotFoundError:
            pass


def file_fingerprint(base: str, catalog: dict[str, dict], source: str) -> str:
    """What a file's chunks depend on besides its bytes: chunker, glossary and model (`base`) and its catalog
    entry (title, date, body), so editing catalog.toml or glossary.toml re-ingests the files it changes."""
    entry = json.dumps(catalog.get(source, {}), sort_keys=True, default=str)
    return f"{base}|cat:{hashlib.sha256(entry.encode('utf-8')).hexdigest()[:12]}"


def _classify(root, files, manifest, fingerprint, max_bytes, report,
              catalog: dict | None) -> tuple[list[_Candidate], list[_Candidate]]:
    """Split files into (to ingest, all readable); count unchanged ones and report unreadable ones."""
    changed: list[_Candidate] = []
    seen: list[_Candidate] = []
    for path in files:
        source = source_name(root, path)
        if path.name in CORPUS_METADATA_FILES and path.parent == root:
            continue
        if path.suffix.lower() not in LOADERS:
            report.skipped.append({"path": source, "reason": unsupported_extension(path)})
            continue
        report.files += 1
        try:
            data = read_regular_file(root, path, max_bytes)
        except LoadError as exc:
            report.failed.append({"path": source, "error": f"{source} {exc}"})
            continue
        candidate = _Candidate(source, path, hashlib.sha256(data).hexdigest())
        seen.append(candidate)
        entry = manifest.files.get(source)
        same = (entry.fingerprint.split("|cat:")[0] == fingerprint if catalog is None and entry
                else entry and entry.fingerprint == file_fingerprint(fingerprint, catalog, source))
        if entry and entry.sha256 == candidate.sha256 and same:
            report.unchanged += 1
        else:
            status = "updated" if entry else "added"
            changed.append(candidate)
            report.changes.append({"path": source, "status": status})
    return changed, seen


@dataclass
class _Writer:
    root: Path
    store: object
    chunker: Chunker
    manifest: Manifest
    catalog: dict
    fingerprint: str
    model_id: str
    text_dir: Path | None
    max_bytes: int
    batch_size: int
    progress: ProgressFn | None
    report: IngestReport
    _saved_at: float = 0.0
    done: int = 0
    total: int = 0

    def apply(self, changed: list[_Candidate], gone: list[str]) -> None:
        if self.text_dir is not None and self.text_dir.is_dir():
            for leftover in self.text_dir.glob(".*.tmp*"):  # from a write killed before its os.replace
                leftover.unlink(missing_ok=True)
        prepared = [p for p in (self._prepare(c) for c in changed) if p is not None]
        self.total = sum(len(chunks) for _, chunks, _ in prepared)
        # Files are written in windows of at least `_WINDOW` chunks: one existence check per window and batches
        # of `batch_size` chunks that span files (a corpus of small files would otherwise embed a few chunks per
        # call). A file enters the manifest only once all of its chunks are stored.
        window: list[tuple[_Candidate, list[Chunk], str]] = []
        size = 0
        for item in prepared:
            window.append(item)
            size += len(item[1])
            if size >= max(_WINDOW, self.batch_size):
                self._write_window(window)
                window, size = [], 0
        if window:
            self._write_window(window)
        for source in gone:
            # Its chunks are now orphans and its saved text unlisted: the sweeps at the end of the run delete them.
            del self.manifest.files[source]
            self.report.removed += 1
            self.report.changes.append({"path": source, "status": "removed"})
            self._checkpoint()

    def _fail(self, candidate: _Candidate, exc: LoadError) -> None:
        self.report.failed.append({"path": candidate.source, "error": f"{candidate.source} {exc}"})
        self.report.changes = [c for c in self.report.changes if c["path"] != candidate.source]

    def _prepare(self, candidate: _Candidate) -> tuple[_Candidate, list[Chunk], str] | None:
        try:
            # Read again (nothing is kept in memory between the passes); the hash recorded is of what was loaded.
            data = read_regular_file(self.root, candidate.path, self.max_bytes)
            candidate.sha256 = hashlib.sha256(data).hexdigest()
            loaded = load_bytes(candidate.path.suffix, data)
        except LoadError as exc:
            self._fail(candidate, exc)
            return None
        del data
        meta = self.catalog.get(candidate.source, {})
        title = str(meta.get("title") or candidate.path.stem.replace("-", " ").replace("_", " "))
        extra = {k: v if isinstance(v, str | int | float) else str(v)
                 for k in ("date", "body") if (v := meta.get(k))}
        chunks = self.chunker.chunk(candidate.source, title, loaded, extra)
        if not chunks:
            self._fail(candidate, LoadError(NO_PASSAGE))
            return None
        unique: dict[str, Chunk] = {}
        for chunk in chunks:
            unique.setdefault(chunk.id, chunk)
        if self.text_dir is not None:
            _write_atomic(self.text_dir / f"{chunks[0].doc_id}.txt", loaded.text)
        return candidate, list(unique.values()), title

    def _existing(self, ids: list[str]) -> dict[str, dict]:
        """Metadata of the chunks among `ids` that the store already holds."""
        found: dict[str, dict] = {}
        for i in range(0, len(ids), _PAGE):
            got = self.store.get(ids=ids[i : i + _PAGE], include=["metadatas"])
            found.update(zip(got["ids"], (m or {} for m in got["metadatas"]), strict=True))
        return found

    def _write_window(self, window: list[tuple[_Candidate, list[Chunk], str]]) -> None:
        existing = self._existing([c.id for _, chunks, _ in window for c in chunks])
        todo = [(candidate.source, c) for candidate, chunks, _ in window for c in chunks
                if existing.get(c.id) != c.metadata(self.model_id)]
        # Batches of similar lengths: the model pads a batch to its longest text, so file order (long and short
        # chunks mixed) costs up to twice the compute of length order. Order within a window does not matter.
        todo.sort(key=lambda item: len(item[1].text))
        reused = sum(len(chunks) for _, chunks, _ in window) - len(todo)
        self.report.reused += reused
        self.done += reused
        for i in range(0, len(todo), self.batch_size):
            batch = [c for _, c in todo[i : i + self.batch_size]]
            self.store.add_texts([c.text for c in batch], [c.metadata(self.model_id) for c in batch],
                                 ids=[c.id for c in batch])
            self.done += len(batch)
            self.report.embedded += len(batch)
            if self.progress:
                self.progress(self.done, self.total, todo[i + len(batch) - 1][0])
        for candidate, chunks, title in window:
            # The old version's chunks that are not in the new one are not deleted here but by the sweep at the end
            # of the run: until then the store holds both versions (each chunk still quotes its own version
            # correctly), so a reader with an index snapshot from before this run rarely meets a vanished id.
            if candidate.source in self.manifest.files:
                self.report.updated += 1
            else:
                self.report.added += 1
            fingerprint = file_fingerprint(self.fingerprint, self.catalog, candidate.source)
            self.manifest.files[candidate.source] = FileEntry(candidate.sha256, fingerprint,
                                                              [c.id for c in chunks], title, time.time())
        self._checkpoint()

    def _checkpoint(self) -> None:
        now = time.monotonic()
        if now - self._saved_at >= _SAVE_EVERY_S:
            self.manifest.save()
            self._saved_at = now


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _sweep_orphans(store, manifest: Manifest) -> int:
    """Delete chunks the manifest does not list (left by a crash between upsert and manifest save)."""
    known = manifest.chunk_ids()
    orphans = [cid for cid in _store_ids(store) if cid not in known]
    for i in range(0, len(orphans), _PAGE):
        store.delete(ids=orphans[i : i + _PAGE])
    return len(orphans)
