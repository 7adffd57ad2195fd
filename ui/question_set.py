"""The Evaluate page's "Your own question set": upload a CSV or JSONL file of questions, see which rows can run,
run them in the background (the page's progress bar), then read the report like any other run.

The file is read and checked by evals/question_sets.py: a file that cannot be used gets one message and runs
nothing; bad rows are listed with their reasons and skipped. Everything from the file (its name, its questions)
is shown escaped or in a dataframe, never as markup. The checked set is kept in this user's session only.
"""

from __future__ import annotations

import streamlit as st

from evals.app_runs import start_question_set
from evals.question_sets import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    OPTIONAL_COLUMNS,
    TEMPLATE,
    QuestionSet,
    QuestionSetError,
    read_question_set,
)
from ingest.discovery import corpus_documents
from ui.render import escape_markdown as esc
from ui.services import PageContext

UPLOAD_HELP = (f"CSV with the columns {','.join(COLUMNS)} (facts: required facts separated by `;`, the spellings "
               "of one fact by `|`; source: the document's file name, optionally `> Section`; unanswerable: true "
               f"or false), or JSONL in the golden format (evals/golden/README.md). At most "
               f"{MAX_BYTES // 1024 // 1024} MB and {MAX_ROWS:,} questions.")
SHOWN_BAD_ROWS = 10  # listed in the warning; the table below it has them all


def render_question_set(context: PageContext, running: bool) -> None:
    """The uploader, what it found in the file, and the button that runs the good rows."""
    state = st.session_state
    with st.expander("Run your own question set", expanded=state.get("eval_upload") is not None):
        st.caption(esc(UPLOAD_HELP))
        st.download_button("Template (CSV)", TEMPLATE, "questions.csv", "text/csv", on_click="ignore",
                           icon=":material/download:", key="eval-upload-template")
        upload = st.file_uploader("Your own question set", key="eval_upload", help=UPLOAD_HELP)
        if upload is None:
            state.pop("eval_qset", None)
            return
        qset = _checked(context, upload)
        if qset is None:
            return
        _describe(qset)
        baseline = st.checkbox("Also score the baseline (LangChain tutorial RAG), side by side", True,
                               key="eval_upload_baseline")
        if st.button("Run these questions", type="primary", icon=":material/play_arrow:",
                     disabled=running or not qset.cases, key="eval_upload_run"):
            try:
                state.eval_job = start_question_set(context.services, context.settings, qset, baseline)
            except ValueError as exc:
                st.error(esc(str(exc)))


def _checked(context: PageContext, upload) -> QuestionSet | None:
    """The uploaded file read and checked once per upload (kept in the session); None after showing why it
    cannot be used."""
    state = st.session_state
    kept = state.get("eval_qset")
    if kept is None or kept[0] != upload.file_id:
        try:
            if upload.size > MAX_BYTES:  # refused before its bytes are read
                raise QuestionSetError(f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB, over the "
                                       f"{MAX_BYTES // 1024 // 1024} MB limit for a question set.")
            qset = read_question_set(upload.name, upload.getvalue(), _documents(context),
                                     context.settings.max_question_chars)
        except QuestionSetError as exc:
            qset = exc
        kept = state["eval_qset"] = (upload.file_id, qset)
    if isinstance(kept[1], QuestionSetError):
        st.error(esc(f"{kept[1]} Nothing was run."))
        return None
    return kept[1]


def _documents(context: PageContext) -> list[str]:
    """The documents a `source` may name: those in the index the questions will be asked of."""
    if context.assistant is not None:
        return list(context.assistant.manifest.files)
    return corpus_documents(context.settings.corpus_dir)


def _describe(qset: QuestionSet) -> None:
    unanswerable = sum(c.unanswerable for c in qset.cases)
    if qset.cases:
        st.success(esc(f"{qset.name}: {len(qset.cases)} case{'s' * (len(qset.cases) != 1)} ready to run "
                       f"({len(qset.cases) - unanswerable} answerable, {unanswerable} unanswerable)."))
    if qset.ignored_columns:
        st.info(esc(f"Ignored columns: {', '.join(qset.ignored_columns)} (the columns read are "
                    f"{', '.join(COLUMNS + OPTIONAL_COLUMNS)})."))
    if not qset.bad_rows:
        return
    lines = [str(b) for b in qset.bad_rows[:SHOWN_BAD_ROWS]]
    more = len(qset.bad_rows) - len(lines)
    head = (f"{len(qset.bad_rows)} of {qset.rows} rows cannot be run and are skipped:" if qset.cases
            else f"No row of {qset.name} can be run ({len(qset.bad_rows)} bad); fix them and upload it again:")
    (st.warning if qset.cases else st.error)(esc("\n".join([head, *lines] + ([f"… and {more} more (the table "
                                                                              "below lists them all)"]
                                                                             if more else []))))
    if more:
        st.dataframe([{"where": b.where, "problem": b.reason, "row": b.question} for b in qset.bad_rows],
                     hide_index=True)
