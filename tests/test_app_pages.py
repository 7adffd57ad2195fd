"""The Start here and Who does what pages, driven headless with AppTest over a real ingested index (real Chroma,
real bundled model), as tests/test_app.py drives the Chat page.

The index is built once for the module in a temp folder (corpus copied from corpus/); the app finds it through
ASSISTANT_DATA_DIR / ASSISTANT_CORPUS_DIR. The last test edits that copy and re-ingests it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import app_index
from streamlit.testing.v1 import AppTest

from assistant.who_does_what import quiz_questions
from ui.render import document_html, escape_markdown
from ui.start_here import tour_steps

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 180


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    yield from app_index(tmp_path_factory, "pages-index")


def open_page(script: str) -> AppTest:
    """The app opened on its default page (Chat), then `script` picked in the navigation."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    at.switch_page(f"ui/pages/{script}").run()
    assert not at.exception, at.exception
    return at


def the_map(at: AppTest):
    """The map the page drew: the app's own (cached) one for the current index."""
    context = at.session_state["page_context"]
    job = context.services.who_does_what(context.assistant)
    assert job["result"] is not None
    return job["result"], context.assistant


def texts(at: AppTest) -> list[str]:
    return [plain(m.value) for m in at.main.markdown]


def test_the_tour_asks_every_step_live_and_shows_its_cited_answer(index):
    at = open_page("start_here.py")
    assert at.title[0].value == "Start here"
    steps = tour_steps()
    for n, step in enumerate(steps):
        assert plain(at.subheader[0].value) == step.title
        user, answer = at.chat_message
        assert plain(user.markdown[0].value) == step.question
        revision = at.session_state["page_context"].assistant.manifest.revision
        result = at.session_state["tour_answers"][(revision, step.question)]
        shown = [plain(m.value) for m in answer.markdown]
        assert shown[0] == result.answer and "[1]" in result.answer and not result.abstained, step
        assert "Sources" in [s.strip("*") for s in shown]
        for c in result.citations:  # each source with its exact quoted passage
            assert "> " + " ".join(c.text.split()) in shown, (step.question, c.text)
        assert at.progress[0].proto.text == f"Step {n + 1} of {len(steps)}"
        if n + 1 < len(steps):
            at.button(key="tour_next").click().run()
            assert not at.exception, at.exception
    at.button(key="tour_quiz").click().run()  # the last step leads on to the quiz
    assert not at.exception, at.exception
    assert at.radio(key="start_part").value == "Check yourself"
    assert any(s.value == "Check yourself" for s in at.subheader)


def test_the_tour_jumps_back_and_hands_a_step_to_the_chat(index):
    at = open_page("start_here.py")
    at.selectbox(key="tour_pick").set_value(5).run()
    assert plain(at.subheader[0].value) == tour_steps()[5].title
    at.button(key="tour_back").click().run()
    assert plain(at.subheader[0].value) == tour_steps()[4].title
    at.button(key="tour_chat").click().run()
    assert not at.exception, at.exception
    assert at.chat_input and at.session_state["messages"][-1]["question"] == tour_steps()[4].question
    assert at.session_state["messages"][-1]["result"].citations


def test_check_yourself_gives_feedback_with_the_passage_and_a_score(index):
    at = open_page("start_here.py")
    at.radio(key="start_part").set_value("Check yourself").run()
    assert not at.exception, at.exception
    wdw, assistant = the_map(at)
    questions = quiz_questions(wdw, assistant.glossary, seed=0)
    assert len(questions) >= 8
    expected = 0
    for i, q in enumerate(questions):
        assert "> " + q.quote in texts(at) and "▁▁▁" in q.quote
        assert at.radio(key=f"quiz-0-{i}").options == list(q.options)
        right = i % 3 != 2  # two right, one wrong, …
        choice = q.answer if right else next(o for o in q.options if o != q.answer)
        at.radio(key=f"quiz-0-{i}").set_value(choice).run()
        at.button(key="quiz_check").click().run()
        assert not at.exception, at.exception
        if right:
            expected += 1
            assert plain(at.success[0].value) == f"Right: {q.answer}."
        else:
            assert plain(at.error[0].value) == f"Not quite: you chose {choice}; the notes say this of {q.answer}."
        assert f"{q.cell.sentence} [1]" in texts(at)  # the cited passage, unmasked
        if i == 0:
            at.button(key="quiz-open-0").click().run()
            [frame] = at.get("iframe")
            assert '<mark id="passage">' in frame.proto.srcdoc
        at.button(key="quiz_next").click().run()
    assert at.metric[0].value == f"{expected} / {len(questions)}"
    at.button(key="quiz_again").click().run()
    assert not at.exception, at.exception
    assert at.session_state["quiz"]["seed"] == 1 and at.radio(key="quiz-1-0")


