"""The app's entry: `streamlit run app.py`. Settings come from ASSISTANT_* environment variables / .env.

Each run signs the user in, gets the process-wide services (built once per configuration: ui/services.py),
then runs the page picked in the sidebar's navigation. Every page is a two-line script in ui/pages/ over a module
of `ui/`; each has one `st.Page` line below. Everything per user lives in st.session_state.
"""

from __future__ import annotations

import logging

import streamlit as st

from assistant.settings import Settings
from ui import pages
from ui.auth import render_account, require_login
from ui.render import escape_markdown
from ui.services import PageContext, hand_to_page, load_services

log = logging.getLogger("assistant.app")

st.set_page_config(page_title="GMG notes assistant")  # no page_icon: a material icon favicon loads from Google
settings = Settings()
user = require_login(settings)  # None when ASSISTANT_AUTH=off; otherwise the sign-in form stops the run here
try:
    services = load_services(settings)
    assistant = services.current()
except Exception as exc:  # the model or the Chroma server is missing: say what is wrong, no stack trace
    log.exception("startup failed")
    st.error(escape_markdown(f"The assistant could not start: {exc}"))
    st.stop()
hand_to_page(PageContext(settings, services, assistant, user))

# No page icons either: the open page's icon becomes the browser tab's favicon.
navigation = st.navigation([
    st.Page(pages.CHAT, title="Chat", default=True),
    st.Page(pages.START_HERE, title="Start here", url_path="start-here"),
    st.Page(pages.WHO_DOES_WHAT, title="Who does what", url_path="who-does-what"),
    st.Page(pages.EVALUATE, title="Evaluate", url_path="evaluate"),
    st.Page(pages.DOCUMENTS, title="Documents", url_path="documents"),
])
with st.sidebar:
    render_account(settings, user)
if st.query_params.get("view") == "evaluate":  # a link from before the navigation (the old "View" switch)
    st.switch_page(pages.EVALUATE)
navigation.run()
