"""What replicas on other hosts must agree on, kept in the Chroma server beside the chunks.

With a Chroma server, the chunks and vectors are shared, but the manifest (the index revision, the files and their
chunk ids) and the saved document texts live in each host's data folder, and the BM25 index is built from the
store per revision. So that replicas need no shared folder, an ingest *publishes* its manifest and the texts to a
small collection `<collection>-state` in the same server (records with a one-number placeholder vector: the
server is used as a key-value store here), and a replica *pulls* them when the published revision is not the one
it has: the manifest and texts are written into its own data folder, and its BM25 index is then built from the
server's chunks for that revision like any other.

Order of writes: texts (and the files that go with the revision, such as its abstention calibration) first, the
manifest record last, so a replica that sees a new manifest finds the rest.
A published revision older than the local one is never pulled (a local ingest that crashed before publishing is
published by the next ingest there). Ingests from two hosts at the same moment are not serialised: the manifest
lock is a file lock, per host.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from pathlib import Path

from ingest.chroma_collection import client_of, name_of
from ingest.chunking import doc_id_for
from ingest.manifest import FileEntry, Manifest

MANIFEST_ID = "manifest"
_PAGE = 500  # records per read or write: well under Chroma's batch limit, and a page of texts stays small
_PLACEHOLDER = [1.0]  # the vector each state record carries (Chroma needs one; nothing searches this collection)


def state_collection(store):
    """The `<collection>-state` collection of the server `store` lives in (created when missing)."""
    return client_of(store).get_or_create_collection(f"{name_of(store)}-state", embedding_function=None)


def stamp(manifest: Manifest) -> tuple[int, float]:
    """What tells two versions of the index apart: its revision and when that manifest was saved."""
    return manifest.revision, manifest.updated_at


def published_stamp(store) -> tuple[int, float] | None:
    """The (revision, saved at) of the manifest published in the server, or None when none was."""
    got = state_collection(store).get(ids=[MANIFEST_ID], include=["metadatas"])
    if not got["ids"]:
        return None
    meta = got["metadatas"][0] or {}
    return int(meta.get("revision", 0)), float(meta.get("updated_at", 0.0))


def publish(store, manifest: Manifest, text_dir: Path, extras: dict[str, Path] | None = None) -> int:
    """Make the server hold `manifest` and the saved text of every file it lists; returns the texts uploaded.
    A text already there with the file's sha256 is not sent again; texts of files no longer listed are removed.
    `extras`: files that belong to this revision (the abstention calibration), sent whole under their key."""
    state = state_collection(store)
    for key, path in (extras or {}).items():
        if path.is_file():
            state.upsert(ids=[f"file:{key}"], embeddings=[_PLACEHOLDER], documents=[path.read_text(encoding="utf-8")],
                         metadatas=[{"kind": "file", "revision": manifest.revision}])
    held = _held_texts(state)
    wanted = {_text_id(source): entry.sha256 for source, entry in manifest.files.items()}
    send = [tid for tid, sha in wanted.items() if held.get(tid) != sha and (text_dir / f"{tid[5:]}.txt").is_file()]
    for i in range(0, len(send), _PAGE):
        page = send[i : i + _PAGE]
        state.upsert(ids=page, embeddings=[_PLACEHOLDER] * len(page),
                     documents=[(text_dir / f"{tid[5:]}.txt").read_text(encoding="utf-8") for tid in page],
                     metadatas=[{"kind": "text", "sha256": wanted[tid]} for tid in page])
    gone = [tid for tid in held if tid not in wanted]
    for i in range(0, len(gone), _PAGE):
        state.delete(ids=gone[i : i + _PAGE])
    payload = {"files": {src: asdict(entry) for src, entry in sorted(manifest.files.items())}}
    state.upsert(ids=[MANIFEST_ID], embeddings=[_PLACEHOLDER], documents=[json.dumps(payload)],
                 metadatas=[{"kind": "manifest", "revision": manifest.revision, "updated_at": manifest.updated_at}])
    return len(send)


def pull(store, manifest_path: Path, text_dir: Path, extras: dict[str, Path] | None = None) -> bool:
    """Bring the local manifest and texts in line with the server's published ones when those are of another
    version and not older than the local revision (and the `extras` published for that revision, to their paths).
    Returns whether anything was pulled."""
    published = published_stamp(store)
    if not _newer(published, Manifest.load(manifest_path)):
        return False
    with Manifest(manifest_path).lock():
        local = Manifest.load(manifest_path)
        got = state_collection(store).get(ids=[MANIFEST_ID], include=["documents", "metadatas"])
        if not got["ids"]:
            return False
        meta = got["metadatas"][0] or {}
        published = int(meta.get("revision", 0)), float(meta.get("updated_at", 0.0))
        if not _newer(published, local):
            return False  # pulled by another process while this one waited for the lock
        files = {src: FileEntry(**entry) for src, entry in json.loads(got["documents"][0])["files"].items()}
        _fetch_texts(store, local, files, text_dir)
        _fetch_extras(store, published[0], extras or {})
        fresh = Manifest(manifest_path, files, False, published[0], published[1])
        fresh.save(keep_time=True)
        return True


def _newer(published: tuple[int, float] | None, local: Manifest) -> bool:
    return published is not None and published != stamp(local) and published[0] >= local.revision


def _text_id(source: str) -> str:
    return f"text:{doc_id_for(source)}"


def _held_texts(state) -> dict[str, str]:
    """id → sha256 of every text record in the state collection, read in pages."""
    held: dict[str, str] = {}
    offset = 0
    while True:
        got = state.get(where={"kind": "text"}, include=["metadatas"], limit=_PAGE, offset=offset)
        held.update((tid, (meta or {}).get("sha256", "")) for tid, meta in zip(got["ids"], got["metadatas"],
                                                                                 strict=True))
        if len(got["ids"]) < _PAGE:
            return held
        offset += len(got["ids"])


def _fetch_texts(store, local: Manifest, files: dict[str, FileEntry], text_dir: Path) -> None:
    """Download the texts of the files whose local copy is missing or of another version."""
    text_dir.mkdir(parents=True, exist_ok=True)
    need = [_text_id(src) for src, entry in files.items()
            if (local.files.get(src) is None or local.files[src].sha256 != entry.sha256
                or not (text_dir / f"{doc_id_for(src)}.txt").is_file())]
    state = state_collection(store)
    for i in range(0, len(need), _PAGE):
        got = state.get(ids=need[i : i + _PAGE], include=["documents"])
        for tid, text in zip(got["ids"], got["documents"], strict=True):
            _write_atomically(text_dir / f"{tid[5:]}.txt", text or "")


def _fetch_extras(store, revision: int, extras: dict[str, Path]) -> None:
    if not extras:
        return
    got = state_collection(store).get(ids=[f"file:{key}" for key in extras], include=["documents", "metadatas"])
    for fid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        if (meta or {}).get("revision") == revision:
            path = extras[fid[5:]]
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, text or "")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
