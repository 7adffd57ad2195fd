"""Bodies a question sets aside: by name ("which agencies help apart from IOM?") or as those the conversation
already gave ("who else?", "any other agency?", "others?"). Their own sections are left out of the search
(chain.py), and the follow-up rewrite carries them ("… besides ILO"). The words that decide this are the reviewed
list data/reference_words.txt; nothing here names a body.
"""

from __future__ import annotations

import re

from assistant.answering.question import QuestionType, carried_question
from assistant.models import is_abstention
from assistant.references import is_group
from assistant.words import reference_words, set_aside_span, words_of
from ingest.glossary import Body, Glossary


def others_asked(question: str, history: list[tuple[str, str]], glossary: Glossary) -> tuple[str, ...]:
    """ "who else?", "does any other agency work on it?", "anyone else …?", "any others?": the user has the bodies
    the last answer named and asks for others. Those bodies, with the earlier answers
    to the same question ("who else?" twice); () for any other question: "what else does it do?" asks more about
    the same body, "who works with other UN agencies on this?" names other agencies as an object, not as what it
    asks for. Read on the user's own words, never on a rewrite carrying an earlier question."""
    question = without_qualifying_groups(question, glossary)  # "which other gmg members …": others than the last
    named = {b.name for b in glossary.find(question)} - {b.name for b in set_aside(question, glossary)}
    if not history or named or not asks_for_others(question, history):
        return ()  # "What other agencies does IOM cooperate with?": others than IOM, which the question names
    asked = history[-1][0].split("?")[0]  # a follow-up's core opens with the question it follows (_with_context)
    excluded: list[str] = []
    for core, answer in reversed(history):
        if core.split("?")[0] != asked:
            break
        # an unanswered question about a body: others than that body ("and who else works on data?" after UNDESA's
        # figures for 2020)
        given = glossary.find(core) if is_abstention(answer) else glossary.find(answer)
        excluded += [b.name for b in given if b.name not in excluded]
    return tuple(excluded)


def asks_for_others(question: str, history: list[tuple[str, str]]) -> bool:
    """ "who else", "anyone else", "any other agency" (or "agencys", as typed), "which other agencies", "another
    member", "others?" (after a question asking who)."""
    ref = reference_words()
    words = [m.group().lower() for m in words_of(question)]
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if word == "else" and (before == "who" or before in ref["someone"]):
            return True
        if word in {"other", "another"} and (after in ref["body_nouns"] or after[:-1] in ref["body_nouns"]) and (
                word == "another" or before in {"any", "which", "what", "the", ""}):
            return True
        if word == "others" and (before in {"any", "the", ""} and QuestionType.of(history[-1][0]).who):
            return True
    return False


def set_aside(question: str, glossary: Glossary) -> list[Body]:
    """Bodies a question asking for bodies sets aside by name: "which agencies help the forum apart from IOM?" →
    IOM; "besides IOM, UNHCR and the ILO, who …?" → all three. A question about a body ("Are all members UN
    agencies except the World Bank?") sets none aside: its evidence is that body's own section."""
    span = set_aside_span(question)
    # "which (other) agencies …", "any other agency …", "anyone besides …" ask for bodies
    ref = reference_words()
    which = re.search(r"\b(?:which|what|any)\s+(?:other\s+)?([a-z]+)", question, re.I)
    asks_bodies = (QuestionType.of(question).who or bool(which and which.group(1).lower() in ref["body_nouns"])
                   or any(m.group().lower() in ref["someone"] for m in words_of(question)))
    if not span or not asks_bodies:
        return []
    return glossary.find(question[span[0] : span[1]])


def excluded_bodies(question: str, searched: str, history: list[tuple[str, str]],
                    glossary: Glossary) -> tuple[str, ...]:
    """The bodies whose own sections a question's search leaves out: those the question (as searched: "besides them"
    resolved, without any earlier question carried in brackets) sets aside by name, and for "who else?" those the
    last answer gave."""
    own = searched[: searched.index(" (")] if carried_question(searched, question) else searched
    named = [b.name for b in set_aside(own, glossary)]
    return tuple(dict.fromkeys([*named, *others_asked(question, history, glossary)]))


def without_qualifying_groups(question: str, glossary: Glossary) -> str:
    """The question without a group that only says where the bodies asked for belong ("which other gmg members work
    on remittances" → "which other members work on remittances"): others than the last answer's, not than the GMG."""
    ref = reference_words()
    nouns = ref["body_nouns"] | ref["membership_nouns"] | {"else"} | ref["someone"]  # "who else in the GMG …"
    for group in (b for b in glossary.find(question) if is_group(b)):
        span = qualifying_span(question, group, nouns)
        if span is not None:
            question = " ".join((question[: span[0]] + question[span[1] :]).split())
    return question


def qualifying_span(question: str, group: Body, nouns: frozenset[str]) -> tuple[int, int] | None:
    """Where `group` qualifies a body noun: "GMG agency" (the name), "members of the GMG" ("of the GMG")."""
    words = words_of(question)
    lowered = [w.group().lower() for w in words]
    for spelling in group.spellings:
        parts = [w.group().lower() for w in words_of(spelling)]
        for i in range(len(words) - len(parts) + 1):
            j = i + len(parts) - 1
            if lowered[i : j + 1] != parts:
                continue
            if j + 1 < len(words) and lowered[j + 1] in nouns:
                return words[i].start(), words[j].end()
            k = i - 1 - (i > 0 and lowered[i - 1] == "the")
            if k > 0 and lowered[k] in ("of", "in") and lowered[k - 1] in nouns:
                return words[k].start(), words[j].end()
    return None
