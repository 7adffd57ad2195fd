"""The SQLite feedback store the app writes ratings to, and its CSV / JSONL exports."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading

import pytest

from assistant.feedback import COLUMNS, REASONS, FeedbackStore
from assistant.models import Citation, CitedAnswer


def _answer(question: str = "Who handles trafficking victims?", abstained: bool = False) -> CitedAnswer:
    cited = Citation(id=1, source="note.txt", title="Note «GMG»", section="UNODC", start=10, end=40,
                     text="Victim support is UNODC's work.", date="2006", doc_id="abcdef0123456789")
    return CitedAnswer(
        question=question,
        answer="The documents don't say." if abstained else "Victim support is UNODC's work. [1]",
        abstained=abstained,
        citations=[] if abstained else [cited],
        closest=[cited] if abstained else [],
        standalone_question=None,
    )


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "nested" / "feedback.sqlite3")


def test_record_stores_everything_an_evaluator_needs(store):
    settings = {"top_k_used": 6, "embedding_model": "m", "answer_mode": "extractive"}
    row_id = store.record(_answer(), rating=1, settings=settings, session_id="s1", message_id="m1")
    [row] = store.rows()
    assert row["id"] == row_id and row["rating"] == 1
    assert row["question"] == "Who handles trafficking victims?"
    assert row["answer"].endswith("[1]")
    assert row["citations"][0]["text"] == "Victim support is UNODC's work."
    assert row["citations"][0]["title"] == "Note «GMG»"
    assert row["settings"] == settings
    assert row["timestamp"] and row["timestamp"] == row["updated_at"]
    assert (row["session_id"], row["message_id"], row["reasons"], row["comment"]) == ("s1", "m1", [], "")


def test_abstentions_store_the_closest_passages(store):
    store.record(_answer("Who won the World Cup?", abstained=True), rating=0, settings={})
    [row] = store.rows()
    assert row["abstained"] is True and len(row["citations"]) == 1


def test_update_changes_only_what_is_given(store):
    row_id = store.record(_answer(), rating=1, settings={})
    store.update(row_id, rating=0)
    store.update(row_id, reasons=["wrong_fact", "incomplete", "wrong_fact"], comment="  needs the 2nd protocol ")
    [row] = store.rows()
    assert (row["rating"], row["reasons"], row["comment"]) == (0, ["wrong_fact", "incomplete"],
                                                               "needs the 2nd protocol")
    store.update(row_id, rating=None)  # the user withdrew the rating
    assert store.rows()[0]["rating"] is None
    with pytest.raises(KeyError):
        store.update(row_id + 1, rating=1)


def test_invalid_values_are_refused(store):
    with pytest.raises(ValueError):
        store.record(_answer(), rating=5, settings={})
    row_id = store.record(_answer(), rating=1, settings={})
    with pytest.raises(ValueError, match="unknown feedback reason"):
        store.update(row_id, reasons=["rude"])
    assert set(REASONS) == {"wrong_fact", "wrong_citation", "should_abstain", "incomplete"}


def test_feedback_is_durable_across_store_instances(store, tmp_path):
    store.record(_answer(), rating=1, settings={"a": 1})
    again = FeedbackStore(store.path)
    assert again.count() == 1 and again.rows()[0]["settings"] == {"a": 1}
    with sqlite3.connect(store.path) as db:  # a plain SQLite file any tool can read
        assert db.execute("SELECT question FROM feedback").fetchone()[0] == "Who handles trafficking victims?"


def test_exports_round_trip(store):
    store.record(_answer(), rating=1, settings={"k": 6}, message_id="a")
    second = store.record(_answer('A "quoted", multi-line\nquestion'), rating=0, settings={}, message_id="b")
    store.update(second, reasons=["should_abstain"], comment="comma, quote \" and newline\nhere")
    lines = store.to_jsonl().splitlines()
    assert [json.loads(line)["message_id"] for line in lines] == ["a", "b"]
    assert json.loads(lines[1])["reasons"] == ["should_abstain"]
    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1]["question"] == 'A "quoted", multi-line\nquestion'
    assert rows[1]["comment"] == "comma, quote \" and newline\nhere"
    assert json.loads(rows[0]["citations"])[0]["section"] == "UNODC"
    assert json.loads(rows[1]["reasons"]) == ["should_abstain"]


def test_empty_exports_have_headers_only(store):
    assert store.to_jsonl() == ""
    assert store.to_csv().strip() == ",".join(COLUMNS)


def test_concurrent_sessions_do_not_lose_feedback(store):
    errors: list[Exception] = []

    def rate(n: int) -> None:
        try:
            for i in range(10):
                row = store.record(_answer(f"q{n}-{i}"), rating=i % 2, settings={}, session_id=str(n))
                store.update(row, comment=f"c{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = store.rows()
    assert len(rows) == 60 and all(r["comment"] == "c" + r["question"][1:] for r in rows)


def test_a_store_from_before_sign_in_gains_the_user_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:  # the schema as it was before the user column
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, "
                   "updated_at TEXT NOT NULL, session_id TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL "
                   "DEFAULT '', rating INTEGER, reasons TEXT NOT NULL DEFAULT '[]', comment TEXT NOT NULL DEFAULT "
                   "'', question TEXT NOT NULL, standalone_question TEXT, answer TEXT NOT NULL, abstained INTEGER "
                   "NOT NULL DEFAULT 0, citations TEXT NOT NULL, settings TEXT NOT NULL)")
        db.execute("INSERT INTO feedback (timestamp, updated_at, question, answer, citations, settings) "
                   "VALUES ('t', 't', 'old question', 'old answer', '[]', '{}')")
    store = FeedbackStore(path)
    store.record(_answer(), rating=0, settings={}, user="ada")
    rows = store.rows()
    assert [(r["question"], r["user"]) for r in rows] == [("old question", ""), (_answer().question, "ada")]
