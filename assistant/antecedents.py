"""What a follow-up's pronoun stands for when it is not a body of the conversation: the things the last question
asked about ("who drafted them?" after the terms of reference), the thing a named body has ("what's in it?" after
"does the group have a work plan?"), the members of a group ("list them" after "gmg members?"); and which of the
bodies a question names it asks about. rewrite.py asks; the words that decide are the reviewed list
data/reference_words.txt; nothing here names a body.
"""

from __future__ import annotations

from assistant.answering.question import (
    NUMBER_PATTERN,
    QuestionType,
    compare_words,
    is_plural,
    number_value,
    question_words,
    without_s,
)
from assistant.references import (
    CLAUSE_BREAK,
    full_name_has,
    is_group,
    said_what_it_is,
    without_bodies,
)
from assistant.words import asks_word, is_function_word, reference_words, without_set_aside, words_of
from ingest.glossary import Body, Glossary

SENTENCE_ENDS = str.maketrans(".!?", ",,,")  # a sentence ends a clause too
# a word in -s this frequent in English is no plural noun ("always" 5.8, "these" 6.0; "terms" 5.1 is one)
PLURAL_NOUN_MAX_ZIPF = 5.5
MEMBERS = "members"  # how a rewrite names a group's members an answer listed ("list GMG members alphabetically")


def asked_first(question: str, glossary: Glossary) -> list[Body]:
    """The bodies a question names, those of its first clause that asks before the others: "hi, I just joined the
    migration team at UNDP, what's the GMG?" is about the GMG (UNDP is where the asker works), so a following "who's in
    it?" asks about the GMG."""
    bodies = glossary.find(question)
    if len(bodies) < 2:
        return bodies
    for clause in CLAUSE_BREAK.split(question.translate(SENTENCE_ENDS)):  # "hi. I'm at UNDP. What's the GMG?"
        words = words_of(clause)
        asked = glossary.find(clause) if words and asks_word(words[0].group().lower()) else []
        if asked:  # not "can you help, I'm at UNDP, …": that clause asks about no body
            return asked + [b for b in bodies if b not in asked]
    return bodies


def asked_together(previous: str, question: str, glossary: Glossary) -> list[Body]:
    """The bodies an earlier question asked about side by side, which "they" / "them" then stand for ("how do they
    work together?" after "what do the gmg and the gfmd do?"), but those the question names itself ("is UNHCR older
    than them?" after UNHCR and IOM: IOM); none when fewer than two remain, or a member comes with a group, which
    only places it ("what does UNHCR do in the GMG?": "they" is UNHCR), or some were set aside."""
    named = {b.name for b in glossary.find(question)}
    bodies = [b for b in glossary.find(previous) if b.name not in named]
    placed = any(b.member for b in bodies) and any(is_group(b) for b in bodies)
    if len(bodies) < 2 or placed or len(glossary.find(without_set_aside(previous))) < len(glossary.find(previous)):
        return []
    return bodies


def pair_asked(question: str, start: int, end: int) -> tuple[int, str] | None:
    """Whether "they" / "them" (at start:end) stands for two bodies together, and where the phrase that says so
    starts with the word that joins the two: "are they both …", "both of them" (and); "either of them" (or); "how
    do they differ?", "compare them", "the difference between them" (and: data/compare_words.txt). None else."""
    before = [m.group().lower() for m in words_of(question[:start])]
    after = [m.group().lower() for m in words_of(question[end:])]
    if before[-2:] in (["both", "of"], ["either", "of"]):
        return question.lower().rindex(before[-2], 0, start), " and " if before[-2] == "both" else " or "
    # the comparison is between the two: "compare them", "the difference between them", a question that ends on it
    # ("how are they different?"); not "different partners", "distinguish X from Y", "different from the GFMD"
    compares = compare_words() - reference_words()["prepositions"]
    compares_them = bool(before) and before[-1] in compares  # "compare them"
    between_them = len(before) >= 2 and before[-2] in compares and before[-1] in compare_words()  # "difference between"
    ends_on_it = bool(after) and after[-1] in compares  # "how are they different?"
    return (start, " and ") if after[:1] == ["both"] or compares_them or between_them or ends_on_it else None


