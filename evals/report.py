"""Reports of an evaluation run: a rich table for the terminal, report.md and report.html (with plots)."""

from __future__ import annotations

import base64
import io
import json
import math
import threading
from functools import lru_cache
from pathlib import Path

from evals.metrics import HEADLINE

CONVERSATION_KEYS = {"standalone_rewritten", "nested_rewrites", "followup_resolved"}

_PLOT_LOCK = threading.Lock()

PER_KIND_METRICS = [
    ("fact_recall", "fact recall"),
    ("hit_at_5", "hit@5"),
    ("citation_support", "cit. support"),
    ("abstention_accuracy", "abst. right"),
    ("pass_rate", "pass rate"),
]


def fmt(key: str, value) -> str:
    if value is None:
        return "–"
    if key.endswith("_ms"):
        return f"{value:.0f}"
    if key.startswith("answer_words"):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _names(results: dict) -> list[str]:
    return list(results["systems"])


def _delta(key: str, a, b) -> str:
    if a is None or b is None or not isinstance(a, int | float) or not isinstance(b, int | float):
        return ""
    d = a - b
    if key.endswith("_ms"):
        return f"{d:+.0f}"
    return f"{d:+.1f}" if key.startswith("answer_words") else f"{d:+.3f}"


def _columns(results: dict, only: str | None = None) -> list[tuple[str, dict]]:
    """(label, metrics) per column: each system's tune and test split when the run has them (or the `only` one),
    else (and always for a user's own question set) its whole run."""
    columns = []
    whole = results.get("meta", {}).get("question_set")  # a user's own questions: the tune/test split means nothing
    for name in _names(results):
        system = results["systems"][name]
        splits = {} if whole else {k: v for k, v in (system.get("splits") or {}).items()
                                   if v.get("n") and only in (None, k)}
        columns += [(f"{name} {split}", m) for split, m in splits.items()] or [(name, system["metrics"])]
    return columns


def headline(results: dict) -> str:
    """"3 cases · pass rate: ours 0.667 (2 of 3 passed), baseline 0.333 (1 of 3 passed)": a run at a glance."""
    parts = []
    for name in _names(results):
        records = results["systems"][name]["records"]
        passed = sum(1 for r in records if r["scores"].get("passed"))  # what pass_rate counts
        rate = results["systems"][name]["metrics"].get("pass_rate")
        parts.append(f"{name} {fmt('pass_rate', rate)} ({passed} of {len(records)} passed)")
    cases = results.get("meta", {}).get("cases", "?")
    return f"{cases} case{'s' * (cases != 1)} · pass rate: " + ", ".join(parts)


def summary_rows(results: dict, only: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows: metric | each system (per split when there are splits) | ours − baseline (on test)."""
    names, columns = _names(results), _columns(results, only)
    compare = [m for label, m in columns if label in {"ours test", "ours", f"ours {only}"}][:1] + \
        [m for label, m in columns if label in {"baseline test", "baseline", f"baseline {only}"}][:1]
    header = ["metric", *(label for label, _ in columns)] + (
        ["Δ (ours − baseline" + (", test)" if "ours test" in dict(columns) else ")")] if len(compare) == 2 else [])
    rows = []
    for key, label, _ in HEADLINE:
        values = [m.get(key) for _, m in columns]
        if all(v is None for v in values) and key in CONVERSATION_KEYS:
            continue  # a suite without labelled conversations
        if key == "recall_at_k":
            label = "retrieval recall@k (" + ", ".join(f"k={results['systems'][n]['k']}" for n in names) + ")"
        row = [label, *(fmt(key, v) for v in values)]
        if len(compare) == 2:
            row.append(_delta(key, compare[0].get(key), compare[1].get(key)))
        rows.append(row)
    return header, rows


def kind_rows(results: dict, only: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Rows per kind (of the `only` split, or of the whole run); each metric cell holds every system's value
    ("ours / baseline")."""
    names = _names(results)
    header = ["kind", "n"] + [label for _, label in PER_KIND_METRICS]

    def per_kind(name: str) -> dict:
        system = results["systems"][name]
        return (system["splits"][only] if only and "splits" in system else system["metrics"]).get("per_kind", {})

    rows = []
    for kind, m in per_kind(names[0]).items():
        row = [kind, str(m["n"])]
        for key, _ in PER_KIND_METRICS:
            values = [per_kind(n).get(kind, {}).get(key) for n in names]
            row.append("/".join("–" if v is None else f"{v:.2f}" for v in values))
        rows.append(row)
    return header, rows


def print_summary(results: dict, console=None, only: str | None = None) -> None:
    from rich.console import Console

    console = console or Console()
    if not console.is_terminal:  # piped or redirected: don't squeeze the tables into 80 columns
        console.width = max(console.width, 110)
    meta = results.get("meta", {})
    split = {k: v.get("n") for k, v in (next(iter(results["systems"].values())).get("splits") or {}).items()}
    counts = f" ({', '.join(f'{n} {k}' for k, n in split.items())})" if split else ""
    counts = "" if meta.get("question_set") else counts
    title = f"Evaluation: {meta.get('cases', '?')} cases{counts}, {meta.get('golden') or 'golden set'}"
    console.print(_rich_table(title, *summary_rows(results, only), wrap=True))
    console.print(_rich_table("Per kind" + (f" ({only} split)" if only else ""), *kind_rows(results, only),
                              caption="cells: " + " / ".join(_names(results))))
    console.print(headline(results), markup=False, highlight=False)
    if "judge" in results:
        from evals.judge import TITLE, judge_note, judge_rows

        console.print(_rich_table(TITLE, *judge_rows(results["judge"])))
        console.print(judge_note(results["judge"]), markup=False, highlight=False)


def _rich_table(title: str, header: list[str], rows: list[list[str]], caption: str | None = None, wrap=False):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, caption=escape(caption) if caption else None)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0 and not wrap)
    for row in rows:
        table.add_row(*row)
    return table


