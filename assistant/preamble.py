"""What a message says before it asks ("I'm an evaluator. Which member covers migration statistics?") is left out
of the search and the answer when it is nothing the documents could speak to.

Said before the question, "evaluator" counted as a specific word the notes never use and sank the answer (the
reader's answerability −2.0, against 0.1 for the question alone: "The documents don't say"). A sentence that
states rather than asks is dropped when it names nothing (no body, no capitalised name: "I work for Frontex. Does
IOM cooperate with us?" keeps it) and none of its topic words occurs in the documents, and when the sentences that
ask stand on their own. A question leaning on what was said ("I'm writing an essay on brain drain. Does any UN
agency look at it?") is read with the words of it the documents use, as a follow-up is read with its context:
"Does any UN agency look at it? (brain drain)". A clause that speaks of the asker ("i'm new at undp and my boss keeps
saying the gmg - what is it?", "just joined the ilo - what's the gmg?", "…, the names confuse me") is left out even when
it names a body: that is where the asker works; a pronoun of the question then means the last body it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.references import Reference, dangling_reference
from assistant.words import asks_word, content_words, names_something, reference_words, words_of
from ingest.glossary import Glossary
from ingest.sections import split_sentences


def without_preamble(message: str, glossary: Glossary, known: Callable[[str], bool],
                     frame: frozenset[str] = frozenset(), in_chat: bool = False) -> str:
    """The sentences of `message` that ask, when the others say nothing the documents know (`known`: whether the
    documents use a word); else `message` as it is. `in_chat`: earlier turns exist, which a pronoun may mean."""
    sentences = [message[a:b] for a, b in split_sentences(message, 0, len(message))]
    if sentences and (last := _without_asker_tail(sentences[-1], glossary, known, frame)) != sentences[-1]:
        sentences[-1] = last
        message = " ".join(sentences)
    head, separator, rest = _opening_clause(sentences[0]) if sentences else ("", "", "")
    # "ok whatever, is desa a member of the gmg": a clause that says nothing the documents know is left out; not
    # "for seafarers, …", "other than money, …", "in 2006, …", which narrow the question
    said, ref = " ".join(m.group().lower() for m in words_of(head)), reference_words()
    narrows = any(said.startswith(w) for w in ref["prepositions"] | ref["besides"]) or any(c.isdigit() for c in head)
    # (round-22 probe: "hi I just joined a migration team at a UN office, can you give me the basics of the GMG?")
    asker = speaks_of_asker(head) and bool(glossary.find(head) or glossary.find(rest) and _says_where(head))
    if separator and not (_asks(head) or narrows) and _asks(rest) and (
            asker or separator == "," and not any(map(known, content_words(head, frame)))):
        sentences[:1] = [head, rest.strip()]
    asking = [s for s in sentences if _asks(s)]
    told = [s for s in sentences if not _asks(s)]
    if not asking or not told:
        return message
    question = " ".join(asking)
    leaning = dangling_reference(question, glossary, frame)
    if all(map(speaks_of_asker, told)) and not speaks_of_asker(question, requests=False):
        own = _without_askers_place(question, told, leaning, glossary)
        if own is not None:
            return own
    # a body or any name ("I work for Frontex. Does IOM cooperate with us?") is what the question may point to
    if any(names_something(s, glossary) for s in told):
        return message
    topic = list(dict.fromkeys(w for s in told for w in content_words(s, frame) if known(w)))
    if leaning is not None:  # "Which agencies work on it?"
        # a pronoun whose thing was just said: read with the words the documents know of it, as a follow-up is
        # with its context ("I'm writing an essay on brain drain. Does any UN agency look at it?" is not about
        # essays); not in a chat, where it may mean what the conversation is about ("thanks, very useful. what
        # else does it do?"), nor when what was said leans on the conversation ("really? i thought it was in geneva")
        alone = not in_chat and not any(dangling_reference(s, glossary, frame) for s in told)
        return f"{question} ({' '.join(topic)})" if topic and alone and leaning.kind == "pronoun" else message
    return message if topic else question


def _asks(sentence: str) -> bool:
    """A sentence with a question mark, or one that opens as a question does ("was there an older group before it")."""
    first = next(iter(words_of(sentence)), None)
    return sentence.endswith("?") or first is not None and asks_word(first.group().lower())


def _without_askers_place(question: str, told: list[str], leaning: Reference | None, glossary: Glossary
                          ) -> str | None:
    """ "just joined the ilo - what's the gmg?": where the asker works is not what is asked: the question alone, or
    with the body said last before its "it" ("my boss keeps saying the gmg - what is it?" → "… (GMG)"). None when
    the question compares with what was said ("I work at UNHCR, does IOM do that too?") or its pronoun may stand
    for several bodies said ("I'm comparing ILO and IOM. Which of them …?"; review)."""
    ref, said = reference_words(), {m.group().lower() for m in words_of(question)}
    if said & (ref["membership_end"] | ref["relative"] | ref["plural_pronouns"] | ref["plural_refs"]):
        return None
    named = glossary.find(" ".join(told))
    if leaning is None:
        return question if glossary.find(question) else None
    return f"{question} ({named[-1].name})" if leaning.kind == "pronoun" and named else None


def speaks_of_asker(clause: str, requests: bool = True) -> bool:
    """Whether the clause speaks of the one asking ("i'm new at undp", "just joined the ilo"; reference_words.txt);
    not "the US". `requests`: "give me", "tell me" count ("…, give me the short version" is the asker's wish)."""
    ref, said = reference_words(), [m.group().lower() for m in words_of(clause) if m.group() != "US"]
    said = [w for i, w in enumerate(said) if requests or not (w == "me" and i and said[i - 1] in ref["request_verbs"])]
    return bool(ref["asker"] & _words_and_pairs(said))


def _says_where(clause: str) -> bool:
    """Whether the clause says where the asker works or joined ("just joined", "new at", "work for"; asker_place)."""
    return bool(reference_words()["asker_place"] & _words_and_pairs([m.group().lower() for m in words_of(clause)]))


def _words_and_pairs(said: list[str]) -> set[str]:
    """The words and two-word phrases of a clause, as the reviewed lists spell them ("just joined")."""
    return {*said, *map(" ".join, zip(said, said[1:], strict=False))}


def _opening_clause(sentence: str) -> tuple[str, str, str]:
    """The sentence split at its first comma or spaced dash ("just joined the ilo - what's the gmg?"): (head,
    separator, rest); ("", "", "") when it has neither."""
    found = re.search(r",|\s[-–—]+\s", sentence)
    if found is None:
        return "", "", ""
    return sentence[: found.start()], found.group().strip()[:1], sentence[found.end() :]


def _without_asker_tail(sentence: str, glossary: Glossary, known: Callable[[str], bool], frame: frozenset[str]) -> str:
    """The sentence without a last clause that only speaks of the asker ("ilo vs iom, what's the diff, the names
    confuse me"); not one the documents know a word of ("does unodc run a protocol on it, smuggling i mean")."""
    body, comma, tail = sentence.rpartition(",")
    if not comma or _asks(tail) or not speaks_of_asker(tail) or glossary.find(tail) or not any(
            asks_word(m.group().lower()) for m in words_of(body)):
        return sentence
    return sentence if any(map(known, content_words(tail, frame))) else body.rstrip()
