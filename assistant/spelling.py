"""Misspelt question words: "which agencies work on remmitances", "which orginisation looks at brain drain".

A misspelt word is one the corpus never uses and English barely knows (wordfreq), so both the search and the reader
miss it, and the reader even counts it against the question (a specific word no passage has). Such a word is
replaced by the closest English word that the corpus uses (difflib), when one is close enough; the question the
user sees is never changed, only what is searched and read. A rare word spelt right that the corpus lacks
("Rohingya", "covid") has no close corpus word and stays; a common one ("persecution", close to "prosecution") is
no misspelling.
"""

from __future__ import annotations

import difflib
import re
import threading
from functools import lru_cache

WORD = re.compile(r"[A-Za-z]{5,}")  # shorter words are too close to too many others
RARE_ZIPF = 3.0  # a word English uses less often than this (per billion words, log10) may be a misspelling
CLOSE = 0.85  # difflib ratio: "remmitances"/"remittances" 0.91, "developement"/"development" 0.96
ENGLISH_WORDS = 100_000  # the most frequent English words (wordfreq) a correction may be


class Speller:
    """Corrects misspelt question words against the English words the corpus uses (keyword: the BM25 index) and the
    words that frame a question ("organisation", "agency": data/question_words.txt)."""

    def __init__(self, keyword, frame: frozenset[str] = frozenset()):
        self.keyword = keyword
        self.frame = frame
        self._lock = threading.Lock()
        self._words: dict[int, list[str]] | None = None  # corpus-used English words by length
        self.correct = lru_cache(maxsize=10_000)(self._correct)

    def _correct(self, question: str) -> str:
        return WORD.sub(lambda m: self._word(m.group(0)), question)

    def _word(self, word: str) -> str:
        from wordfreq import zipf_frequency

        lower = word.lower()
        if lower in self.frame or self._used(lower) or zipf_frequency(lower, "en") >= RARE_ZIPF:
            return word
        near = [w for n in range(len(lower) - 2, len(lower) + 3) for w in self._corpus_words().get(n, ())]
        found = difflib.get_close_matches(lower, near, n=1, cutoff=CLOSE)
        return found[0] if found else word

    def _used(self, word: str) -> bool:
        return all(t in self.keyword.idf for t in self.keyword.terms(word))

    def _corpus_words(self) -> dict[int, list[str]]:
        """The frequent English words whose stem the corpus uses, by length (built at the first misspelling)."""
        with self._lock:
            if self._words is None:
                from wordfreq import top_n_list

                english = [w for w in top_n_list("en", ENGLISH_WORDS) if len(w) >= 4 and w.isalpha()]
                words: dict[int, list[str]] = {}
                for w, stem in zip(english, self.keyword.stems(english), strict=True):
                    if stem in self.keyword.idf or w in self.frame:
                        words.setdefault(len(w), []).append(w)
                self._words = words
            return self._words


def close_name(name: str, spellings: list[str]) -> str | None:
    """The spelling of a body that `name` misspells, or None: letters swapped ("UNHRC": "UNHCR"), or one doubled or
    dropped ("UNODOC": "UNODC"), as close as a misspelt word is to its correction (difflib, CLOSE) when the letters
    are compared in order or, for a swap, sorted; a changed letter only in a longer name (one in five is 0.8). Case
    is ignored; a name of fewer than three letters is none. Sorting also pairs real other bodies ("IMO": "IOM"):
    what is found is offered, never asked in place of the question."""
    if len(name) < 3:
        return None
    for key in (str.lower, _letters):
        by_key = {key(s): s for s in spellings}
        found = difflib.get_close_matches(key(name), list(by_key), n=1, cutoff=CLOSE)
        if found:
            return by_key[found[0]]
    return None


def _letters(word: str) -> str:
    return "".join(sorted(word.lower()))
