"""The Chat page (ui/chat.py), as st.navigation runs it: the default page, at /."""

from ui.chat import render
from ui.services import page_context

render(page_context())
