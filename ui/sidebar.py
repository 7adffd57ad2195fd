"""The Chat page's sidebar: the corpus status and re-ingest, the answer settings, the feedback export."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from ingest.chroma_collection import chunk_count
from ui.render import escape_markdown as esc
from ui.services import PageContext

ANSWER_MODES = {"extractive": "Extractive: answers are sentences quoted from the notes, each cited."}


def render_sidebar(context: PageContext):
    """Draw the sidebar (call it inside `with st.sidebar`); returns an empty container at its foot, which the
    chat fills with the agencies list once the conversation has pushed it off the page."""
    _corpus(context)
    _answer_settings(context)
    _feedback_export(context)
    return st.container()


def _corpus(context: PageContext) -> None:
    services, manifest = context.services, context.assistant.manifest if context.assistant else None
    st.header("Corpus")
    last = datetime.fromtimestamp(manifest.updated_at).strftime("%Y-%m-%d %H:%M") if manifest else "never"
    try:
        chunks = chunk_count(services.store)
    except Exception:  # e.g. the Chroma server went away; the status must not break the page
        chunks = "unknown"
    st.markdown(f"**Documents:** {len(manifest.files) if manifest else 0}  \n**Chunks:** {chunks}  \n"
                f"**Last ingest:** {last}  \n**Embedding model:** {esc(services.embeddings.model_id)}")
    if st.button("Re-ingest corpus", icon=":material/sync:"):
        ingest_with_progress(context)
    if "ingest_summary" in st.session_state:
        kind, lines = st.session_state.ingest_summary
        getattr(st, kind)(esc("\n".join(lines)))


def ingest_with_progress(context: PageContext) -> None:
    """Ingest the corpus with a progress bar, keep a summary to show in the sidebar, and rerun over the new index."""
    with st.status("Ingesting the corpus…", expanded=True) as status:
        bar = st.progress(0.0, text="Checking which files changed…")

        def progress(done: int, total: int, source: str) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=esc(f"Embedding {source}: {done}/{total} chunks"))

        try:
            r = context.services.ingest(progress)
        except Exception as exc:  # missing corpus folder, unreadable manifest, Chroma errors…
            status.update(label="Ingest failed", state="error")
            st.error(esc(f"Ingest failed: {exc}"))
            return
        bar.progress(1.0, text="Done")
        status.update(label="Ingest complete", state="complete")
    lines = [f"{r.files} files: {r.added} added, {r.updated} updated, {r.removed} removed, {r.unchanged} unchanged; "
             f"{r.chunks} chunks in the index, {r.embedded} embedded now ({r.seconds:.1f} s)."]
    lines += [f"Skipped {i['path']}: {i['reason']}" for i in r.skipped]
    lines += [f"Failed: {i['error']}" for i in r.failed]
    st.session_state.ingest_summary = ("warning" if r.failed else "success", lines)
    st.rerun()


def answer_modes(assistant) -> dict[str, str]:
    """The answer modes offered: the configured model first (the default), then the extractive answerer."""
    modes = {}
    if assistant is not None and assistant.llm is not None:
        modes[assistant.backend] = (f"Model ({assistant.backend}): writes the answer from the retrieved passages; "
                                    "each sentence is checked against the passage it cites before it is shown.")
    return {**modes, **ANSWER_MODES}


def _answer_settings(context: PageContext) -> None:
    settings = context.settings
    st.header("Answers")
    st.slider("Passages to retrieve (top-k)", 1, settings.max_top_k, min(settings.top_k, settings.max_top_k),
              key="top_k")
    modes = answer_modes(context.assistant)
    mode = st.selectbox("Answer mode", list(modes), key="answer_mode")
    st.caption(esc(modes.get(mode, "")))


def _feedback_export(context: PageContext) -> None:
    feedback = context.services.feedback
    st.header("Feedback")
    count = feedback.count()
    st.caption(f"{count} rated answer{'s' * (count != 1)}, stored in {esc(feedback.path)}.")
    cols = st.columns(2)
    cols[0].download_button("CSV", feedback.to_csv, "feedback.csv", "text/csv", on_click="ignore",
                            icon=":material/download:", key="export-csv")
    cols[1].download_button("JSONL", feedback.to_jsonl, "feedback.jsonl", "application/jsonl",
                            on_click="ignore", icon=":material/download:", key="export-jsonl")
