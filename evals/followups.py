"""Follow-ups read in context: does the assistant resolve what a question leans on, and leave alone one that
stands on its own?

Data: evals/golden/followups.jsonl, short chats written blind (evals/golden/README.md): one to three earlier
questions and a final one, marked `standalone` (understandable alone: it must be used as asked) or not (its rewrite
must contain one of `refers_to`). Each chat is replayed through the same `Conversation` the app holds, answers
included (a follow-up may lean on the body an answer named), so this measures what a user gets. Cases fall in
`tune` or `test` by the golden split (`split_of`); `evals/thresholds.toml` pins the `test` figures.

    python -m evals followups [--split tune] [--json] [--check]
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evals.golden_io import GOLDEN_DIR, GoldenError, split_of
from evals.metrics import resolves

FOLLOWUPS = GOLDEN_DIR / "followups.jsonl"
_KEYS = {"id", "history", "question", "standalone", "refers_to", "form"}


@dataclass(frozen=True)
class FollowupCase:
    id: str
    history: tuple[str, ...]
    question: str
    standalone: bool
    refers_to: tuple[str, ...]
    form: str

    @property
    def split(self) -> str:
        return split_of(self.id)


def load_followups(path: Path = FOLLOWUPS) -> list[FollowupCase]:
    """Every chat of a follow-ups JSONL file; raises GoldenError naming the bad line."""
    cases, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if set(data) != _KEYS:
                raise ValueError(f"keys must be {sorted(_KEYS)}")
            case = FollowupCase(str(data["id"]), tuple(map(str, data["history"])), str(data["question"]),
                                bool(data["standalone"]), tuple(map(str, data["refers_to"])), str(data["form"]))
            if not case.history or (not case.standalone and not case.refers_to) or case.id in seen:
                raise ValueError("needs a history, refers_to for a follow-up, and a unique id")
        except (ValueError, TypeError) as exc:
            raise GoldenError(f"{Path(path).name} line {number}: {exc}") from exc
        seen.add(case.id)
        cases.append(case)
    return cases


def read_case(assistant, case: FollowupCase) -> dict:
    """Replay the chat; the final question's rewrite (None: used as asked) and whether it reads the chat right."""
    from assistant.conversation import Conversation

    conversation = Conversation()
    for earlier in case.history:
        conversation.ask(assistant, earlier)
    result = conversation.ask(assistant, case.question)
    rewritten, offered = result.standalone_question, result.suggested_question
    passed = rewritten is None if case.standalone else resolves(rewritten, case.refers_to)
    return {"id": case.id, "split": case.split, "form": case.form, "question": case.question,
            "standalone": case.standalone, "rewritten": rewritten, "passed": passed, "offered": offered,
            "offer_resolves": not case.standalone and offered is not None and resolves(offered, case.refers_to)}


def summarize(records: list[dict]) -> dict:
    """`passed` over all chats; `standalone_kept`: standalone final questions used as asked; `followups_resolved`:
    follow-ups whose rewrite names what they lean on; `followups_offered`: follow-ups (of all) that were not
    rewritten, abstained and offered their reading with the previous question, which names what they lean on
    ("yes" asks it: assistant/conversation.py); `standalone_offered`: standalone questions offered such a reading
    (the user may decline it)."""
    alone = [r for r in records if r["standalone"]]
    leaning = [r for r in records if not r["standalone"]]

    def rate(rows: list[dict], key=lambda r: r["passed"]) -> float | None:
        return sum(bool(key(r)) for r in rows) / len(rows) if rows else None

    return {"n": len(records), "passed": rate(records), "standalone_kept": rate(alone),
            "followups_resolved": rate(leaning),
            "followups_offered": rate(leaning, lambda r: r.get("offer_resolves")),
            "standalone_offered": rate(alone, lambda r: r.get("offered") is not None),
            "standalone_n": len(alone), "followups_n": len(leaning),
            "failed_forms": dict(Counter(r["form"] for r in records if not r["passed"]).most_common())}


def run_followups(assistant, cases: list[FollowupCase], progress=None) -> dict:
    """Records and per-split summaries (`tune`, `test`)."""
    records = [read_case(assistant, case) for case in (progress(cases) if progress else cases)]
    return {"records": records, "splits": {s: summarize([r for r in records if r["split"] == s])
                                           for s in ("tune", "test")}}
