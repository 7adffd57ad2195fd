"""How an ellipsis replaces part of the earlier question: "and the second one?" its modifier ("when was the first
high-level dialogue?" → "… the second …"), "and to the GMG?" what followed the same preposition, and "no, I meant
UNFPA not UNDP" which body it takes back. rewrite.py asks; the words that decide are the reviewed list
data/reference_words.txt; nothing here names a body.
"""

from __future__ import annotations

from assistant.references import reference_words, words_of
from ingest.glossary import Body, Glossary

CLAUSE_MARKS = (",", ";", ":", "?", "!", "(")  # where the phrase after a preposition ends


def swap_modifier(previous: str, asked: str) -> str | None:
    """ "and the second one?" after "when was the first high-level dialogue?" → "when was the second high-level
    dialogue?": the earlier question with the one word that set its thing apart replaced (None when the ellipsis
    says more than "the <modifier> one", or the earlier question has no such word, or several)."""
    modifiers = reference_words()["one_modifiers"] - {"other", "same"}  # an order in time or sequence
    said = [m.group().lower() for m in words_of(asked)]
    said = said[1:] if said[:1] == ["the"] else said
    if len(said) != 2 or said[0] not in modifiers or said[1] not in {"one", "ones"}:
        return None
    found = [m for m in words_of(previous) if m.group().lower() in modifiers]
    if len(found) != 1 or found[0].group().lower() == said[0]:
        return None
    return previous[: found[0].start()] + said[0] + previous[found[0].end() :]


def swap_object(previous: str, asked: str) -> str | None:
    """ "and to the GMG?" after "what's SRSG's link to the forum?" → "what's SRSG's link to the GMG?": the earlier
    question with what followed the same preposition (up to the next preposition, conjunction or mark) replaced by
    the ellipsis' own; None when the ellipsis opens with no preposition the earlier question has."""
    ref = reference_words()
    said = words_of(asked)
    if len(said) < 2 or said[0].group().lower() not in ref["prepositions"] - {"of"}:
        return None
    stops = ref["prepositions"] | ref["conjunctions"]
    words = words_of(previous)
    at = [i for i, m in enumerate(words) if m.group().lower() == said[0].group().lower()]
    if not at or at[-1] + 1 >= len(words):
        return None
    end = at[-1] + 1
    while end + 1 < len(words) and words[end + 1].group().lower() not in stops and not any(
            mark in previous[words[end].end() : words[end + 1].start()] for mark in CLAUSE_MARKS):
        end += 1
    new = asked[said[1].start() :].strip().rstrip("?!. ")
    return previous[: words[at[-1] + 1].start()] + new + previous[words[end].end() :]


def taken_back_from(asked: str, glossary: Glossary) -> tuple[str, list[Body]]:
    """ "UNFPA not UNDP", "UNFPA, not UNDP": the ellipsis without what follows its "not", and the bodies named there
    (none: `asked` as it is)."""
    said = words_of(asked)
    at = next((i for i, m in enumerate(said) if m.group().lower() == "not"), None)
    named = glossary.find(asked[said[at].end() :]) if at is not None else []
    return (asked[: said[at].start()].rstrip(" ,"), named) if named else (asked, [])
