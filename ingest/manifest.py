"""The ingest manifest: what is in the index, keyed by source path, so re-ingest only touches changes.

Saved atomically after every file, with a `dirty` flag set while the store is being written: a run that
crashes leaves `dirty` on, and the next run sweeps the store for chunks the manifest does not know.
"""

from __future__ import annotations

import json
import os
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
        if not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            # A manifest we cannot read is treated as dirty and empty: the next run re-checks everything.
            return cls(path, dirty=True)
        files = {src: FileEntry(**entry) for src, entry in data.get("files", {}).items()}
        return cls(path, files, bool(data.get("dirty")), int(data.get("revision", 0)), data.get("updated_at", 0.0))

    def lock(self) -> FileLock:
        """An exclusive lock for the whole ingest: two ingests into one index would corrupt the manifest."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=600)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.updated_at = time.time()
        payload = {
            "files": {src: vars(entry) for src, entry in sorted(self.files.items())},
            "dirty": self.dirty,
            "revision": self.revision,
            "updated_at": self.updated_at,
        }
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def chunk_count(self) -> int:
        return sum(len(e.chunk_ids) for e in self.files.values())
