"""The Evaluate page (ui/evaluate.py), as st.navigation runs it: at /evaluate."""

from ui.evaluate import render
from ui.services import page_context

render(page_context())
