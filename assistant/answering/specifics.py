"""Does a question pin a detail the retrieved passages lack? Then the answer is an abstention, not a nearby quote.

The evidence score alone cannot tell "What is the GMG's annual budget?" from "What is the GMG's work plan?": both
sit close to the same passages. These checks look for the kind of fact asked for: a year the corpus never
mentions, a date for "when", a period of time for "how long", a number of the thing counted for "how many", and
the words a budget, an email address, a website… is stated with (the reviewed list in data/attribute_words.txt).
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


def missing_specifics(question: str, qtype: QuestionType, ranked: list[str], keyword, glossary) -> bool:
    """True when the question asks for a detail none of the best sentences (`ranked`, best first) can give."""
    for year in re.findall(r"\b(?:19|20)\d\d\b", question):
        if year not in keyword.idf:
            return True
    leading = ranked[:3]
    if qtype.when and not any(DATE_PATTERN.search(t) for t in leading):
        return True
    if qtype.how_long and not any(DURATION_PATTERN.search(t) or (qtype.how_long_since and (
            DATE_PATTERN.search(t) or re.search(r"\bsince\b", t, re.I))) for t in leading):
        return True
    if qtype.attributes and not any(has_evidence_word(t, words) for t in leading for words in qtype.attributes):
        return True  # "What is the GMG's budget?" and no passage near the top speaks of money
    if qtype.how_many and qtype.counted and not counts(qtype.counted, ranked, keyword, glossary):
        return True  # "How many staff …?" and no sentence gives a number of staff
    return qtype.how_many and not any(NUMBER_PATTERN.search(t) for t in leading)


def counts(counted: str, sentences: list[str], keyword, glossary) -> bool:
    """Whether a sentence has a number and the thing counted (or a word that counts the same, see the reviewed
    list and the glossary's term groups)."""
    wanted = {t for w in count_synonyms().get(counted, {counted}) for t in keyword.terms(w)}
    for group in glossary.term_groups:
        if counted in {w.lower() for w in group}:
            wanted |= {t for w in group for t in keyword.terms(w)}
    if not wanted:  # a word too common to index ("how many of them"): nothing to check against
        return True
    return any(NUMBER_PATTERN.search(t) and wanted & set(keyword.terms(t)) for t in sentences)
