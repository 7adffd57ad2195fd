"""One conversation API: what the app, `assistant chat`, the load test and the golden runner all hold.

A Conversation keeps the turns (the CitedAnswers, each with the question as asked and its rewrite) and gives the
assistant the last `max_history_turns` of them as (core question, answer) pairs: a rewritten follow-up's core is
its own meaning without the earlier question it carried as context, so rewrites never nest. Every user of the
assistant holds a conversation through this class, so a multi-turn evaluation replays exactly what the app does.

An answer may offer a question (`suggested_question`: the user's question read with the previous one, when only
that reading is answered); the next message takes the offer when it is "yes" (data/social.toml, [accept]) or the
offered question itself (the app's button), and that turn is asked as the offered question. A request about the
last answer ("shorter please", "source?": answer_requests.py) is answered from it, with no search.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.answer_requests import REQUESTS, about_last_answer, is_request
from assistant.answering.llm import Event
from assistant.models import CitedAnswer
from assistant.social import social_kind_names

ACCEPTING = frozenset({"accept", "thanks", "acknowledgement", "greeting"})  # "yes please, thanks": still a yes


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
        # nor is a request about the last answer ("source?": its reply names the documents' titles)
        turns = [t for t in self.turns if not t.social and not is_request(t.question)]
        return [(core(t), t.answer) for t in turns[-window:]] if window > 0 else []

    def stream(self, assistant, question: str, k: int | None = None, mode: str | None = None,
               filter: dict | None = None) -> Iterator:  # noqa: A002
        """Events while the answer is written ("searched" first for a rewritten follow-up), then the CitedAnswer,
        which becomes a turn. A refused question (empty, too long) raises ValueError and records nothing."""
        request = self._about_last_answer(question, assistant)
        if request is not None:  # "shorter please", "source?": answered from the last answer, nothing searched
            self.turns.append(request)
            yield request
            return
        history = self.history(assistant.settings.max_history_turns)
        offer = self._offer_taken(question)
        if offer is not None:  # the offered reading carries its context: asked as it stands, with no history
            history = []
            if question != offer.suggested_question:
                yield Event("searched", offer.suggested_question)
        asked = offer.suggested_question if offer is not None else question
        for event in assistant.stream(asked, history=history, k=k, mode=mode, filter=filter):
            if isinstance(event, CitedAnswer):
                if offer is not None:  # the turn is the user's "yes", read as the question it took up
                    event.question = question
                    event.standalone_question = asked if question != asked else None
                    event.core_question = offer.suggested_core
                self.turns.append(event)
            yield event

    def _about_last_answer(self, message: str, assistant) -> CitedAnswer | None:
        """The reply to a request about the last answer made only of such phrases and courtesies, else None."""
        kinds = social_kind_names(message)
        if not kinds or not kinds <= ACCEPTING | set(REQUESTS):
            return None
        last = next((t for t in reversed(self.turns) if not t.social), None)
        return about_last_answer(kinds, last, message, core(last) if last else message, assistant.answerer.reader)

    def _offer_taken(self, message: str) -> CitedAnswer | None:
        """The last turn when `message` takes up the question it offered ("yes", "yes please, thanks", or the
        offered question itself: the app's button), else None."""
        last = self.turns[-1] if self.turns else None
        if last is None or not last.suggested_question:
            return None
        kinds = social_kind_names(message)
        return last if message == last.suggested_question or "accept" in kinds and kinds <= ACCEPTING else None

    def ask(self, assistant, question: str, k: int | None = None, mode: str | None = None,
            filter: dict | None = None) -> CitedAnswer:  # noqa: A002
        result = None
        for event in self.stream(assistant, question, k=k, mode=mode, filter=filter):
            if isinstance(event, CitedAnswer):
                result = event
        return result