def test_who_does_what_names_unodc_for_trafficking_filters_and_opens_a_row(index):
    at = open_page("who_does_what.py")
    assert at.title[0].value == "Who does what"
    wdw, _ = the_map(at)
    topics = [plain(s.value) for s in at.subheader]
    assert topics == [t.label for t in wdw.topics] and len(topics) >= 15
    unodc, ohchr = wdw.cell("Trafficking", "UNODC"), wdw.cell("Trafficking", "OHCHR")
    assert "technical cooperation project on Trafficking" in ohchr.sentence
    for cell in (unodc, ohchr):
        assert f"{cell.sentence} [1]" in texts(at)

    at.text_input(key="wdw_filter").input("trafficking").run()
    topics = [plain(s.value) for s in at.subheader]
    assert "Trafficking" in topics and "Remittances" not in topics
    shown = texts(at)
    assert "**UNODC**" in shown and f"{unodc.sentence} [1]" in shown and f"{ohchr.sentence} [1]" in shown
    assert all(c.matches("trafficking", next(t.words for t in wdw.topics if t.label == c.topic))
               for c in wdw.cells if f"{c.sentence} [1]" in shown)
    at.text_input(key="wdw_filter").input("no such thing anywhere").run()
    assert not at.subheader and "Nothing in the map matches" in plain(at.info[0].value)

    at.text_input(key="wdw_filter").input("trafficking").run()
    at.button(key=f"wdw-open-{wdw.cells.index(unodc)}").click().run()
    assert not at.exception, at.exception
    [frame] = at.get("iframe")
    c = unodc.citation
    text = (index.data_dir / "texts" / f"{c.doc_id}.txt").read_text(encoding="utf-8")
    assert frame.proto.srcdoc == document_html(text, c.start, c.end)


def test_pages_without_an_index_point_to_the_chat(index, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "corpus"))
    for script in ("start_here.py", "who_does_what.py"):
        at = open_page(script)
        assert "index is empty" in plain(at.warning[0].value) and not at.button


def test_the_map_is_rebuilt_after_a_reingest(index):
    """Last in the module: it edits the module's corpus copy. Re-ingesting from the Chat page's sidebar gives the
    Who does what page a map with the edit in it."""
    at = open_page("who_does_what.py")
    wdw, _ = the_map(at)
    at.switch_page("ui/pages/start_here.py").run()
    assert the_map(at)[0] is wdw  # built once per index: every page and session shares it
    assert wdw.cell("Refugee", "World Bank") is None
    note = index.corpus_dir / "gmg-information-note-2006.txt"
    added = "The World Bank also finances housing for refugees in host countries."
    note.write_text(note.read_text(encoding="utf-8").replace(
        "The World Bank has also been actively engaged", f"{added} The World Bank has also been actively engaged"),
        encoding="utf-8")
    at.switch_page("ui/pages/chat.py").run()
    next(b for b in at.sidebar.button if b.label == "Re-ingest corpus").click().run()
    assert not at.exception, at.exception
    assert "1 updated" in plain(at.sidebar.success[0].value)
    at.switch_page("ui/pages/who_does_what.py").run()
    assert not at.exception, at.exception
    rebuilt, _ = the_map(at)
    assert rebuilt.revision > wdw.revision
    assert rebuilt.cell("Refugee", "World Bank").sentence == added
    assert f"{escape_markdown(added)} \\[1\\]" in [m.value for m in at.main.markdown]
