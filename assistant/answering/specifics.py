"""Does a question pin a detail, and does a sentence give it? Two features of the reader's answerability model.

The evidence score alone cannot tell "What is the GMG's annual budget?" from "What is the GMG's work plan?": both
sit close to the same passages. These checks look for the kind of fact asked for: a date for "when", a period of
time for "how long", a number of the thing counted for "how many", and the words a budget, an email address, a
website… is stated with (the reviewed list in data/attribute_words.txt); and a year the corpus never mentions.
The reader asks whether any of the best sentences gives the detail; how much that weighs is fitted. The
extractive answerer then refuses an answer whose quoted passages do not give it (extractive._states_detail).
"""

from __future__ import annotations

import re

from assistant.answering.question import (
    DATE_PATTERN,
    DURATION_PATTERN,
    NUMBER_PATTERN,
    QuestionType,
    count_synonyms,
    has_evidence_word,
)

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def pins_detail(qtype: QuestionType) -> bool:
    """Whether the question asks for a kind of fact only some sentences can state."""
    return bool(qtype.when or qtype.how_long or qtype.attributes or qtype.how_many or qtype.years)


def unknown_year(question: str, keyword) -> bool:
    """The question names a year the corpus never mentions ("What did the GMG do in 2018?")."""
    return any(year not in keyword.idf for year in _YEAR.findall(question))


def gives_detail(qtype: QuestionType, text: str, keyword, glossary, dated: str = "") -> bool:
    """Whether `text` states every kind of detail the question pins (True when it pins none). `dated`: the date of
    the document `text` is from, which places every sentence of it in its year ("How many organizations were in the
    GMG in 2006?" is answered by the 2006 note's member list, which names no year)."""
    if qtype.years and not any(year in text or year in dated for year in qtype.years):
        return False  # "the GMG's contribution in 2013" and the sentence speaks of 2006
    if qtype.when and not DATE_PATTERN.search(text):
        return False
    if qtype.how_long and not (DURATION_PATTERN.search(text) or (qtype.how_long_since and (
            DATE_PATTERN.search(text) or re.search(r"\bsince\b", text, re.I)))):
        return False
    if qtype.attributes and not any(has_evidence_word(text, words) for words in qtype.attributes):
        return False  # "What is the GMG's budget?" and the sentence does not speak of money
    if qtype.how_long or not qtype.how_many:  # "for how many years …" asks a duration, checked above
        return True
    if qtype.counted:
        return counts(qtype.counted, [text], keyword, glossary)  # "How many staff …?": a number of staff
    return bool(NUMBER_PATTERN.search(_YEAR.sub(" ", text)))


def counts(counted: str, sentences: list[str], keyword, glossary) -> bool:
    """Whether a sentence has a number and the thing counted (or a word that counts the same, see the reviewed
    list and the glossary's term groups)."""
    wanted = {t for w in count_synonyms().get(counted, {counted}) for t in keyword.terms(w)}
    for group in glossary.term_groups:
        if counted in {w.lower() for w in group}:
            wanted |= {t for w in group for t in keyword.terms(w)}
    if not wanted:  # a word too common to index ("how many of them"): nothing to check against
        return True
    return any(NUMBER_PATTERN.search(_YEAR.sub(" ", t)) and wanted & set(keyword.terms(t)) for t in sentences)
