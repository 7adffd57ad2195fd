"""The chat front end: `streamlit run app.py`. Settings come from ASSISTANT_* environment variables / .env.

A thin shell over the assistant: heavy objects are built once per process (`load_services`), everything
per user lives in st.session_state. With ASSISTANT_LLM set, answers stream sentence by sentence as the model
writes them (each sentence shown only once checked against its passage), then the sources appear; a failing
model gives the extractive answer with a visible warning. Untrusted text (documents, questions, answers)
is only ever rendered escaped: `escape_markdown` for Markdown, `document_html` (HTML-escaped, own CSP) for
the document viewer.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from datetime import datetime

import streamlit as st

from assistant.agencies import read_document
from assistant.conversation import Conversation
from assistant.feedback import REASONS
from assistant.models import Citation, CitedAnswer
from assistant.services import Services
from assistant.settings import Settings
from ui.auth import logout, require_login
from ui.render import document_html
from ui.render import escape_markdown as esc

log = logging.getLogger("assistant.app")
STARTERS = ["What is the GMG?", "Who are the members of the GMG?", "Who handles trafficking victims?",
            "What is the GFMD?"]
VIEWS = {"chat": "Chat", "evaluate": "Evaluate"}
ANSWER_MODES = {"extractive": "Extractive: answers are sentences quoted from the notes, each cited."}


@st.cache_resource(show_spinner="Loading the embedding model and the index…")
def load_services(settings_json: str, secret_digest: str, _settings: Settings) -> Services:
    """One Services per distinct configuration (the JSON masks the API key: its digest is in the key too)."""
    return Services(_settings)


def answer_modes(assistant) -> dict[str, str]:
    """The answer modes offered: the configured model first (the default), then the extractive answerer."""
    modes = {}
    if assistant is not None and assistant.llm is not None:
        modes[assistant.backend] = (f"Model ({assistant.backend}): writes the answer from the retrieved passages; "
                                    "each sentence is checked against the passage it cites before it is shown.")
    return {**modes, **ANSWER_MODES}


# -- rendering ----------------------------------------------------------------------------------------------

def citation_where(c: Citation) -> str:
    return " · ".join(filter(None, [c.section and f"Section: {c.section}", c.page and f"p. {c.page}", c.source]))


@st.dialog("Source document", width="large")
def show_document(c: Citation) -> None:
    st.markdown(f"**{esc(c.title)}**" + (f" ({esc(c.date)})" if c.date else ""))
    st.caption(esc(citation_where(c)))
    text = read_document(settings.data_dir, c.doc_id)
    start, end = c.start, c.end
    if text is not None and text[start:end] != c.text:
        found = text.find(c.text)
        start, end = (found, found + len(c.text)) if found >= 0 else (0, 0)
        if found < 0:
            st.warning("The document changed since this answer was given; the passage is no longer in it.")
    if text is None:
        st.warning("The full text of this document is not available; re-ingest the corpus to restore it.")
        st.markdown("> " + esc(" ".join(c.text.split())))
        return
    st.iframe(document_html(text, start, end), height=520)
    st.caption("The quoted passage is highlighted; the document is shown as plain text.")


def render_sources(result: CitedAnswer, mid: str) -> None:
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
                show_document(c)


def _rated(mid: str) -> None:
    msg = next(m for m in state.messages if m["id"] == mid)
    rating, rows = state.get(f"fb-{mid}"), state.feedback_rows
    try:
        if mid in rows:
            services.feedback.update(rows[mid], rating=rating)
        else:
            rows[mid] = services.feedback.record(msg["result"], rating=rating, settings=msg["settings"],
                                                 session_id=state.session_id, message_id=mid, user=user)
        state.feedback_notice = (mid, "Thanks, your rating was saved.")
    except Exception as exc:  # a full disk or a locked database must not break the chat
        state.feedback_notice = (mid, f"Could not save the feedback: {exc}")


def render_feedback(msg: dict) -> None:
    mid = msg["id"]
    rating = st.feedback("thumbs", key=f"fb-{mid}", on_change=_rated, args=(mid,))
    if rating is not None and mid in state.feedback_rows:
        with st.form(f"fbform-{mid}", border=False):
            reasons = st.pills("What was wrong? (optional)", list(REASONS), format_func=REASONS.get,
                               selection_mode="multi", key=f"fbr-{mid}") if rating == 0 else []
            comment = st.text_input("Comment (optional)", key=f"fbc-{mid}", max_chars=2000)
            if st.form_submit_button("Save details"):
                try:
                    services.feedback.update(state.feedback_rows[mid], reasons=reasons or [], comment=comment)
                    state.feedback_notice = (mid, "Thanks, your feedback was saved.")
                except Exception as exc:
                    state.feedback_notice = (mid, f"Could not save the feedback: {exc}")
    notice = state.get("feedback_notice")
    if notice and notice[0] == mid:
        st.caption(esc(notice[1]))


def stream_words(text: str):
    """The answer word by word, escaped, over at most ~0.6 s (it is already complete: this is for the eye)."""
    words = re.findall(r"\s*\S+\s*", text)
    for word in words:
        yield esc(word)
        time.sleep(min(0.02, 0.6 / len(words)))


def render_notes(result: CitedAnswer) -> None:
    """A model that was unavailable is a warning; what the checks changed is a caption."""
    fallback = result.checks.get("fallback")
    for note in result.notes:
        (st.warning if note == fallback else st.caption)(esc(note))
    if result.backend != "extractive" and not result.abstained:
        st.caption(esc(f"Written by {result.backend}; each sentence was checked against the passage it cites."))


def render_turn(msg: dict) -> None:
    with st.chat_message("user"):
        st.markdown(esc(msg["question"]))
    with st.chat_message("assistant"):
        if msg["error"]:
            st.error(esc(msg["error"]))
            return
        result: CitedAnswer = msg["result"]
        if result.standalone_question:
            st.caption(f"Searched: {esc(result.standalone_question)}")
        st.markdown(esc(result.answer))
        render_notes(result)
        render_sources(result, msg["id"])
        render_feedback(msg)


def render_agencies(assistant, where: str) -> None:
    job, slot, total = services.agencies(assistant), st.empty(), len(assistant.glossary.members)
    while job["result"] is None and job["error"] is None:  # each st call lets a new question interrupt
        slot.caption(f"Summarising the member agencies from the notes… {job['done']}/{total}")
        time.sleep(0.3)
    slot.empty()
    if job["error"]:
        st.error(esc(f"Could not build the Agencies view: {job['error']}"))
        return
    for i, s in enumerate(job["result"]):
        name = f"**{esc(s.name)}**" + (f" ({esc(s.full)})" if s.full != s.name else "")
        st.markdown(f"{name}: {esc(s.summary) if s.summary else 'not described in the documents.'}")
        if s.citation is None:
            continue
        if st.button(esc(f"[1] {s.citation.label()}"), key=f"agency-{where}-{i}", type="tertiary",
                     icon=":material/description:", help="Open the document at this passage"):
            show_document(s.citation)


def answer_live(question: str, assistant) -> dict:
    """Ask, rendering the turn as it streams: the rewrite, then the checked answer text, then notes and sources."""
    k = int(state.get("top_k", settings.top_k))
    mode = "extractive" if state.get("answer_mode", "extractive") == "extractive" else None
    msg = {"id": uuid.uuid4().hex[:12], "question": question, "result": None, "error": None,
           "settings": {**settings.model_dump(mode="json"), "top_k_used": k, "answer_mode": "extractive",
                        "embedding_model": assistant.embeddings.model_id,
                        "index_revision": assistant.manifest.revision}}
    with st.chat_message("user"):
        st.markdown(esc(question))
    with st.chat_message("assistant"):
        searched, body = st.empty(), st.empty()
        body.caption("Searching the notes…")
        shown = ""
        try:
            for event in state.conversation.stream(assistant, question, k=k, mode=mode):
                if isinstance(event, CitedAnswer):
                    msg["result"] = event
                elif event.kind == "searched":
                    searched.caption(f"Searched: {esc(event.text)}")
                elif event.kind == "text":
                    shown += event.text
                    body.markdown(esc(shown) + " ▌")
        except ValueError as exc:  # empty or too long: the message says what to do
            msg["error"] = str(exc)
        except Exception as exc:
            log.exception("ask failed")
            msg["error"] = f"The assistant could not answer ({type(exc).__name__}): {exc}"
        if msg["error"]:
            body.error(esc(msg["error"]))
            return msg
        result: CitedAnswer = msg["result"]
        msg["settings"]["answer_mode"] = result.backend
        if not shown:  # an extractive answer or an abstention arrives whole: show it word by word for the eye
            for partial in stream_words(result.answer):
                shown += partial
                body.markdown(shown + " ▌")
        body.markdown(esc(result.answer))  # the checked answer, also when it replaces a partial model answer
        render_notes(result)
        render_sources(result, msg["id"])
        render_feedback(msg)
    return msg


def run_ingest_ui() -> None:
    with st.status("Ingesting the corpus…", expanded=True) as status:
        bar = st.progress(0.0, text="Checking which files changed…")

        def progress(done: int, total: int, source: str) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=esc(f"Embedding {source}: {done}/{total} chunks"))

        try:
            r = services.ingest(progress)
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
    state.ingest_summary = ("warning" if r.failed else "success", lines)
    st.rerun()


def render_account_and_view() -> str:
    """Top of the sidebar: who is signed in, and the Chat / Evaluate switch (kept in the URL as ?view=)."""
    if user is not None:
        st.caption(f"Signed in as **{esc(user)}**")
        if st.button("Sign out", icon=":material/logout:", key="sign-out"):
            logout(settings)
            st.rerun()
    if "view" not in state:
        state.view = st.query_params.get("view") if st.query_params.get("view") in VIEWS else "chat"
    view = st.segmented_control("View", list(VIEWS), format_func=VIEWS.get, key="view") or "chat"
    st.query_params["view"] = view
    return view


def render_sidebar(assistant):
    st.header("Corpus")
    manifest = assistant.manifest if assistant else None
    last = datetime.fromtimestamp(manifest.updated_at).strftime("%Y-%m-%d %H:%M") if manifest else "never"
    try:
        chunks = services.store._collection.count()
    except Exception:  # e.g. the Chroma server went away; the status must not break the page
        chunks = "unknown"
    st.markdown(f"**Documents:** {len(manifest.files) if manifest else 0}  \n**Chunks:** {chunks}  \n"
                f"**Last ingest:** {last}  \n**Embedding model:** {esc(services.embeddings.model_id)}")
    if st.button("Re-ingest corpus", icon=":material/sync:"):
        run_ingest_ui()
    if "ingest_summary" in state:
        kind, lines = state.ingest_summary
        getattr(st, kind)(esc("\n".join(lines)))
    st.header("Answers")
    st.slider("Passages to retrieve (top-k)", 1, settings.max_top_k, min(settings.top_k, settings.max_top_k),
              key="top_k")
    modes = answer_modes(assistant)
    mode = st.selectbox("Answer mode", list(modes), key="answer_mode")
    st.caption(esc(modes.get(mode, "")))
    st.header("Feedback")
    count = services.feedback.count()
    st.caption(f"{count} rated answer{'s' * (count != 1)}, stored in {esc(services.feedback.path)}.")
    cols = st.columns(2)
    cols[0].download_button("CSV", services.feedback.to_csv, "feedback.csv", "text/csv", on_click="ignore",
                            icon=":material/download:", key="export-csv")
    cols[1].download_button("JSONL", services.feedback.to_jsonl, "feedback.jsonl", "application/jsonl",
                            on_click="ignore", icon=":material/download:", key="export-jsonl")
    return st.container()


# -- page ---------------------------------------------------------------------------------------------------

st.set_page_config(page_title="GMG notes assistant")  # no page_icon: a material icon favicon loads from Google
settings = Settings()
user = require_login(settings)  # None when ASSISTANT_AUTH=off; otherwise the sign-in form stops the run here
state = st.session_state
for name, default in (("messages", []), ("feedback_rows", {}), ("session_id", uuid.uuid4().hex),
                      ("conversation", Conversation())):
    state.setdefault(name, default)
try:
    secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    services = load_services(settings.model_dump_json(), hashlib.sha256(secret.encode()).hexdigest(), settings)
    current = services.current()
except Exception as exc:  # the model or the Chroma server is missing: say what is wrong, no stack trace
    log.exception("startup failed")
    st.error(esc(f"The assistant could not start: {exc}"))
    st.stop()

with st.sidebar:
    view = render_account_and_view()
if view == "evaluate":  # the evaluator page: run the golden evaluation, read reports, drill into questions
    from ui.evaluate import render as render_evaluator

    render_evaluator(services, settings, state)
    st.stop()

st.title("GMG notes assistant")
st.caption("Answers are quoted from the Global Migration Group's notes, with the passages they come from.")
prompt = st.chat_input("Ask about the GMG notes…", disabled=current is None)
with st.sidebar:
    agencies_slot = render_sidebar(current)

if current is None:
    st.warning(esc(f"{services.empty_message} Nothing can be answered until the corpus is ingested."))
    if st.button("Ingest the corpus now", type="primary", icon=":material/upload:"):
        run_ingest_ui()
    st.stop()

pending = state.pop("pending", None)  # a starter question clicked in the previous run
question = prompt or pending
for turn in state.messages:
    render_turn(turn)
if question:
    state.messages.append(answer_live(question, current))
elif not state.messages:
    st.markdown("**Try one of these questions:**")
    columns = st.columns(2)
    for n, starter in enumerate(STARTERS):
        columns[n % 2].button(starter, key=f"starter-{n}", width="stretch",
                              on_click=state.__setitem__, args=("pending", starter))
    st.subheader("The GMG member agencies")
    st.caption("Each line is quoted from the notes; click its source to open the document.")
    render_agencies(current, "main")
if state.messages:
    with agencies_slot, st.expander("GMG member agencies"):
        render_agencies(current, "sidebar")
