"""The ingest manifest: what is in the index, keyed by source path, so re-ingest only touches changes.

Crash safety rests on three rules (tests/test_crash.py SIGKILLs ingest at 20+ points and checks them):
- the store is written before the manifest, and every store write is idempotent (deterministic chunk ids,
  upserts; deleting an id that is already gone is a no-op), so redoing work is always safe;
- the manifest is replaced atomically (write a temporary file, fsync, os.replace), so it is always either the
  old or the new version, never half of each;
- a `dirty` flag is saved before the store is touched and cleared only after the run finished; a run that
  starts on a dirty manifest re-checks the store against it (files whose chunks are missing are redone) and
  sweeps chunks the manifest does not list.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock


@dataclass
class FileEntry:
    sha256: str
    fingerprint: str  # chunker settings + embedding model the chunks were made with
    chunk_ids: list[str]
    title: str = ""
    ingested_at: float = 0.0


@dataclass
class Manifest:
    path: Path
    files: dict[str, FileEntry] = field(default_factory=dict)
    dirty: bool = False
    revision: int = 0  # bumped on every change to the store; caches (the BM25 index) key on it
    updated_at: float = 0.0

    @classmethod
    def load(cls, path: Path) -> Manifest:
        path = Path(path)
        if not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = {str(src): FileEntry(**entry) for src, entry in data.get("files", {}).items()}
            return cls(path, files, bool(data.get("dirty")), int(data.get("revision", 0)),
                       float(data.get("updated_at", 0.0)))
        except (OSError, ValueError, TypeError, AttributeError):
            # A manifest we cannot read is treated as dirty and empty: the next run re-checks everything
            # (chunks already in the store with the same id and metadata are reused, not re-embedded).
            return cls(path, dirty=True)

    def lock(self) -> FileLock:
        """An exclusive lock for the whole ingest: two ingests into one index would corrupt the manifest."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=600)

    def _tmp_prefix(self) -> str:
        return self.path.name + ".tmp"

    def save(self, *, keep_time: bool = False) -> None:
        """Replace the file atomically; `keep_time` keeps `updated_at` (a copy of a manifest published elsewhere:
        ingest/shared_state.py), otherwise it is now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not keep_time:
            self.updated_at = time.time()
        payload = {
            "files": {src: vars(entry) for src, entry in sorted(self.files.items())},
            "dirty": self.dirty,
            "revision": self.revision,
            "updated_at": self.updated_at,
        }
        # Unique per process and thread, so two writers never share a temporary file.
        tmp = self.path.with_name(f"{self._tmp_prefix()}{os.getpid()}-{threading.get_ident()}")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a save that was killed before its os.replace (call under lock())."""
        if not self.path.parent.is_dir():
            return
        for leftover in self.path.parent.glob(self._tmp_prefix() + "*"):
            try:
                leftover.unlink()
            except OSError:
                pass

    def titles(self) -> list[str]:
        """The indexed documents' titles (their file names when they have none), in file order."""
        return [entry.title or Path(src).name for src, entry in sorted(self.files.items())]

    def chunk_count(self) -> int:
        return sum(len(e.chunk_ids) for e in self.files.values())

    def chunk_ids(self) -> set[str]:
        return {cid for entry in self.files.values() for cid in entry.chunk_ids}
