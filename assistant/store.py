"""build_client / build_store: Chroma on disk by default, a `chroma run` server when a host is set."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.settings import Settings

# A wide HNSW search on top of cosine space: for a corpus of this size the search is effectively exact and
# therefore deterministic (checked against brute force in the tests).
HNSW = {"space": "cosine", "ef_search": 256, "ef_construction": 200}

REBUILD = "assistant ingest --rebuild"
# A full disk or a file-size limit, as the OS (errno) and as SQLite inside Chroma ("disk I/O error" is what SQLite
# reports when a write fails with EFBIG or ENOSPC on this platform) say it.
_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_DISK_WORDS = ("disk i/o error", "database or disk is full", "no space left", "file too large", "disk quota exceeded")


class StoreError(RuntimeError):
    """The index could not be read or written; the message (one line) says what to do."""


def _one_line(text: str) -> str:
    """At most 200 characters: the head (what failed) and the tail (the innermost cause, where Chroma puts it)."""
    return text if len(text) <= 200 else f"{text[:80]} … {text[-117:]}"


# Room Chroma may want for one write (a batch of chunks into SQLite, its log and the vector segment): a disk or a
# file-size limit with less than this left is taken to be why a write failed.
WRITE_ROOM = 16 * 1024 * 1024


def _disk_refuses_writes(folder: Path) -> bool:
    """Whether the folder's disk or the process' file-size limit leaves less than WRITE_ROOM past its largest file,
    or one byte written there fails as on a full disk. Chroma's compactor reports such a failure without its cause
    ("Error in compaction: Failed to apply logs to the metadata segment"), so the disk is asked directly. The probe
    file is sparse and removed."""
    import resource

    try:
        largest = max((p.stat().st_size for p in folder.rglob("*") if p.is_file()), default=0)
        disk = os.statvfs(folder)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if disk.f_bavail * disk.f_frsize < WRITE_ROOM or limit != resource.RLIM_INFINITY and (
                limit - largest < WRITE_ROOM):
            return True
        with tempfile.TemporaryFile(dir=folder, buffering=0) as probe:
            probe.seek(largest + 65536)
            probe.write(b"\0")
    except OSError as exc:
        return exc.errno in _DISK_ERRNOS
    return False


def store_failure(settings: Settings, exc: BaseException) -> StoreError:
    """The one-line error for a Chroma or disk failure: a full disk, a server that went away, or a damaged folder.
    The cause is judged on the whole message: Chroma's compactor wraps SQLite's "disk I/O error" in 200+ characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    what = _one_line(text)
    disk_error = isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS or any(w in text.lower() for w in _DISK_WORDS)
    if disk_error or not settings.chroma_host and _disk_refuses_writes(settings.chroma_dir):
        server = settings.chroma_host and not isinstance(exc, OSError)  # the server's disk, not ours
        where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}" if server else settings.data_dir
        return StoreError(f"Writing to {where} failed ({what}): the disk is full or a file-size limit "
                          "was reached; free space, then run `assistant ingest` again (it repairs the half-written "
                          "run; the index as it was still answers until then).")
    if settings.chroma_host:
        return StoreError(f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} failed ({what}); "
                          "check that it runs (`make chroma-server`) and ask again, or unset ASSISTANT_CHROMA_HOST.")
    return StoreError(f"The index in {settings.chroma_dir} cannot be read ({what}); it looks damaged: run "
                      f"`{REBUILD}` (moves it aside, never deletes it, and ingests the corpus afresh).")


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Turn what Chroma, its server connection or a full disk raise into a StoreError naming the fix. Chroma's own
    errors carry no traceback worth showing a user: a damaged SQLite file surfaces as an InternalError at open, a
    damaged page as an InvalidArgumentError at the first count or query."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except StoreError:
        raise
    except ChromaError as exc:
        raise store_failure(settings, exc) from exc
    except httpx.TransportError as exc:
        if not settings.chroma_host:  # not Chroma's connection (a model server's, say): not ours to word
            raise
        raise store_failure(settings, exc) from exc
    except OSError as exc:
        if exc.errno not in _DISK_ERRNOS:
            raise
        raise store_failure(settings, exc) from exc


def build_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants
            raise RuntimeError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({exc}); "
                "start it with `make chroma-server` or unset ASSISTANT_CHROMA_HOST."
            ) from None
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where the folder should be
        raise store_failure(settings, exc) from None
    with store_errors(settings):
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def collection_name(base: str, model_id: str) -> str:
    """One collection per embedding model: Chroma collections cannot mix embedding dimensions."""
    slug = re.sub(r"[^a-z0-9]+", "-", model_id.lower().rsplit("/", 1)[-1]).strip("-")[:40]
    digest = hashlib.sha1(model_id.encode()).hexdigest()[:6]
    return f"{base}-{slug}-{digest}"


def build_store(settings: Settings, embeddings: Embeddings, client=None, model_id: str | None = None):
    """A langchain Chroma store bound to our embedder (never Chroma's default, which downloads a model)."""
    from langchain_chroma import Chroma

    if embeddings is None:
        raise ValueError("build_store needs an embedder; Chroma's default one would download a model")
    model_id = model_id or getattr(embeddings, "model_id", "") or "unknown-model"
    client = client if client is not None else build_client(settings)
    with store_errors(settings):  # Chroma() gets or creates the collection: the first read of the store
        return Chroma(
            collection_name=collection_name(settings.collection, model_id),
            embedding_function=embeddings,
            client=client,
            collection_configuration={"hnsw": HNSW},
        )
