"""Conversations that last (Chat page): each chat is stored as it happens (assistant/conversation_store.py) and its
id is put in the page's link (`?c=…`), so a reload, or the link, shows it again and follow-ups continue from its
history. The sidebar's **Past conversations** lists the owner's conversations to open, rename or delete.

The owner is the signed-in user; with sign-in off it is this browser: a random id kept in a cookie (read by
`st.context.cookies` when a session starts; set, when missing, by a small script, `data/browser_cookie.js`, that
also reports the id the browser already holds), never a list shared by everyone who can reach the app. Two tabs
opened at once on a first visit each pick an id; the script of the later one finds the other's (or, when both
wrote at once, the one that stayed) and the session adopts it, moving the conversations it started to that id,
so the browser ends with one list.
Another owner's link opens a new conversation with a one-line notice.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path

import streamlit as st

from assistant.conversation import Conversation
from assistant.conversation_store import ConversationStore
from assistant.feedback import REASONS
from ui.auth import name_is_proven
from ui.render import escape_markdown as esc
from ui.services import PageContext

log = logging.getLogger(__name__)
COOKIE = "gmg_browser"
PARAM = "c"
_ID = re.compile(r"[0-9a-f]{32}")
COOKIE_DAYS = 400  # the longest a browser keeps a cookie
PAGE = 100  # conversations listed at a time; "Show older" lists the next ones
# Runs in the page (st.components.v2: not sandboxed, so it can read and write the app's cookie).
_browser_cookie = st.components.v2.component(
    "gmg_browser_cookie", js=(Path(__file__).parent / "data" / "browser_cookie.js").read_text(encoding="utf-8"))


def owner(context: PageContext) -> str:
    """Whose conversations these are: "user:<name>" when the sign-in proves the name (OIDC, per-user passwords);
    "browser:<id>" with sign-in off (the cookie's id, or a new one this run asks the browser to keep); with one
    shared password, where anyone can type any name, "user:<name>@browser:<id>"."""
    if context.user is not None and name_is_proven(context.settings):
        return f"user:{context.user}"
    return _browser_owner(context, _browser_id(context))


def _browser_owner(context: PageContext, browser_id: str) -> str:
    browser = f"browser:{browser_id}"
    return browser if context.user is None else f"user:{context.user}@{browser}"


def _browser_id(context: PageContext) -> str:
    state = st.session_state
    if "browser_id" not in state:
        cookie = st.context.cookies.get(COOKIE)
        cookie = cookie if isinstance(cookie, str) else ""  # no cookie, or no browser behind the session (AppTest)
        state.browser_id = cookie if _ID.fullmatch(cookie) else uuid.uuid4().hex
        state.browser_cookie_set = bool(_ID.fullmatch(cookie))
    return state.browser_id


def keep_browser_id(context: PageContext, who: str) -> str:
    """Mount the cookie script (sign-in off or one shared password, and the session began without the cookie); if
    the browser holds another id, adopt it. Called at the end of the Chat page's run: the rerun the script asks
    for must never stop a run that is answering. Returns the owner from now on."""
    state = st.session_state
    by_browser = who.startswith("browser:") or "@browser:" in who
    if not by_browser or state.get("browser_cookie_set"):
        return who
    held = _browser_cookie(key="gmg-browser-cookie", on_id_change=lambda: None, data={
        "name": COOKIE, "id": state.browser_id, "days": COOKIE_DAYS}).get("id")
    if isinstance(held, str) and _ID.fullmatch(held) and held != state.browser_id:
        _adopt(context, held)
    state.owner = owner(context)
    return state.owner


def _adopt(context: PageContext, held: str) -> None:
    """The browser already keeps another id (a tab opened at the same time set it first): move the conversations
    this session started under its own id there, so that the next visit lists them, then use it. A failed move
    keeps the session's id (the script reports the held one again on the next run, and the move is retried)."""
    state, store = st.session_state, context.services.conversations
    before, after = _browser_owner(context, state.browser_id), _browser_owner(context, held)
    if store.available:
        try:
            store.transfer(before, after)
        except Exception:
            log.exception("moving this session's conversations to the browser's id failed")
            return
    state.browser_id = held


def restore(context: PageContext, who: str) -> None:
    """Show the conversation the link names (`?c=`), once per session or when the link changes; a link to a
    conversation that does not exist, or is someone else's, starts a new one and says so."""
    store, state = context.services.conversations, st.session_state
    wanted = st.query_params.get(PARAM)
    if not wanted and state.get("conversation_id"):  # another page cleared the link: it names this chat again
        st.query_params[PARAM] = state.conversation_id
        return
    if not wanted or wanted == state.get("conversation_id") or not store.available:
        return
    try:
        turns = store.load(wanted, who) if _ID.fullmatch(wanted) else None
    except Exception as exc:  # a damaged or locked file must not break the chat
        log.exception("loading a conversation failed")
        start_new()
        state.history_notice = f"Could not open that conversation ({exc}): this is a new conversation."
        return
    start_new()
    if turns is None:
        state.history_notice = "That conversation does not exist or is not yours: this is a new conversation."
        return
    state.conversation_id = wanted
    st.query_params[PARAM] = wanted
    state.conversation = Conversation(turns=[t.result for t in turns])
    state.messages = [{"id": t.turn_id, "question": t.result.question, "result": t.result, "error": None,
                       "settings": t.settings} for t in turns]
    details = _feedback_details(context, [t.feedback_row for t in turns if t.feedback_row is not None])
    for t in turns:
        if t.feedback_row is not None:
            state.feedback_rows[t.turn_id] = t.feedback_row
            state.ratings[t.turn_id] = t.rating
        if t.feedback_row in details:  # the form shows the reasons and comment given then, so saving keeps them
            reasons, comment = details[t.feedback_row]
            state[f"fbr-{t.turn_id}"] = [r for r in reasons if r in REASONS]  # a reason since dropped: left out
            state[f"fbc-{t.turn_id}"] = comment


def _feedback_details(context: PageContext, rows: list[int]) -> dict[int, tuple[list[str], str]]:
    try:
        return context.services.feedback.details(rows)
    except Exception:  # the conversation still opens; its forms start empty
        log.exception("reading a conversation's feedback details failed")
        return {}


def start_new() -> None:
    """An empty chat: no turns, no id (the link loses its `?c=` until the first answer)."""
    state = st.session_state
    state.messages, state.conversation, state.feedback_rows, state.ratings = [], Conversation(), {}, {}
    state.conversation_id = None
    st.query_params.pop(PARAM, None)


def record_turn(context: PageContext, who: str, msg: dict) -> None:
    """Store an answered turn; the first one creates the conversation (titled by its question) and puts its id in
    the link, and so does the next one after another tab deleted it. A failure is a notice, never a broken chat."""
    store, state = context.services.conversations, st.session_state
    if msg["result"] is None or not store.available:
        return
    try:
        if state.get("conversation_id"):
            try:
                store.add_turn(state.conversation_id, who, msg["id"], msg["result"], msg["settings"])
                return
            except KeyError:  # deleted in another tab while open here: kept from this question on, as a new one
                state.history_notice = ("This conversation was deleted in another tab or window; it is kept again "
                                        "from this question on, as a new conversation.")
        state.conversation_id = store.create(who, msg["question"])
        st.query_params[PARAM] = state.conversation_id
        store.add_turn(state.conversation_id, who, msg["id"], msg["result"], msg["settings"])
    except Exception as exc:
        log.exception("saving a turn failed")
        state.history_notice = f"Could not save this conversation: {exc}"


def record_rating(context: PageContext, who: str, mid: str, rating: int | None, row: int | None) -> None:
    """Keep a turn's 👍/👎 with the conversation, so it shows again when the conversation is reopened."""
    cid = st.session_state.get("conversation_id")
    if cid and context.services.conversations.available:
        try:
            context.services.conversations.rate(cid, who, mid, rating, row)
        except Exception:  # the feedback store has it; the conversation only shows it
            log.exception("saving a rating with the conversation failed")


def render_notices(context: PageContext) -> None:
    """The store's start-up warning (damaged file set aside, folder not writable), and this session's notice."""
    warning = context.services.conversations.warning
    if warning:
        st.warning(esc(warning))
    render_notice()


def render_notice() -> None:
    """This session's notice about its conversation (not opened, not saved), once."""
    notice = st.session_state.pop("history_notice", None)
    if notice:
        st.info(esc(notice))


def render_past(context: PageContext, who: str) -> None:
    """The sidebar's **Past conversations**: open, rename, delete one; delete all; start a new one."""
    store = context.services.conversations
    if not store.available:
        return
    shown = st.session_state.setdefault("past_shown", PAGE)
    try:
        past = store.list(who, limit=shown + 1)
    except Exception as exc:
        st.caption(esc(f"Past conversations are unavailable: {exc}"))
        return
    older, past = len(past) > shown, past[:shown]
    st.subheader("Past conversations")
    st.button("New conversation", key="conv-new", icon=":material/add_comment:", width="stretch",
              on_click=start_new)
    current = st.session_state.get("conversation_id")
    for conv in past:
        day = time.strftime("%Y-%m-%d", time.localtime(conv.updated))
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.button(esc(f"{conv.title} · {day}"), key=f"conv-open-{conv.id}", type="tertiary",
                    disabled=conv.id == current, help=f"{conv.turns} question(s); open and continue it",
                    on_click=_open, args=(conv.id,))
        with right.popover("", icon=":material/more_vert:", help="Rename or delete"):
            st.text_input("Title", value=conv.title, key=f"conv-title-{conv.id}", max_chars=80)
            st.button("Rename", key=f"conv-rename-{conv.id}", on_click=_rename, args=(store, who, conv.id))
            st.button("Delete", key=f"conv-delete-{conv.id}", on_click=_delete, args=(store, who, conv.id))
    if older:
        st.button("Show older conversations", key="conv-older", type="tertiary", on_click=_show_older)
    if past:
        with st.popover("Delete all", icon=":material/delete_sweep:"):
            st.caption("Delete all your conversations? This cannot be undone.")
            st.button("Delete all conversations", key="conv-delete-all", type="primary",
                      on_click=_delete_all, args=(store, who))


def _show_older() -> None:
    st.session_state.past_shown += PAGE


def _open(cid: str) -> None:
    st.query_params[PARAM] = cid  # restore() loads it on this rerun


def _rename(store: ConversationStore, who: str, cid: str) -> None:
    _guarded("rename it", lambda: store.rename(cid, who, st.session_state.get(f"conv-title-{cid}") or ""))


def _delete(store: ConversationStore, who: str, cid: str) -> None:
    _guarded("delete it", lambda: store.delete(cid, who))
    if st.session_state.get("conversation_id") == cid:
        start_new()


def _delete_all(store: ConversationStore, who: str) -> None:
    _guarded("delete them", lambda: store.delete_all(who))
    start_new()


def _guarded(what: str, change) -> None:
    """A change another tab made moot (the conversation is gone) or a store that fails: a notice, no traceback."""
    try:
        change()
    except KeyError:
        st.session_state.history_notice = f"Could not {what}: that conversation no longer exists."
    except Exception as exc:
        log.exception("changing past conversations failed")
        st.session_state.history_notice = f"Could not {what}: {exc}"
