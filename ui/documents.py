"""The Documents page: the corpus as a table (title, date, issuing body, chunks, last ingest) with a button that opens
each document; for those allowed to change the corpus, a form that adds a document and ingests it with progress,
and a button that removes one (its chunks leave the index).

Who may change the corpus is assistant/auth.py's `corpus_edit_refusal`; without that permission no widget that
changes anything is drawn at all, and every change checks it again. The work itself (checks, writing, ingest) is
assistant/documents.py; after a change the page reruns, so this session and every other one answer from the new
index. Titles, file names and document text are untrusted: shown escaped, or in the sandboxed document viewer.
"""

from __future__ import annotations

import logging
from datetime import datetime

import streamlit as st

from assistant.agencies import read_document
from assistant.chain import manifest_path
from assistant.documents import Document, DocumentError, add_document, list_documents, remove_document
from ingest.chunking import doc_id_for
from ingest.loaders import LOADERS
from ingest.manifest import Manifest
from ui.auth import corpus_refusal
from ui.render import document_html
from ui.render import escape_markdown as esc
from ui.services import PageContext

log = logging.getLogger(__name__)
KINDS = ".txt .md .pdf .docx .html"
COLUMNS = [3, 2, 2.4, 1.4, 1.9, 1.5, 2]  # title, date, body, chunks, last ingest, Open, Remove


def render(context: PageContext) -> None:
    """The whole page."""
    state = st.session_state
    st.title("Documents")
    st.caption("The documents the assistant answers from. Open one to read it as the assistant sees it.")
    refusal = corpus_refusal(context.settings, context.user)
    if "doc_flash" in state:  # the outcome of the last change, kept across the rerun that followed it
        kind, message = state.pop("doc_flash")
        getattr(st, kind)(esc(message))
    manifest = Manifest.load(manifest_path(context.settings, context.services.collection))
    docs = list_documents(context.settings, manifest)
    if refusal is None and state.get("doc_remove"):
        _confirm_removal(context, next((d for d in docs if d.source == state.doc_remove), None))
    _table(context, docs, editable=refusal is None)
    st.subheader("Add a document")
    if refusal is not None:
        st.info(esc(refusal))
        return
    _upload_form(context)


def _table(context: PageContext, docs: list[Document], editable: bool) -> None:
    if not docs:
        st.info("The corpus has no documents yet.")
        return
    header = st.columns(COLUMNS)
    for col, name in zip(header, ["Title", "Date", "Issuing body", "Chunks", "Last ingest"], strict=False):
        col.markdown(f"**{name}**")
    for doc in docs:
        key = doc_id_for(doc.source)  # the row's own: a list changed by another session never shifts a click
        cols = st.columns(COLUMNS, vertical_alignment="center")
        cols[0].markdown(esc(doc.title))
        cols[0].caption(esc(doc.source))
        cols[1].markdown(esc(doc.date or "–"))
        cols[2].markdown(esc(doc.body or "–"))
        cols[3].markdown(str(doc.chunks))
        cols[4].markdown(datetime.fromtimestamp(doc.ingested_at).strftime("%Y-%m-%d %H:%M") if doc.ingested_at
                         else "not in the index")
        if cols[5].button("Open", key=f"doc-open-{key}", icon=":material/description:", type="tertiary",
                          help="Read the whole document as it was ingested"):
            show_whole_document(doc, context.settings.data_dir)
        if editable and cols[6].button("Remove", key=f"doc-remove-{key}", icon=":material/delete:",
                                       type="tertiary", help="Take this document out of the corpus and the index"):
            st.session_state.doc_remove = doc.source
            st.rerun()


@st.dialog("Document", width="large")
def show_whole_document(doc: Document, data_dir) -> None:
    st.markdown(f"**{esc(doc.title)}**" + (f" ({esc(doc.date)})" if doc.date else ""))
    st.caption(esc(" · ".join(filter(None, [doc.body, doc.source, f"{doc.chunks} chunks"]))))
    text = read_document(data_dir, doc_id_for(doc.source))
    if text is None:
        st.warning("This document is not in the index yet (or its text was lost): re-ingest the corpus.")
        return
    st.iframe(document_html(text, 0, 0), height=520)
    st.caption("The document as the assistant reads it, shown as plain text.")


