"""Ordinals and pairs in a conversation: "the second agency you listed", "go back to the first one", "and the
other one?" name the body at that place among those an earlier turn counted (counted_bodies); rewrite.py puts
that body in the phrase's place. The words are reviewed lists (data/reference_words.txt: ordinals, the_other).
"""

from __future__ import annotations

from assistant.answering.question import QuestionType
from assistant.references import is_group, without_bodies
from assistant.words import content_words, ordinal_place, reference_words, words_of
from ingest.glossary import Body, Glossary


def ordinal(question: str, history: list[tuple[str, str]], glossary: Glossary, frame: frozenset[str]
             ) -> tuple[int, int, Body, bool] | None:
    """ "the second agency you listed" after the member list, "the second one, does it …?" after a question on
    UNCTAD and the World Bank: where the phrase is, the body at that place (counted_bodies) and whether the last
    turn gave it. None without such a phrase; for a rank ("the first agency to join", "is IOM the first agency
    …?": a question naming a body of its own); when the last question has an ordinal of its own ("and the second
    one?" after "… the first high-level dialogue?": _swap_modifier in rewrite.py); or with no body at that place."""
    ref = reference_words()
    words = words_of(question)
    lowered = [m.group().lower() for m in words]
    found = next((i for i, w in enumerate(lowered[:-1]) if ordinal_place(w) is not None
                  and (lowered[i + 1] == "one" or lowered[i + 1] in ref["body_nouns"])), None)
    if found is None or glossary.find(question) or lowered[found + 2 : found + 3] == ["to"] or any(
            ordinal_place(m.group().lower()) is not None for m in words_of(history[-1][0])):
        return None
    start = words[found - 1].start() if found and lowered[found - 1] == "the" else words[found].start()
    end = found + 2
    end += next((n for n in (3, 2) if len(lowered[end : end + n]) == n
                 and " ".join(lowered[end : end + n]) in ref["you_said"]), 0)  # "… you listed"
    bodies, last = counted_bodies(history, glossary, frame)
    place = ordinal_place(lowered[found])
    if len(bodies) < 2 or place >= len(bodies):
        return None
    return start, words[end - 1].end(), bodies[place], last


def the_other(question: str, history: list[tuple[str, str]], glossary: Glossary, frame: frozenset[str]
               ) -> tuple[int, int, Body, bool] | None:
    """ "and the other one?" after a question on one of the two bodies an earlier turn counted (counted_bodies):
    where the phrase is and the other body, as ordinal gives them; None unless the last question names one."""
    words = words_of(question)
    lowered = [m.group().lower() for m in words]
    found = next((i for i in range(len(lowered)) if " ".join(lowered[i : i + 3]) in reference_words()["the_other"]),
                 None)
    bodies = counted_bodies(history, glossary, frame)[0] if found is not None and not glossary.find(question) else []
    last = glossary.find(history[-1][0]) if bodies else []
    rest = [b for b in bodies if b not in last]
    return (words[found].start(), words[found + 2].end(), rest[0], False) if len(bodies) == 2 == 1 + len(
        rest) else None


def counted_bodies(history: list[tuple[str, str]], glossary: Glossary, frame: frozenset[str]
                    ) -> tuple[list[Body], bool]:
    """The bodies an ordinal counts, and whether the last turn gave them: the newest turn's that lists two or
    more (its answer, for a question asking for bodies, less the group they belong to: round-22 probe "what does
    the first one do?" after the member list meant the GMG) or names two or more (its question); else, when the last
    question is about a body and nothing else ("what about iom?"), the bodies the questions named in order ("go
    back to the first one"; not after "what are the objectives of the GMG work plan?", whose "the second one" is
    an objective)."""
    for age, turn in enumerate(reversed(history)):
        qtype, named = QuestionType.of(turn[0]), glossary.find(turn[0])
        listed = [b for b in glossary.find(turn[1]) if b not in named] if qtype.who or qtype.wants_list else []
        # "The GMG consists of …: ILO; IOM; …": the group whose members are listed is no place among them
        members = [b for b in listed if not is_group(b)]
        listed = members if len(members) >= 2 else listed
        if len(listed) >= 2 or len(named) >= 2:
            return (listed if len(listed) >= 2 else named), age == 0
    last = history[-1][0]
    if content_words(without_bodies(last, glossary.find(last)), frame):
        return [], False
    return list({b.name: b for q, _ in history for b in glossary.find(q)}.values()), False
