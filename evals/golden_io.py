"""The golden sets: one JSON object per line, loaded and checked, each case in a fixed `tune` or `test` split.

Three suites live in evals/golden/: `gmg.jsonl` (written from the notes' wording; the answerer was tuned on it
before the split existed), `natural.jsonl` (single questions written from a topic list by someone who never read the
notes, labelled afterwards) and `conversations.jsonl` (conversations of 4+ turns, every turn labelled: whether it
stands on its own, what a follow-up refers to, what its answer must hold). A case's split is a hash of its id with
SPLIT_SEED: adding cases never moves the others. Fit and tune on `tune` only; thresholds pin `test`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
DEFAULT_GOLDEN = GOLDEN_DIR / "gmg.jsonl"
SUITES = {"gmg": DEFAULT_GOLDEN, "natural": GOLDEN_DIR / "natural.jsonl",
          "conversations": GOLDEN_DIR / "conversations.jsonl"}
SPLIT_SEED = "gmg-2026-12"
SPLITS = ("tune", "test")


def split_of(key: str, seed: str = SPLIT_SEED) -> str:
    """"tune" or "test" for a case id (or a benchmark page id), half and half, fixed by the seed."""
    return SPLITS[hashlib.sha256(f"{seed}:{key}".encode()).digest()[0] & 1]


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
    # A labelled conversation: every turn is a case of its own (these fields, for its answer) plus whether it
    # stands alone and what a follow-up's rewrite must name. None for a case scored on its last turn only.
    turn_cases: list[GoldenCase] | None = None
    standalone: bool | None = None
    refers_to: list[str] = field(default_factory=list)
    scored: bool = True  # False: a turn labelled borderline (half answered by the notes) is asked, not scored

    @property
    def split(self) -> str:
        return split_of(self.id.split("#")[0])

    @property
    def question(self) -> str:
        """The question that is scored: the only one, or the last turn of a conversation."""
        return self.turns[-1]

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "kind": self.kind,
            "turns": self.turns,
            "required_facts": self.required_facts,
            "forbidden": self.forbidden,
            "expected_sources": [{"source": e.source, "section": e.section} for e in self.expected_sources],
            "unanswerable": self.unanswerable,
        }
        if self.standalone is not None:
            data.update(standalone=self.standalone, refers_to=self.refers_to)
        return data


class GoldenError(ValueError):
    """A malformed golden file: the message names the line."""


def _labels(data: dict, where: str, case_id: str) -> dict:
    facts = data.get("required_facts") or []
    if not all(isinstance(f, list) and f and all(isinstance(s, str) for s in f) for f in facts):
        raise GoldenError(f"{where} ({case_id}): each required fact is a non-empty list of spellings")
    expected = []
    for item in data.get("expected_sources") or []:
        if isinstance(item, str):
            item = {"source": item}
        expected.append(ExpectedSource(item["source"], item.get("section")))
    return {"required_facts": [list(f) for f in facts], "forbidden": list(data.get("forbidden") or []),
            "expected_sources": expected, "unanswerable": bool(data.get("unanswerable", False))}


def _turn_case(turn: dict, where: str, case_id: str, number: int) -> GoldenCase:
    question = turn.get("question")
    if not isinstance(question, str) or not question.strip():
        raise GoldenError(f"{where} ({case_id}): turn {number} needs a `question`")
    if not isinstance(turn.get("standalone"), bool):
        raise GoldenError(f"{where} ({case_id}): turn {number} needs `standalone` (true or false)")
    refers_to = list(turn.get("refers_to") or [])
    if not turn["standalone"] and not refers_to:
        raise GoldenError(f"{where} ({case_id}): follow-up turn {number} needs `refers_to`")
    return GoldenCase(id=f"{case_id}#{number}", kind="follow-up" if not turn["standalone"] else "standalone",
                      turns=[question], standalone=turn["standalone"], refers_to=refers_to,
                      scored=not turn.get("borderline"), **_labels(turn, where, case_id))


def parse_case(data: dict, where: str = "") -> GoldenCase:
    if "id" not in data:
        raise GoldenError(f"{where}: a case needs an id")
    case_id = str(data["id"])
    turns = data.get("turns")
    if turns is None:
        if not data.get("question"):
            raise GoldenError(f"{where} ({case_id}): needs `question` or `turns`")
        turns = [data["question"]]
    if turns and all(isinstance(t, dict) for t in turns):  # a labelled conversation
        turn_cases = [_turn_case(t, where, case_id, i) for i, t in enumerate(turns, start=1)]
        return GoldenCase(id=case_id, kind=str(data.get("kind") or "conversation"),
                          turns=[t.question for t in turn_cases], turn_cases=turn_cases)
    if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise GoldenError(f"{where} ({case_id}): `turns` must be non-empty strings")
    return GoldenCase(
        id=case_id,
        kind=str(data.get("kind") or ("multi_turn" if len(turns) > 1 else "lookup")),
        turns=list(turns),
        **_labels(data, where, case_id),
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
        if data.get("borderline"):  # labelled as only half answered by the notes: not a fair test either way
            continue
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
