"""Compare two results.json files (A = before, B = after): metric deltas and the questions that flipped."""

from __future__ import annotations

import json
from pathlib import Path

from evals.metrics import HEADLINE
from evals.report import fmt


def load_results(path: Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if "systems" not in data:
        raise ValueError(f"{path} is not a results.json written by `python -m evals run` or `external`")
    return data


def _metric_keys(a: dict, b: dict) -> list[tuple[str, str]]:
    known = [(key, label) for key, label, _ in HEADLINE]
    seen = {key for key, _ in known}
    extra = [
        (k, k) for k, v in {**a, **b}.items() if k not in seen and isinstance(v, int | float) and k != "n"
    ]
    return [(k, label) for k, label in known + extra if k in a or k in b]


def compare(a: dict, b: dict) -> dict:
    """Per system present in both: {metric: (A, B, B − A)} and the ids that flipped pass↔fail."""
    out: dict = {}
    for name in [n for n in a["systems"] if n in b["systems"]]:
        ma, mb = a["systems"][name]["metrics"], b["systems"][name]["metrics"]
        deltas = {}
        for key, label in _metric_keys(ma, mb):
            va, vb = ma.get(key), mb.get(key)
            d = vb - va if isinstance(va, int | float) and isinstance(vb, int | float) else None
            deltas[key] = {"label": label, "a": va, "b": vb, "delta": d}
        ra = {r["id"]: r for r in a["systems"][name]["records"]}
        rb = {r["id"]: r for r in b["systems"][name]["records"]}
        common = [i for i in ra if i in rb]
        fixed = [i for i in common if not ra[i]["scores"]["passed"] and rb[i]["scores"]["passed"]]
        broken = [i for i in common if ra[i]["scores"]["passed"] and not rb[i]["scores"]["passed"]]
        out[name] = {
            "metrics": deltas,
            "fixed": [{"id": i, "answer": rb[i]["answer"]["answer"]} for i in fixed],
            "broken": [
                {"id": i, "answer": rb[i]["answer"]["answer"], "failures": rb[i]["failures"]} for i in broken
            ],
            "only_in_a": sorted(set(ra) - set(rb)),
            "only_in_b": sorted(set(rb) - set(ra)),
        }
    return out


def print_comparison(diff: dict, label_a: str, label_b: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    for name, d in diff.items():
        table = Table(title=f"{name}: A = {label_a}  →  B = {label_b}")
        for col in ("metric", "A", "B", "Δ (B − A)"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        for key, m in d["metrics"].items():
            delta = (
                ""
                if m["delta"] is None
                else (f"{m['delta']:+.0f}" if key.endswith("_ms") else f"{m['delta']:+.3f}")
            )
            if m["delta"]:
                better = next((hb for k, _, hb in HEADLINE if k == key), None)
                if better is not None and not key.endswith("_ms"):
                    good = (m["delta"] > 0) == better
                    delta = f"[{'green' if good else 'red'}]{delta}[/]"
            table.add_row(m["label"], fmt(key, m["a"]), fmt(key, m["b"]), delta)
        console.print(table)
        console.print(
            f"[green]fixed ({len(d['fixed'])})[/]: " + (", ".join(f["id"] for f in d["fixed"]) or "none")
        )
        console.print(
            f"[red]broken ({len(d['broken'])})[/]: " + (", ".join(f["id"] for f in d["broken"]) or "none")
        )
        for f in d["broken"]:
            console.print(f"  {f['id']}: {'; '.join(f['failures'])}", markup=False, highlight=False)
        if d["only_in_a"] or d["only_in_b"]:
            console.print(f"only in A: {len(d['only_in_a'])}, only in B: {len(d['only_in_b'])}")
