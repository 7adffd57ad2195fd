"""Conversations kept as they happen, in SQLite (settings.data_dir / "conversations.sqlite3"), so a reload, or the
conversation's link, shows it again and follow-ups continue from its history.

A conversation belongs to one owner (the signed-in user, or, with sign-in off, one browser): every read and change
names the owner, and another owner's conversation is as good as missing. Each turn is stored whole: the question,
the `CitedAnswer` as JSON (answer, citations, rewrite, notes), the turn's id and settings, and its feedback rating.
WAL mode and one connection per call let the app's sessions (threads) and replicas (processes) write at once.

A damaged file is moved aside (never deleted) and a fresh one started; a folder that cannot be written leaves the
store unavailable. Either way `warning` says so in one line and the chat goes on, unsaved in the second case.
Conversations not touched for `retention_days` are removed when the store opens (at the app's start).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.models import CitedAnswer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,              -- "user:<name>" with sign-in, "browser:<id>" without
    title TEXT NOT NULL,              -- the first question, until renamed
    created REAL NOT NULL,            -- Unix time
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,               -- 0, 1, … in the order asked
    turn_id TEXT NOT NULL,            -- the app's message id (feedback rows name it)
    result TEXT NOT NULL,             -- the CitedAnswer, JSON
    settings TEXT NOT NULL DEFAULT '{}',
    rating INTEGER,                   -- the turn's 👍 (1) / 👎 (0), NULL when not rated
    feedback_row INTEGER,             -- its row in feedback.sqlite3
    created REAL NOT NULL,
    PRIMARY KEY (conversation_id, n)
);
"""


@dataclass(frozen=True)
class Summary:
    id: str
    title: str
    created: float
    updated: float
    turns: int


@dataclass
class StoredTurn:
    turn_id: str
    result: CitedAnswer
    settings: dict
    rating: int | None
    feedback_row: int | None


class ConversationStore:
    def __init__(self, path: Path, retention_days: int = 90, now: float | None = None, timeout: float = 30.0):
        self.path = Path(path)
        self.retention_days = retention_days
        self.timeout = timeout  # how long a call waits for another writer (another session, replica) to finish
        self.warning: str | None = None
        self.available = True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open_or_set_aside()
            self.removed = self.prune(now)
        except (OSError, sqlite3.OperationalError) as exc:  # cannot create, open or write it: not damage
            self.available, self.removed = False, 0
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.warning = f"Conversations cannot be kept ({reason}): this chat works but is not saved."

    def _open_or_set_aside(self) -> None:
        """Create the tables; a file SQLite cannot read is renamed `<name>.damaged-<time>` (with its WAL files) and
        a new one started."""
        try:
            with self._connect() as db:
                if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise sqlite3.DatabaseError("quick_check failed")
                db.executescript(_SCHEMA)
        except sqlite3.OperationalError:
            raise  # locked by another process, unreadable folder: the file may be fine, never set it aside
        except sqlite3.DatabaseError:
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            for suffix in ("", "-wal", "-shm"):
                part = self.path.with_name(self.path.name + suffix)
                if part.exists():
                    part.replace(aside.with_name(aside.name + suffix))
            with self._connect() as db:
                db.executescript(_SCHEMA)
            self.warning = (f"The conversations database was damaged: it was kept aside as {aside.name} and a new "
                            "one started.")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # a deleted conversation's text is overwritten, not left behind
            with db:  # commit on success, roll back on error
                yield db
        finally:
            db.close()

    # -- conversations ----------------------------------------------------------------------------------------
    def create(self, owner: str, title: str) -> str:
        cid, now = uuid.uuid4().hex, time.time()
        with self._connect() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", (cid, owner, _title(title), now, now))
        return cid

    def list(self, owner: str, limit: int = 100) -> list[Summary]:
        """The owner's conversations, the most recently continued first."""
        with self._connect() as db:
            rows = db.execute("SELECT c.id, c.title, c.created, c.updated, COUNT(t.n) FROM conversations c "
                              "LEFT JOIN turns t ON t.conversation_id = c.id WHERE c.owner = ? GROUP BY c.id "
                              "ORDER BY c.updated DESC, c.id LIMIT ?", (owner, limit)).fetchall()
        return [Summary(*row) for row in rows]

    def transfer(self, owner: str, new_owner: str) -> int:
        """Give all of `owner`'s conversations to `new_owner` (a browser that turned out to hold another id);
        returns how many."""
        with self._connect() as db:
            return db.execute("UPDATE conversations SET owner = ? WHERE owner = ?", (new_owner, owner)).rowcount

    def load(self, cid: str, owner: str) -> list[StoredTurn] | None:
        """The conversation's turns in order; None when it does not exist or belongs to someone else."""
        with self._connect() as db:
            if not db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner)).fetchone():
                return None
            rows = db.execute("SELECT turn_id, result, settings, rating, feedback_row FROM turns "
                              "WHERE conversation_id = ? ORDER BY n", (cid,)).fetchall()
        return [StoredTurn(tid, CitedAnswer.model_validate_json(result), json.loads(settings), rating, row)
                for tid, result, settings, rating, row in rows]

    def add_turn(self, cid: str, owner: str, turn_id: str, result: CitedAnswer, settings: dict | None = None
                 ) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # the write lock before counting: two sessions never take the same n
            self._owned(db, cid, owner)
            n = db.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (cid,)).fetchone()[0]
            db.execute("INSERT INTO turns (conversation_id, n, turn_id, result, settings, created) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (cid, n, turn_id, result.model_dump_json(),
                                                    json.dumps(settings or {}, default=str), now))
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))

    def rate(self, cid: str, owner: str, turn_id: str, rating: int | None, feedback_row: int | None) -> None:
        with self._connect() as db:
            self._owned(db, cid, owner)
            db.execute("UPDATE turns SET rating = ?, feedback_row = ? WHERE conversation_id = ? AND turn_id = ?",
                       (rating, feedback_row, cid, turn_id))

    def rename(self, cid: str, owner: str, title: str) -> None:
        with self._connect() as db:
            self._owned(db, cid, owner)
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (_title(title), cid))

    def delete(self, cid: str, owner: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (cid, owner))

    def delete_all(self, owner: str) -> int:
        with self._connect() as db:
            return db.execute("DELETE FROM conversations WHERE owner = ?", (owner,)).rowcount

    def prune(self, now: float | None = None) -> int:
        """Remove the conversations not continued for `retention_days`; returns how many."""
        cutoff = (now if now is not None else time.time()) - self.retention_days * 86400
        with self._connect() as db:
            return db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,)).rowcount

    @staticmethod
    def _owned(db: sqlite3.Connection, cid: str, owner: str) -> None:
        if not db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner)).fetchone():
            raise KeyError(f"no conversation {cid} of this user")


def _title(text: str, limit: int = 80) -> str:
    """A one-line title: whitespace folded, cut at a word near `limit` characters."""
    text = " ".join(text.split()) or "Untitled conversation"
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
