"""The parts of a question that asks several things, each made to stand alone before it is read.

"When was the GMG created, and what work plan was it implementing?" is split by question.split_parts; here the
second part's 'it' becomes the body the first names, and the 'which' of "… and which cover labour rights" gets
the noun of the first part's "which agencies …".
"""

from __future__ import annotations

import re

from assistant.words import reference_words
from ingest.glossary import Glossary


def resolve_parts(parts: list[str], glossary: Glossary) -> list[str]:
    """Each part as it reads alone: 'it' / 'its' the body the previous part names, when it names none itself; a
    bare 'which' with the previous part's body noun."""
    resolved: list[str] = []
    for i, part in enumerate(parts):
        bodies = glossary.find(parts[i - 1]) if i else []
        if bodies and not glossary.find(part):
            part = re.sub(r"\b(it|they)\b", bodies[0].name, part, count=1, flags=re.I)
            part = re.sub(r"\b(its|their)\b", f"{bodies[0].name}'s", part, count=1, flags=re.I)
        resolved.append(_with_noun_of(part, resolved[-1]) if resolved else part)
    return resolved


def _with_noun_of(part: str, previous: str) -> str:
    """ "which cover labour rights" after "which agencies cover human rights": "which agencies cover labour rights"
    (a body noun of data/reference_words.txt the later 'which' leaves out; not "which one …", "which body …")."""
    nouns = reference_words()["body_nouns"] | reference_words()["relative"]
    words, before = part.split(), previous.split()
    if len(words) < 2 or len(before) < 2 or words[0].lower() != "which" or before[0].lower() != "which":
        return part
    second = words[1].lower()
    # a noun of its own ("which protocols apply?", "which of them …"): only a verb follows a bare 'which'; a plural
    # -s word is taken for a noun ("which handles refugees" after a singular "which agency" keeps its 'which')
    if second in nouns or second == "of" or second.endswith("s") or before[1].lower() not in reference_words()[
            "body_nouns"]:
        return part
    return " ".join([words[0], before[1], *words[1:]])
