"""The Who does what page (ui/who_does_what.py), as st.navigation runs it: at /who-does-what."""

from ui.services import page_context
from ui.who_does_what import render

render(page_context())
