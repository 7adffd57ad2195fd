"""Does a question lean on the conversation? `dangling_reference` says what makes it depend on earlier turns
(a pronoun with no antecedent before it in the question, an elliptical opener, a fragment with no content word, a
word only the conversation explains), or None when it stands on its own; rewrite.py resolves what it finds. The
words that decide this are a reviewed list (data/reference_words.txt); nothing here names a body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.answering.question import PLURALS, attribute_words, is_plural, without_s
from assistant.words import (
    QUOTED,
    asks_word,
    content_words,
    names_something,
    reference_words,
    set_aside_span,
    without_set_aside,
    words_of,
)
from ingest.glossary import Body, Glossary
from ingest.sections import split_sentences

OPENER = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+|^\s*(?:and|also)\s+", re.I)
CLAUSE_BREAK = re.compile(r",|;|:|\s[-–—]\s|\b(?:and|but|when|if|after|before|since)\b", re.I)


@dataclass(frozen=True)
class Reference:
    kind: str  # "pronoun", "ellipsis", "fragment", "definite" ("the group") or "membership" ("a member")
    start: int = 0  # where the pronoun (or "that agency") is, for kind "pronoun"
    end: int = 0
    word: str = ""
    noun: str = ""  # the noun after a demonstrative ("agency" in "that agency")


def _is_noun_phrase(word: str, frame: frozenset[str]) -> bool:
    """A word after "that"/"this" that makes it a determiner of a noun ("that agency", "this plan"), not a
    conjunction ("… that the GMG is …") or a pronoun before a verb ("that is")."""
    ref = reference_words()
    nouns = ref["body_nouns"] | ref["definite_body"] | ref["definite_part"] | ref["office"]  # "that position"
    return word not in ref["pronoun"] and (word in frame or word in nouns or bool(content_words(word, frozenset())))


def is_object(word: str, previous: str | None) -> bool:
    """ "them", or "it" after a verb or preposition ("who proposed it", "a say in it"); not after an auxiliary,
    a question word or a conjunction, where it is a subject ("does it", "when did it first meet", "and it")."""
    if word == "them":
        return True
    conjunctions = reference_words()["conjunctions"]
    return word == "it" and previous is not None and not asks_word(previous) and previous not in conjunctions


def _singular_before(before: str, frame: frozenset[str]) -> bool:
    """A noun phrase earlier in the question that "it"/"its" can refer to: "a", "which", "each" before a noun
    ("a country that wants its diaspora …", "which agency works on trafficking, and who funds it?")."""
    words = [m.group().lower() for m in words_of(before)]
    return any(w in reference_words()["determiners"] and _is_noun_phrase(nxt, frame) and not is_plural(nxt)
               for w, nxt in zip(words, words[1:], strict=False))


def _plural_before(before: str, frame: frozenset[str]) -> bool:
    """A plural noun earlier in the question that "their" can refer to ("people", "migrants", "agencies")."""
    nouns = set(content_words(before, frame)) | {m.group().lower() for m in words_of(before)} & (frame | PLURALS)
    return any(is_plural(w) for w in nouns)


def _said_in_earlier_clause(before: str, frame: frozenset[str]) -> bool:
    """Content words in a clause before the last one ("what is pension portability and does the World Bank …")."""
    breaks = [m.start() for m in CLAUSE_BREAK.finditer(before)]
    return bool(breaks) and bool(content_words(before[: breaks[-1]], frame))


def _has_antecedent(before: str, glossary: Glossary, frame: frozenset[str]) -> bool:
    """Whether the question names, before a pronoun, something it can refer to: a body, a proper name
    or a content word in an earlier clause ("the custodian …, and what else does it do?", "pensions, who does it?")."""
    return names_something(before, glossary) or _said_in_earlier_clause(before, frame)


def dangling_reference(question: str, glossary: Glossary, frame: frozenset[str] = frozenset()) -> Reference | None:
    """What makes `question` depend on the conversation, or None when it stands on its own."""
    ref, words = reference_words(), words_of(question)
    lowered = [m.group().lower() for m in words]
    if not words:
        return None
    if lowered[0] in ref["interjections"] and len(words) > 1:  # "sorry, i meant ilo": read without "sorry"
        offset = words[1].start()
        inner = dangling_reference(question[offset:], glossary, frame)
        return inner and replace(inner, start=inner.start + offset, end=inner.end + offset)
    if lowered[0] in ref["phrase_openers"] and (len(words) <= 4 and not any(asks_word(w) for w in lowered[1:])
                                                or len(words) <= 3):
        return Reference("fragment")  # "through the country offices?", "only in africa?", "on what topics?"
    short = _short_reference(question, lowered, glossary, frame)
    if short is not None:
        return short  # "undesa too?", "is the ilo?", "examples?", "which is older?"
    opener = " ".join(lowered[:2])
    if opener in ref["ellipsis"]:
        asked = _topic_then_question(question, words, glossary, frame) if lowered[1:2] == ["about"] else None
        if asked is not None:  # "what about trafficking, who deals with that?": "that" is the topic it just named
            inner = dangling_reference(question[asked:], glossary, frame)
            return inner and replace(inner, start=inner.start + asked, end=inner.end + asked)
        return Reference("ellipsis")  # "What about UNHCR?"
    if lowered[0] in ref["ellipsis"] and len(lowered) > 1:
        if not any(asks_word(w) for w in lowered[1:]):
            return Reference("ellipsis")  # "And the World Bank?"
        offset = words[1].start()  # "And who set up the GMG?" is judged without its "And"
        inner = dangling_reference(question[offset:], glossary, frame)
        return inner and replace(inner, start=inner.start + offset, end=inner.end + offset)
    for i, m in enumerate(words):
        word, following = lowered[i], " ".join(lowered[i + 1 : i + 3])
        bare = without_s(word)
        contracted = bare != word and bare in ref["pronoun"]  # "it's not run by the UN?"
        word = bare if contracted else word
        if word in ref["pronoun"]:
            if word == "they" and i == 0 and lowered[1:2] and lowered[1] in ref["generic_they"] and names_something(
                    question, glossary):  # "they say …, what does unctad say about it?"; its own body is asked
                continue
            if word == "it" and (lowered[i + 1 : i + 2] and lowered[i + 1] in ref["expletive"] or following in ref[
                    "expletive"] or i and lowered[i - 1] in ref["empty_it"]):
                continue
            if contracted and any(asks_word(w) or w == "that" for w in lowered[i + 1 :]):
                continue  # "it's unclear which agency handles trafficking": "it" opens what follows
        elif word in ref["demonstrative"]:
            nouns = ref["body_nouns"] | ref["definite_body"] | {"one", "ones"}
            if word == "that" and i > 0 and (lowered[i - 1] in nouns or i > 1 and lowered[i - 2] in {"the", "a", "an"}):
                continue  # "the one that protects refugees", "the protocol that …": a relative clause
            # A demonstrative points back standing alone ("When was that?", "that one", "that is") or before a noun
            # ("does that agency …", "this group"); before a clause it is a conjunction ("… that the GMG is …").
            following_word = lowered[i + 1] if i + 1 < len(words) else None
            if word in {"this", "these"} and following_word in ref["present_time"]:
                continue  # "this year": now
            if following_word is not None and not asks_word(following_word) and following_word not in ref["relative"]:
                if not _is_noun_phrase(following_word, frame):
                    # "does that include …?": after an auxiliary it points back unless the question named something
                    # before it ("… the gfmd or is that a country?"); after a preposition it always does ("does the
                    # ILO work on that too?", as "does the ILO work on that?" does)
                    # ("UNHCR protects refugees, but does IOM help with that as well?": an earlier clause of its own)
                    after_auxiliary = i > 0 and asks_word(lowered[i - 1])
                    after_preposition = i > 0 and lowered[i - 1] in ref["prepositions"]
                    if after_preposition and not _said_in_earlier_clause(question[: m.start()], frame) or (
                            after_auxiliary and not names_something(question[: m.start()], glossary)):
                        return Reference("fragment")
                    continue
                end = words[i + 1].end()
                # "those protocols on trafficking and smuggling": the noun's own phrase says which
                described = following_word not in nouns and lowered[i + 2 : i + 3] and lowered[i + 2] in ref[
                    "prepositions"] and content_words(" ".join(lowered[i + 3 : i + 6]), frame)
                if not described and not _has_antecedent(question[: m.start()], glossary, frame):
                    return Reference("pronoun", m.start(), end, word, noun=following_word)
                continue
        else:
            continue
        if word == "their" and _plural_before(question[: m.start()], frame):
            continue  # "people displaced inside their own country": the people, in the same question
        before = question[: m.start()]
        if word in {"it", "this", "that"} and QUOTED.search(before):
            continue  # "what does 'return' mean when IOM talks about it": the term quoted (round-22 probe)
        as_object = not contracted and is_object(word, lowered[i - 1] if i else None)  # "it's": a subject
        # "Which agency did it set up?": "it" after an auxiliary is the subject, not the agency asked for.
        subject = word == "it" and i > 0 and asks_word(lowered[i - 1])
        if word in {"it", "its"} and not as_object and not subject and _singular_before(before, frame):
            continue  # "a country that wants its diaspora to invest": the country, in the same question
        definite = None if as_object or word in ref["demonstrative"] else _definite_reference(
            question, words, lowered, glossary)
        if definite is not None and definite.end <= m.start():
            return definite  # "when did the forum hold its last meeting?": "its" is the forum, which points back
        if as_object:
            # An object pronoun never means its own clause's subject ("does the UN have a say in it?": not the UN);
            # its antecedent is in an earlier clause ("When the GFMD was set up, who proposed it?") or earlier turn.
            # (an earlier sentence too: "is the world bank in there too? i thought it wasnt a un agency"; not "U.N.")
            # (a relative clause too: "can the GFMD bind the states that take part in it?", round-23 probe)
            breaks = [b.start() for b in CLAUSE_BREAK.finditer(before) if b.start() > 0] + [
                a for a, _ in split_sentences(before, 0, len(before)) if a > 0] + [
                words[j].start() for j in range(1, i) if lowered[j] in ref["relative_clause"]]
            before = before[: max(breaks)] if breaks else ""
            if not (names_something(before, glossary) or content_words(before, frame)):
                return Reference("pronoun", m.start(), m.start() + len(word), word)
        elif not _has_antecedent(before, glossary, frame):
            return Reference("pronoun", m.start(), m.start() + len(word), word)
    said = _said_before(question, lowered, glossary, ref, frame)
    if said is not None:
        return said  # "in there", "between the pair", "more detail please"
    definite = _definite_reference(question, words, lowered, glossary)
    if definite is not None:
        return definite  # "who chairs the group?", "how often does the chair change?"
    membership = _membership_without_group(question, words, lowered)
    if membership is not None:
        return membership  # "is the UN a member?"
    # "who's involved besides governments?" asks nothing of its own ("besides UNHCR work with refugees?" does)
    aside = question[slice(*span)].lower() if (span := set_aside_span(question)) else ""
    opener = max((len(w.split()) for w in ref["besides"] if aside.startswith(w)), default=0)  # "apart from"
    own = question[: span[0]] + question[span[1] :] if span and len(words_of(aside)) - opener <= 2 else question
    if len(words_of(own)) <= 4 and not content_words(own, frame) and not glossary.find(own):
        return Reference("fragment")  # "Since when?", "Why?"
    if lowered[-1] in ref["membership_end"] - {"or"} and not names_something(question, glossary):
        return Reference("fragment")  # "is there a work plan too?", "do refugees get help too?": as well as what
        # the conversation is about (a question naming a body or a proper name stands alone)
    one = _one_without_noun(question, glossary, frame)
    if one is not None:
        return one  # "did the GMG contribute to the first one?"
    relative = next((m for i, (m, w) in enumerate(zip(words, lowered, strict=True)) if w in ref["relative"]
                     and not (w in {"one", "ones"} and lowered[i + 1 : i + 2] and lowered[i + 1] in
                              {"of", "that", "who", "which", "whose"})), None)  # "one of them", "the one that …"
    if relative and not names_something(question, glossary) and not _has_antecedent(
            question[: relative.start()], glossary, frame):
        return Reference("fragment")  # "What are the other joint themes?", "Was there an earlier one?"
    return None


def _short_reference(question: str, lowered: list[str], glossary: Glossary, frame: frozenset[str]
                     ) -> Reference | None:
    """Short questions that say too little to stand alone: a body and nothing else asked ("undesa too?", "the
    world bank as well?", "is the ilo?": ask the last question of it), and "which is older?" (one of the things
    just named). A keyword query ("Human trafficking", "Refugees") stands alone."""
    ref = reference_words()
    choosing = lowered[0] == "which" and 1 < len(lowered) <= 4 and asks_word(lowered[1])  # "which is older?"
    if any(without_s(w) in ref["wh"] for w in lowered) and not choosing:
        return None
    if glossary.find(question):
        rest = [m.group().lower() for m in words_of(without_bodies(question, glossary.find(question)))]
        glue = all(w in ref["ellipsis_glue"] or asks_word(w) and without_s(w) not in ref["wh"] for w in rest)
        return Reference("ellipsis") if len(lowered) <= 6 and glue else None
    return Reference("fragment") if choosing and not names_something(question, glossary) else None


def _topic_then_question(question: str, words: list[re.Match], glossary: Glossary, frame: frozenset[str]
                         ) -> int | None:
    """For "what about <topic>, <question>?" (or "how about <topic> - <question>?"), where the topic starts: the
    question after the comma or dash is a question of its own (it opens with a question word: "who deals with
    that?"; or it asks yes or no in words of its own: "what about the World Bank, does it collect its own data or
    use DESA's?"), so the topic is its own antecedent and the two are read as one question. None when nothing
    follows the topic, when what follows is a yes/no question with nothing of its own ("what about undp, does it do
    that too?", "…, is unhcr?", "…, does it handle that?": the previous question's, asked of the topic) or it leans
    on something said before ("… - same agency?", "what about unhcr, who else does it?", "…, who works on it too?")."""
    ref = reference_words()
    breaks = [i for i in range(3, len(words)) if any(mark in question[words[i - 1].end() : words[i].start()]
                                                      for mark in (",", ";", ":", " - ", "–", "—"))]
    if not breaks:
        return None
    rest = {m.group().lower() for m in words[breaks[0] :]}
    leans = ref["relative"] | (ref["membership_end"] - {"or"})  # "other", "same", "too", "also", "either"
    if rest & leans:
        return None
    first = without_s(words[breaks[0]].group().lower())
    if first not in ref["wh"]:
        clause = question[words[breaks[0]].start() :]
        own = content_words(without_bodies(clause, glossary.find(clause)), frame)
        if not asks_word(first) or rest & ref["demonstrative"] or not own:
            return None
    return words[2].start()


def _said_before(question: str, lowered: list[str], glossary: Glossary, ref: dict, frame: frozenset[str]
                 ) -> Reference | None:
    """What only the conversation says: a place or group ("how many agencies are in there?"), two or more things
    as a whole ("the pair", "which office handles both?"), more of the last answer and nothing else ("more detail
    pls"; not "tell me more about trafficking"), something an answer gave ("the tripartite thing you mentioned")."""
    lowered_text = question.lower()
    for i, m in enumerate(words_of(question)):
        if lowered[i] not in ref["locative"]:
            continue
        # "in there", "… there?" at the end; not "is there", nor a place the question names (a member is no place);
        # "what do agencies do there?" names nothing it could be done by ("what does the bank do there?" asks about
        # the bank)
        at_end, after_in = i == len(lowered) - 1, i > 0 and lowered[i - 1] in ref["prepositions"]
        members = [b for b in glossary.find(question[: m.start()]) if not is_group(b)]
        existential = i and asks_word(lowered[i - 1]) and not (lowered[i - 1] == "do" and not glossary.find(question)
                                                               and not _head_named(lowered, glossary))
        if ((at_end or after_in) and not existential
                and not names_something(without_bodies(question[: m.start()], members), glossary)):
            return Reference("fragment")
    for phrase in ref["plural_refs"]:
        found = re.search(rf"\b{re.escape(phrase)}\b", lowered_text)
        if not found:
            continue
        before = [m.group() for m in words_of(lowered_text[: found.start()])]
        after = [m.group() for m in words_of(lowered_text[found.end() :])]
        # "the two dialogues", "both X and Y", "refugees, migrants, or both?" say what they are themselves
        coordinated = phrase == "both" and " and " in lowered_text[found.end() :]
        own = ((after and after[0] not in reference_words()["after_plural_ref"]) or coordinated
               or (before and before[-1] in {"or", "and"}))
        if not own and not names_something(question[: found.start()], glossary):
            return Reference("fragment")
    if any(f" {phrase} " in f" {' '.join(lowered)} " for phrase in ref["you_said"]):
        return Reference("fragment")  # "whats the tripartite thing you mentioned": something an answer gave
    for phrase in ref["continuations"]:
        found = re.search(rf"\b{re.escape(phrase)}\b", lowered_text)
        rest = lowered_text[: found.start()] + " " + lowered_text[found.end() :] if found else ""
        if found and not glossary.find(question) and not content_words(rest, frame | reference_words()["courtesy"]):
            return Reference("fragment")
    return None


def _one_without_noun(question: str, glossary: Glossary, frame: frozenset[str]) -> Reference | None:
    """ "the first one", "that one", "the other ones": "one" stands for a noun said before, in an earlier clause
    ("Of the two dialogues, was the GMG at the first one?") or an earlier turn ("did the GMG contribute to the first
    one?" after a question on the dialogues), whatever body the question names; not "one of the agencies"."""
    modifiers = "|".join(sorted(reference_words()["one_modifiers"]))
    # at the end: "the one that protects refugees", "the first one held on migration" have their noun in the clause
    found = re.search(rf"\b(?:the|that|this|which)\s+(?:(?:{modifiers})\s+)?ones?\s*[?.!]*\s*$", question, re.I)
    if not found:
        return None
    before = question[: found.start()]
    breaks = [m.start() for m in CLAUSE_BREAK.finditer(before) if m.start() > 0]
    if breaks and content_words(before[: breaks[-1]], frame):
        return None
    # a question that says more than a verb ("Is the ILO convention on domestic workers the latest one?") names it
    return Reference("fragment") if len(content_words(glossary.without_names(before), frame)) <= 1 else None


def _membership_without_group(question: str, words: list[re.Match], lowered: list[str]) -> Reference | None:
    """ "is the UN a member?", "are NGOs observers?": a membership noun that ends the question, or its clause after
    "a" ("is the World Bank a member, even though …?", round-22 probe), or comes before "too", "or", "either", "also"
    (membership_end), is membership of the group the conversation is about (reviewed list: membership_nouns);
    "members of …" and "family members join …" name their own."""
    ref = reference_words()
    for i, word in enumerate(lowered):
        following = lowered[i + 1] if i + 1 < len(lowered) else None
        ends = following is None or lowered[i - 1 : i] in (["a"], ["an"]) and question[words[i].end() :].lstrip()[
            :1] in {",", ";", "?"}
        if word in ref["membership_nouns"] and (ends or following in ref["membership_end"]):
            return Reference("membership", words[i].start(), words[i].end(), word, noun=word)
    return None


def is_group(body: Body) -> bool:
    """A body others belong to: "group" or "forum" (definite_body nouns that are no body noun) in its full name."""
    ref = reference_words()
    return any(full_name_has(body, n) for n in ref["definite_body"] if n not in ref["body_nouns"])


def full_name_has(body: Body, noun: str) -> bool:
    return bool(re.search(rf"\b{re.escape(noun)}\b", body.full, re.I))


def _definite_reference(question: str, words: list[re.Match], lowered: list[str],
                        glossary: Glossary) -> Reference | None:
    """ "the group", "the chair": "the" before a noun that stands for a body or one of its parts (reviewed lists)
    points back to the conversation's body when the question names nothing of its own; the noun a body's full name
    is built on ("the bank", "the fund") does whatever else the question names."""
    ref = reference_words()
    named = names_something(without_set_aside(question), glossary)
    found = glossary.find(question)
    heads = {b.head for b in glossary.bodies} - {b.head for b in found}
    if set(lowered) & ref["membership_nouns"] and not any(is_group(b) for b in found):
        heads = set()  # "was the bank always a member": of the chat's group (not "is the bank a member of the gmg?")
    if not named and lowered[0] in ref["definite_part"] and len(words) > 1 and any(
            mark in question[words[0].end() : words[1].start()] for mark in (",", ":", "-", "–", "—")) and not (
            len(content_words(question[words[1].start() :], frozenset())) > 1):  # "chair: who holds it?", not a
        # question of its own ("members - how many countries ratified the convention?", "meetings, workshops and …")
        return Reference("definite", words[0].start(), words[0].end(), "", noun=lowered[0])  # "meetings - how often?"
    for i, word in enumerate(lowered[:-1]):
        noun = lowered[i + 1]
        if question[words[i].end() : words[i + 1].start()].strip():
            continue  # "the 2013 dialogue": a year between says which one
        head = word == "the" and noun in heads  # "are you sure the bank is in the gmg?": whatever else is named
        if named and not head:
            continue
        owner_named = said_what_it_is(lowered[i + 2 : i + 3]) and not _says_when(lowered[i + 2 :])
        # "the job" ends its phrase ("who held the job?", "is the role in the UN?"), not "the job market"
        office = noun in ref["office"] and all(asks_word(w) or w in ref["prepositions"] for w in lowered[i + 2 : i + 3])
        part = noun in ref["definite_part"] or office
        definite = head or word == "the" and (noun in ref["definite_body"] or part) or word == "each" and part
        if definite and not owner_named:
            return Reference("definite", words[i].start(), words[i + 1].end(), word, noun=noun)
    return None


def _says_when(following: list[str]) -> bool:
    """ "the group at the moment", "the chair at present": a time after the noun (a phrase of
    data/attribute_words.txt opening with a preposition), not what the noun is ("the agency at the top")."""
    prepositions = reference_words()["prepositions"]
    phrases = {p for asked, _ in attribute_words() for p in asked if p.split()[0] in prepositions and " " in p}
    return any(" ".join(following[: len(p.split())]) == p for p in phrases)


def _head_named(lowered: list[str], glossary: Glossary) -> bool:
    """ "the bank", "the fund": "the" before the noun a body's full name is built on (Body.head)."""
    heads = {b.head for b in glossary.bodies}
    return any(w == "the" and nxt in heads for w, nxt in zip(lowered, lowered[1:], strict=False))


def said_what_it_is(following: list[str], place: bool = True) -> bool:
    """Whether the word after a noun says what the noun is right there ("the head of unicef", "the agency that
    counts migrants", "the dialogue between agencies"): then the noun does not point back. `place`: "at", "in"
    count ("the agency in charge"); not after a body's own noun ("the forum in a nutshell", "the bank in 2010")."""
    return following in (["of"], ["for"], ["that"], ["who"], ["which"], ["between"], *(place * [["at"], ["in"]]))


def without_bodies(text: str, bodies: list[Body]) -> str:
    for body in bodies:
        for spelling in sorted(body.spellings, key=len, reverse=True):
            text = re.sub(rf"(?i)\b{re.escape(spelling)}s?\b", " ", text)  # "UNDPs": the glossary's possessive
    return text
