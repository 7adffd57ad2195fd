"""The Streamlit layer: every page, widget and dialog of the app lives here, and nowhere else.

app.py (the entry `streamlit run` starts) signs the user in, builds the shared services once per process and
runs one of the pages in `ui/pages/`. `ui` may import `evals` (the Evaluate page runs evaluations), `assistant`
and `ingest`; none of them imports `ui` or Streamlit (the import-linter contracts in pyproject.toml).
"""
