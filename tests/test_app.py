"""The Streamlit app, driven headless with AppTest over a real ingested index (real Chroma, real model).

The index is built once for the module in a temp folder (corpus copied from corpus/); the app finds it
through ASSISTANT_DATA_DIR / ASSISTANT_CORPUS_DIR, exactly as in production.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import app_index
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from assistant.export import answer_markdown
from ui.render import document_html, escape_markdown

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 120


# What GFM (remark-gfm, used by Streamlit) turns into links inside text, after escapes are resolved.
GFM_AUTOLINKS = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.I)


def plain(markdown: str) -> str:
    """What an escaped Markdown string without URLs shows: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def rendered(markdown: str) -> tuple[str, str, list[str]]:
    """(HTML, visible text, text nodes) of `markdown` as a CommonMark renderer shows it."""
    md = MarkdownIt("commonmark")
    page = md.render(markdown)
    texts = [child.content for token in md.parse(markdown) if token.type == "inline"
             for child in token.children or [] if child.type == "text"]
    return page, html.unescape(re.sub(r"<[^>]+>", "", page)).strip(), texts


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """A fresh corpus copy ingested into a temp data dir; env vars point the app at it."""
    yield from app_index(tmp_path_factory, "app-index")


@pytest.fixture
def app(index) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def last_answer(at: AppTest):
    """(answer Markdown element, the turn dict in session state) of the latest turn."""
    message = at.chat_message[-1]
    assert message.name == "assistant"
    return message, at.session_state["messages"][-1]


def test_trafficking_question_is_answered_with_citations(app):
    ask(app, "Who handles trafficking victims?")
    message, turn = last_answer(app)
    result = turn["result"]
    shown = plain(message.markdown[0].value)
    assert "UNODC" in shown
    assert "[1]" in shown
    assert shown == result.answer
    texts = [plain(m.value) for m in message.markdown]
    assert "**Sources**" in message.markdown.values or "Sources" in texts
    for c in result.citations:
        assert any(t.strip("*").startswith(f"[{c.id}] {c.title}") for t in texts), texts
        assert "> " + " ".join(c.text.split()) in texts  # the exact quoted passage
    assert any("Section: UNODC" in plain(c.value) for c in message.caption)
    assert app.feedback, "every answer offers feedback"


def test_off_topic_question_abstains_and_lists_closest_passages(app):
    ask(app, "Who won the 2022 World Cup?")
    message, turn = last_answer(app)
    assert turn["result"].abstained
    shown = plain(message.markdown[0].value)
    assert "don't say" in shown or "not in the" in shown.lower()
    texts = [m.value for m in message.markdown]
    assert "**You may want to read:**" in texts
    assert "[1]" not in shown


def test_thanks_gets_a_reply_without_sources(app):
    ask(app, "thanks!")
    message, turn = last_answer(app)
    assert turn["result"].social
    assert plain(message.markdown[0].value).startswith("You're welcome")
    texts = [m.value for m in message.markdown]
    assert "**Sources**" not in texts and "**You may want to read:**" not in texts


def test_starter_question_is_clickable(app):
    labels = [b.label for b in app.button]
    for starter in ("What is the GMG?", "Who are the members of the GMG?", "Who handles trafficking victims?",
                    "What is the GFMD?"):
        assert starter in labels
    app.button(key="starter-3").click().run()
    assert not app.exception
    assert app.chat_message[0].name == "user"
    assert plain(app.chat_message[0].markdown[0].value) == "What is the GFMD?"
    _, turn = last_answer(app)
    assert "GFMD" in turn["result"].answer and turn["result"].citations
    assert "starter-0" not in [b.key for b in app.button], "starters belong to the empty chat only"


def test_agencies_view_lists_every_member_with_a_cited_line(app):
    from ingest.glossary import Glossary

    members = Glossary.load(ROOT / "corpus" / "glossary.toml").members
    assert len(members) == 10
    lines = [plain(m.value) for m in app.main.markdown]
    for body in members:
        label = f"**{body.name}**" + (f" ({body.full})" if body.full != body.name else "")
        line = next((t for t in lines if t.startswith(f"{label}: ")), None)
        assert line is not None, f"no Agencies line for {body.name}"
        assert line.endswith("[1]"), line
    sources = [b for b in app.button if (b.key or "").startswith("agency-main-")]
    assert len(sources) == 10
    assert all("Global Migration Group: Information Note" in plain(b.label) for b in sources)


