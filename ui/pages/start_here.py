"""The Start here page (ui/start_here.py), as st.navigation runs it: at /start-here."""

from ui.services import page_context
from ui.start_here import render

render(page_context())