def counted_start(question: str, start: int, count: int) -> int:
    """Where a pronoun at `start` standing for `count` bodies starts when it is counted out: "the three of them",
    "all 3 of them", "all of them" are replaced whole by the names ("how often do the SRSG, GFMD and GMG meet", not
    "the three of SRSG …"); not "which two of them …", which asks about some of them."""
    before = question[:start]
    tokens = sorted([*words_of(before), *(m for m in NUMBER_PATTERN.finditer(before) if m.group().isdigit())],
                    key=lambda m: m.start())
    lowered = [m.group().lower() for m in tokens]
    if lowered[-1:] != ["of"] or len(lowered) < 2:
        return start
    said = lowered[-2]
    if (count if said == "all" else number_value(said)) != count:
        return start
    return tokens[-3].start() if len(lowered) >= 3 and lowered[-3] in ("the", "all") else tokens[-2].start()


def and_list(names: list[str]) -> str:
    """ "IOM and UNHCR", "GMG, GFMD and SRSG"."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def names_a_body(noun: str) -> bool:
    """ "that agency", "this organisation", "the same body": a noun that stands for a body (a framing word, not a
    framing verb: "does this oversee the agencies?" keeps its verb)."""
    return bool(noun) and noun in question_words() and noun in reference_words()["body_nouns"] and not (
        is_function_word(noun))


def named_by_noun(phrase: str, glossary: Glossary) -> list[Body]:
    """ "the forum", "the group" alone: the one body whose full name has that noun ("i meant the forum" → GFMD), or
    none when no body or several have it ("the agency")."""
    said = [m.group().lower() for m in words_of(phrase)]
    if len(said) != 2 or said[0] != "the" or said[1] not in reference_words()["definite_body"]:
        return []
    fits = [b for b in glossary.bodies if full_name_has(b, said[1])]
    return fits if len(fits) == 1 else []


def described_by_name(phrase: str, glossary: Glossary) -> list[Body]:
    """ "the labour one", "the refugee agency", "the bank one": the one body whose full name holds every word that
    describes it (International Labour Organization, World Bank); none when several fit ("the development one",
    "the united nations one") or a word says which of several ("the second one", "the other agency")."""
    ref = reference_words()
    said = [m.group().lower() for m in words_of(phrase)]
    if len(said) < 3 or said[0] != "the" or said[-1] not in {"one", "ones"} | ref["body_nouns"] | ref["definite_body"]:
        return []
    words = {_singular(w) for w in said[1:-1]}
    if words & ref["one_modifiers"]:  # "the second one": which of a list (ordinals.py)
        return []
    # a noun only some names have must be the body's own ("the labour group" is no ILO)
    head = said[-1] if said[-1] in ref["definite_body"] - ref["body_nouns"] else None
    fits = [b for b in glossary.bodies if words <= _name_words(b) and (head is None or full_name_has(b, head))]
    return fits if len(fits) == 1 else []


def with_heads_named(question: str, glossary: Glossary) -> str:
    """ "whats the difference between the gmg and the forum": "the forum", "the bank", "the refugee office", "human
    rights office" (the noun a body's full name is built on, Body.head, after "the" or words of that full name)
    searched and read as the one body that fits, when the question names it no other way ("… the gmg and GFMD");
    not a noun several names share with no word to choose ("the office"), a number between ("the 2013 dialogue"),
    nor a noun said what it is right there ("the bank of England")."""
    named = {b.name for b in glossary.find(question)}
    bodies = [b for b in glossary.bodies if b.name not in named]
    words = words_of(question)
    said = [w.group().lower() for w in words]
    lowered = [_singular(w) for w in said]
    j = len(words)
    while (j := j - 1) >= 0:  # from the end: the spans before stay where they are
        fits = [b for b in bodies if b.head == without_s(said[j])]  # "the bank's", not "the groups"
        start = j
        while start > 0 and (wider := [b for b in fits if lowered[start - 1] in _name_words(b)]):
            fits, start = wider, start - 1  # "the human rights office": the words say which office
        start -= start > 0 and said[start - 1] == "the"
        # "the geneva migration group" is another group: a word of its own before the name's words
        own_word = start > 0 and said[start] != "the" and (not is_function_word(said[start - 1]) or said[
            start - 1] in reference_words()["determiners"])  # nor "a trade conference": not a name
        between = question[words[start].end() : words[j].start()]
        if len(fits) == 1 and start < j and not own_word and not any(c.isdigit() for c in between) and not (
                said_what_it_is(said[j + 1 : j + 2], place=False)):
            own = words[j].group()[len(without_s(said[j])) :]  # "the bank's research": World Bank's
            question = question[: words[start].start()] + fits[0].name + own + question[words[j].end() :]
            j = start  # the words replaced are not read again
    return question


def _singular(word: str) -> str:
    """A word in lower case without "'s" or a plural "s" ("Refugees" → "refugee"), to match a name's words."""
    word = without_s(word.lower())
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _name_words(body: Body) -> set[str]:
    return {_singular(w.group()) for w in words_of(body.full)}


