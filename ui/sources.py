"""The sources under an answer, and the dialog that opens a cited document at its passage (Chat page)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.agencies import read_document
from assistant.models import Citation, CitedAnswer
from ui.render import citation_where, document_html
from ui.render import escape_markdown as esc


@st.dialog("Source document", width="large")
def show_document(c: Citation, data_dir: Path) -> None:
    """The whole document as plain text with the cited passage highlighted, or the passage alone if it is gone."""
    st.markdown(f"**{esc(c.title)}**" + (f" ({esc(c.date)})" if c.date else ""))
    st.caption(esc(citation_where(c)))
    text = read_document(data_dir, c.doc_id)
    if text is None:
        st.warning("The full text of this document is not available; re-ingest the corpus to restore it.")
        st.markdown("> " + esc(" ".join(c.text.split())))
        return
    start, end = c.start, c.end
    if text[start:end] != c.text:  # re-ingested since: find the passage again, wherever it moved
        found = text.find(c.text)
        start, end = (found, found + len(c.text)) if found >= 0 else (0, 0)
        if found < 0:
            st.warning("The document changed since this answer was given; the passage is no longer in it.")
    st.iframe(document_html(text, start, end), height=520)
    st.caption("The quoted passage is highlighted; the document is shown as plain text.")


def render_sources(result: CitedAnswer, mid: str, data_dir: Path) -> None:
    """The cited passages (or, for an abstention, the closest ones), each with a button that opens its document."""
    items, kind = (result.closest, "closest") if result.abstained else (result.citations, "cited")
    if not items:
        return
    st.markdown("**You may want to read:**" if result.abstained else "**Sources**")
    for c in items:
        with st.container(border=True):
            st.markdown("**" + esc(f"[{c.id}] {c.title}" + (f" ({c.date})" if c.date else "")) + "**")
            st.caption(esc(citation_where(c)))
            st.markdown("> " + esc(" ".join(c.text.split())))
            if st.button("Open the document at this passage", key=f"open-{mid}-{kind}-{c.id}",
                         icon=":material/description:", type="tertiary"):
                show_document(c, data_dir)
