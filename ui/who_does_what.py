"""The Who does what page: topics × bodies, one cited sentence per cell, with a filter box.

The map is built by assistant/who_does_what.py from the index, once per index revision, in the background
(Services.who_does_what: a re-ingest rebuilds it). Each row (one body's sentence on one topic) opens the document
viewer at its passage. Sentences are document text: shown escaped, or in a dataframe, never as markup.
"""

from __future__ import annotations

import time

import streamlit as st

from assistant.who_does_what import Cell, WhoDoesWhat
from ui import pages
from ui.render import escape_markdown as esc
from ui.services import PageContext
from ui.sources import show_document

MARK = "●"  # a cell of the overview grid that has a sentence


def wait_for_map(context: PageContext) -> WhoDoesWhat | None:
    """The map for the current index, waiting (with progress) while it is built; None after an error (shown)."""
    job = context.services.who_does_what(context.assistant)
    slot = st.empty()
    while job["result"] is None and job["error"] is None:  # each st call lets a click interrupt the wait
        done, total = job["done"], job["total"]
        slot.progress(done / total if total else 0.0,
                      text=f"Building the map from the notes… {done}/{total or '?'} topics")
        time.sleep(0.3)
    slot.empty()
    if job["error"]:
        st.error(esc(f"Could not build the Who does what map: {job['error']}"))
        return None
    return job["result"]


def render(context: PageContext) -> None:
    st.title("Who does what")
    st.caption("Topics × bodies: for each topic, one sentence quoted from the notes for each body that speaks of it. "
               "The topics are the glossary's terms and the short items of the notes' own lists; the map is built "
               "from the index and rebuilt after a re-ingest.")
    if context.assistant is None:
        st.warning(esc(f"{context.services.empty_message} Ingest the corpus on the Chat page first."))
        st.page_link(pages.CHAT, label="Go to the Chat page", icon=":material/chat:")
        return
    wdw = wait_for_map(context)
    if wdw is None:
        return
    query = st.text_input("Filter", key="wdw_filter", placeholder="A topic, a body or any word: trafficking, UNHCR…",
                          help="Keeps the rows whose topic (or its synonyms), body or sentence holds every word.")
    cells = wdw.filtered(query)
    topics = [t.label for t in wdw.topics if any(c.topic == t.label for c in cells)]
    if not cells:
        st.info(esc(f"Nothing in the map matches “{query}”. Try another word, or ask in the chat."))
        return
    st.caption(f"{len(topics)} of {len(wdw.topics)} topics · {len(cells)} cited sentences")
    with st.expander("Overview: which body speaks of which topic", expanded=False):
        st.dataframe(_grid(wdw, cells, topics), width="stretch")
    for topic in topics:
        _topic_rows(context, topic, [c for c in cells if c.topic == topic], wdw)


def _grid(wdw: WhoDoesWhat, cells: list[Cell], topics: list[str]) -> dict:
    """Topics × bodies with a mark where the map has a sentence (a dataframe shows values as plain text)."""
    have = {(c.topic, c.body) for c in cells}
    bodies = [b for b in wdw.bodies if any(c.body == b for c in cells)]
    grid = {"Topic": topics}
    grid.update({b: [MARK if (t, b) in have else "" for t in topics] for b in bodies})
    return grid


def _topic_rows(context: PageContext, topic: str, cells: list[Cell], wdw: WhoDoesWhat) -> None:
    st.subheader(esc(topic))
    for cell in cells:
        i = wdw.cells.index(cell)  # stable across filters: the button keeps its key
        with st.container(border=True):
            name, quote = st.columns([1, 5])
            name.markdown(f"**{esc(cell.body)}**", help=esc(cell.full) if cell.full != cell.body else None)
            quote.markdown(f"{esc(cell.sentence)} \\[1\\]")
            quote.caption(esc(f"[1] {cell.citation.label()}"))
            if quote.button("Open the document at this passage", key=f"wdw-open-{i}",
                            icon=":material/description:", type="tertiary"):
                show_document(cell.citation, context.settings.data_dir)
