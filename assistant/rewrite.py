"""Follow-up questions: does a question lean on the conversation, and what does it mean on its own?

A question is rewritten only when it cannot be understood alone: a pronoun with no antecedent before it in the
question ("What else does it do?"; not "Does the ILO have its own convention?"), an elliptical opener ("What about
the World Bank?", "And HIV?", "undesa too?", "sorry, i meant ilo"), a fragment with no content word ("Since when?"),
or a word that only the conversation explains ("the group", "in there", "the pair", "more detail pls"; "the
convention", "which conventions?" when the last turn spoke of them; a keyword query such as "Human trafficking"
stands alone otherwise). The rewrite resolves the reference against the conversation's bodies (the glossary) or,
failing that, carries the previous question as context in brackets. Earlier turns are given as their *core* (their
own rewrite without carried context), so a rewrite holds at most one earlier question and never an earlier
rewrite's carried context: rewrites do not nest.

What makes a question lean on the conversation is found by references.py (and, for words the last turn said, by
_said_last_turn here); this module resolves it. The words that decide this are a reviewed list
(data/reference_words.txt); nothing here names a body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answering.question import QuestionType
from assistant.antecedents import (
    MEMBERS,
    about_things,
    and_list,
    asked_first,
    asked_together,
    counted_start,
    described_by_name,
    group_first,
    introduces_thing,
    members_asked,
    members_listed,
    named_by_noun,
    names_a_body,
    pair_asked,
    recent_bodies,
    with_heads_named,
)
from assistant.ellipses import negates, swap_modifier, swap_object, taken_back_from, which_one_again
from assistant.models import is_abstention
from assistant.ordinals import counted_bodies, the_other
from assistant.ordinals import ordinal as ordinal_body
from assistant.others import asks_for_others, others_asked
from assistant.references import (
    OPENER,
    Reference,
    dangling_reference,
    full_name_has,
    is_group,
    is_object,
    set_aside_span,
    without_bodies,
)
from assistant.words import asks_word, content_words, names_something, reference_words, words_of
from ingest.glossary import Body, Glossary


@dataclass(frozen=True)
class Rewrite:
    text: str  # what is searched and answered
    core: str  # the question's own meaning without carried context: what later turns build on


def _definite(question: str, ref: Reference, history: list[tuple[str, str]], glossary: Glossary) -> Rewrite | None:
    """ "who chairs the group?" → "who chairs GMG?"; "how often does the chair change?" → "how often does the GMG
    chair change?": the newest body of the conversation that the noun fits ("the group", "the forum": a body with
    that word in its full name; "the agency": a member agency); None when none fits."""
    recent = recent_bodies(glossary, history)
    bodies = [b for b in recent if not b.pronoun or b.head == ref.noun]  # "the representative": the SRSG
    if not bodies and ref.noun in reference_words()["office"]:
        bodies = recent  # "who held the job?" in a chat about the SRSG alone: his office
    names_body = ref.noun in reference_words()["definite_body"] or ref.noun in {b.head for b in glossary.bodies}
    if names_body:  # "the forum", "the bank", "the office": the body with that noun in its full name; else for a
        # body noun ("the agency", "the organisation") a member
        members = [b for b in bodies if b.member] if ref.noun in reference_words()["body_nouns"] else []
        bodies = [b for b in bodies if full_name_has(b, ref.noun)] or members
    if not bodies:
        return None
    name = _spelling(bodies[0], history, glossary)
    noun = question[ref.start : ref.end].split()[-1]
    swapped = name if names_body else f"the {name} {noun}"
    resolved = question[: ref.start] + swapped + question[ref.end :]
    return Rewrite(resolved, resolved)


def _membership(question: str, ref: Reference, history: list[tuple[str, str]], glossary: Glossary) -> Rewrite | None:
    """ "is the UN a member?" after a question on the GFMD → "is the UN a member of GFMD?": the newest body of the
    conversation that is a group ("group", "forum" in its full name: definite_body), other than those the question
    names; None when there is none (the question is used as asked)."""
    named = glossary.find(question)
    groups = [b for b in recent_bodies(glossary, history) if is_group(b)]
    if not groups or any(is_group(b) for b in named):  # "who are the GMG members?" names its group
        return None
    resolved = f"{question[: ref.end]} of {_spelling(groups[0], history, glossary)}{question[ref.end :]}"
    return Rewrite(resolved, resolved)


def _with_context(question: str, turn: tuple[str, str], glossary: Glossary, frame: frozenset[str],
                  excluded: tuple[str, ...] = ()) -> Rewrite:
    """The question with the previous turn as context: its core question, and the body its answer led with when
    that question named none ("and HIV? (Which agency focuses on women who migrate? UNFPA)"). Its core is the
    earlier question with this one's own words in place of any the earlier core added ("What does UNFPA do? HIV"
    after "And HIV?"), so a later "Since when?" still knows the topic and nothing accumulates."""
    previous, answer = turn[0].strip(), turn[1]
    # The body the answer led with stands in for the earlier question's subject, unless this question names its own
    # ("and UNCTAD - same thing?" after a question UNDP answered asks about UNCTAD, not UNDP).
    lead = glossary.find(answer)[:1] if not glossary.find(previous) and not glossary.find(question) else []
    lead = [b for b in lead if b.name not in excluded]  # "who else?": not the body the user already has
    context = f"{previous.rstrip(' ?')}? {lead[0].name}" if lead else previous
    if excluded:  # shown in "Searched: …", so the user sees what was set aside
        context = f"{context.rstrip()} besides {', '.join(excluded)}"
    own = [m.group() for m in words_of(question) if content_words(m.group(), frame)]
    if glossary.find(question) and own:  # "What about UNDP's role in trafficking?": a topic of its own
        core = OPENER.sub("", question).strip()
    elif own:
        # the earlier question up to its "?", which this one ends with even when the user typed none: a later turn
        # cuts its own words off there ("unhcr - what's their mandate exactly? stateless", not "… exactly stateless
        # africa displaced" three turns on)
        core = f"{previous.split('?')[0].strip().rstrip('.!')}? {' '.join(own)}"
    else:
        core = previous
    return Rewrite(f"{question.rstrip()} ({context})", core)


def _after_unanswered(question: str, turn: tuple[str, str], glossary: Glossary, frame: frozenset[str],
                      excluded: tuple[str, ...], share: Callable[[str], float] | None = None) -> Rewrite | None:
    """A question with a topic of its own after one the notes did not answer, read with only the bodies that one was
    about ("is any other member focused on rights? (besides UNDESA)" after "what migrant stock figure did UNDESA
    report for 2020?"): its details ("for 2020", "at the moment") are what the notes lack, and would sink this
    question too. An earlier question naming no body that asked for such a detail lends only its words the notes use
    ("and does ohchr work on this from a rights angle? (trafficking)" after "how many trafficking convictions were
    there last year?"). None when the earlier question was answered, when this one has no words of its own ("who
    else?"), or when there is nothing to carry."""
    previous, answer = turn
    if not is_abstention(answer) or not any(content_words(m.group(), frame) for m in words_of(question)):
        return None
    bodies = ", ".join(b.name for b in glossary.find(previous))
    asked = QuestionType.of(previous)
    if not bodies and share is not None and (asked.how_many or asked.when or asked.how_long or asked.attributes):
        own = set(content_words(question, frame))
        bodies = " ".join(dict.fromkeys(w for w in content_words(previous, frame)
                                        if w not in own and share(w) > 0))
    context = f"besides {', '.join(excluded)}" if excluded else bodies
    return Rewrite(f"{question.rstrip()} ({context})", question.strip()) if context else None


def _swap_body(text: str, body: Body, new_name: str) -> str | None:
    pattern = re.compile("|".join(re.escape(s) for s in sorted(body.spellings, key=len, reverse=True)), re.I)
    replaced = pattern.sub(new_name, text, count=1)
    return replaced if replaced != text else None


def _ellipsis(question: str, turn: tuple[str, str], glossary: Glossary, frame: frozenset[str],
             excluded: tuple[str, ...] = ()) -> Rewrite:
    """ "What about the World Bank?" after "What else does UNODC do?" → "What else does World Bank do?". An
    ellipsis that asks something of its own ("What about UNDP's role in trafficking?") or names several bodies
    keeps its words, with the previous question as context."""
    previous = turn[0]
    opener = len(question) - len(_without_opener(question))  # "sorry, i meant ilo" asks nothing but of the ILO
    restated = question[opener:]  # "i meant what does the world bank do on remittances": that question, as it stands
    if question[:opener].lower().split()[-2:] == ["i", "meant"] and words_of(restated) and asks_word(words_of(
            restated)[0].group()) and glossary.find(restated) and dangling_reference(restated, glossary, frame) is None:
        return Rewrite(restated, restated)  # not with the body turned down ("i meant how does the rotation work" does)
    # "no, I meant UNFPA not UNDP": UNDP is the body taken back, which the earlier question may name
    asked, taken_back = taken_back_from(question[opener:], glossary)
    question = question[:opener] + asked
    new = [b for b in glossary.find(question) if b not in taken_back]
    old = [b for b in taken_back if glossary.mentions(previous, b)] or asked_first(previous, glossary)
    rest = without_bodies(asked, new)
    if not new:  # "no, I meant the forum": the GFMD
        new = named_by_noun(asked, glossary) or described_by_name(asked, glossary)
        rest = "" if new else rest
    swapped = swap_modifier(previous, asked) or swap_object(previous, asked, glossary, frame)
    if swapped:
        return Rewrite(swapped, swapped)
    # not when the earlier question names it already ("what about the group?" after "does the GFMD work with it?")
    if (len(new) == 1 and old and new[0].name not in {b.name for b in old} and not content_words(rest, frame)
            and not negates(rest)):  # "and not UNDP?" is no "and UNDP?"
        swapped = _swap_body(previous, old[0], new[0].name)
        if swapped:
            return Rewrite(swapped, swapped)
    return _with_context(question, turn, glossary, frame, excluded)


def _without_opener(question: str) -> str:
    """The question without what opens it as an ellipsis: interjections ("sorry,", "ok"), "what about", "and" …"""
    ref, words = reference_words(), words_of(question)
    i = 0
    while i < len(words) and words[i].group().lower() in ref["interjections"]:
        i += 1
    pair = " ".join(m.group().lower() for m in words[i : i + 2])
    i += 2 if pair in ref["ellipsis"] else 1 if i < len(words) and words[i].group().lower() in ref["ellipsis"] else 0
    return question[words[i].start() :] if i < len(words) else ""


def _pronoun(question: str, ref: Reference, history, glossary: Glossary, frame: frozenset[str],
             excluded: tuple[str, ...] = ()) -> Rewrite:
    words = reference_words()
    # "does any other agency work on it?": "it" is the topic, not the agency the user wants others than; but
    # "… besides them?" sets that agency aside by the pronoun
    aside = set_aside_span(question[: ref.start]) is not None  # "… besides them?"
    if aside:
        excluded = ()
    elif excluded:  # "does any other agency work on it?": the topic, which the earlier question carries
        return _with_context(question, history[-1], glossary, frame, excluded)
    named = {b.name for b in glossary.find(question)}
    before = [m.group().lower() for m in words_of(question[: ref.start])]
    last_word = before[-1] if before else None
    candidates = [b for b in recent_bodies(glossary, history) if b.name not in named]
    previous = history[-1][0]
    asks_body_of_topic = QuestionType.of(question).who and not QuestionType.of(previous).who
    if (ref.word == "it" and (named or asks_body_of_topic) and is_object("it", last_word)
            and not glossary.find(previous) and not QuestionType.of(previous).one
            and not (candidates and is_group(candidates[0]))):
        # "what does UNODC do on it?" after "which agencies work on trafficking?" (answered by OHCHR): what the
        # question's own body does something to is the earlier question's topic, not one of the bodies an answer
        # gave; so is "it" in a question asking which body does something to it ("which agency promotes it?"
        # after "what is the migrant workers convention?"; but "who heads it?" after "who deals with
        # statelessness?" is UNHCR); after "which agency leads on labour migration?" it is the agency ("does IOM
        # cooperate with it?")
        return _with_context(question, history[-1], glossary, frame, excluded)
    if ref.word == "it" and not named and is_object("it", last_word) and introduces_thing(
            previous, glossary):  # "what's in it?" after "does the group have a work plan?": the plan, not the group
        # ("what else does it do?": a subject, the group)
        return _with_context(question, history[-1], glossary, frame, excluded)
    # "who tracks them?" after "explain remittances simply" (led by the World Bank): an object means the things, also
    # beside a body the question names when the earlier one asked for none ("does unodc help governments put them in
    # place" after the two protocols: round-24 probe, "… put OHCHR"; not after "which organizations help refugees?")
    if (ref.word in words["plural_pronouns"] and "both" not in before and before[-2:] != ["which", "of"]
            and (not named or not glossary.find(previous) and not QuestionType.of(previous).who)
            and not pair_asked(question, ref.start, ref.end)  # "so how are they different": the two bodies
            and (glossary.find(previous) or not aside and is_object(ref.word, last_word))
            and about_things(previous, glossary, frame)):
        return _with_context(question, history[-1], glossary, frame, excluded)  # "who drafted them?": the things
    if ref.word in words["person"]:  # "he" means a person's office (the glossary says which), nothing else,
        # even one an answer named after its lead ("who links the UN with the forum?" → "As the primary link …
        # the SRSG …", then "does he hold meetings?")
        candidates = [b for b in candidates if b.pronoun] or [
            b for _, answer in reversed(history) for b in glossary.find(answer) if b.pronoun and b.name not in named]
    else:
        candidates = [b for b in candidates if not b.pronoun] or candidates
    # "this group", "that fund": the body whose full name is built on the noun (round-22 probe: "who is make the
    # decisions in this group?" was read with the whole last question); "that agency": a member, not their group
    one = ref.word in {"this", "that"} and bool(ref.noun)
    called = [b for b in candidates if b.head == ref.noun] if one and not names_a_body(ref.noun) else []
    if called or names_a_body(ref.noun):
        candidates = called or [b for b in candidates if b.member] or candidates
    else:  # "how often do they meet?": a group does that
        candidates = group_first(question, last_word, candidates)
    one_body = ref.word not in words["demonstrative"] or one and bool(called or names_a_body(ref.noun))
    if not candidates or not one_body:
        # "when was that?", "these agencies": the earlier question says what is meant
        return _with_context(question, history[-1], glossary, frame, excluded)
    name = _spelling(candidates[0], history, glossary)
    replacement = f"{name}'s" if ref.word in words["possessive"] else name
    # "list them", "rank them": the members ("how often do they meet?" is the group's meeting)
    members = members_asked(previous, candidates[0], glossary) if ref.word == "them" else None
    if ref.word == "them" and not members and members_listed(history[-1][1], candidates[0], glossary):
        members = MEMBERS  # "list them alphabetically" after "who is in the gmg?" (its member list)
    if members and before[-2:] not in (["one", "of"], ["which", "of"]):
        replacement = f"{name} {members}"  # "list them" after "gmg members?": the members, not the group
    start = ref.start
    if ref.word == "them" and before[-2:] == ["which", "of"]:
        if len(candidates) == 1 and not is_group(candidates[0]):
            # "which of IOM …" would ask nothing: the earlier question says what is meant
            return _with_context(question, history[-1], glossary, frame, excluded)
        start, replacement = _which_of_them(question, ref, candidates, history, glossary)
    if ref.word in {"they", "them"} and (pair := pair_asked(question, ref.start, ref.end)) and len(
            candidates) > 1:  # "are they both in the gmg?", "how do they differ?" after IOM and the ILO: the two
        counted, last = counted_bodies(history, glossary, frame)  # or the two an answer gave ("which of them …?"),
        # from the last turn or while the conversation's newest body is one of them (not from before a topic switch)
        two = counted if (len(counted) == 2 and not named & {b.name for b in counted}
                          and (last or candidates[0].name in {b.name for b in counted})) else candidates[:2]
        start, joiner = pair
        replacement = joiner.join(_spelling(b, history, glossary) for b in two)
    elif ref.word in {"they", "them"} and not members and before[-2:] != ["which", "of"] and (
            together := asked_together(previous, question, glossary)):
        replacement = and_list([_spelling(b, history, glossary) for b in together])  # "how do they work together?"
        start = counted_start(question, start, len(together))  # "how often do the three of them meet": the three
    resolved = question[:start] + replacement + question[ref.end :]
    return Rewrite(resolved, resolved)


def _correction(question: str, glossary: Glossary) -> Reference | None:
    """ "sorry, UNFPA not UNDP", "no, not UNDP, UNFPA": a message that asks nothing but takes one body back for
    another, an ellipsis of the earlier question."""
    rest = _without_opener(question)
    asks = any(asks_word(m.group().lower()) for m in words_of(rest))
    return Reference("ellipsis") if not asks and taken_back_from(rest, glossary)[1] else None


def _which_of_them(question: str, ref: Reference, candidates: list[Body], history, glossary: Glossary
                   ) -> tuple[int, str]:
    """Where the replacement of "them" in "which of them …?" starts, and the replacement: after the group, its
    members ("which GMG members …?" asks for bodies); after several bodies, those the conversation named (the
    members among them when two or more remain)."""
    if is_group(candidates[0]):
        name = _spelling(candidates[0], history, glossary)
        return question.lower().rindex("of", 0, ref.start), f"{name} members"
    members = [b for b in candidates if not is_group(b)]
    return ref.start, and_list([_spelling(b, history, glossary) for b in (members if len(members) > 1 else candidates)])


def _spelling(body: Body, history: list[tuple[str, str]], glossary: Glossary) -> str:
    """The body as the conversation last spelled it: the user's words ("undp"), else the answer's ("High-level
    Dialogue" for "they" after an answer about the dialogues), which found the passages; else its short name."""
    for question, answer in reversed(history):
        spelled = glossary.spelling_in(question, body) or glossary.spelling_in(answer, body)
        if spelled:
            return spelled
    return body.name


def rewrite_followup(question: str, history: list[tuple[str, str]], glossary: Glossary,
                     frame: frozenset[str] = frozenset(), share: Callable[[str], float] | None = None
                     ) -> Rewrite | None:
    """The standalone form of `question` given earlier (core question, answer) turns, oldest first; None when the
    question stands on its own (or there is no conversation to lean on). `share`: how many of the passages use a
    word (KeywordIndex.share), so a word most answers say ("migrants") is no thing the last turn brought up."""
    if not history:
        return None
    ordinal = ordinal_body(question, history, glossary, frame) or the_other(question, history, glossary, frame)
    if ordinal is not None:
        start, end, body, last = ordinal
        named = question[:start] + _spelling(body, history, glossary) + question[end:]
        if last:  # picked from what the last turn gave: "what about the second one?" → "what about IOM?"
            return Rewrite(named, named)
        # from an older turn, read again: "and the last one?" → "and World Bank?" asks the last question of it
        return rewrite_followup(named, history, glossary, frame) or Rewrite(named, named)
    again = which_one_again(question, history[-1][0], glossary)  # "and which one …?" after "which members …?"
    if again is not None:
        return Rewrite(again, again)
    ref = _correction(question, glossary) or dangling_reference(question, glossary, frame) or _said_last_turn(
        question, history[-1], glossary, frame, share)
    if ref is None:
        return None
    excluded = others_asked(question, history, glossary)
    if ref.kind == "ellipsis":  # "and who else works on data?" after an unanswered question on UNDESA's figures
        found = _after_unanswered(question, history[-1], glossary, frame, excluded, share) if excluded else None
        return found or _ellipsis(question, history[-1], glossary, frame, excluded)
    if ref.kind == "fragment":
        return _after_unanswered(question, history[-1], glossary, frame, excluded, share) or _with_context(
            question, history[-1], glossary, frame, excluded)
    if ref.kind == "membership":
        return _membership(question, ref, history, glossary)
    if ref.kind == "definite":  # "the forum" in a question naming the SRSG: its own group when no chat body fits
        found = _definite(question, ref, history, glossary)
        # "what does the fund do?" after UNHCR: the one body named by that noun, read again; not "who else in the
        # group …?", whose earlier question says what else, nor "the forum - does he chair it?", whose "he" it does
        words, ref_words = {m.group().lower() for m in words_of(question)}, reference_words()
        alone = not words & (ref_words["pronoun"] | ref_words["demonstrative"] | ref_words["office"])
        named = with_heads_named(question, glossary) if found is None and alone and not asks_for_others(
            question, history) else question
        if named != question:
            return rewrite_followup(named, history, glossary, frame, share) or Rewrite(named, named)
        return found if found or names_something(question, glossary) else _after_unanswered(
            question, history[-1], glossary, frame, excluded, share) or _with_context(question, history[-1], glossary,
                                                                               frame, excluded)
    return _pronoun(question, ref, history, glossary, frame, excluded)


# A word more than this share of the passages use ("migrants", "development" in the notes) is what most answers say,
# not a thing the last turn brought up ("the convention", "the refugees").
COMMON_SHARE = 0.25


def _said_last_turn(question: str, turn: tuple[str, str], glossary: Glossary, frame: frozenset[str],
                    share: Callable[[str], float] | None = None) -> Reference | None:
    """A question naming nothing of its own whose "the …" takes its noun from the last turn ("has the convention
    been ratified much?" after the Domestic workers Convention; "do the refugees get a say?"), not said what it is
    right there ("the committee on migrant workers"); or a short one whose words all come from it ("which
    conventions?" after "It has pioneered international Conventions …")."""
    if names_something(question, glossary):
        return None
    answer = "" if is_abstention(turn[1]) else turn[1]  # not the words of "The documents don't say …"
    said = {w for w in content_words(f"{turn[0]} {answer}", frame) if share is None or share(w) <= COMMON_SHARE}
    said |= {part for w in said for part in w.split("-")[1:]}  # "binding?" after "non-binding" (round-20 probe)
    lowered = [m.group().lower() for m in words_of(question)]
    own = content_words(question, frame)
    if len(lowered) <= 3 and own and all(_forms(w) & said for w in own):
        return Reference("fragment")  # "which conventions?" after the ILO's Conventions: which of those
    ref = reference_words()
    told = ref["prepositions"] | ref["conjunctions"] | ref["wh"]  # "the committee on …": said right there
    for i in range(len(lowered) - 1):
        noun, after = lowered[i + 1], lowered[i + 2 : i + 3]
        # a bare noun: "the trafficking protocol", "the brain drain bit" say what they are themselves
        bare = not after or not content_words(after[0], frame) and after[0] not in told
        nouns = content_words(noun, frame)
        if lowered[i] == "the" and nouns and bare and _forms(nouns[0]) & said:
            return Reference("fragment")
    return None


def _forms(word: str) -> set[str]:
    """A word with its plural or singular in -s ("convention", "conventions")."""
    return {word, word + "s", word[:-1] if word.endswith("s") else word}


def with_previous_question(question: str, history: list[tuple[str, str]], glossary: Glossary,
                           frame: frozenset[str] = frozenset()) -> Rewrite:
    """The question with the previous turn of `history` (not empty) as context, as a follow-up without a resolvable
    reference gets it: what a question that names nothing from the conversation may mean ("numbers on the
    stateless bit?" after "does unhcr deal with statelessness": offers.in_context offers it)."""
    return _with_context(question, history[-1], glossary, frame, others_asked(question, history, glossary))