def test_a_long_agency_line_keeps_what_the_agency_does():
    """UNODC's first sentence is 52 words, most of them the protocols it is custodian of: the line keeps its
    predicate instead of stopping inside the apposition ("… by Land …")."""
    from assistant.agencies import shortened

    unodc = ("UNODC, as custodian of the Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially "
             "Women and Children as well as the Protocol against the Smuggling of Migrants by Land, Sea and Air, which "
             "both supplement the Convention against Transnational Organized Crime, assists governments in their "
             "ratification and implementation.")
    line = shortened(unodc)
    assert line.startswith("UNODC, as custodian of the Protocol to Prevent")
    assert line.endswith(" … assists governments in their ratification and implementation.") and len(line.split()) <= 31
    # its last clause is no predicate: the opening words, then "…"
    undesa = ("The Department of Economic and Social Affairs of the UN Secretariat is the primary source of "
              "information on matters related to international migration and development for the General Assembly, "
              "ECOSOC and its functional commissions.")
    assert shortened(undesa).endswith("for the General Assembly, ECOSOC …")
    short = "IOM is dedicated to humane and orderly migration."
    assert shortened(short) == short


def test_followup_shows_the_rewritten_question(app):
    ask(app, "What does UNODC do?")
    assert not app.chat_message[-1].caption or "Searched:" not in app.chat_message[-1].caption[0].value
    ask(app, "Which protocols is it custodian of?")
    message, turn = last_answer(app)
    searched = [plain(c.value) for c in message.caption if c.value.startswith("Searched:")]
    assert searched and "UNODC" in searched[0], searched
    assert turn["result"].standalone_question == searched[0].removeprefix("Searched: ")
    assert "Protocol" in turn["result"].answer


def test_shorter_please_is_answered_from_the_last_answer_and_searched_nothing(app):
    ask(app, "Does the ILO have its own conventions on migrant workers?")
    first = last_answer(app)[1]["result"]
    ask(app, "Shorter please.")
    message, turn = last_answer(app)
    assert not any(plain(c.value).startswith("Searched:") for c in message.caption)
    assert len(turn["result"].citations) == 1 and len(turn["result"].answer) < len(first.answer)
    app.run()  # redrawn as an earlier turn: what it is about, not a search
    captions = [plain(c.value) for c in last_answer(app)[0].caption]
    assert f"About the answer to: {first.question}" in captions, captions


def test_a_reading_with_the_previous_question_is_offered_and_asked_on_click(app):
    ask(app, "the gfmd is state-led right")
    ask(app, "the un cannot vote then?")
    message, turn = last_answer(app)
    assert turn["result"].abstained
    offered = "the un cannot vote then? (the gfmd is state-led right)"
    key = f"suggested-{turn['id']}"
    assert [b.key for b in app.button if (b.key or "").startswith("suggested-")] == [key]
    assert plain(app.button(key=key).label) == f"Ask: {offered}"
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    message, turn = last_answer(app)
    assert turn["question"] == offered
    assert not turn["result"].abstained and "Members or Observers" in turn["result"].answer
    assert not [b for b in app.button if (b.key or "").startswith("suggested-")]  # the offer was taken: no button left


def test_each_answer_can_be_copied_with_its_sources_and_the_conversation_exported(app):
    """Under each answer, **Copy with sources** holds the turn's Markdown in a code block (its copy button copies
    it); the sidebar's **Export conversation** downloads every turn's Markdown (assistant/export.py)."""
    exports = lambda: [b for b in app.sidebar.get("download_button") if b.key == "export-conversation"]  # noqa: E731
    assert not exports()  # nothing asked yet: nothing to export
    ask(app, "Who handles trafficking victims?")
    ask(app, "What else does it do?")
    first, second = (m["result"] for m in app.session_state["messages"])
    copies = [c.value for c in app.code if c.language == "markdown"]
    assert [c.rstrip() for c in copies] == [answer_markdown(first).rstrip(), answer_markdown(second).rstrip()]
    for result, copy in zip((first, second), copies, strict=True):
        assert result.citations and all(f"characters {c.start}–{c.end}" in copy for c in result.citations)
    (export,) = exports()
    assert export.proto.label == "Export conversation" and export.proto.url


