"""The 👍/👎 under each answer, with an optional reason and comment, saved to the feedback store (Chat page)."""

from __future__ import annotations

import streamlit as st

from assistant.feedback import REASONS
from ui.past_conversations import record_rating
from ui.render import escape_markdown as esc
from ui.services import PageContext


def render_feedback(context: PageContext, msg: dict) -> None:
    """Thumbs for one turn; once rated, a small form for reasons (thumbs down) and a comment."""
    mid, state = msg["id"], st.session_state
    if f"fb-{mid}" not in state and state.get("ratings", {}).get(mid) is not None:
        state[f"fb-{mid}"] = state.ratings[mid]  # a reopened conversation shows the rating given then
    rating = st.feedback("thumbs", key=f"fb-{mid}", on_change=_rated, args=(context, mid))
    if rating is not None and mid in state.feedback_rows:
        with st.form(f"fbform-{mid}", border=False):
            reasons = st.pills("What was wrong? (optional)", list(REASONS), format_func=REASONS.get,
                               selection_mode="multi", key=f"fbr-{mid}") if rating == 0 else []
            comment = st.text_input("Comment (optional)", key=f"fbc-{mid}", max_chars=2000)
            if st.form_submit_button("Save details"):
                _save_details(context, mid, reasons or [], comment)
    notice = state.get("feedback_notice")
    if notice and notice[0] == mid:
        st.caption(esc(notice[1]))


def _rated(context: PageContext, mid: str) -> None:
    """The thumbs changed: record the turn with its rating the first time, update the rating after that."""
    state = st.session_state
    msg = next(m for m in state.messages if m["id"] == mid)
    rating, rows, store = state.get(f"fb-{mid}"), state.feedback_rows, context.services.feedback
    try:
        if mid in rows:
            store.update(rows[mid], rating=rating)
        else:
            rows[mid] = store.record(msg["result"], rating=rating, settings=msg["settings"],
                                     session_id=state.session_id, message_id=mid, user=context.user)
        record_rating(context, state.get("owner", ""), mid, rating, rows[mid])
        state.feedback_notice = (mid, "Thanks, your rating was saved.")
    except Exception as exc:  # a full disk or a locked database must not break the chat
        state.feedback_notice = (mid, f"Could not save the feedback: {exc}")


def _save_details(context: PageContext, mid: str, reasons: list[str], comment: str) -> None:
    state = st.session_state
    try:
        context.services.feedback.update(state.feedback_rows[mid], reasons=reasons, comment=comment)
        state.feedback_notice = (mid, "Thanks, your feedback was saved.")
    except Exception as exc:  # as above: say so, keep the chat going
        state.feedback_notice = (mid, f"Could not save the feedback: {exc}")
