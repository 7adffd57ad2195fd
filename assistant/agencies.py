"""Data for the app's Agencies view, and the safe-text helpers the app renders documents and answers with.

The Agencies view lists every GMG member (from the reviewed glossary) with a one-line summary taken from
the index: the first sentence of the member's own section that names it, with its citation. Nothing is typed
by hand.

Document text, questions and answers are untrusted: `escape_markdown` makes any text inert for
`st.markdown`, and `document_html` builds a self-contained page (every character of the document
HTML-escaped, images and other scripts forbidden by its own CSP) that highlights one passage and
scrolls it into view.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document

from assistant.answering.reader import answer_candidates
from assistant.models import Citation

_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character; CommonMark can escape each
_DOC_ID = re.compile(r"[0-9a-f]{8,64}")
SUMMARY_MAX_WORDS = 30
# Anything GFM could autolink (bare URLs, www., e-mail addresses); case-insensitive, matched generously.
_AUTOLINK = re.compile(r"(?:[a-z][a-z0-9+.-]*:/+|www\.|mailto:|xmpp:)\S*|[-.\w+]*@[-\w]+(?:\.[-\w]+)+", re.I)


@dataclass(frozen=True)
class AgencySummary:
    name: str
    full: str
    summary: str | None  # one sentence from the index, or None when the documents say nothing about it
    citation: Citation | None


def summarize_member(assistant, body) -> AgencySummary:
    """One cited sentence about `body` (a glossary Body): the first sentence of its own section that names it
    itself, so the line reads as a sentence about the agency ("ILO, the UN specialized agency on labour issues,
    has been …"), not as an attributed fragment ("UNHCR: They include …"): notes introduce a body first."""
    got = assistant.store.get(where={"section": body.name}, include=["documents", "metadatas"])
    docs = [Document(page_content=text, metadata=meta or {}, id=cid)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
    reader = assistant.answerer.reader
    docs.sort(key=lambda d: (d.metadata.get("source", ""), int(d.metadata.get("start", 0))))
    naming = [c for c in answer_candidates(reader.candidates(docs)) if assistant.glossary.mentions(c.text, body)]
    if not naming:
        return AgencySummary(body.name, body.full, None, None)
    best = min(naming, key=lambda c: (c.source, c.start))
    text = " ".join(best.text.split())
    words = text.split()
    if len(words) > SUMMARY_MAX_WORDS:  # one line: a quoted prefix; the citation holds the whole sentence
        text = " ".join(words[:SUMMARY_MAX_WORDS]).rstrip(",;:") + " …"
    return AgencySummary(body.name, body.full, f"{text} [1]", best.citation(1))


def agency_summaries(assistant, progress: Callable[[int, int], None] | None = None) -> list[AgencySummary]:
    """The Agencies view: every GMG member in glossary order, each with a cited one-line summary."""
    members = assistant.glossary.members
    out = []
    for body in members:
        out.append(summarize_member(assistant, body))
        if progress:
            progress(len(out), len(members))
    return out


# -- safe rendering -----------------------------------------------------------------------------------------

def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders literally: no images, links, HTML, emphasis, math or directives.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for each), which stops
    Markdown links and images, HTML, emphasis, Streamlit's ":color[...]" and "$math$" syntax. URLs and
    e-mail addresses go in code spans: GFM turns bare ones into links after escapes are resolved, but
    never inside code. Line breaks are kept. Escaping is per token (whitespace-separated), so the pieces
    of a streamed answer can be escaped one by one.
    """
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    out, position = [], 0
    for match in _AUTOLINK.finditer(text):
        out += [_MD_SPECIAL.sub(r"\\\1", text[position : match.start()]), _code_span(match.group())]
        position = match.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", text[position:]))
    return "".join(out).replace("\n", "  \n")  # a hard line break


def _code_span(value: str) -> str:
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence} {value} {fence}"  # one space each side is stripped by CommonMark


def read_document(data_dir: Path, doc_id: str) -> str | None:
    """The full text ingest saved for `doc_id` (citation offsets index into it), or None if missing."""
    if not _DOC_ID.fullmatch(doc_id or ""):
        return None
    path = Path(data_dir) / "texts" / f"{doc_id}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


_SCROLL_SCRIPT = (
    "var m=document.getElementById('passage');"
    "if(m){window.scrollTo(0,Math.max(0,m.getBoundingClientRect().top+window.scrollY-window.innerHeight/4));}"
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCROLL_SCRIPT.encode()).digest()).decode()
_STYLE = (
    "body{margin:0;padding:0.75rem 1rem;font:15px/1.6 system-ui,sans-serif;color:#222;background:#fff}"
    "#doc{white-space:pre-wrap;word-wrap:break-word}"
    "mark{background:#ffe066;padding:0.1em 0;border-radius:2px;outline:2px solid #f2b600}"
)


def document_html(text: str, start: int, end: int) -> str:
    """A standalone HTML page showing `text` with text[start:end] highlighted and scrolled into view.

    Every character of the document is HTML-escaped, so markup in it is shown, never run or loaded. The
    page's Content-Security-Policy allows only its own scroll script (by hash) and inline styles: no images,
    no fetches, no other scripts, even if escaping were ever bypassed.
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    before, passage, after = (html.escape(part, quote=True) for part in (text[:start], text[start:end], text[end:]))
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'"
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
        f"<style>{_STYLE}</style></head><body>"
        f"<div id=\"doc\">{before}<mark id=\"passage\">{passage}</mark>{after}</div>"
        f"<script>{_SCROLL_SCRIPT}</script></body></html>"
    )