def members_asked(previous: str, body: Body, glossary: Glossary) -> str | None:
    """ "gmg members?", "which agencies are in the GMG?": a question about a group's members, which a following
    "them" means ("list them alphabetically"); the plural body noun it used, or None."""
    if not is_group(body) or body.name not in {b.name for b in glossary.find(previous)}:
        return None
    nouns = reference_words()["body_nouns"]
    return next((w for w in (m.group().lower() for m in words_of(previous)) if w in nouns and is_plural(w)), None)


def members_listed(answer: str, body: Body, glossary: Glossary) -> bool:
    """Whether an answer led by a group lists its members, all the glossary's ("who is in the gmg?" → "The GMG
    consists of 10 organizations …: ILO; IOM; …"): a following object "them" means them ("list them
    alphabetically"; "do they have a secretariat?" asks about the group)."""
    named = glossary.find(answer)
    members = {b.name for b in glossary.bodies if b.member}
    return is_group(body) and named[:1] == [body] and members <= {b.name for b in named}


def introduces_thing(question: str, glossary: Glossary) -> bool:
    """Whether a question asks if a body it names has a thing ("does the group have a work plan?", "does ILO have
    its own convention on this?"): the newest thing the conversation speaks of, which a following "it" means. Not
    a question asking which body has it ("which agency has a mandate on refugees?": "it" is then that agency)."""
    ref = reference_words()
    asked = QuestionType.of(question)
    named = glossary.find(question)
    if not named or asked.who or asked.one or asked.wants_list:
        return False
    lowered = [m.group().lower() for m in words_of(without_bodies(question, named))]
    for i, word in enumerate(lowered[:-1]):
        rest = lowered[i + 1 :]
        if word in ("have", "has") and (rest[0] in ("a", "an") or rest[0] in ref["possessive"]) and rest[1:]:
            return rest[1] not in ref["prepositions"] | ref["conjunctions"]  # a noun ("a work plan", "its own …")
    return False


def about_things(question: str, glossary: Glossary, frame: frozenset[str]) -> bool:
    """Whether a question is about plural things ("the terms of reference of the GMG", "ILO's standards"): a plural
    word that names no body and is no body noun ("members", "agencies"); a plural pronoun after it means them."""
    from wordfreq import zipf_frequency

    ref = reference_words()
    skip = frame | ref["body_nouns"] | ref["membership_nouns"] | ref["relative"] | ref["demonstrative"]
    said = [m.group().lower() for m in words_of(without_bodies(question, glossary.find(question)))]
    return any(w not in skip and len(w) > 4 and is_plural(w) and zipf_frequency(w, "en") < PLURAL_NOUN_MAX_ZIPF
               for w in said)


def group_first(question: str, before: str | None, candidates: list[Body]) -> list[Body]:
    """The conversation's bodies a pronoun may stand for, a group before a member when the question asks what a group
    does ("how often do they meet?", "who chairs it?" after "why is the world bank in the gmg?": the group meets and
    is chaired, not the Bank; round-20 and round-21 probes); `candidates` as they were otherwise. `before`: the word
    before the pronoun."""
    ref, said = reference_words(), [m.group().lower() for m in words_of(question)]
    objects = {"the"} | ref["possessive"] | ref["determiners"] | ref["demonstrative"]  # "meet its targets"
    meets = any(w in ref["group_verbs"] and not set(said[i + 1 : i + 2]) & objects for i, w in enumerate(said))
    groups = [b for b in candidates if is_group(b)]
    if not groups or not candidates[0].member or not (meets or before in ref["group_objects"]):
        return candidates
    return [groups[0], *(b for b in candidates if b is not groups[0])]


def recent_bodies(glossary: Glossary, history: list[tuple[str, str]]) -> list[Body]:
    """Bodies the conversation was about, newest turn first: each turn's question before its answer's lead."""
    seen: list[Body] = []
    for question, answer in reversed(history):
        asked, lead = asked_first(question, glossary), glossary.find(answer)[:1]
        # "which GMG member handles trafficking?" (UNODC): the group only says where to look; "it" is the member
        # (not after "which of the agencies … are in the gmg", whose answer gives several)
        scoped = bool(asked and lead) and all(map(is_group, asked)) and lead[0].member and (
            (asks := QuestionType.of(question)).who and asks.one)
        for body in lead + asked if scoped else asked + lead:
            if body.name not in {b.name for b in seen}:
                seen.append(body)
    return seen