def _confirm_removal(context: PageContext, doc: Document | None) -> None:
    state = st.session_state
    if doc is None:  # removed meanwhile (another session)
        state.pop("doc_remove", None)
        return
    with st.container(border=True):
        st.warning(esc(f"Remove “{doc.title}” ({doc.source})? Its file leaves the corpus folder (a copy is kept in "
                       f"{context.settings.data_dir / 'removed-documents'}) and its {doc.chunks} chunks leave the "
                       "index: the assistant will no longer answer from it."))
        yes, no = st.columns(2)
        if yes.button("Remove it", type="primary", icon=":material/delete:", key="doc-remove-yes"):
            state.pop("doc_remove", None)
            _change(context, f"Removing {doc.source}…", lambda progress: remove_document(
                context.services, doc.source, progress), f"Removed “{doc.title}” ({doc.source}).")
        if no.button("Cancel", key="doc-remove-no"):
            state.pop("doc_remove", None)
            st.rerun()


def _upload_form(context: PageContext) -> None:
    """The upload form; a new form (fresh keys) after each document added, so its fields start empty."""
    state = st.session_state
    n = state.setdefault("doc_form", 0)
    with st.form(f"doc-upload-{n}"):
        upload = st.file_uploader(f"Document ({KINDS})", key=f"doc-file-{n}",
                                  help=f"Checked as an ingest checks a file: {', '.join(sorted(LOADERS))}, at most "
                                       f"{context.settings.max_file_mb:g} MB (ASSISTANT_MAX_FILE_MB), with text.")
        title = st.text_input("Title", key=f"doc-title-{n}", max_chars=300,
                              placeholder="As citations should name it")
        date = st.text_input("Date", key=f"doc-date-{n}", max_chars=200,
                             placeholder="As the document gives it, e.g. September 2006")
        body = st.text_input("Issuing body (optional)", key=f"doc-body-{n}", max_chars=200)
        submitted = st.form_submit_button("Add and ingest", type="primary", icon=":material/upload:")
    if not submitted:
        return
    if upload is None:
        st.error("Choose a file to add.")
        return
    data = upload.getvalue()
    _change(context, f"Adding {upload.name}…", lambda progress: add_document(
        context.services, upload.name, data, title, date, body, progress),
        f"Added “{' '.join(title.split())}” ({upload.name}); the chat answers from it now.", new_form=True)


def _change(context: PageContext, label: str, action, done: str, new_form: bool = False) -> None:
    """Run one change of the corpus with a progress bar; then rerun over the new index (or say why not)."""
    refusal = corpus_refusal(context.settings, context.user)  # again: the permission may have changed
    if refusal is not None:
        st.error(esc(refusal))
        return
    with st.status(esc(label), expanded=True) as status:
        bar = st.progress(0.0, text="Checking the file and waiting for any other ingest…")

        def progress(count: int, total: int, source: str) -> None:
            bar.progress(min(count / max(total, 1), 1.0), text=esc(f"Embedding {source}: {count}/{total} chunks"))

        try:
            report = action(progress)
        except DocumentError as exc:
            status.update(label="Nothing was changed", state="error")
            st.error(esc(str(exc)))
            return
        except Exception as exc:  # Chroma or disk errors: said plainly, the page stays up
            log.exception("corpus change failed")
            status.update(label="The change failed", state="error")
            st.error(esc(f"The change failed ({type(exc).__name__}): {exc}"))
            return
        bar.progress(1.0, text="Done")
        status.update(label="Done", state="complete")
    st.session_state.doc_flash = ("success", f"{done} {report.chunks} chunks in the index ({report.seconds:.1f} s).")
    if new_form:
        st.session_state.doc_form += 1
    st.rerun()
