"""Near misses: questions that sound like the notes' subject but that the notes do not answer. How often does the
assistant say so?

Data: evals/golden/near_misses.jsonl (300 questions, evals/prompts/near_misses.md): written by a helper session
that read the two notes, as it had to in order to know what they leave out, and checked each question against
them; nothing else (no golden question, no code). Five kinds, about evenly: a missing detail next to what the
notes say (1), a topic they never cover (2), practical help (3), opinions and later events (4), near misses in the
notes' own words (5). Each question falls in `tune` or `test` by the golden split (`split_of`);
`evals/thresholds.toml` pins the `test` figure. Every question is asked alone, as a first question in a chat.

    python -m evals near-misses [--json] [--check]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from evals.golden_io import GOLDEN_DIR, GoldenError, split_of

NEAR_MISSES = GOLDEN_DIR / "near_misses.jsonl"
_KEYS = {"id", "about", "kind", "question"}


@dataclass(frozen=True)
class NearMiss:
    id: str
    about: str
    kind: int
    question: str

    @property
    def split(self) -> str:
        return split_of(self.id)


def load_near_misses(path: Path = NEAR_MISSES) -> list[NearMiss]:
    cases: list[NearMiss] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if set(row) != _KEYS or not str(row["question"]).strip():
                raise ValueError(f"keys must be {sorted(_KEYS)} with a question")
            if int(row["kind"]) not in range(1, 6) or str(row["id"]) in {c.id for c in cases}:
                raise ValueError(f"kind {row['kind']} is not 1-5, or id {row['id']} is taken")
            cases.append(NearMiss(str(row["id"]), str(row["about"]), int(row["kind"]), str(row["question"])))
        except (ValueError, TypeError) as exc:
            raise GoldenError(f"{path}: line {n}: {exc}") from None
    return cases


def run_near_misses(assistant, cases: list[NearMiss]) -> dict:
    """Each question asked alone; per split, the share the assistant abstains on (`abstention_recall`), overall
    and per kind, and the questions it answered."""
    records = []
    for case in cases:
        answer = assistant.ask(case.question)
        records.append({"id": case.id, "split": case.split, "kind": case.kind, "about": case.about,
                        "question": case.question, "abstained": answer.abstained,
                        "evidence": answer.evidence, "answer": None if answer.abstained else answer.answer})
    splits = {}
    for split in ("tune", "test"):
        mine = [r for r in records if r["split"] == split]
        by_kind: dict[int, list[bool]] = defaultdict(list)
        for r in mine:
            by_kind[r["kind"]].append(r["abstained"])
        splits[split] = {"questions": len(mine),
                         "abstention_recall": sum(r["abstained"] for r in mine) / len(mine) if mine else None,
                         "by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())}}
    return {"splits": splits, "records": records}


def near_misses_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON on stdout.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 below evals/thresholds.toml ([near_misses]).")
                     ] = False,
) -> None:
    """Questions near the notes' subject that they do not answer (evals/golden/near_misses.jsonl): how many the
    assistant abstains on, per split and kind, and the `test` ones it answered."""
    from assistant.settings import Settings
    from evals.golden_io import check_thresholds, load_thresholds
    from evals.runner import build_ours, build_services, ensure_index, quiet

    quiet()
    try:
        services = build_services(Settings())
        ensure_index(services, progress=not as_json)
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    results = run_near_misses(build_ours(services).assistant, load_near_misses())
    results["threshold_violations"] = check_thresholds(results["splits"]["test"],
                                                       load_thresholds(suite="near_misses"))
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    else:
        for name, figures in results["splits"].items():
            typer.echo(f"{name}: {json.dumps(figures)}")
        for r in results["records"]:
            if r["split"] == "test" and not r["abstained"]:
                typer.echo(f"  answered {r['id']} [kind {r['kind']}] {r['question']!r}")
        for problem in results["threshold_violations"]:
            typer.echo(f"test split below the pinned thresholds ([near_misses]): {problem}", err=True)
    if check and results["threshold_violations"]:
        raise typer.Exit(1)