def test_feedback_is_saved_to_sqlite_with_reasons_and_comment(app, index):
    ask(app, "Who handles trafficking victims?")
    turn = app.session_state["messages"][-1]
    app.feedback[-1].set_value(0).run()  # thumbs down
    assert not app.exception
    db = index.data_dir / "feedback.sqlite3"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT rating, question, answer, citations, settings, timestamp FROM feedback "
                            "WHERE message_id = ?", (turn["id"],)).fetchall()
    assert len(rows) == 1
    rating, question, answer, citations, settings, timestamp = rows[0]
    assert (rating, question, answer) == (0, "Who handles trafficking victims?", turn["result"].answer)
    assert [c["text"] for c in json.loads(citations)] == [c.text for c in turn["result"].citations]
    assert json.loads(settings)["top_k_used"] == index.top_k and timestamp
    app.pills(key=f"fbr-{turn['id']}").set_value(["wrong_citation", "incomplete"])
    app.text_input(key=f"fbc-{turn['id']}").input("Cites the GMG goals, not UNODC.")
    next(b for b in app.button if b.label == "Save details").click().run()
    assert not app.exception
    with sqlite3.connect(db) as conn:
        reasons, comment = conn.execute("SELECT reasons, comment FROM feedback WHERE message_id = ?",
                                        (turn["id"],)).fetchone()
    assert json.loads(reasons) == ["wrong_citation", "incomplete"]
    assert comment == "Cites the GMG goals, not UNODC."
    assert any("saved" in c.value for c in app.chat_message[-1].caption)
    assert {b.label for b in app.sidebar.get("download_button")} >= {"CSV", "JSONL"}


def test_open_document_shows_the_whole_text_with_the_passage_highlighted(app, index):
    ask(app, "Who handles trafficking victims?")
    citation = app.session_state["messages"][-1]["result"].citations[0]
    opener = next(b for b in app.button if (b.key or "").endswith(f"-cited-{citation.id}"))
    opener.click().run()
    assert not app.exception
    frames = [f for f in app.get("iframe") if "gmg_browser" not in f.proto.srcdoc]  # not the cookie's
    assert len(frames) == 1
    text = (index.data_dir / "texts" / f"{citation.doc_id}.txt").read_text(encoding="utf-8")
    assert frames[0].proto.srcdoc == document_html(text, citation.start, citation.end)
    assert '<mark id="passage">' in frames[0].proto.srcdoc


