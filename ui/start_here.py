"""The Start here page: a guided tour of the notes, then Check yourself (ui/quiz.py).

Each step of the tour (ui/data/tour.toml) asks its question to the assistant when the step is first shown and
shows the cited answer with its sources, exactly as the Chat page would; nothing of the answer is written here.
Answers are quoted sentences (the extractive answerer, also when a model is configured): the tour's questions are
golden cases, and that is the path `make test` checks. Per-user state (the step, the answers asked so far, the
part shown) lives in st.session_state.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import streamlit as st

from assistant.models import CitedAnswer
from ui import pages
from ui.quiz import render_quiz
from ui.render import escape_markdown as esc
from ui.services import PageContext
from ui.sources import render_sources

log = logging.getLogger(__name__)
TOUR_FILE = Path(__file__).parent / "data" / "tour.toml"
PARTS = ("Tour", "Check yourself")


@dataclass(frozen=True)
class Step:
    title: str
    intro: str
    question: str
    case: str  # the golden case this question is


@lru_cache(maxsize=1)
def tour_steps(path: Path = TOUR_FILE) -> tuple[Step, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(Step(s["title"], s.get("intro", ""), s["question"], s["case"]) for s in data["steps"])


def render(context: PageContext) -> None:
    st.title("Start here")
    st.caption("A short tour of the Global Migration Group's notes: each step asks the assistant one question and "
               "shows its answer, quoted from the notes, with the passages it comes from. Then check yourself.")
    if context.assistant is None:
        st.warning(esc(f"{context.services.empty_message} Ingest the corpus on the Chat page first."))
        st.page_link(pages.CHAT, label="Go to the Chat page", icon=":material/chat:")
        return
    part = st.radio("Part", PARTS, horizontal=True, key="start_part", label_visibility="collapsed")
    if part == PARTS[0]:
        render_tour(context)
    else:
        render_quiz(context)


def render_tour(context: PageContext) -> None:
    """One step: its question, the live answer with sources, and the buttons to move on."""
    steps, state = tour_steps(), st.session_state
    n = max(0, min(int(state.get("tour_step", 0)), len(steps) - 1))
    state["tour_pick"] = n  # the jump list shows the current step (a widget's value, set before it is drawn)
    st.selectbox("Step", range(len(steps)), key="tour_pick", on_change=_go_to_picked,
                 format_func=lambda i: f"{i + 1}. {steps[i].title}")
    step = steps[n]
    st.progress((n + 1) / len(steps), text=f"Step {n + 1} of {len(steps)}")
    st.subheader(esc(step.title))
    if step.intro:
        st.caption(esc(step.intro))
    with st.chat_message("user"):
        st.markdown(esc(step.question))
    with st.chat_message("assistant"):
        result = _answer(context, step)
        if result is not None:
            st.markdown(esc(result.answer))
            render_sources(result, f"tour-{n}", context.settings.data_dir)
    _step_buttons(step, n, len(steps))


def _go_to_picked() -> None:
    st.session_state["tour_step"] = st.session_state["tour_pick"]


def _step_buttons(step: Step, n: int, total: int) -> None:
    back, ask, forward = st.columns(3)
    back.button("Back", icon=":material/arrow_back:", disabled=n == 0, key="tour_back", width="stretch",
                on_click=st.session_state.__setitem__, args=("tour_step", n - 1))
    if ask.button("Ask it in the chat", icon=":material/chat:", key="tour_chat", width="stretch",
                  help="Opens the Chat page with this question asked, to follow up on it."):
        st.session_state["pending"] = step.question  # the Chat page asks a pending question first
        st.switch_page(pages.CHAT)
    if n + 1 < total:
        forward.button("Next", icon=":material/arrow_forward:", type="primary", key="tour_next", width="stretch",
                       on_click=st.session_state.__setitem__, args=("tour_step", n + 1))
    else:
        forward.button("Check yourself", icon=":material/quiz:", type="primary", key="tour_quiz", width="stretch",
                       on_click=st.session_state.__setitem__, args=("start_part", PARTS[1]))


def _answer(context: PageContext, step: Step) -> CitedAnswer | None:
    """The step's answer: asked live the first time it is shown over this index, then kept for the session."""
    answers = st.session_state.setdefault("tour_answers", {})
    key = (context.assistant.manifest.revision, step.question)
    if key not in answers:
        try:
            with st.spinner("Asking the assistant…"):
                answers[key] = context.assistant.ask(step.question, mode="extractive")
        except Exception as exc:  # the step says what failed; the tour goes on
            log.exception("tour question failed")
            st.error(esc(f"The assistant could not answer ({type(exc).__name__}): {exc}"))
            return None
    return answers[key]
