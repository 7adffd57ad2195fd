"""Loaders chosen by file extension from one table. Each returns the document's text (+ page spans for PDF).

A loader raises `LoadError` with a one-line reason a user can act on; the pipeline reports it and moves on.
`load_bytes` turns any other failure of a parser on hostile input (a truncated PDF, a zip that is not a .docx,
HTML nested too deep for lxml) into a LoadError too, so one bad file never stops an ingest.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser


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


# A run this long without whitespace is not prose (a base64 blob, a minified script): one such "word" would
# become one giant chunk and one giant quote.
MAX_RUN_WITHOUT_SPACE = 10_000
# A .docx whose parts inflate to more than this is refused before it is parsed (a zip bomb).
MAX_DOCX_UNZIPPED = 200_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _utf16_without_bom(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) / 2
    return max(even, odd) > 0.3 * half and min(even, odd) < 0.05 * half


def _decode(data: bytes) -> str:
    # UTF-16 is refused, not decoded: citations quote `file.decode("utf-8")[start:end]`, which must hold.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError("starts with a UTF-16 byte-order mark; re-save it as UTF-8")
    if _utf16_without_bom(data):
        raise LoadError("looks like UTF-16 text without a byte-order mark; re-save it as UTF-8")
    if b"\x00" in data:
        raise LoadError("looks binary (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    controls = len(_CONTROL.findall(text[:100_000]))
    if controls > 0.01 * min(len(text), 100_000) + 8:
        raise LoadError(f"looks binary ({controls} control characters in its first 100,000), not text")
    return text


def load_text(data: bytes) -> LoadedText:
    # Decoded as-is (no newline translation) so that offsets index the file's own text.
    return LoadedText(_decode(data))


def load_pdf(data: bytes) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # "encrypted" with an empty password: only permissions are set
            except Exception:  # noqa: BLE001 - e.g. AES without the cryptography package
                opened = 0
            if not opened:
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
        raise LoadError(f"is not a readable PDF ({type(exc).__name__}: {_short(exc)})") from None
    text = "".join(parts)
    if not text.strip():
        raise LoadError("has no text layer (a scanned PDF needs OCR first)")
    return LoadedText(text, pages)


def _check_zip(data: bytes) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise LoadError("is not a .docx file (not a zip archive); save it from Word as .docx") from None
    if "word/document.xml" not in names:
        raise LoadError("is a zip archive but not a Word document (no word/document.xml)")
    if unzipped > MAX_DOCX_UNZIPPED:
        raise LoadError(f"would unzip to {unzipped / 1e6:.0f} MB, over the {MAX_DOCX_UNZIPPED / 1e6:.0f} MB limit")


def load_docx(data: bytes) -> LoadedText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_zip(data)
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


class _PlainText(HTMLParser):
    """Visible text of an HTML page, without scripts and styles: the fallback when trafilatura finds nothing
    (lxml gives up on pages nested thousands of levels deep). Linear time, no recursion."""

    SKIP = {"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object"}
    BLOCK = {"p", "div", "br", "li", "tr", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
             "blockquote", "table", "ul", "ol", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", joined))
        return "\n\n".join(p for p in paragraphs if p)


def load_html(data: bytes) -> LoadedText:
    import trafilatura

    html = _decode(data)
    try:
        # trafilatura drops scripts, styles and boilerplate; markdown output keeps headings for sectioning.
        text = trafilatura.extract(html, output_format="markdown", include_comments=False, favor_recall=True)
    except (RecursionError, ValueError, TypeError, AttributeError):
        text = None
    if not (text or "").strip():
        parser = _PlainText()
        parser.feed(html)
        parser.close()
        text = parser.text()
    if not (text or "").strip():
        raise LoadError("has no visible text (only markup, scripts or styles)")
    return LoadedText(text.strip())


LOADERS: dict[str, Callable[[bytes], LoadedText]] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}


def _short(exc: BaseException, limit: int = 120) -> str:
    message = " ".join(str(exc).split())
    return message[:limit] + ("…" if len(message) > limit else "")


def load_bytes(suffix: str, data: bytes) -> LoadedText:
    """Turn a file's bytes into text with the loader for its extension; raise LoadError if unusable."""
    if not data.strip():
        raise LoadError("is empty")
    loader = LOADERS.get(suffix.lower())
    if loader is None:
        raise LoadError(f"has an unsupported extension {suffix!r}")
    try:
        loaded = loader(data)
    except LoadError:
        raise
    except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - hostile input: any parser failure
        raise LoadError(f"could not be read as {suffix.lower()} ({type(exc).__name__}: {_short(exc)})") from None
    if not loaded.text.strip():
        raise LoadError("has no extractable text")
    longest = max(map(len, loaded.text.split()), default=0)  # linear; a regex for this backtracks
    if longest > MAX_RUN_WITHOUT_SPACE:
        raise LoadError(f"has a run of {longest:,} characters without a space (embedded data such as base64?); "
                        "remove it and ingest again")
    return loaded
