"""The Chat page: the conversation, answers streaming with their sources and feedback, starters, the agencies list.

With ASSISTANT_LLM set, answers stream sentence by sentence as the model writes them (each sentence shown only
once checked against its passage), then the sources appear; a failing model gives the extractive answer with a
visible warning. Untrusted text (documents, questions, answers) is only ever shown through `ui/render.py`.
Everything per user lives in st.session_state: the turns, their feedback rows, the `Conversation`.
"""

from __future__ import annotations

import logging
import time
import uuid

import streamlit as st

from assistant.conversation import Conversation
from assistant.export import answer_markdown, conversation_markdown
from assistant.models import CitedAnswer
from assistant.store import StoreError
from ui import past_conversations as past
from ui.feedback import render_feedback
from ui.render import escape_markdown as esc
from ui.render import stream_words
from ui.services import PageContext
from ui.sidebar import ingest_with_progress, render_sidebar
from ui.sources import render_sources, show_document

log = logging.getLogger(__name__)
STARTERS = ["What is the GMG?", "Who are the members of the GMG?", "Who handles trafficking victims?",
            "What is the GFMD?"]


def render(context: PageContext) -> None:
    """The whole page. A question comes from the chat box, or from a starter or the Evaluate page ("pending")."""
    state = st.session_state
    for name, default in (("messages", []), ("feedback_rows", {}), ("ratings", {}), ("session_id", uuid.uuid4().hex),
                          ("conversation", Conversation())):
        state.setdefault(name, default)
    state.owner = who = past.owner(context)
    past.restore(context, who)  # the conversation the link names (?c=), kept from an earlier visit
    st.title("GMG notes assistant")
    st.caption("Answers are quoted from the Global Migration Group's notes, with the passages they come from.")
    past.render_notices(context)
    prompt = st.chat_input("Ask about the GMG notes…", disabled=context.assistant is None)
    with st.sidebar:
        past_slot = st.container()  # filled last: it lists the conversation this run's answer may have started
        agencies_slot = render_sidebar(context)
    if context.assistant is None:
        _offer_first_ingest(context)
        return
    question = prompt or state.pop("pending", None)
    for turn in state.messages:
        render_turn(context, turn, offers=not question)  # a new question ends what the last answer offered
    if question:
        state.messages.append(answer_live(context, question))
        past.record_turn(context, who, state.messages[-1])
        past.render_notice()  # under the answer: saving it may have had something to say
    elif not state.messages:
        _welcome(context)
    if state.messages:  # the list left the page with the first question: it stays at hand in the sidebar
        with agencies_slot, st.expander("GMG member agencies"):
            render_agencies(context, "sidebar")
        _export_button()
    who = past.keep_browser_id(context, who)  # last: the rerun its cookie script may ask for stops no answer
    with past_slot:
        past.render_past(context, who)


def _export_button() -> None:
    """**Export conversation**: every answered turn as Markdown, with its quoted sources (assistant/export.py)."""
    turns = [m["result"] for m in st.session_state.messages if m["result"] is not None]
    if turns:
        st.sidebar.download_button("Export conversation", conversation_markdown(turns), key="export-conversation",
                                   icon=":material/download:",
                                   file_name=f"gmg-conversation-{time.strftime('%Y%m%d-%H%M')}.md",
                                   mime="text/markdown", on_click="ignore", width="stretch",
                                   help="Download the questions and answers with their quoted sources (Markdown)")


def _offer_first_ingest(context: PageContext) -> None:
    st.warning(esc(f"{context.services.empty_message} Nothing can be answered until the corpus is ingested."))
    if st.button("Ingest the corpus now", type="primary", icon=":material/upload:"):
        ingest_with_progress(context)


def _welcome(context: PageContext) -> None:
    """The empty chat: starter questions to click, and the member agencies, each with a cited line."""
    st.markdown("**Try one of these questions:**")
    columns = st.columns(2)
    for n, starter in enumerate(STARTERS):
        columns[n % 2].button(starter, key=f"starter-{n}", width="stretch",
                              on_click=st.session_state.__setitem__, args=("pending", starter))
    st.subheader("The GMG member agencies")
    st.caption("Each line is quoted from the notes; click its source to open the document.")
    render_agencies(context, "main")


