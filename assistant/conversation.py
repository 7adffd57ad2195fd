"""One conversation API: what the app, `assistant chat`, the load test and the golden runner all hold.

A Conversation keeps the turns (the CitedAnswers, each with the question as asked and its rewrite) and gives the
assistant the last `max_history_turns` of them as (core question, answer) pairs: a rewritten follow-up's core is
its own meaning without the earlier question it carried as context, so rewrites never nest. Every user of the
assistant holds a conversation through this class, so a multi-turn evaluation replays exactly what the app does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.models import CitedAnswer


def core(result: CitedAnswer) -> str:
    """What later follow-ups build on: the question as asked, or its rewrite's core."""
    return result.core_question or result.standalone_question or result.question


@dataclass
class Conversation:
    """One user's turns. The assistant is passed to each call: the app rebuilds it after a re-ingest while
    conversations go on."""

    turns: list[CitedAnswer] = field(default_factory=list)

    def history(self, window: int) -> list[tuple[str, str]]:
        """The last `window` turns as (core question, answer text), oldest first; a social turn ("thanks!") is
        no context a follow-up could lean on."""
        turns = [t for t in self.turns if not t.social]
        return [(core(t), t.answer) for t in turns[-window:]] if window > 0 else []

    def stream(self, assistant, question: str, k: int | None = None, mode: str | None = None,
               filter: dict | None = None) -> Iterator:  # noqa: A002
        """Events while the answer is written ("searched" first for a rewritten follow-up), then the CitedAnswer,
        which becomes a turn. A refused question (empty, too long) raises ValueError and records nothing."""
        history = self.history(assistant.settings.max_history_turns)
        for event in assistant.stream(question, history=history, k=k, mode=mode, filter=filter):
            if isinstance(event, CitedAnswer):
                self.turns.append(event)
            yield event

    def ask(self, assistant, question: str, k: int | None = None, mode: str | None = None,
            filter: dict | None = None) -> CitedAnswer:  # noqa: A002
        result = None
        for event in self.stream(assistant, question, k=k, mode=mode, filter=filter):
            if isinstance(event, CitedAnswer):
                result = event
        return result
