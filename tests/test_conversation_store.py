"""The conversations store (assistant/conversation_store.py) on real SQLite files: round trips, owners, retention,
damaged and unwritable files, sessions writing at once."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from assistant.conversation_store import ConversationStore
from assistant.models import Citation, CitedAnswer


def answer(question: str, n: int = 1) -> CitedAnswer:
    cites = [Citation(id=i + 1, source="note.txt", title="Note", section="UNODC", start=i * 10, end=i * 10 + 9,
                      text=f"passage {i}", date="2006") for i in range(n)]
    return CitedAnswer(question=question, answer=" ".join(f"claim [{c.id}]" for c in cites), citations=cites,
                       standalone_question=f"{question} (rewritten)", timings_ms={"total_ms": 12.5})


def test_turns_come_back_whole_in_order_and_only_to_their_owner(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    cid = store.create("user:ada", "  Who handles\ntrafficking victims?  ")
    first, second = answer("Who handles trafficking victims?", 2), answer("What else does it do?")
    store.add_turn(cid, "user:ada", "t1", first, {"top_k_used": 6})
    store.add_turn(cid, "user:ada", "t2", second)
    store.rate(cid, "user:ada", "t2", 0, 17)
    turns = store.load(cid, "user:ada")
    assert [t.result for t in turns] == [first, second] and [t.turn_id for t in turns] == ["t1", "t2"]
    assert turns[0].settings == {"top_k_used": 6} and (turns[1].rating, turns[1].feedback_row) == (0, 17)
    (summary,) = store.list("user:ada")
    assert (summary.title, summary.turns) == ("Who handles trafficking victims?", 2)
    assert store.load(cid, "user:grace") is None and store.list("user:grace") == []
    with pytest.raises(KeyError):
        store.add_turn(cid, "user:grace", "t3", second)
    with pytest.raises(KeyError):
        store.rename(cid, "user:grace", "x")
    store.delete(cid, "user:grace")
    store.delete_all("user:grace")
    assert len(store.load(cid, "user:ada")) == 2


def test_listed_newest_first_renamed_and_deleted(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    old = store.create("b", "old question")
    new = store.create("b", "new question " + "word " * 40)
    store.add_turn(old, "b", "t", answer("old question"))  # continued last: listed first
    assert [s.id for s in store.list("b")] == [old, new]
    assert store.list("b")[1].title.endswith("…") and len(store.list("b")[1].title) <= 81
    store.rename(old, "b", "Trafficking, for the handbook")
    assert store.list("b")[0].title == "Trafficking, for the handbook"
    store.delete(old, "b")
    assert [s.id for s in store.list("b")] == [new] and store.load(old, "b") is None
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:  # its turns went with it
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone() == (0,)
    assert store.delete_all("b") == 1 and store.list("b") == []


def test_a_browser_that_turned_out_to_hold_another_id_takes_its_conversations_along(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    mine = [store.create("browser:tab2", "q1"), store.create("browser:tab2", "q2")]
    other = store.create("browser:tab1", "q0")
    assert store.transfer("browser:tab2", "browser:tab1") == 2
    assert store.list("browser:tab2") == [] and {s.id for s in store.list("browser:tab1")} == {*mine, other}
    assert store.transfer("browser:gone", "browser:tab1") == 0


def test_conversations_older_than_the_retention_are_removed_at_start(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", retention_days=90)
    kept, gone = store.create("b", "kept"), store.create("b", "gone")
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time() - 91 * 86400, gone))
    reopened = ConversationStore(tmp_path / "c.sqlite3", retention_days=90)
    assert reopened.removed == 1 and [s.id for s in reopened.list("b")] == [kept]


def test_a_damaged_file_is_kept_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    store = ConversationStore(path)
    assert store.available and "damaged" in store.warning and "\n" not in store.warning
    (aside,) = tmp_path.glob("c.sqlite3.damaged-*")
    assert aside.read_bytes().startswith(b"SQLite format 3\x00\x13")  # kept as it was, never deleted
    cid = store.create("b", "after the damage")
    assert store.load(cid, "b") == []


def test_a_data_folder_that_cannot_be_made_leaves_the_store_unavailable_with_a_warning(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    store = ConversationStore(blocker / "c.sqlite3")
    assert not store.available and "not saved" in store.warning and "\n" not in store.warning


def test_sessions_writing_at_once_lose_nothing(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    cid = store.create("b", "shared")
    errors = []

    def write(worker: int) -> None:
        try:
            for i in range(15):
                store.add_turn(cid, "b", f"{worker}-{i}", answer(f"q {worker} {i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(t.turn_id for t in store.load(cid, "b")) == sorted(f"{w}-{i}" for w in range(4) for i in range(15))


def test_a_file_locked_by_another_process_is_not_taken_for_damage(tmp_path):
    path = tmp_path / "c.sqlite3"
    cid = ConversationStore(path).create("b", "kept")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        blocked = ConversationStore(path, timeout=0.2)
        assert not blocked.available and "locked" in blocked.warning
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*.damaged-*"))
    assert [s.id for s in ConversationStore(path).list("b")] == [cid]
