"""Questions the assistant offers when the documents do not answer the one asked.

An offer is a `suggested_question` on an abstention, with a note saying why; Conversation asks it when the next
message is "yes" (or the app's button). It is made only when the documents answer the offered question, so "yes"
never leads to a second "The documents don't say". Two readings are tried, in this order:
- a name the notes never use that is a misspelling of one they do: "what does UNHRC do for migrants?" → "what does
  UNHCR do for migrants?" (letters swapped, one doubled: spelling.close_name). Offered, not asked: the UN Human
  Rights Council is a body of its own, which the notes do not cover;
- a chat question that names nothing from the conversation, read with the previous question ("numbers on the
  stateless bit?" after "does unhcr deal with statelessness").
"""

from __future__ import annotations

import time

from assistant.answering.question import question_words
from assistant.models import CitedAnswer
from assistant.others import excluded_bodies
from assistant.rewrite import with_previous_question
from assistant.spelling import close_name


def offered(assistant, state: dict, alone: CitedAnswer) -> CitedAnswer:
    """`alone`, with the first offer that the documents answer when it abstained."""
    return name_meant(assistant, state, alone) if alone.abstained else alone


def name_meant(assistant, state: dict, alone: CitedAnswer) -> CitedAnswer:
    """The question with a misspelt name of a body corrected ("UNHRC" → "UNHCR"), offered when the documents answer
    it with something other than the last answer; else the reading with the previous question (in_context)."""
    names = assistant.answerer.reader.question(state["standalone"]).unknown_names
    # the body's name, not the spelling matched: the glossary keeps the PDF's misreadings ("DUNHCE") as spellings
    body_of = {s: body.name for body in assistant.glossary.bodies for s in body.spellings}
    fixes = {n: body_of[close] for n in dict.fromkeys(names)
             if n in state["question"] and (close := close_name(n, list(body_of)))}
    if not fixes:
        return in_context(assistant, state, alone)
    question, core = state["standalone"], state["rewrite"].core if state["rewrite"] else state["standalone"]
    for name, fix in fixes.items():
        question, core = question.replace(name, fix), core.replace(name, fix)
    answer = _answered(assistant, state, question, state.get("excluded", ()))
    history = assistant.window(state.get("history"))
    if answer is None or history and answer.answer == history[-1][1]:  # or nothing the user has not just read
        return in_context(assistant, state, alone)
    meant = " or ".join(f"{fix} (not “{name}”)" for name, fix in fixes.items())
    alone.suggested_question, alone.suggested_core = question, core
    alone.notes.append(f"Did you mean {meant}? The notes answer “{question}”: say “yes” to ask it.")
    return alone


def in_context(assistant, state: dict, alone: CitedAnswer) -> CitedAnswer:
    """For a chat question that names nothing from the conversation ("numbers on the stateless bit?") and that
    the documents do not answer: the question read with the previous one, offered when the documents answer that
    with other passages than the previous answer's and its answerability rises by the fitted `context_gain`.
    Offered, not asked: on the `test` splits, answering it in place resolved more follow-ups but also answered
    standalone questions the notes cannot answer with the previous topic's passages (README, ninth session). Its
    time is in `context_ms` (and in `answer_ms`)."""
    history = assistant.window(state.get("history"))
    if state["rewrite"] is not None or not history:
        return alone
    started = time.perf_counter()
    rewrite = with_previous_question(state["standalone"], history, assistant.glossary, question_words())
    if len(rewrite.text) > assistant.settings.max_question_chars:  # "yes" could not ask it
        return alone
    excluded = excluded_bodies(state["question"], rewrite.text, history, assistant.glossary)
    answer = _answered(assistant, state, rewrite.text, excluded)
    state["timings"]["context_ms"] = (time.perf_counter() - started) * 1000
    if answer is None or answer.answer == history[-1][1]:  # or nothing the user has not just read
        return alone
    if answer.evidence - alone.evidence < assistant.answerer.model.context_gain:
        return alone
    alone.suggested_question, alone.suggested_core = rewrite.text, rewrite.core
    alone.notes.append(f"Read with your previous question (“{rewrite.text}”), the notes do answer: say “yes” to "
                       "ask it that way.")
    return alone


def _answered(assistant, state: dict, question: str, excluded: tuple[str, ...]) -> CitedAnswer | None:
    """The extractive answer to `question` (searched as the original was, less the bodies set aside), or None when
    it abstains."""
    docs = assistant.retriever.invoke(question, k=state["top_k"],
                                      filter=assistant.search_filter({**state, "excluded": excluded}))
    # read as "yes" will ask it: the offered text is then the user's question
    answer = assistant.answerer.answer(question, docs, asked=question, excluded=excluded)
    return None if answer.abstained else answer
