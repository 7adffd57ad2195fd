"""Check yourself (the second part of the Start here page): multiple-choice questions built from the Who does what
map (assistant/who_does_what.py `quiz_questions`), one at a time, with feedback and the cited passage after each
answer and a score at the end.

The questions are not typed anywhere: each is a member's sentence on a topic with the member's name masked, and
four members to choose from. The quiz in st.session_state is only its seed, the index revision and the answers
given; the questions are rebuilt from the (cached) map on each run.
"""

from __future__ import annotations

import streamlit as st

from assistant.who_does_what import QuizQuestion, quiz_questions
from ui.render import escape_markdown as esc
from ui.services import PageContext
from ui.sources import show_document
from ui.who_does_what import wait_for_map


def render_quiz(context: PageContext) -> None:
    wdw = wait_for_map(context)
    if wdw is None:
        return
    state = st.session_state
    quiz = state.get("quiz")
    if quiz is None or quiz["revision"] != wdw.revision:  # a new index: its map may ask other questions
        quiz = state["quiz"] = {"revision": wdw.revision, "seed": 0, "answers": {}, "current": 0}
    questions = quiz_questions(wdw, context.assistant.glossary, seed=quiz["seed"])
    if not questions:
        st.info("The map has too little in it for a quiz: every question needs a topic four members do not share.")
        return
    st.subheader("Check yourself")
    st.caption("Each question quotes a sentence of the notes with an agency's name blanked out. Which agency is it?")
    if quiz["current"] >= len(questions):
        _score(context, questions, quiz)
        return
    _question(context, questions, quiz)


def _question(context: PageContext, questions: list[QuizQuestion], quiz: dict) -> None:
    n = quiz["current"]
    q, answered = questions[n], quiz["answers"].get(n)
    right = sum(quiz["answers"].get(i) == x.answer for i, x in enumerate(questions))
    st.progress(n / len(questions), text=f"Question {n + 1} of {len(questions)} · {right} right so far")
    st.markdown(f"**Topic: {esc(q.topic)}.** Which member agency do the notes say this about?")
    st.markdown("> " + esc(q.quote))
    key = f"quiz-{quiz['seed']}-{n}"
    choice = st.radio("Your answer", q.options, index=None, key=key, disabled=answered is not None)
    if answered is None:
        st.button("Check", type="primary", disabled=choice is None, key="quiz_check",
                  on_click=_record, args=(quiz, n, key))
        return
    _feedback(context, q, answered, key=f"quiz-open-{n}")
    last = n + 1 == len(questions)
    st.button("See your score" if last else "Next question", type="primary", key="quiz_next",
              icon=":material/arrow_forward:", on_click=quiz.__setitem__, args=("current", n + 1))


def _record(quiz: dict, n: int, key: str) -> None:
    quiz["answers"][n] = st.session_state[key]


def _feedback(context: PageContext, q: QuizQuestion, answered: str, key: str) -> None:
    """Right or wrong, then the passage the question was made from, whole and cited, with its document."""
    if answered == q.answer:
        st.success(esc(f"Right: {q.answer}."), icon=":material/check_circle:")
    else:
        st.error(esc(f"Not quite: you chose {answered}; the notes say this of {q.answer}."),
                 icon=":material/cancel:")
    with st.container(border=True):
        st.markdown(f"{esc(q.cell.sentence)} \\[1\\]")
        st.caption(esc(f"[1] {q.cell.citation.label()}"))
        if st.button("Open the document at this passage", key=key, icon=":material/description:", type="tertiary"):
            show_document(q.cell.citation, context.settings.data_dir)


def _score(context: PageContext, questions: list[QuizQuestion], quiz: dict) -> None:
    right = sum(quiz["answers"].get(i) == q.answer for i, q in enumerate(questions))
    st.metric("Your score", f"{right} / {len(questions)}")
    st.markdown(esc(_verdict(right, len(questions))))
    st.dataframe({"Topic": [q.topic for q in questions],
                  "Your answer": [quiz["answers"].get(i, "") for i in range(len(questions))],
                  "Right answer": [q.answer for q in questions],
                  "": ["✓" if quiz["answers"].get(i) == q.answer else "✗" for i, q in enumerate(questions)]},
                 width="stretch", hide_index=True)
    if st.button("Take another quiz", icon=":material/refresh:", key="quiz_again"):
        quiz.update(seed=quiz["seed"] + 1, answers={}, current=0)
        st.rerun()


def _verdict(right: int, total: int) -> str:
    if right == total:
        return "All right: you know who does what."
    if right * 2 >= total:
        return "Good. The Who does what page has every topic, to read up on the ones you missed."
    return "Worth another look: the tour and the Who does what page cover every one of these."
