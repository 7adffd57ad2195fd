"""Editing corpus/catalog.toml from the app: add a document's table, remove one, everything else kept as written.

The file is edited as text (its comments and the other tables stay byte for byte) and replaced atomically; every
edit is parsed back with tomllib and compared with what was meant before the file is replaced, so a catalog the
edit cannot handle safely is left untouched (CatalogError says to edit it by hand). Reading is
ingest/discovery.py's `load_catalog`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

CATALOG = "catalog.toml"
_HEADER = re.compile(r"^\s*\[[^\[]")  # a table header line (not an array of tables: none in a catalog)


class CatalogError(ValueError):
    """catalog.toml could not be edited safely; the message says what to do."""


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _read(root: Path) -> tuple[str, dict]:
    path = root / CATALOG
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"corpus/{CATALOG} is not valid TOML ({exc}); fix it by hand first") from None


def _replace(root: Path, text: str, expected: dict) -> None:
    """Write `text` as the catalog if it parses to `expected` (else CatalogError, nothing written)."""
    try:
        ok = tomllib.loads(text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise CatalogError(f"corpus/{CATALOG} could not be edited safely; edit it by hand")
    path = root / CATALOG
    tmp = path.with_name(f".{CATALOG}.tmp{os.getpid()}")  # hidden: an ingest meanwhile never reads it
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def add_entry(root: Path, source: str, fields: dict[str, str]) -> None:
    """Append `source`'s table (title, date, body: the non-empty ones) to the catalog."""
    text, data = _read(root)
    if source in data:
        raise CatalogError(f"corpus/{CATALOG} already has an entry for {source}; remove it first")
    fields = {k: v for k, v in fields.items() if v}
    table = f"\n[{toml_string(source)}]\n" + "".join(f"{k} = {toml_string(v)}\n" for k, v in fields.items())
    new = text + ("" if not text or text.endswith("\n") else "\n") + table
    _replace(root, new, {**data, source: fields})


def remove_entry(root: Path, source: str) -> bool:
    """Remove `source`'s table (header to the next header) from the catalog; False if it has none."""
    text, data = _read(root)
    if source not in data:
        return False
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line) and _table_key(line) == source), None)
    if start is None:  # e.g. written as a dotted or inline table: not ours to rewrite
        raise CatalogError(f"corpus/{CATALOG}: the entry for {source} is not a plain table; remove it by hand")
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
    while start > 0 and not lines[start - 1].strip():  # the blank line that separated it goes with it
        start -= 1
    _replace(root, "".join(lines[:start] + lines[end:]), {k: v for k, v in data.items() if k != source})
    return True


def _table_key(line: str) -> str | None:
    try:
        parsed = tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed), None) if len(parsed) == 1 else None
