"""The process-wide services (one per configuration), and what app.py hands to the page it runs.

Heavy objects (embedding model, Chroma store, feedback store, the assistant) are built once per process by the
single `st.cache_resource` builder below and shared by every session. What a page needs for one run travels in
a `PageContext`: a page is a separate script that st.navigation runs after app.py, not a function app.py calls,
so app.py leaves the context in the user's session and the page script picks it up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from assistant.services import Services
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.chain import Assistant

_CONTEXT_KEY = "page_context"


@st.cache_resource(show_spinner="Loading the embedding model and the index…")
def _build_services(settings_json: str, secret_digest: str, _settings: Settings) -> Services:
    """One Services per distinct configuration (the JSON masks the API key: its digest is in the key too)."""
    return Services(_settings)


def load_services(settings: Settings) -> Services:
    """This process's Services for `settings`, built on the first call (the model and the index: seconds)."""
    secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return _build_services(settings.model_dump_json(), hashlib.sha256(secret.encode()).hexdigest(), settings)


@dataclass(frozen=True)
class PageContext:
    """What every page gets from app.py for one run."""

    settings: Settings
    services: Services  # shared by every session of this process
    assistant: Assistant | None  # the assistant over the current index; None while the index is empty
    user: str | None  # who is signed in; None when sign-in is off


def hand_to_page(context: PageContext) -> None:
    """Called by app.py on every run, before the page runs: the context of this run, for this session only."""
    st.session_state[_CONTEXT_KEY] = context


def page_context() -> PageContext:
    """Called by a page script: the context app.py left for it in this run."""
    return st.session_state[_CONTEXT_KEY]
