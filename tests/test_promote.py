"""Thumbs-down feedback becomes draft golden cases (real SQLite store, real files)."""

from __future__ import annotations

import json

from assistant.feedback import FeedbackStore
from assistant.models import Citation, CitedAnswer
from evals.promote import promote


def _answer(question: str, abstained: bool = False) -> CitedAnswer:
    citation = Citation(id=1, source="note.txt", title="Note", section="UNODC", start=0, end=5, text="UNODC")
    return CitedAnswer(question=question, answer="UNODC [1]", abstained=abstained, citations=[citation])


def test_thumbs_down_become_drafts_once(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record(_answer("Who handles trafficking victims?"), rating=1, settings={})
    store.record(_answer("What is the GMG budget?"), rating=0, settings={}, reasons=["should_abstain"])
    store.record(_answer("What does UNODC do?"), rating=0, settings={}, reasons=["incomplete"], comment="short")
    out = tmp_path / "drafts.jsonl"
    drafts = promote(tmp_path / "feedback.sqlite3", out)
    assert [d["question"] for d in drafts] == ["What is the GMG budget?", "What does UNODC do?"]
    budget, unodc = drafts
    assert budget["unanswerable"] and budget["expected_sources"] == []
    assert not unodc["unanswerable"] and unodc["expected_sources"] == [{"source": "note.txt", "section": "UNODC"}]
    assert all(d["draft"] and d["todo"] for d in drafts)
    assert unodc["feedback"]["comment"] == "short"
    assert promote(tmp_path / "feedback.sqlite3", out) == [], "a second run adds nothing"
    assert len(out.read_text().splitlines()) == 2 and all(json.loads(x) for x in out.read_text().splitlines())
