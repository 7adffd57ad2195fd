"""The page scripts app.py's st.navigation runs, one per page: each only hands the run's context to its module.

A page is a script Streamlit re-executes on every rerun; the page's code lives in an ordinary module of `ui`
(imported once), so its caches, locks and constants are the process's single copy. To add a page: write its
module with a `render(context)` function, a two-line script here, its path below, and one `st.Page` line in
app.py.
"""

from pathlib import Path

CHAT = Path(__file__).parent / "chat.py"
START_HERE = Path(__file__).parent / "start_here.py"
WHO_DOES_WHAT = Path(__file__).parent / "who_does_what.py"
EVALUATE = Path(__file__).parent / "evaluate.py"
DOCUMENTS = Path(__file__).parent / "documents.py"
