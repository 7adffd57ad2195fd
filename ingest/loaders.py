"""Loaders chosen by file extension from one table. Each returns the document's text (+ page spans for PDF).

A loader raises `LoadError` with a one-line reason a user can act on; the pipeline reports it and moves on.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field


class LoadError(Exception):
    """A file that cannot be turned into text; the message is the one-line reason shown to the user."""


@dataclass
class LoadedText:
    text: str
    # (start, end, page_number) spans into `text`, for formats that have pages.
    pages: list[tuple[int, int, int]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        for start, end, number in self.pages:
            if start <= offset < end:
                return number
        return None


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("looks binary (contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None


def load_text(data: bytes) -> LoadedText:
    # Decoded as-is (no newline translation) so that offsets index the file's own text.
    return LoadedText(_decode(data))


def load_pdf(data: bytes) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("is an encrypted PDF; decrypt it first")
        parts: list[str] = []
        pages: list[tuple[int, int, int]] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if parts:
                parts.append("\n\n")
                offset += 2
            parts.append(text)
            pages.append((offset, offset + len(text), number))
            offset += len(text)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"is not a readable PDF ({type(exc).__name__}: {exc})") from None
    return LoadedText("".join(parts), pages)


def load_docx(data: bytes) -> LoadedText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"is not a readable .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile and lxml errors have no common base worth naming
        raise LoadError(f"is not a readable .docx file ({type(exc).__name__})") from None
    lines = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        text = para.text.strip()
        if not text:
            continue
        # Word headings become markdown headings so section detection treats every format alike.
        if style.startswith("Heading"):
            level = style.removeprefix("Heading").strip() or "1"
            hashes = "#" * min(int(level) if level.isdigit() else 1, 6)
            text = f"{hashes} {text}"
        lines.append(text)
    return LoadedText("\n\n".join(lines))


def load_html(data: bytes) -> LoadedText:
    import trafilatura

    html = _decode(data)
    # trafilatura drops scripts, styles and boilerplate; markdown output keeps headings for sectioning.
    text = trafilatura.extract(html, output_format="markdown", include_comments=False, favor_recall=True)
    return LoadedText((text or "").strip())


LOADERS: dict[str, Callable[[bytes], LoadedText]] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}


def load_bytes(suffix: str, data: bytes) -> LoadedText:
    """Turn a file's bytes into text with the loader for its extension; raise LoadError if unusable."""
    if not data.strip():
        raise LoadError("is empty")
    loader = LOADERS.get(suffix.lower())
    if loader is None:
        raise LoadError(f"has an unsupported extension {suffix!r}")
    loaded = loader(data)
    if not loaded.text.strip():
        raise LoadError("has no extractable text (a scanned PDF needs OCR first)")
    return loaded