# -- plots ------------------------------------------------------------------------------------------------
def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plots(results: dict) -> dict[str, str]:
    """base64 PNGs: metric bars per kind, latency histogram, abstention confusion tables (one drawing at a time:
    pyplot's state is global, and the app may draw a report while an evaluation thread writes another)."""
    with _PLOT_LOCK:
        return _plots(results)


def _plots(results: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _names(results)
    out: dict[str, str] = {}
    kinds = list(results["systems"][names[0]]["metrics"]["per_kind"])
    fig, axes = plt.subplots(1, len(PER_KIND_METRICS), figsize=(4.2 * len(PER_KIND_METRICS), 4), sharey=True)
    width = 0.8 / len(names)
    for ax, (key, label) in zip(axes, PER_KIND_METRICS, strict=True):
        for j, name in enumerate(names):
            per_kind = results["systems"][name]["metrics"]["per_kind"]
            values = [per_kind.get(k, {}).get(key) or 0.0 for k in kinds]
            ax.bar([i + j * width for i in range(len(kinds))], values, width, label=name)
        ax.set_title(label)
        ax.set_xticks(
            [i + width * (len(names) - 1) / 2 for i in range(len(kinds))], kinds, rotation=45, ha="right"
        )
        ax.set_ylim(0, 1.05)
    axes[0].legend()
    out["per_kind"] = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    lats = {
        n: [max(t, 0.1) for r in results["systems"][n]["records"] for t in r["turn_latency_ms"]]
        for n in names
    }
    every = [t for v in lats.values() for t in v] or [1.0]
    lo, hi = math.log10(min(every)), math.log10(max(every)) + 1e-6
    bins = [10 ** (lo + (hi - lo) * i / 30) for i in range(31)]
    for name in names:
        ax.hist(lats[name], bins=bins, alpha=0.6, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("latency per question (ms, log scale)")
    ax.set_ylabel("questions")
    ax.legend()
    out["latency"] = _png(fig)

    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        c = results["systems"][name]["metrics"]["confusion"]
        grid = [
            [c["abstained_unanswerable"], c["answered_unanswerable"]],
            [c["abstained_answerable"], c["answered_answerable"]],
        ]
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(max(row) for row in grid) or 1)
        top = max(max(row) for row in grid) or 1
        for i in range(2):
            for j in range(2):
                color = "white" if grid[i][j] > top * 0.6 else "black"
                ax.text(j, i, str(grid[i][j]), ha="center", va="center", fontsize=14, color=color)
        ax.set_xticks([0, 1], ["abstained", "answered"])
        ax.set_yticks([0, 1], ["unanswerable", "answerable"])
        ax.set_title(name)
    fig.tight_layout()
    out["confusion"] = _png(fig)
    return out


# -- markdown -------------------------------------------------------------------------------------------
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cite_label(c: dict) -> str:
    where = c["source"] + (f" § {c['section']}" if c.get("section") else "")
    return f"[{c['id']}] {where} [{c['start']}:{c['end']}]"


def _short(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def question_rows(results: dict, failing_only: bool = False) -> tuple[list[str], list[list[str]]]:
    names = _names(results)
    header = ["id", "kind", "question"] + [
        f"{n} {col}" for n in names for col in ("answer", "citations", "failed")
    ]
    by_id = {n: {r["id"]: r for r in results["systems"][n]["records"]} for n in names}
    rows = []
    for rec in results["systems"][names[0]]["records"]:
        recs = [by_id[n].get(rec["id"]) for n in names]
        if failing_only and all(r is None or not r["failures"] for r in recs):
            continue
        row = [rec["id"], rec["kind"], " → ".join(rec["turns"])]
        for r in recs:
            if r is None:
                row += ["", "", ""]
                continue
            row += [
                _short(r["answer"]["answer"]),
                "; ".join(_cite_label(c) for c in r["answer"]["citations"]),
                "; ".join(r["failures"]) or "✓",
            ]
        rows.append(row)
    return header, rows


def to_markdown(results: dict) -> str:
    meta = results.get("meta", {})
    parts = [
        "# Evaluation report",
        "",
        f"{meta.get('cases')} {'cases of your own question set' if meta.get('question_set') else 'golden cases'} "
        f"from `{meta.get('golden')}`, run {meta.get('created')} in "
        f"{meta.get('seconds')} s. Embeddings `{meta.get('embedding_model')}`, "
        f"top_k {meta.get('top_k')}, fusion "
        f"{meta.get('fusion')}, abstain_threshold {meta.get('abstain_threshold')}.",
        "",
        "## Summary",
        "",
        headline(results) + ".",
        "",
        _md_table(*summary_rows(results)),
        "",
        "Retrieval metrics are over answerable cases with expected sources; "
        "fact recall over answerable cases; "
        "citation support over cited answer sentences; abstention over all cases.",
        "",
        *_judge_markdown(results),
        "## Per kind",
        "",
        "Cells: " + " / ".join(_names(results)) + ".",
        "",
        _md_table(*kind_rows(results)),
        "",
        "## Abstention confusion",
        "",
    ]
    for name in _names(results):
        c = results["systems"][name]["metrics"]["confusion"]
        parts += [
            f"**{name}**",
            "",
            _md_table(
                ["", "abstained", "answered"],
                [
                    ["unanswerable", str(c["abstained_unanswerable"]), str(c["answered_unanswerable"])],
                    ["answerable", str(c["abstained_answerable"]), str(c["answered_answerable"])],
                ],
            ),
            "",
        ]
    parts += ["## Questions", "", _md_table(*question_rows(results)), ""]
    return "\n".join(parts)


def _judge_markdown(results: dict) -> list[str]:
    if "judge" not in results:
        return []
    from evals.judge import TITLE, judge_note, judge_rows

    return [f"## {TITLE}", "", judge_note(results["judge"]), "", _md_table(*judge_rows(results["judge"])), ""]


# -- html ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=False)
    return env.get_template("report.html.j2")


def _question_rows(results: dict) -> list[dict]:
    """Each question with every system's answer, citations and failures (None where a system lacks it)."""
    names = _names(results)
    by_id = {n: {r["id"]: r for r in results["systems"][n]["records"]} for n in names}
    rows = []
    for rec in results["systems"][names[0]]["records"]:
        systems = []
        for n in names:
            r = by_id[n].get(rec["id"])
            systems.append(None if r is None else {
                "answer": r["answer"]["answer"], "short": _short(r["answer"]["answer"], 200),
                "citations": [{"label": _cite_label(c), "text": c["text"]} for c in r["answer"]["citations"]],
                "failures": r["failures"]})
        rows.append({"id": rec["id"], "kind": rec["kind"], "turns": rec["turns"], "systems": systems})
    return rows


def to_html(results: dict, images: dict[str, str] | None = None) -> str:
    """report.html from templates/report.html.j2 (Jinja2, autoescaped)."""
    meta = results.get("meta", {})
    judge = None
    if "judge" in results:
        from evals.judge import TITLE, judge_note, judge_rows

        judge = {"title": TITLE, "note": judge_note(results["judge"]), "table": judge_rows(results["judge"])}
    settings = {k: meta.get(k) for k in ("embedding_model", "top_k", "fusion", "abstain_threshold",
                                         "answer_max_words")}
    return _template().render(
        meta={k: meta.get(k) for k in ("cases", "golden", "created", "seconds", "question_set")},
        headline=headline(results), settings=json.dumps(settings),
        summary=summary_rows(results), per_kind=kind_rows(results), judge=judge, systems=_names(results),
        images=images if images is not None else plots(results), questions=_question_rows(results))


def write_reports(results: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    paths["md"].write_text(to_markdown(results), encoding="utf-8")
    paths["html"].write_text(to_html(results), encoding="utf-8")
    return paths
