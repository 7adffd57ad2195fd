"""What a message says before it asks ("I'm an evaluator. Which member covers migration statistics?") is left out
of the search and the answer when it is nothing the documents could speak to.

Said before the question, "evaluator" counted as a specific word the notes never use and sank the answer (the
reader's answerability −2.0, against 0.1 for the question alone: "The documents don't say"). A sentence that
states rather than asks is dropped when it names nothing (no body, no capitalised name: "I work for Frontex. Does
IOM cooperate with us?" keeps it) and none of its topic words occurs in the documents, and when the sentences that
ask stand on their own: "I'm looking at remittances. Which agencies work on it?" keeps both
(the topic, and a question leaning on it).
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.references import asks_word, content_words, dangling_reference, names_something, words_of
from ingest.glossary import Glossary
from ingest.sections import split_sentences


def without_preamble(message: str, glossary: Glossary, known: Callable[[str], bool],
                     frame: frozenset[str] = frozenset()) -> str:
    """The sentences of `message` that ask, when the others say nothing the documents know (`known`: whether the
    documents use a word); else `message` as it is."""
    sentences = [message[a:b] for a, b in split_sentences(message, 0, len(message))]
    asking = [s for s in sentences if _asks(s)]
    told = [s for s in sentences if not _asks(s)]
    if not asking or not told:
        return message
    question = " ".join(asking)
    if dangling_reference(question, glossary, frame) is not None:  # "Which agencies work on it?"
        return message
    # a body or any name ("I work for Frontex. Does IOM cooperate with us?") is what the question may point to
    if any(names_something(s, glossary) or any(known(w) for w in content_words(s, frame)) for s in told):
        return message
    return question


def _asks(sentence: str) -> bool:
    """A sentence with a question mark, or one that opens as a question does ("was there an older group before it")."""
    first = next(iter(words_of(sentence)), None)
    return sentence.endswith("?") or first is not None and asks_word(first.group().lower())
