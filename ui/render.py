"""Safe text for the pages: every document, question and answer is untrusted and shown only through these.

`escape_markdown` makes any text inert for `st.markdown`; `document_html` builds a self-contained page for the
document viewer (every character of the document HTML-escaped, images and other scripts forbidden by its own
CSP) that highlights one passage and scrolls it into view. No Streamlit here: plain functions, tested alone.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import time
from collections.abc import Iterator

from assistant.models import Citation

_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character; CommonMark can escape each
# Anything GFM could autolink (bare URLs, www., e-mail addresses); case-insensitive, matched generously.
_AUTOLINK = re.compile(r"(?:[a-z][a-z0-9+.-]*:/+|www\.|mailto:|xmpp:)\S*|[-.\w+]*@[-\w]+(?:\.[-\w]+)+", re.I)


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


def stream_words(text: str) -> Iterator[str]:
    """The answer word by word, escaped, over at most ~0.6 s (it is already complete: this is for the eye)."""
    words = re.findall(r"\s*\S+\s*", text)
    for word in words:
        yield escape_markdown(word)
        time.sleep(min(0.02, 0.6 / len(words)))


def citation_where(c: Citation) -> str:
    """Where a cited passage is: "Section: UNODC · p. 3 · note.pdf" (the parts the citation has)."""
    return " · ".join(filter(None, [c.section and f"Section: {c.section}", c.page and f"p. {c.page}", c.source]))


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
