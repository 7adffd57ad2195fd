"""What an ingest run reads, and the checks on the way: which files the corpus holds (hidden files skipped, links
to folders never followed, links out of the corpus refused), which sources a run is responsible for, the catalog,
and each file's bytes (a regular file inside the corpus within the size cap, checked on the open descriptor).
The writing side (chunks, store, manifest, crash recovery) is ingest/pipeline.py.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders import LOADERS, LoadedText, LoadError, load_bytes

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

# Beside the documents, not documents (the example questions: assistant/answering/example_questions.py).
CORPUS_METADATA_FILES = {"catalog.toml", "glossary.toml", "example_questions.jsonl"}


def load_catalog(root: Path) -> dict[str, dict]:
    path = root / "catalog.toml"
    if not path.is_file():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def read_catalog(root: Path, report: IngestReport) -> dict[str, dict] | None:
    """The catalog, or None (reported) when catalog.toml is unreadable: files that change meanwhile get file-name
    titles, and unchanged files keep the titles they have (a typo must not re-embed the whole corpus)."""
    try:
        catalog = load_catalog(root)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        report.failed.append({"path": "catalog.toml", "error": f"catalog.toml is not valid TOML ({exc}); "
                              "unchanged files keep their titles, changed ones fall back to file names"})
        return None
    return {k: v for k, v in catalog.items() if isinstance(v, dict)}


def source_name(root: Path, path: Path) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")


def discover(root: Path, paths: list[Path], report: IngestReport | None = None) -> tuple[list[Path], list[str]]:
    """Files to consider (sorted, hidden ones skipped) and the source prefixes this run is responsible for.

    Links to folders are never followed (a link out of the corpus, or a loop, is reported and skipped);
    links to files are followed only when they resolve inside the corpus (checked again when reading).
    """
    files: list[Path] = []
    scopes: list[str] = []
    for path in paths:
        rel = check_path(root, path)
        if path.is_dir():
            scopes.append("" if rel == "." else rel.replace(os.sep, "/") + "/")
            for dirpath, dirnames, filenames in os.walk(path, onerror=_walk_error(root, report)):
                keep = []
                for d in sorted(dirnames):
                    if d.startswith("."):
                        continue
                    full = Path(dirpath) / d
                    if full.is_symlink():
                        if report is not None:
                            report.skipped.append({"path": source_name(root, full), "reason": "is a link to a folder; "
                                                   "links to folders are not followed (copy the folder in instead)"})
                        continue
                    keep.append(d)
                dirnames[:] = keep
                files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
        else:
            scopes.append(rel.replace(os.sep, "/"))
            files.append(path)
    return files, scopes


def corpus_documents(root: Path) -> list[str]:
    """Source names of the documents an ingest of `root` would read (supported extensions; hidden files and the
    catalog and glossary left out), sorted."""
    if not root.is_dir():
        return []
    files, _ = discover(root, [root])
    return [source_name(root, p) for p in files if p.suffix.lower() in LOADERS
            and not (p.parent == root and p.name in CORPUS_METADATA_FILES)]


def check_path(root: Path, path: Path) -> str:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel == ".." or rel.startswith(".." + os.sep):
        raise ValueError(f"{path} is outside the corpus folder {root}; set ASSISTANT_CORPUS_DIR to its folder")
    if path.is_symlink() and path.is_dir() and rel != ".":
        raise ValueError(f"{path} is a link to a folder; links to folders are not followed")
    return rel


def _walk_error(root: Path, report: IngestReport | None):
    def onerror(exc: OSError) -> None:
        if report is not None and exc.filename:
            report.failed.append({"path": source_name(root, Path(exc.filename)),
                                  "error": f"{source_name(root, Path(exc.filename))} is a folder that cannot be listed "
                                           f"({exc.strerror})"})
    return onerror


def in_scope(source: str, scopes: list[str]) -> bool:
    return any(source == s or (s.endswith("/") or s == "") and source.startswith(s) for s in scopes)


def too_big(size: int, max_bytes: int) -> str:
    return f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap (ASSISTANT_MAX_FILE_MB)"


def unsupported_extension(path: Path) -> str:
    """Why an ingest skips a file it has no loader for."""
    return f"unsupported extension {path.suffix or '(none)'}"


def check_upload(name: str, data: bytes, max_bytes: int) -> LoadedText:
    """A file offered for the corpus (the app's Documents page), checked as an ingest checks a file of the corpus:
    the size cap, then its loader; raises LoadError with the same one-line reason an ingest would give (the
    extension is checked before: see `unsupported_extension`)."""
    if len(data) > max_bytes:
        raise LoadError(too_big(len(data), max_bytes))
    return load_bytes(Path(name).suffix, data)


def read_regular_file(root: Path, path: Path, max_bytes: int) -> bytes:
    """The file's bytes, if it is a regular file inside the corpus within the size cap; else LoadError.

    Opened without following a final link and without blocking (a FIFO or device never hangs the run), then
    checked with fstat on the open descriptor, so a file swapped for something else after the checks is
    still refused.
    """
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise LoadError("is a link to a file outside the corpus folder; copy the file in instead")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError("is a link that changed while it was read; run ingest again") from None
        raise LoadError(f"cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("is not a regular file (a pipe, device or socket)")
        if info.st_size > max_bytes:
            raise LoadError(too_big(info.st_size, max_bytes))
        chunks, total = [], 0
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            total += len(block)
            if total > max_bytes:
                raise LoadError(f"grew over the {max_bytes / 1e6:.0f} MB cap while it was read (ASSISTANT_MAX_FILE_MB)")
            chunks.append(block)
        return b"".join(chunks)
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
