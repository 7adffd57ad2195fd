"""Calibrate the abstention threshold: evidence scores of answerable vs unanswerable single-turn cases.

The answerer runs with abstention disabled (abstain_threshold = -10), so every case reports the evidence
score the decision would be made on; the threshold that misclassifies fewest cases is recommended.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from assistant.settings import Settings
from evals.golden_io import GoldenCase
from evals.runner import Services, build_ours, build_services, ensure_index, quiet


def collect(
    settings: Settings, cases: Sequence[GoldenCase], services: Services | None = None, progress: bool = True
) -> list[dict]:
    quiet()
    services = services or build_services(settings)
    ensure_index(services, progress=progress)
    system = build_ours(services, abstain_threshold=-10.0)
    single = [c for c in cases if not c.multi_turn]
    iterator = single
    if progress:
        from tqdm import tqdm

        iterator = tqdm(single, desc="calibrate", unit="case", file=sys.stderr)
    points = []
    for case in iterator:
        result = system.ask(case.question)
        points.append({"id": case.id, "unanswerable": case.unanswerable, "evidence": float(result.evidence)})
    return points


def errors_at(points: Sequence[dict], threshold: float) -> tuple[int, int]:
    """(answerable cases that would abstain, unanswerable cases that would be answered) at `threshold`."""
    false_abstain = sum(1 for p in points if not p["unanswerable"] and p["evidence"] < threshold)
    missed = sum(1 for p in points if p["unanswerable"] and p["evidence"] >= threshold)
    return false_abstain, missed


def best_threshold(points: Sequence[dict]) -> dict:
    """The threshold with fewest misclassifications; among ties, the midpoint of the widest gap between
    neighbouring scores (the most margin on both sides)."""
    scores = sorted({p["evidence"] for p in points})
    if not scores:
        raise ValueError("no evidence scores to calibrate on")
    candidates = [(scores[0] - 0.01, 0.0)] + [
        ((a + b) / 2, b - a) for a, b in zip(scores, scores[1:], strict=False)
    ]
    candidates.append((scores[-1] + 0.01, 0.0))
    ranked = sorted(candidates, key=lambda c: (sum(errors_at(points, c[0])), -c[1], c[0]))
    t = ranked[0][0]
    fa, missed = errors_at(points, t)
    return {"threshold": round(t, 4), "false_abstain": fa, "missed_abstain": missed, "errors": fa + missed}


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def summarize(points: Sequence[dict], current: float, steps: int = 16) -> dict:
    ans = [p["evidence"] for p in points if not p["unanswerable"]]
    una = [p["evidence"] for p in points if p["unanswerable"]]
    best = best_threshold(points)
    lo, hi = min(ans + una), max(ans + una)
    table = []
    for i in range(steps + 1):
        t = lo + (hi - lo) * i / steps
        fa, missed = errors_at(points, t)
        table.append(
            {
                "threshold": round(t, 4),
                "false_abstention_rate": fa / len(ans) if ans else None,
                "abstention_recall": (len(una) - missed) / len(una) if una else None,
                "errors": fa + missed,
            }
        )
    fa, missed = errors_at(points, current)
    med_a, med_u = _median(ans), _median(una)
    return {
        "answerable": len(ans),
        "unanswerable": len(una),
        "median_answerable": med_a,
        "median_unanswerable": med_u,
        "midpoint_of_medians": (med_a + med_u) / 2 if ans and una else None,
        "current": {
            "threshold": current,
            "false_abstain": fa,
            "missed_abstain": missed,
            "errors": fa + missed,
        },
        "best": best,
        "table": table,
        "points": sorted(points, key=lambda p: p["evidence"]),
    }


def print_calibration(summary: dict, base: float, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    best, cur = summary["best"], summary["current"]
    console.print(
        f"{summary['answerable']} answerable, {summary['unanswerable']} unanswerable single-turn cases; "
        f"median evidence {summary['median_answerable']:.3f} vs {summary['median_unanswerable']:.3f} "
        f"(midpoint {summary['midpoint_of_medians']:.3f})."
    )
    table = Table(title="Threshold sweep (abstain when evidence < threshold)")
    for col in ("threshold", "false-abstention rate", "abstention recall", "errors"):
        table.add_column(col, justify="right")
    for row in summary["table"]:
        table.add_row(
            f"{row['threshold']:.3f}",
            f"{row['false_abstention_rate']:.3f}",
            f"{row['abstention_recall']:.3f}",
            str(row["errors"]),
        )
    console.print(table)
    console.print(
        f"current threshold {cur['threshold']:.3f}: {cur['errors']} errors "
        f"({cur['false_abstain']} false abstentions, {cur['missed_abstain']} missed abstentions)"
    )
    console.print(
        f"[bold]recommended threshold {best['threshold']:.3f}[/]: {best['errors']} errors "
        f"({best['false_abstain']} false abstentions, {best['missed_abstain']} missed abstentions); "
        f"as a shift: ASSISTANT_ABSTAIN_THRESHOLD={best['threshold'] - base:+.3f} "
        f"(or EVIDENCE_THRESHOLD = {best['threshold']:.2f})"
    )
    cases = Table(title="Misclassified at the recommended threshold")
    for col in ("id", "unanswerable", "evidence"):
        cases.add_column(col)
    for p in summary["points"]:
        wrong = (p["evidence"] < best["threshold"]) != p["unanswerable"]
        if wrong:
            cases.add_row(p["id"], str(p["unanswerable"]), f"{p['evidence']:.3f}")
    console.print(cases)
