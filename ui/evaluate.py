"""The Evaluate page: run the golden evaluation (or your own question set: ui/question_set.py), read a report and
its plots, compare runs, drill into a question.

Runs are started, saved and listed by `evals/app_runs.py` (a background thread over the app's shared model and
store, so this page stays usable and shows the run's progress); the job dict lives in the user's session. Every
string from a run (questions, answers, quotes) is shown escaped or in a dataframe, never as markup.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import streamlit as st

from evals import app_runs
from evals.app_runs import questions_of, saved_runs, start_run
from evals.golden_io import DEFAULT_GOLDEN, load_golden
from ui import pages
from ui.question_set import render_question_set
from ui.render import escape_markdown as esc
from ui.services import PageContext

GOLDEN_DIR = DEFAULT_GOLDEN.parent
DOWNLOADS = (("results.json", "application/json"), ("report.md", "text/markdown"), ("report.html", "text/html"),
             ("questions.jsonl", "application/jsonl"))  # the last: the rows an uploaded question set ran
FILTERS = {"failing": "Failing (ours)", "flipped": "Ours fails, baseline passes", "all": "All questions"}


@st.cache_data(max_entries=8, show_spinner=False)
def load_results(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@st.cache_data(max_entries=4, show_spinner="Drawing the plots…")
def report_plots(path: str, mtime: float) -> dict[str, bytes]:
    from evals.report import plots

    return {name: base64.b64decode(png) for name, png in plots(load_results(path, mtime)).items()}


def run_label(path: Path, results: dict) -> str:
    meta, ours = results.get("meta", {}), results["systems"].get("ours", {}).get("metrics", {})
    where = f"make eval ({path.parent.name})" if path.parent.parent == app_runs.CLI_OUT else "app"
    if meta.get("question_set"):
        where += f", your own question set {Path(str(meta.get('golden'))).name}"
    created = (meta.get("created") or "?").replace("T", " ")[:16]
    passed = ours.get("pass_rate")
    return (f"{created} UTC · {meta.get('cases', '?')} cases · pass rate "
            f"{'–' if passed is None else f'{passed:.3f}'} · {where}")


def job_running() -> bool:
    job = st.session_state.get("eval_job")
    return job is not None and job["out"] is None and job["error"] is None


def render_run_form(context: PageContext) -> None:
    """The form that runs a golden suite (folded once reports exist)."""
    state, settings = st.session_state, context.settings
    running = job_running()
    with st.expander("Run the evaluation", expanded=not saved_runs(settings) or running):
        goldens = sorted(GOLDEN_DIR.glob("*.jsonl"), key=lambda p: (p != DEFAULT_GOLDEN, p.name))
        golden = st.selectbox("Golden set", goldens, format_func=lambda p: p.name, key="eval_golden")
        try:
            kinds_known = sorted({c.kind for c in load_golden(golden)})
        except Exception as exc:  # noqa: BLE001 - a draft file that is not complete yet
            st.error(esc(f"{golden.name} cannot be used: {exc}"))
            return
        kinds = st.multiselect("Kinds (none selected: all)", kinds_known, key="eval_kinds")
        limit = st.number_input("Only the first N matching cases (0: all)", 0, 10_000, 0, key="eval_limit")
        baseline = st.checkbox("Also score the baseline (LangChain tutorial RAG), side by side", True,
                               key="eval_baseline")
        if st.button("Run the evaluation", type="primary", icon=":material/play_arrow:", disabled=running):
            try:
                state.eval_job = start_run(context.services, settings, golden, kinds, int(limit), baseline)
            except ValueError as exc:
                st.error(esc(str(exc)))


def _show_progress() -> None:
    state = st.session_state
    job = state.get("eval_job")
    if job is None:
        return
    slot = st.empty()
    while job["out"] is None and job["error"] is None:  # each st call lets a click interrupt the wait
        slot.progress(job["done"] / max(job["total"], 1),
                      text=esc(f"Evaluating… {job['done']}/{job['total']} cases ({job['label']}), "
                               f"{time.monotonic() - job['started']:.0f} s"))
        time.sleep(0.5)
    slot.empty()
    if job["error"]:
        st.error(esc(f"The evaluation failed: {job['error']}"))
    elif not job.get("announced"):
        job["announced"] = True
        state["eval_report_pick"] = job["out"]  # show the new run
        st.success(f"Evaluation finished in {job['seconds']:.0f} s.")


# -- the report -------------------------------------------------------------------------------------------

def render_report(path: Path) -> None:
    from evals.report import headline

    results = load_results(str(path), path.stat().st_mtime)
    meta, names = results.get("meta", {}), list(results["systems"])
    st.markdown("**" + esc(headline(results)) + "**")
    kind = "Question" if meta.get("question_set") else "Golden"
    st.caption(esc(f"{kind} set {meta.get('golden') or '?'} · model {meta.get('embedding_model', '?')} · top-k "
                   f"{meta.get('top_k', '?')} · fusion {meta.get('fusion', '?')} · {meta.get('seconds', '?')} s"))
    violations = meta.get("threshold_violations")
    if meta.get("question_set"):
        skipped = meta.get("skipped_rows") or []
        st.info(esc("Your own question set: reported as a whole (no tune/test split); no pinned threshold applies."
                    + (f" {len(skipped)} bad row{'s' * (len(skipped) != 1)} skipped." if skipped else "")))
    elif meta.get("subset"):
        st.info("A subset of the golden set: the pinned thresholds (evals/thresholds.toml) are not checked.")
    elif violations:
        st.error(esc("Below the pinned thresholds:\n" + "\n".join(f"- {v}" for v in violations)))
    elif violations is not None:
        st.success("Every pinned threshold (evals/thresholds.toml) holds.")
    _summary_tables(results)
    _judge(results)
    images = report_plots(str(path), path.stat().st_mtime)
    for key, caption in (("per_kind", "Metrics per kind of question"), ("latency", "Latency per question"),
                         ("confusion", "Abstention: unanswerable vs answerable")):
        if key in images:
            st.image(images[key], caption=caption)
    _downloads(path)
    render_questions(results, names)


def _summary_tables(results: dict) -> None:
    from evals.report import kind_rows, summary_rows

    header, rows = summary_rows(results)
    st.subheader("Summary")
    st.dataframe([dict(zip(header, row, strict=True)) for row in rows], hide_index=True)
    header, rows = kind_rows(results)
    st.subheader("Per kind")
    st.caption(esc("Cells: " + " / ".join(results["systems"])))
    st.dataframe([dict(zip(header, row, strict=True)) for row in rows], hide_index=True)


def _judge(results: dict) -> None:
    from evals.judge import TITLE, judge_note, judge_rows

    judge = results.get("judge")
    if not judge:
        return
    st.subheader(TITLE)
    (st.warning if judge.get("error") else st.caption)(esc(judge_note(judge)))
    header, rows = judge_rows(judge)
    st.dataframe([dict(zip(header, row, strict=True)) for row in rows], hide_index=True)


def _downloads(path: Path) -> None:
    files = [(path.parent / name, mime) for name, mime in DOWNLOADS if (path.parent / name).is_file()]
    for col, (file, mime) in zip(st.columns(len(DOWNLOADS)), files, strict=False):
        col.download_button(file.name, file.read_bytes(), file.name, mime, on_click="ignore",
                            icon=":material/download:", key=f"eval-dl-{file.name}")


def render_questions(results: dict, names: list[str]) -> None:
    st.subheader("Questions")
    by_id = {n: {r["id"]: r for r in results["systems"][n]["records"]} for n in names}
    ours = results["systems"][names[0]]["records"]
    which = st.segmented_control("Show", list(FILTERS), format_func=FILTERS.get, default="failing",
                                 key="eval_filter") or "failing"
    other = names[1] if len(names) > 1 else None

    def keep(r: dict) -> bool:
        if which == "failing":
            return bool(r["failures"])
        if which == "flipped":
            return bool(r["failures"]) and other is not None and not by_id[other][r["id"]]["failures"]
        return True

    shown = [r for r in ours if keep(r)]
    st.caption(f"{len(shown)} of {len(ours)} questions.")
    if not shown:
        st.success("No question to show with this filter.")
        return
    st.dataframe([{"id": r["id"], "kind": r["kind"], "question": " → ".join(r["turns"]),
                   **{f"{n} passed": not by_id[n][r["id"]]["failures"] for n in names},
                   "what failed (ours)": "; ".join(r["failures"]) or "✓"} for r in shown], hide_index=True)
    case_id = st.selectbox("Drill into a question", [r["id"] for r in shown], key="eval_case",
                           format_func=lambda i: f"{i}: {by_id[names[0]][i]['turns'][-1][:90]}")
    render_case([by_id[n][case_id] for n in names], names)


def render_case(records: list[dict], names: list[str]) -> None:
    first = records[0]
    st.markdown(f"**{esc(first['id'])}** ({esc(first['kind'])}"
                + (", the notes do not answer it" if first["unanswerable"] else "") + ")")
    for n, turn in enumerate(first["turns"], 1):
        st.markdown(f"{n}. " + esc(turn))
    if first["required_facts"]:
        st.caption(esc("Required facts (any spelling): " + "; ".join(" | ".join(f) for f in first["required_facts"])))
    if first["forbidden"]:
        st.caption(esc("Must not say: " + "; ".join(first["forbidden"])))
    if first["expected_sources"]:
        st.caption(esc("Expected sources: " + "; ".join(
            e["source"] + (f" › {e['section']}" if e.get("section") else "") for e in first["expected_sources"])))
    if len(first["turns"]) == 1:
        if st.button("Ask it in the chat", icon=":material/chat:", key="eval_ask_in_chat",
                     help="Opens the Chat page with this question asked (today's index)."):
            st.session_state["pending"] = first["turns"][0]  # the Chat page asks a pending question first
            st.switch_page(pages.CHAT)
    for col, record, name in zip(st.columns(len(records)), records, names, strict=True):
        with col:
            _record(record, name)


def _record(record: dict, name: str) -> None:
    from evals.metrics import facts_found

    answer = record["answer"]
    st.markdown(f"#### {esc(name)}")
    for failure in record["failures"]:
        st.error(esc(failure))
    if not record["failures"]:
        st.success("Passed")
    if answer.get("standalone_question"):
        st.caption(esc(f"Searched: {answer['standalone_question']}"))
    st.markdown(esc(answer.get("answer") or "(no answer)"))
    if record["required_facts"]:
        found = facts_found(answer.get("answer") or "", record["required_facts"])
        st.caption(esc("Facts: " + "; ".join(f"{'✓' if ok else '✗'} {fact[0]}"
                                             for fact, ok in zip(record["required_facts"], found, strict=True))))
    cited = answer.get("citations") or answer.get("closest") or []
    if cited:
        st.markdown("**Cited**" if answer.get("citations") else "**Closest passages (abstained)**")
    for c in cited:
        st.markdown(esc(f"[{c['id']}] {c.get('source')}" + (f" › {c['section']}" if c.get("section") else "")))
        st.caption(esc(" ".join(str(c.get("text", "")).split())))
    st.caption(esc(f"{record['latency_ms']:.0f} ms · retrieved: " + "; ".join(
        f"{i}. {m.get('source')}" + (f" › {m['section']}" if m.get("section") else "")
        for i, m in enumerate(record["retrieved"][:5], 1))))
    with st.expander("Scores"):
        st.json(record["scores"])


def render_comparison(chosen: Path, others: list[Path], labels: dict) -> None:
    """`python -m evals compare` in the page: this report (B) against an earlier one (A) of the same questions."""
    from evals.compare import compare

    if not others:
        return
    with st.expander("Compare with another run of the same questions (metric deltas, questions that flipped)"):
        earlier = st.selectbox("Earlier run (A)", others, format_func=labels.get, key="eval_compare_pick")
        a = load_results(str(earlier), earlier.stat().st_mtime)
        b = load_results(str(chosen), chosen.stat().st_mtime)
        for name, d in compare(a, b).items():
            st.markdown(f"**{esc(name)}**: A = the earlier run, B = this report")
            st.dataframe([{"metric": m["label"], "A": _cell(m["a"]), "B": _cell(m["b"]),
                           "Δ (B − A)": "" if m["delta"] is None else f"{m['delta']:+.3f}"}
                          for m in d["metrics"].values()], hide_index=True)
            st.caption(esc(f"Fixed ({len(d['fixed'])}): " + (", ".join(f["id"] for f in d["fixed"]) or "none")))
            for f in d["broken"]:
                st.error(esc(f"Broken: {f['id']}: {'; '.join(f['failures'])}"))
            if not d["broken"]:
                st.caption("Broken (0): none")


def _cell(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def render(context: PageContext) -> None:
    """The whole page."""
    state, settings = st.session_state, context.settings
    st.title("Evaluate answer quality")
    st.caption("The golden questions (evals/golden) scored deterministically: retrieval, facts, citations and "
               "abstention, ours beside the LangChain tutorial baseline. `make eval` runs the same from a terminal.")
    render_run_form(context)
    render_question_set(context, job_running())
    _show_progress()
    runs = saved_runs(settings)
    if not runs:
        st.info("No evaluation has been run yet: run one above (about two minutes for the whole golden set).")
        return
    if state.get("eval_report_pick") not in runs:  # e.g. its folder was removed
        state.pop("eval_report_pick", None)
    labels, asked = {}, {}
    for p in runs:
        try:
            results = load_results(str(p), p.stat().st_mtime)
            labels[p], asked[p] = run_label(p, results), questions_of(results)
        except Exception as exc:  # noqa: BLE001 - listed as unreadable, the others still show
            labels[p] = f"{p} (unreadable: {type(exc).__name__})"
    chosen = st.selectbox("Report", runs, format_func=labels.get, key="eval_report_pick")
    same = [p for p in runs if p != chosen and p in asked and asked[p] == asked.get(chosen)]
    try:
        render_comparison(chosen, same, labels)
        render_report(chosen)
    except Exception as exc:  # noqa: BLE001 - a hand-edited or truncated results.json must not break the page
        st.error(esc(f"This report cannot be read ({type(exc).__name__}: {exc}); run the evaluation again."))
