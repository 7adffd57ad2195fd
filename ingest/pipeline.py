"""ingest(root, store, chunker, manifest) → IngestReport: load, chunk, embed and upsert what changed.

Idempotent and incremental: chunk ids are deterministic; unchanged files are skipped without embedding;
changed files have stale chunks removed; deleted files lose their chunks. Each bad file is reported and
skipped while the rest ingests. The store is written before the manifest, so a crash at any point leaves
work that the next run redoes (upserts are idempotent) and a `dirty` flag that triggers an orphan sweep.
"""

from __future__ import annotations

import hashlib
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.chunking import Chunk, Chunker
from ingest.loaders import LOADERS, LoadError, load_bytes
from ingest.manifest import FileEntry, Manifest

CORPUS_METADATA_FILES = {"catalog.toml", "glossary.toml"}
ProgressFn = Callable[[int, int, str], None]


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

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Candidate:
    source: str
    path: Path
    data: bytes
    sha256: str


def load_catalog(root: Path) -> dict[str, dict]:
    path = root / "catalog.toml"
    if not path.is_file():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _discover(root: Path, paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files to consider (sorted, hidden ones skipped) and the source prefixes this run is responsible for."""
    files: list[Path] = []
    scopes: list[str] = []
    for path in paths:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        if rel.startswith(".."):
            raise ValueError(f"{path} is outside the corpus folder {root}; set ASSISTANT_CORPUS_DIR to its folder")
        if path.is_dir():
            scopes.append("" if rel == "." else rel.replace(os.sep, "/") + "/")
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
        else:
            scopes.append(rel.replace(os.sep, "/"))
            files.append(path)
    return files, scopes


def _in_scope(source: str, scopes: list[str]) -> bool:
    return any(source == s or (s.endswith("/") or s == "") and source.startswith(s) for s in scopes)


def _read(root: Path, path: Path, max_bytes: int) -> bytes:
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise LoadError("is a link to a file outside the corpus folder; copy the file in instead")
    if not real.is_file():
        raise LoadError("is not a regular file")
    size = real.stat().st_size
    if size > max_bytes:
        raise LoadError(f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap (ASSISTANT_MAX_FILE_MB)")
    try:
        return real.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})") from None


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
    started = time.perf_counter()
    root = Path(root)
    report = IngestReport(dry_run=dry_run)
    files, scopes = _discover(root, [Path(p) for p in (paths or [root])])
    catalog = load_catalog(root)
    fingerprint = f"{chunker.fingerprint}|{model_id}"
    with manifest.lock():
        fresh = Manifest.load(manifest.path)
        manifest.files, manifest.dirty, manifest.revision = fresh.files, fresh.dirty, fresh.revision
        todo = _classify(root, files, manifest, fingerprint, max_bytes, report)
        gone = [s for s in manifest.files if _in_scope(s, scopes) and s not in {c.source for c in todo[1]}]
        gone = [s for s in gone if not (root / s).exists()]
        if dry_run:
            report.removed = len(gone)
            report.changes += [{"path": s, "status": "removed"} for s in gone]
            report.chunks = manifest.chunk_count()
            report.seconds = time.perf_counter() - started
            return report
        if todo[0] or gone or manifest.dirty:
            manifest.dirty = True
            manifest.save()
            _apply(root, store, chunker, manifest, todo[0], gone, catalog, fingerprint, model_id, text_dir,
                   batch_size, progress, report)
            _sweep_orphans(store, manifest)
            manifest.dirty = False
            manifest.revision += 1
            manifest.save()
        report.chunks = manifest.chunk_count()
    report.seconds = time.perf_counter() - started
    return report


def _classify(root, files, manifest, fingerprint, max_bytes, report) -> tuple[list[_Candidate], list[_Candidate]]:
    """Split files into (to ingest, all readable); count unchanged ones and report unreadable ones."""
    changed: list[_Candidate] = []
    seen: list[_Candidate] = []
    for path in files:
        source = os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")
        if path.name in CORPUS_METADATA_FILES and path.parent == root:
            continue
        if path.suffix.lower() not in LOADERS:
            report.skipped.append({"path": source, "reason": f"unsupported extension {path.suffix or '(none)'}"})
            continue
        report.files += 1
        try:
            data = _read(root, path, max_bytes)
        except LoadError as exc:
            report.failed.append({"path": source, "error": f"{source} {exc}"})
            continue
        candidate = _Candidate(source, path, data, hashlib.sha256(data).hexdigest())
        seen.append(candidate)
        entry = manifest.files.get(source)
        if entry and entry.sha256 == candidate.sha256 and entry.fingerprint == fingerprint:
            report.unchanged += 1
        else:
            status = "updated" if entry else "added"
            changed.append(candidate)
            report.changes.append({"path": source, "status": status})
    return changed, seen


def _apply(root, store, chunker, manifest, changed, gone, catalog, fingerprint, model_id, text_dir,
           batch_size, progress, report) -> None:
    prepared: list[tuple[_Candidate, list[Chunk], str]] = []
    for candidate in changed:
        meta = catalog.get(candidate.source, {})
        try:
            loaded = load_bytes(candidate.path.suffix, candidate.data)
        except LoadError as exc:
            report.failed.append({"path": candidate.source, "error": f"{candidate.source} {exc}"})
            report.changes = [c for c in report.changes if c["path"] != candidate.source]
            continue
        title = meta.get("title") or candidate.path.stem.replace("-", " ").replace("_", " ")
        extra = {k: meta[k] for k in ("date", "body") if meta.get(k)}
        chunks = chunker.chunk(candidate.source, title, loaded, extra)
        if text_dir is not None and chunks:
            text_dir.mkdir(parents=True, exist_ok=True)
            (text_dir / f"{chunks[0].doc_id}.txt").write_text(loaded.text, encoding="utf-8")
        prepared.append((candidate, chunks, title))
    total = sum(len(c) for _, c, _ in prepared)
    done = 0
    for candidate, chunks, title in prepared:
        for i in range(0, len(chunks), batch_size):
            batch = chunks[i : i + batch_size]
            store.add_texts([c.text for c in batch], [c.metadata(model_id) for c in batch], ids=[c.id for c in batch])
            done += len(batch)
            report.embedded += len(batch)
            if progress:
                progress(done, total, candidate.source)
        new_ids = [c.id for c in chunks]
        old = manifest.files.get(candidate.source)
        stale = sorted(set(old.chunk_ids) - set(new_ids)) if old else []
        if stale:
            store.delete(ids=stale)
        if old:
            report.updated += 1
        else:
            report.added += 1
        manifest.files[candidate.source] = FileEntry(candidate.sha256, fingerprint, new_ids, title, time.time())
        manifest.save()
    for source in gone:
        entry = manifest.files.pop(source)
        if entry.chunk_ids:
            store.delete(ids=entry.chunk_ids)
        report.removed += 1
        report.changes.append({"path": source, "status": "removed"})
        manifest.save()


def _sweep_orphans(store, manifest: Manifest) -> None:
    """Delete chunks the manifest does not list (left by a crash between upsert and manifest save)."""
    known = {cid for entry in manifest.files.values() for cid in entry.chunk_ids}
    present = store.get(include=[])["ids"]
    orphans = [cid for cid in present if cid not in known]
    for i in range(0, len(orphans), 5000):
        store.delete(ids=orphans[i : i + 5000])