def render_agencies(context: PageContext, where: str) -> None:
    """Every GMG member with its cited one-line summary; built once per index revision, in the background."""
    job = context.services.agencies(context.assistant)
    slot, total = st.empty(), len(context.assistant.glossary.members)
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
            show_document(s.citation, context.settings.data_dir)


def render_turn(context: PageContext, msg: dict, offers: bool = True) -> None:
    """An earlier turn, redrawn on each rerun: the question, then the answer (or its error) with all it had."""
    with st.chat_message("user"):
        st.markdown(esc(msg["question"]))
    with st.chat_message("assistant"):
        if msg["error"]:
            st.error(esc(msg["error"]))
            return
        result: CitedAnswer = msg["result"]
        if result.standalone_question:  # a request about the last answer ("shorter please") searched nothing
            label = "Searched" if "retrieve_ms" in result.timings_ms else "About the answer to"
            st.caption(f"{label}: {esc(result.standalone_question)}")
        st.markdown(esc(result.answer))
        _answer_footer(context, result, msg, offers)


def _answer_footer(context: PageContext, result: CitedAnswer, msg: dict, offers: bool = True) -> None:
    """Under an answer: what the reader should know (a model that failed is a warning), sources, feedback."""
    fallback = result.checks.get("fallback")
    for note in result.notes:
        (st.warning if note == fallback else st.caption)(esc(note))
    turns = st.session_state.conversation.turns
    if offers and result.suggested_question and turns and turns[-1] is result:  # it stands until the next turn
        st.button(esc(f"Ask: {result.suggested_question}"), key=f"suggested-{msg['id']}", icon=":material/forum:",
                  on_click=st.session_state.__setitem__, args=("pending", result.suggested_question))
    if result.backend != "extractive" and not result.abstained:
        st.caption(esc(f"Written by {result.backend}; each sentence was checked against the passage it cites."))
    render_sources(result, msg["id"], context.settings.data_dir)
    if not result.social:
        with st.popover("Copy with sources", icon=":material/content_copy:"):
            st.caption("The question, the answer and its quoted sources as Markdown: copy with the button at the "
                       "top right.")
            st.code(answer_markdown(result), language="markdown", wrap_lines=True)
    render_feedback(context, msg)


def _new_turn(context: PageContext, question: str, k: int) -> dict:
    """A turn as kept in the session (and recorded with feedback): the question and the settings it ran with."""
    settings, assistant = context.settings, context.assistant
    return {"id": uuid.uuid4().hex[:12], "question": question, "result": None, "error": None,
            "settings": {**settings.model_dump(mode="json"), "top_k_used": k, "answer_mode": "extractive",
                         "embedding_model": assistant.embeddings.model_id,
                         "index_revision": assistant.manifest.revision}}


def answer_live(context: PageContext, question: str) -> dict:
    """Ask, drawing the turn as it streams: the rewrite, then the checked answer text, then notes and sources."""
    state = st.session_state
    k = int(state.get("top_k", context.settings.top_k))
    mode = "extractive" if state.get("answer_mode", "extractive") == "extractive" else None
    msg = _new_turn(context, question, k)
    with st.chat_message("user"):
        st.markdown(esc(question))
    with st.chat_message("assistant"):
        searched, body = st.empty(), st.empty()
        body.caption("Searching the notes…")
        shown = _stream(context, msg, question, k, mode, searched, body)
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
        _answer_footer(context, result, msg)
    return msg


def _stream(context: PageContext, msg: dict, question: str, k: int, mode, searched, body) -> str:
    """Run the conversation's stream into the two placeholders; the result or the error goes into `msg`.
    Returns the answer text shown so far (empty unless a model wrote it piece by piece)."""
    shown = ""
    try:
        for event in st.session_state.conversation.stream(context.assistant, question, k=k, mode=mode):
            if isinstance(event, CitedAnswer):
                msg["result"] = event
            elif event.kind == "searched":
                searched.caption(f"Searched: {esc(event.text)}")
            elif event.kind == "text":
                shown += event.text
                body.markdown(esc(shown) + " ▌")
    except (ValueError, StoreError) as exc:  # empty, too long, the index damaged or its server away: it says what to do
        msg["error"] = str(exc)
    except Exception as exc:
        log.exception("ask failed")
        msg["error"] = f"The assistant could not answer ({type(exc).__name__}): {exc}"
    return shown
