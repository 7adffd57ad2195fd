"""The golden set: one JSON object per line (see evals/golden/gmg.jsonl), loaded and checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_GOLDEN = Path(__file__).parent / "golden" / "gmg.jsonl"


@dataclass(frozen=True)
class ExpectedSource:
    source: str
    section: str | None = None


@dataclass
class GoldenCase:
    id: str
    kind: str
    turns: list[str]
    required_facts: list[list[str]] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    expected_sources: list[ExpectedSource] = field(default_factory=list)
    unanswerable: bool = False

    @property
    def question(self) -> str:
        """The question that is scored: the only one, or the last turn of a conversation."""
        return self.turns[-1]

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "turns": self.turns,
            "required_facts": self.required_facts,
            "forbidden": self.forbidden,
            "expected_sources": [{"source": e.source, "section": e.section} for e in self.expected_sources],
            "unanswerable": self.unanswerable,
        }


class GoldenError(ValueError):
    """A malformed golden file: the message names the line."""


def parse_case(data: dict, where: str = "") -> GoldenCase:
    if "id" not in data:
        raise GoldenError(f"{where}: a case needs an id")
    turns = data.get("turns")
    if turns is None:
        if not data.get("question"):
            raise GoldenError(f"{where} ({data['id']}): needs `question` or `turns`")
        turns = [data["question"]]
    if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise GoldenError(f"{where} ({data['id']}): `turns` must be non-empty strings")
    facts = data.get("required_facts") or []
    if not all(isinstance(f, list) and f and all(isinstance(s, str) for s in f) for f in facts):
        raise GoldenError(f"{where} ({data['id']}): each required fact is a non-empty list of spellings")
    expected = []
    for item in data.get("expected_sources") or []:
        if isinstance(item, str):
            item = {"source": item}
        expected.append(ExpectedSource(item["source"], item.get("section")))
    return GoldenCase(
        id=str(data["id"]),
        kind=str(data.get("kind") or ("multi_turn" if len(turns) > 1 else "lookup")),
        turns=list(turns),
        required_facts=[list(f) for f in facts],
        forbidden=list(data.get("forbidden") or []),
        expected_sources=expected,
        unanswerable=bool(data.get("unanswerable", False)),
    )


def load_golden(path: Path = DEFAULT_GOLDEN) -> list[GoldenCase]:
    """All cases of a golden JSONL file; raises GoldenError naming the bad line, or on duplicate ids."""
    cases: list[GoldenCase] = []
    seen: set[str] = set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldenError(f"{path}:{number}: not JSON ({exc.msg})") from None
        case = parse_case(data, f"{path}:{number}")
        if case.id in seen:
            raise GoldenError(f"{path}:{number}: duplicate id {case.id}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise GoldenError(f"{path}: no cases")
    return cases


# -- thresholds ---------------------------------------------------------------------------------------------
DEFAULT_THRESHOLDS = Path(__file__).parent / "thresholds.toml"


def load_thresholds(path: Path = DEFAULT_THRESHOLDS, suite: str = "gmg") -> dict[str, dict[str, float]]:
    """{"min": {metric: value}, "max": {metric: value}} for one suite of thresholds.toml."""
    import tomllib

    data = tomllib.loads(Path(path).read_text(encoding="utf-8")).get(suite, {})
    return {"min": dict(data.get("min", {})), "max": dict(data.get("max", {}))}


def check_thresholds(metrics: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Violations of the pinned thresholds, as readable lines (empty: all met)."""
    problems = []
    for bound, table in (("min", thresholds.get("min", {})), ("max", thresholds.get("max", {}))):
        for key, limit in table.items():
            value = metrics.get(key)
            if value is None:
                problems.append(f"{key}: no value (threshold {bound} {limit})")
            elif bound == "min" and value < limit:
                problems.append(f"{key} = {value:.3f}, below the pinned minimum {limit}")
            elif bound == "max" and value > limit:
                problems.append(f"{key} = {value:.3f}, above the pinned maximum {limit}")
    return problems
