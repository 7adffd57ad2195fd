"""`python -m evals.bench.conversations`: what a store of many kept conversations costs the app: disk, the start-up
(opening the store: integrity check and retention pass), listing one owner's conversations and reopening one.

Turns are real answers of the assistant over corpus/ (asked once, then stored again and again under new ids), so
the rows are the size the app writes. Prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

QUESTIONS = ["Who handles trafficking victims?", "What else does UNODC do?", "What is the GMG?",
             "Who chairs the GMG?", "What does UNHCR do about statelessness?", "Who won the 2022 World Cup?"]


def main(conversations: Annotated[int, typer.Option(help="Conversations to store.")] = 1000,
         turns: Annotated[int, typer.Option(help="Turns per conversation.")] = 6,
         owners: Annotated[int, typer.Option(help="Owners they are spread over.")] = 50) -> None:
    from assistant.chain import build_assistant
    from assistant.conversation_store import ConversationStore
    from assistant.settings import Settings

    assistant = build_assistant(Settings())
    answers = [assistant.ask(q) for q in QUESTIONS]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conversations.sqlite3"
        store = ConversationStore(path)
        t0 = time.perf_counter()
        ids = []
        for i in range(conversations):
            owner = f"browser:{i % owners:032x}"
            cid = store.create(owner, answers[i % len(answers)].question)
            ids.append((cid, owner))
            for n in range(turns):
                store.add_turn(cid, owner, f"{i}-{n}", answers[(i + n) % len(answers)], {"top_k_used": 6})
        write_s = time.perf_counter() - t0
        opens = [_timed(lambda: ConversationStore(path)) for _ in range(5)]
        lists = [_timed(lambda: store.list(ids[0][1])) for _ in range(20)]
        loads = [_timed(lambda: store.load(*ids[len(ids) // 2])) for _ in range(20)]
        disk = sum(p.stat().st_size for p in Path(tmp).glob("conversations.sqlite3*"))
    per_turn = write_s * 1000 / (conversations * turns)
    print(json.dumps({"conversations": conversations, "turns_each": turns, "owners": owners,
                      "disk_mb": round(disk / 2**20, 2), "write_ms_per_turn": round(per_turn, 2),
                      "open_ms_median": _ms(opens), "list_ms_median": _ms(lists), "reopen_ms_median": _ms(loads)}))


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 2)


if __name__ == "__main__":
    typer.run(main)
