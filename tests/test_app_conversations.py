"""Conversations that last, in the app (AppTest over a real index): kept as they happen, reopened by their link
(`?c=`) in a new session of the same browser, listed under Past conversations, renamed, deleted; another owner's
link and a damaged store. The browser cookie that names the owner is exercised in Chromium (test_app_browser.py);
here a new session of "the same browser" is one given the same `browser_id`."""

from __future__ import annotations

import pytest
from conftest import app_index
from streamlit.testing.v1 import AppTest
from test_app import APP, TIMEOUT, ask, plain


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    yield from app_index(tmp_path_factory, "conversations-index")


def session(browser: str, link: str | None = None) -> AppTest:
    """A new session of the app, as a reload or a new tab of browser `browser` opening `link` (a conversation id)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["browser_id"] = browser
    at.session_state["browser_cookie_set"] = True
    if link:
        at.query_params["c"] = link
    at.run()
    assert not at.exception, at.exception
    return at


def past(at: AppTest) -> list[str]:
    return [plain(b.label) for b in at.sidebar.button if (b.key or "").startswith("conv-open-")]


def test_a_reload_shows_the_conversation_and_follow_ups_continue_from_it(index):
    browser = "a" * 32
    at = session(browser)
    ask(at, "Which agency is the custodian of the trafficking protocol?")
    ask(at, "Who set up the GMG?")
    link = at.query_params["c"][0] if isinstance(at.query_params["c"], list) else at.query_params["c"]
    asked = [m["result"].answer for m in at.session_state["messages"]]

    again = session(browser, link)  # the reload: a new session, the same link
    assert [m["result"].answer for m in again.session_state["messages"]] == asked
    assert [plain(m.markdown[0].value) for m in again.chat_message if m.name == "user"] == [
        "Which agency is the custodian of the trafficking protocol?", "Who set up the GMG?"]
    ask(again, "When did it first meet?")  # "it" is the GMG of the reopened conversation
    follow_up = again.session_state["messages"][-1]["result"]
    assert "GMG" in (follow_up.standalone_question or "") and "9 May 2006" in follow_up.answer
    assert past(again)[0].startswith("Which agency is the custodian of the trafficking protocol?")

    third = session(browser, link)  # the follow-up was kept too
    assert len(third.session_state["messages"]) == 3

    del third.query_params["c"]  # what the browser keeps after a visit to another page: a link without it
    third.run()
    assert not third.exception and third.query_params["c"] in (link, [link])  # the chat puts it back
    assert len(third.session_state["messages"]) == 3


def test_past_conversations_open_rename_and_delete(index):
    browser = "b" * 32
    at = session(browser)
    ask(at, "What does UNHCR do?")
    first = at.session_state["conversation_id"]
    at.sidebar.button(key="conv-new").click().run()
    assert at.session_state["messages"] == [] and not at.query_params.get("c")
    ask(at, "What is the GFMD?")
    second = at.session_state["conversation_id"]
    assert second != first and [t.split(" · ")[0] for t in past(at)] == ["What is the GFMD?", "What does UNHCR do?"]

    at.sidebar.button(key=f"conv-open-{first}").click().run()  # open the older one: its turns come back
    assert at.session_state["conversation_id"] == first
    assert [m["question"] for m in at.session_state["messages"]] == ["What does UNHCR do?"]

    at.sidebar.text_input(key=f"conv-title-{second}").input("GFMD basics <b>for me</b>")
    at.sidebar.button(key=f"conv-rename-{second}").click().run()
    assert "GFMD basics <b>for me</b>" in [t.split(" · ")[0] for t in past(at)]  # shown as text
    at.sidebar.button(key=f"conv-delete-{first}").click().run()  # the open one: the chat starts afresh
    assert at.session_state["messages"] == [] and [t.split(" · ")[0] for t in past(at)] == [
        "GFMD basics <b>for me</b>"]
    at.sidebar.button(key="conv-delete-all").click().run()
    assert past(at) == [] and session(browser, second).session_state["messages"] == []


def test_a_reopened_conversation_shows_the_feedback_given_and_saving_again_keeps_it(index):
    browser = "e" * 32
    at = session(browser)
    ask(at, "Who handles trafficking victims?")
    mid, link = at.session_state["messages"][-1]["id"], at.session_state["conversation_id"]
    at.feedback[-1].set_value(0).run()  # thumbs down, then the details
    at.pills(key=f"fbr-{mid}").set_value(["incomplete"])
    at.text_input(key=f"fbc-{mid}").input("Name the protocol too.")
    next(b for b in at.button if b.label == "Save details").click().run()

    again = session(browser, link)  # reopened: the form holds what was given
    assert again.pills(key=f"fbr-{mid}").value == ["incomplete"]
    assert again.text_input(key=f"fbc-{mid}").value == "Name the protocol too."
    again.text_input(key=f"fbc-{mid}").input("Name the protocol and the convention.")
    next(b for b in again.button if b.label == "Save details").click().run()
    from assistant.feedback import FeedbackStore

    (row,) = [r for r in FeedbackStore(index.data_dir / "feedback.sqlite3").rows() if r["message_id"] == mid]
    assert (row["rating"], row["reasons"]) == (0, ["incomplete"])
    assert row["comment"] == "Name the protocol and the convention."
    details = session(browser, link)
    assert details.pills(key=f"fbr-{mid}").value == ["incomplete"]  # the reasons were not wiped by the resave
    assert details.text_input(key=f"fbc-{mid}").value == "Name the protocol and the convention."


def test_past_conversations_beyond_the_first_hundred_are_reached_by_show_older(index):
    from assistant.conversation_store import ConversationStore

    browser = "f" * 32
    store = ConversationStore(index.data_dir / "conversations.sqlite3")
    made = [store.create(f"browser:{browser}", f"question {n}") for n in range(103)]
    at = session(browser)
    assert len(past(at)) == 100 and "question 0" not in {t.split(" · ")[0] for t in past(at)}
    at.sidebar.button(key="conv-older").click().run()
    assert len(past(at)) == 103 and not [b for b in at.sidebar.button if b.key == "conv-older"]
    at.sidebar.button(key=f"conv-open-{made[0]}").click().run()
    assert at.session_state["conversation_id"] == made[0]


def test_a_conversation_deleted_in_another_tab_is_kept_again_from_the_next_question(index):
    browser = "9" * 32
    at, other_tab = session(browser), session(browser)
    ask(at, "What does UNHCR do?")
    gone = at.session_state["conversation_id"]
    other_tab.run()
    other_tab.sidebar.button(key=f"conv-delete-{gone}").click().run()
    ask(at, "And UNODC?")
    assert any("deleted in another tab" in i.value for i in at.info)
    kept = at.session_state["conversation_id"]
    assert kept != gone and at.query_params["c"] in (kept, [kept])
    assert [m["question"] for m in session(browser, kept).session_state["messages"]] == ["And UNODC?"]
    ask(at, "What is the GFMD?")  # later turns are kept too
    assert len(session(browser, kept).session_state["messages"]) == 2


def test_a_session_that_finds_its_browser_holds_another_id_moves_its_conversations_there(index, monkeypatch):
    """The cookie script reports that the browser keeps another id (a tab opened at the same time set it first):
    the session adopts it, and the conversation it started is listed and opened under that id, not the old one."""
    import ui.past_conversations as past_conversations

    held = "7" * 32
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # no cookie: the session picks its own id
    own = at.session_state["browser_id"]
    assert own != held and not at.session_state["browser_cookie_set"]
    ask(at, "What does UNHCR do?")
    cid = at.session_state["conversation_id"]
    monkeypatch.setattr(past_conversations, "_browser_cookie", lambda **mount: {"id": held})
    at.run()
    assert not at.exception and at.session_state["browser_id"] == held
    assert [m["question"] for m in session(held, cid).session_state["messages"]] == ["What does UNHCR do?"]
    assert past(session(own)) == [] and past(session(held))[0].startswith("What does UNHCR do?")


def test_a_link_that_is_not_yours_opens_a_new_conversation_with_a_notice(index):
    owner = session("c" * 32)
    ask(owner, "What does UNODC do?")
    link = owner.session_state["conversation_id"]
    for stranger in (session("d" * 32, link), session("c" * 32, "0" * 32), session("c" * 32, "not-an-id")):
        assert stranger.session_state["messages"] == [] and not stranger.query_params.get("c")
        assert any("does not exist or is not yours" in i.value for i in stranger.info)
    assert past(session("d" * 32)) == []  # nor is it listed for the other browser


def test_a_damaged_store_is_set_aside_and_the_chat_still_works(tmp_path_factory):
    fixture = app_index(tmp_path_factory, "damaged-conversations")
    settings = next(fixture)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "conversations.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
        at = session("e" * 32)
        assert any("damaged" in w.value and "kept aside" in w.value for w in at.warning)
        ask(at, "What does UNODC do?")
        assert "UNODC" in at.session_state["messages"][-1]["result"].answer
        assert len(session("e" * 32, at.session_state["conversation_id"]).session_state["messages"]) == 1
        assert list(settings.data_dir.glob("conversations.sqlite3.damaged-*"))
    finally:
        next(fixture, None)


def test_with_per_user_passwords_a_conversation_follows_its_user_and_no_one_else(index, monkeypatch):
    """Sign-in with a password per user (the names are proven): Ada's conversation opens for Ada on another
    browser and is listed there; Grace, given its link, gets a new conversation and the notice."""
    from assistant import auth

    auth.THROTTLE.failures.clear()
    monkeypatch.setenv("ASSISTANT_AUTH", "password")

    def signed_in(name: str, password: str, browser: str, link: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.secrets["assistant_auth"] = {"users": {"ada": "ada's own", "grace": "grace's own"}}
        at.session_state["browser_id"], at.session_state["browser_cookie_set"] = browser, True
        if link:
            at.query_params["c"] = link
        at.run()
        at.text_input[0].input(name)
        at.text_input[1].input(password)
        at.button[0].click().run()
        assert not at.exception and at.chat_input
        return at

    ada = signed_in("ada", "ada's own", "1" * 32)
    ask(ada, "What does UNHCR do?")
    link = ada.session_state["conversation_id"]
    elsewhere = signed_in("ada", "ada's own", "2" * 32, link)  # Ada on another browser
    assert [m["question"] for m in elsewhere.session_state["messages"]] == ["What does UNHCR do?"]
    assert any(b.key == f"conv-open-{link}" for b in elsewhere.sidebar.button)
    grace = signed_in("grace", "grace's own", "1" * 32, link)  # Grace with Ada's link (the browser plays no part)
    assert grace.session_state["messages"] == [] and any("not yours" in i.value for i in grace.info)
    assert past(grace) == []
