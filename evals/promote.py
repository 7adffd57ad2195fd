"""Feedback into tests: turn thumbs-down answers from the app's feedback store into draft golden cases.

Drafts are written in the golden schema with what the evaluator must complete left empty and flagged
(`"draft": true`, `"todo": [...]`); they are never scored until someone fills them in and drops the flags.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.feedback import FeedbackStore


def draft_cases(rows: list[dict], existing_ids: set[str]) -> list[dict]:
    """One draft per thumbs-down row (rating 0), skipping questions already drafted."""
    drafts: list[dict] = []
    seen: set[str] = set()
    for row in rows:
        question = (row.get("standalone_question") or row["question"]).strip()
        if row.get("rating") != 0 or question.lower() in seen:
            continue
        seen.add(question.lower())
        case_id = f"feedback-{row['id']:04d}"
        if case_id in existing_ids:
            continue
        should_abstain = "should_abstain" in row.get("reasons", [])
        cited = [{"source": c.get("source"), "section": c.get("section")} for c in row.get("citations", [])]
        drafts.append({
            "id": case_id,
            "kind": "unanswerable" if should_abstain else "lookup",
            "question": question,
            "required_facts": [],
            "forbidden": [],
            "expected_sources": [] if should_abstain else cited,
            "unanswerable": should_abstain,
            "draft": True,
            "todo": ["check expected_sources against the notes"] + ([] if should_abstain else
                     ["write required_facts (each a list of acceptable spellings)"]),
            "feedback": {"answer": row["answer"], "reasons": row.get("reasons", []),
                         "comment": row.get("comment", ""), "rated_at": row.get("timestamp")},
        })
    return drafts


def promote(feedback_db: Path, out: Path) -> list[dict]:
    """Append new drafts to `out` (JSONL) and return them."""
    if not feedback_db.is_file():
        raise FileNotFoundError(f"No feedback store at {feedback_db}; rate some answers in the app first.")
    existing = set()
    if out.is_file():
        existing = {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()}
    drafts = draft_cases(FeedbackStore(feedback_db).rows(), existing)
    if drafts:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as handle:
            for case in drafts:
                handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    return drafts
