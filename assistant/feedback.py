"""Evaluator feedback on answers, stored durably in SQLite (settings.data_dir / "feedback.sqlite3").

One row per rated answer: the rating (1 thumbs up, 0 thumbs down, NULL withdrawn), optional reasons and
comment, and everything needed to judge it later: question, answer, citations and settings (JSON). The
app records a row when an answer is first rated and updates it when the rating or details change.
Each call opens its own connection, so the store is safe to share between Streamlit sessions (threads).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.models import CitedAnswer

# Reason code → label shown to the user.
REASONS: dict[str, str] = {
    "wrong_fact": "Wrong fact",
    "wrong_citation": "Wrong or missing citation",
    "should_abstain": "Should have said “not in the documents”",
    "incomplete": "Incomplete",
}
RATINGS = {1: "up", 0: "down"}
COLUMNS = ("id", "timestamp", "updated_at", "user", "session_id", "message_id", "rating", "reasons", "comment",
           "question", "standalone_question", "answer", "abstained", "citations", "settings")
JSON_COLUMNS = ("reasons", "citations", "settings")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL,            -- when the answer was first rated (UTC, ISO 8601)
    updated_at TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',      -- the signed-in user (ASSISTANT_AUTH), '' when sign-in is off
    session_id TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    rating INTEGER,                     -- 1 thumbs up, 0 thumbs down, NULL withdrawn
    reasons TEXT NOT NULL DEFAULT '[]', -- JSON list of REASONS codes
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    standalone_question TEXT,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL,            -- JSON list of the cited (or, on abstention, closest) passages
    settings TEXT NOT NULL              -- JSON of the settings the answer was made with
);
CREATE INDEX IF NOT EXISTS feedback_message ON feedback (session_id, message_id);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_rating(rating: int | None) -> int | None:
    if rating not in (None, 0, 1):
        raise ValueError(f"rating must be 1 (up), 0 (down) or None, not {rating!r}")
    return rating


def _check_reasons(reasons: Iterable[str]) -> list[str]:
    reasons = list(dict.fromkeys(reasons))
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise ValueError(f"unknown feedback reason(s) {unknown}; known: {sorted(REASONS)}")
    return reasons


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            known = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            if "user" not in known:  # a store made before sign-in existed: add the column, keep the rows
                try:
                    db.execute("ALTER TABLE feedback ADD COLUMN user TEXT NOT NULL DEFAULT ''")
                except sqlite3.OperationalError:  # another process (app replica) added it a moment ago
                    if "user" not in {row[1] for row in db.execute("PRAGMA table_info(feedback)")}:
                        raise

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a saved rating survives a power cut
            db.row_factory = sqlite3.Row
            with db:  # commit on success, roll back on error
                yield db
        finally:
            db.close()

    def record(self, result: CitedAnswer, *, rating: int | None, settings: dict, reasons: Iterable[str] = (),
               comment: str = "", session_id: str = "", message_id: str = "", user: str | None = None) -> int:
        """Store feedback on `result`; returns the row id (pass it to `update` for later changes)."""
        cited = result.citations if not result.abstained else result.closest
        now = _now()
        row = {
            "timestamp": now, "updated_at": now, "user": user or "", "session_id": session_id,
            "message_id": message_id,
            "rating": _check_rating(rating), "reasons": json.dumps(_check_reasons(reasons)),
            "comment": comment.strip(), "question": result.question,
            "standalone_question": result.standalone_question, "answer": result.answer,
            "abstained": int(result.abstained),
            "citations": json.dumps([c.model_dump() for c in cited], ensure_ascii=False),
            "settings": json.dumps(settings, ensure_ascii=False, sort_keys=True, default=str),
        }
        names = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._connect() as db:
            return int(db.execute(f"INSERT INTO feedback ({names}) VALUES ({marks})", row).lastrowid)

    def update(self, row_id: int, *, rating: int | None = ..., reasons: Iterable[str] | None = None,
               comment: str | None = None) -> None:
        """Change the rating and/or details of a stored row (arguments left out are kept)."""
        changes: dict[str, object] = {"updated_at": _now()}
        if rating is not ...:
            changes["rating"] = _check_rating(rating)
        if reasons is not None:
            changes["reasons"] = json.dumps(_check_reasons(reasons))
        if comment is not None:
            changes["comment"] = comment.strip()
        assignments = ", ".join(f"{k} = :{k}" for k in changes)
        with self._connect() as db:
            cursor = db.execute(f"UPDATE feedback SET {assignments} WHERE id = :id", {**changes, "id": row_id})
            if cursor.rowcount != 1:
                raise KeyError(f"no feedback row {row_id}")

    def details(self, row_ids: Iterable[int]) -> dict[int, tuple[list[str], str]]:
        """The reasons and comment of each of these rows (a reopened conversation's feedback forms show them);
        rows that are gone are left out."""
        ids = sorted(set(row_ids))
        if not ids:
            return {}
        with self._connect() as db:
            found = db.execute(f"SELECT id, reasons, comment FROM feedback WHERE id IN ({', '.join('?' * len(ids))})",
                               ids).fetchall()
        return {int(r["id"]): (json.loads(r["reasons"]), r["comment"]) for r in found}

    def rows(self) -> list[dict]:
        """Every row, oldest first, with the JSON columns decoded."""
        with self._connect() as db:
            raw = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        out = []
        for r in raw:
            row = dict(r)
            for key in JSON_COLUMNS:
                row[key] = json.loads(row[key])
            row["abstained"] = bool(row["abstained"])
            out.append(row)
        return out

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def to_jsonl(self) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.rows())

    def to_csv(self) -> str:
        """CSV for spreadsheets: one row per feedback, JSON columns kept as JSON text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if k in JSON_COLUMNS else v for k, v in row.items()})
        return buffer.getvalue()
