"""How an ellipsis replaces part of the earlier question: "and the second one?" its modifier ("when was the first
high-level dialogue?" → "… the second …"), "and to the GMG?" what followed the same preposition, and "no, I meant
UNFPA not UNDP" which body it takes back. rewrite.py asks; the words that decide are the reviewed list
data/reference_words.txt and the glossary's bodies; no rule here names one.
"""

from __future__ import annotations

from assistant.answering.evidence import YEAR
from assistant.answering.question import who_phrase
from assistant.antecedents import named_by_noun
from assistant.references import without_bodies
from assistant.words import asks_word, is_function_word, reference_words, set_aside_span, words_of
from ingest.glossary import Body, Glossary

CLAUSE_MARKS = (",", ";", ":", "?", "!", "(")  # where the phrase after a preposition ends
NEGATION = "not"  # "UNFPA, not UNDP" takes a body back; "and not UNDP?" asks something else than a swap


def negates(text: str) -> bool:
    return any(m.group().lower() == NEGATION for m in words_of(text))


def swap_modifier(previous: str, asked: str) -> str | None:
    """ "and the second one?" after "when was the first high-level dialogue?" → "when was the second high-level
    dialogue?": the earlier question with the one word that set its thing apart replaced, or its one year ("and the
    2013 one?"); None when the ellipsis says more than "the <modifier> one", or the earlier question has no such
    word, or several)."""
    modifiers = reference_words()["one_modifiers"] - {"other", "same"}  # an order in time or sequence
    said = [m.group().lower() for m in sorted([*words_of(asked), *YEAR.finditer(asked)], key=lambda m: m.start())]
    said = said[1:] if said[:1] == ["the"] else said
    if len(said) != 2 or said[1] not in {"one", "ones"}:
        return None
    if YEAR.fullmatch(said[0]):  # "and the 2013 one?" after "what was the high level dialogue in 2006"
        found = list(YEAR.finditer(previous))
    elif said[0] in modifiers:
        found = [m for m in words_of(previous) if m.group().lower() in modifiers]
    else:
        return None
    if len(found) != 1 or found[0].group().lower() == said[0]:
        return None
    return previous[: found[0].start()] + said[0] + previous[found[0].end() :]


def swap_object(previous: str, asked: str, glossary: Glossary, frame: frozenset[str]) -> str | None:
    """ "and to the GMG?" after "what's SRSG's link to the forum?" → "what's SRSG's link to the GMG?": the earlier
    question with the phrase after the same preposition (up to the next preposition or mark) replaced by the
    ellipsis' own. Like for like only: a body for a body ("and for UNHCR?" after "what does IOM do for refugees?"
    swaps IOM, not "refugees"), a topic for a topic ("and in asia?" after "… in africa"); not a pronoun ("and on
    it?"), nor after a preposition before a verb ("… want to do in africa"). None when it does not apply."""
    ref = reference_words()
    said = words_of(asked)
    if len(said) < 2 or said[0].group().lower() not in ref["prepositions"] - {"of"}:
        return None
    new = asked[said[1].start() :].strip().strip("()").rstrip("?!. ")
    if said[1].group().lower() in ref["pronoun"] | ref["demonstrative"]:
        return None
    words = words_of(previous)
    at = [i for i, m in enumerate(words) if m.group().lower() == said[0].group().lower() and i + 1 < len(words)]
    if not at or words[at[-1] + 1].group().lower() in frame:  # "to do", "to help": a verb follows
        return None
    start, end = words[at[-1] + 1].start(), _phrase_end(previous, words, at[-1] + 1)
    if bool(_bodies_in(previous[start:end], glossary)) != bool(_bodies_in(new, glossary)):
        return None
    return previous[:start] + new + previous[end:]


def _phrase_end(text: str, words: list, first: int) -> int:
    """Where the phrase starting at words[first] ends: before the next preposition or clause mark."""
    stops = reference_words()["prepositions"]
    end = first
    while end + 1 < len(words) and words[end + 1].group().lower() not in stops and not any(
            mark in text[words[end].end() : words[end + 1].start()] for mark in CLAUSE_MARKS):
        end += 1
    return words[end].end()


def _bodies_in(phrase: str, glossary: Glossary) -> list[Body]:
    return glossary.find(phrase) or named_by_noun(phrase.strip(), glossary)


def taken_back_from(asked: str, glossary: Glossary) -> tuple[str, list[Body]]:
    """ "UNFPA not UNDP", "UNFPA, not UNDP", "not UNDP but UNFPA", "not UNDP, UNFPA": the ellipsis without the body
    it takes back, and that body; `asked` as it is, and none, when it takes back no body for another ("and not
    UNDP?", "agencies that are not in the GMG")."""
    said = words_of(asked)
    at = next((i for i, m in enumerate(said) if m.group().lower() == NEGATION), None)
    if at is None:
        return asked, []
    before, after = asked[: said[at].start()], asked[said[at].end() :]
    names_only = all(is_function_word(m.group().lower()) for m in words_of(glossary.without_names(after)))
    if glossary.find(before) and glossary.find(after) and names_only:
        return before.rstrip(" ,"), glossary.find(after)  # "UNFPA, not UNDP"
    but = next((m for m in words_of(after) if m.group().lower() == "but"), None)
    if but is not None and glossary.find(after[: but.start()]) and glossary.find(after[but.end() :]):
        return before + after[but.end() :].lstrip(), glossary.find(after[: but.start()])  # "not UNDP but UNFPA"
    if not words_of(before) and len(glossary.find(after)) >= 2 and names_only:  # "no, not UNDP, UNFPA"
        a, b = min(glossary.name_spans(after))
        return before + after[b:].lstrip(" ,"), glossary.find(after[a:b])
    return asked, []


def which_one_again(question: str, previous: str, glossary: Glossary) -> str | None:
    """ "and which one handles trafficking?" after "which GMG members deal with statistics?": the earlier question's
    noun, singular, for "one" ("and which GMG member handles trafficking?"); not that question in brackets, whose
    topic is another (round-21 probe: its "statistics" and "GMG" quoted the group's list of issues). Only a body's
    name is kept before the noun ("which three members …" gives "which member"). None for other questions: "which
    one?", "which one do you mean?", "which one of them …", one naming a body, after a question setting one aside
    ("… besides IOM …", whose rewrite says so)."""
    words = words_of(question)
    said = [w.group().lower() for w in words]
    start = int(said[:1] == ["and"] or said[:1] == ["so"])
    phrase = who_phrase(previous)
    after = said[start + 2 : start + 3]
    if (said[start : start + 2] != ["which", "one"] or not after or after == ["of"] or asks_word(after[0])
            or phrase is None or glossary.find(question) or set_aside_span(previous) is not None):
        return None
    *qualifiers, noun = phrase.split()
    named = glossary.find(qualifier := " ".join(qualifiers))  # kept only when it is a body's name
    qualifiers = qualifiers if named and not without_bodies(qualifier, named).strip() else []
    single = next((n for n in sorted(reference_words()["body_nouns"]) if n != noun.lower() and len(n) < len(noun)
                   and noun.lower().startswith(n[:-1])), noun)  # "members" → "member", "agencies" → "agency"
    asked = " ".join(["which", *qualifiers, single])
    return f"{question[: words[start].start()]}{asked}{question[words[start + 1].end() :]}"