def test_too_long_question_gets_a_clear_message(app, index):
    ask(app, "why " * (index.max_question_chars // 4 + 10))
    message, turn = last_answer(app)
    assert turn["result"] is None
    assert message.error and "limit is" in message.error[0].value
    assert not app.exception


def test_markup_in_a_question_is_shown_as_text(app):
    question = "What is ![x](http://127.0.0.1:9/y.png) <img src=x onerror=alert(1)> **the GMG**?"
    ask(app, question)
    shown = app.chat_message[0].markdown[0].value
    assert shown == escape_markdown(question)
    page, text, nodes = rendered(shown)
    assert text == question
    assert "<img" not in page and "<a " not in page and "<strong>" not in page
    assert not any(GFM_AUTOLINKS.search(t) for t in nodes)


def test_sidebar_shows_corpus_status_and_reingests(app, index):
    status = plain(app.sidebar.markdown[0].value)
    assert "Documents: 2" in status.replace("**", "")
    assert "sentence-transformers/all-MiniLM-L6-v2" in status
    assert re.search(r"Chunks:\*\* [1-9]", status)
    assert app.sidebar.slider(key="top_k").value == index.top_k
    assert app.sidebar.selectbox(key="answer_mode").value == "extractive"
    next(b for b in app.sidebar.button if b.label == "Re-ingest corpus").click().run()
    assert not app.exception
    summary = plain(app.sidebar.success[0].value)
    assert "2 files: 0 added, 0 updated, 0 removed, 2 unchanged" in summary
    ask(app, "What is the GFMD?")  # the rebuilt assistant answers
    assert app.session_state["messages"][-1]["result"].citations


def test_top_k_setting_is_used(app):
    app.sidebar.slider(key="top_k").set_value(3).run()
    ask(app, "What is the GMG?")
    assert app.session_state["messages"][-1]["settings"]["top_k_used"] == 3


def test_empty_index_offers_to_ingest(index, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "index is empty" in plain(at.warning[0].value)
    assert at.chat_input[0].proto.disabled
    next(b for b in at.button if b.label == "Ingest the corpus now").click().run()
    assert not at.exception, at.exception
    assert "2 added" in plain(at.sidebar.success[0].value)
    assert not at.chat_input[0].proto.disabled
    ask(at, "Who handles trafficking victims?")
    assert "UNODC" in at.session_state["messages"][-1]["result"].answer


def test_startup_failure_is_a_message_not_a_traceback(index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "no-such-model")  # not a folder, downloads off
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "could not start" in plain(at.error[0].value) and "no-such-model" in plain(at.error[0].value)
    assert not at.chat_input


def test_escape_markdown_makes_markup_inert():
    nasty = ("![x](http://127.0.0.1:9/y.png) [link](javascript:alert(1)) <script>window.__pwned=1</script> "
             "<img src=\"http://127.0.0.1:9/x.png\"> **bold** _it_ `code` ``x` $x^2$ :red[red] www.example.org "
             "HTTPS://example.org/a_b?c=1&d=`e` a@b.org mailto:c@d.org # heading\n> quote\n1. item &amp; &lt;")
    escaped = escape_markdown(nasty)
    page, text, nodes = rendered(escaped)
    for tag in ("<img", "<a ", "<script", "<strong", "<em", "<h1", "<blockquote", "<ol"):
        assert tag not in page, (tag, page)
    assert text == nasty
    assert not any(GFM_AUTOLINKS.search(t) for t in nodes), nodes  # URLs are only ever in code spans
    assert "".join(escape_markdown(p) for p in re.split(r"(\s+)", nasty)) == escaped  # safe to stream


def test_document_html_escapes_everything_and_allows_no_loads():
    text = "before <script>window.__pwned=1</script> PASSAGE <img src=x> after ![y](http://127.0.0.1:9/y.png)"
    start = text.index("PASSAGE")
    page = document_html(text, start, start + len("PASSAGE <img src=x>"))
    assert "<script>window.__pwned" not in page and "<img" not in page
    assert '<mark id="passage">PASSAGE &lt;img src=x&gt;</mark>' in page
    assert "default-src 'none'" in page and page.count("<script>") == 1


@pytest.mark.parametrize("page", ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py"))])
def test_app_never_renders_raw_html(page):
    source = (ROOT / page).read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in source
    assert "st.html(" not in source


def test_sign_in_guards_the_app_and_feedback_records_the_user(index, monkeypatch):
    from assistant import auth

    auth.THROTTLE.failures.clear()
    monkeypatch.setenv("ASSISTANT_AUTH", "password")
    monkeypatch.setenv("ASSISTANT_AUTH_PASSWORD", "open sesame")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.chat_input and len(at.text_input) == 2  # only the sign-in form
    at.text_input[0].input("Ada Lovelace")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert not at.chat_input and "Wrong name or password" in at.error[0].value
    at.text_input[1].input("open sesame")
    at.button[0].click().run()
    assert not at.exception and at.chat_input
    assert any("Signed in as" in c.value and "Ada Lovelace" in c.value for c in at.sidebar.caption)
    ask(at, "Who handles trafficking victims?")
    turn = at.session_state["messages"][-1]
    at.feedback[-1].set_value(1).run()
    with sqlite3.connect(index.data_dir / "feedback.sqlite3") as conn:
        user = conn.execute("SELECT user FROM feedback WHERE message_id = ?", (turn["id"],)).fetchone()
    assert user == ("Ada Lovelace",)
    assert at.query_params.get("c") and any(b.key == f"conv-open-{at.session_state['conversation_id']}"
                                            for b in at.sidebar.button)  # Ada's conversation: linked, listed
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.exception and not at.chat_input and len(at.text_input) == 2
    at.text_input[0].input("Grace Hopper")  # the next person on this tab starts from a clean session
    at.text_input[1].input("open sesame")
    at.button[0].click().run()
    assert not at.exception and at.chat_input and at.session_state["messages"] == []
    # The tab's link still names Ada's conversation (?c=): Grace gets a new one and a notice, not Ada's turns.
    assert at.query_params.get("c") in ([], None, "") and any("not yours" in i.value for i in at.info)
    assert not [b for b in at.sidebar.button if (b.key or "").startswith("conv-open-")]
    assert not at.chat_message and not at.session_state["feedback_rows"]


def test_top_k_slider_stops_at_the_cap(index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MAX_TOP_K", "8")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.sidebar.slider(key="top_k").max == 8
