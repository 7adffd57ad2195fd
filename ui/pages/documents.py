"""The Documents page (ui/documents.py), as st.navigation runs it: at /documents."""

from ui.documents import render
from ui.services import page_context

render(page_context())
