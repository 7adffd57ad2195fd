"""What a question asks for: its expected answer type and its content terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from wordfreq import zipf_frequency

# up to two words between "which" (or "what": "what bodies are in the gmg?", not "what kind of body is it?") and the
# noun ("which other gmg members …"), not a verb ("which countries are members"); or a capitalised name of up to four
# words ("which Global Migration Group members …", as a rewrite puts it); opening the question or after a topic set
# off by a dash or colon ("remittances - which gmg members work on them", round-22 probe), as _WHEN below
_WHO = re.compile(r"(?:^|\s-+\s|\s*[–—]\s*|:\s)\s*(?:and\s+)?"
                  r"(?:who|whom|whose|(?:which|what(?!\s+(?:kind|kinds|type|types|sort|sorts)\b))\s+"
                  r"(?:(?:(?!(?:are|is|was|were|do|does|did|has|have)\b)[\w-]+\s+){0,2}|(?-i:[A-Z][\w-]*\s+){1,4})"
                  r"(?:agency|agencies|organi[sz]ation|organi[sz]ations|body|bodies|member|members|"
                  r"entity|entities|office))\b", re.I)
# "list all the members", "name every member agency": which bodies, as "who is in it?" asks (round-21 probe: "List
# every member of the Global Migration Group." quoted what the group is)
_WHO_ANYWHERE = re.compile(r"\b(?:who|whom|which agency|which organi[sz]ation|which body|which un agency)\b"
                           r"|\b(?:list|name)\s+(?:(?:all|every|each|the|its|their|of)\s+)*"
                           r"(?:members?|agencies|organi[sz]ations|bodies)\b", re.I)
# "when" opening the question, or asking after a topic set off by a dash or colon ("the factbook - when did that come
# out?"; not "… - when refugees arrive, who …"), or asked for ("can you tell me when …", "where and when is …?")
_WHEN = re.compile(r"^\s*(?:and\s+)?(?:when|(?:in\s+)?(?:what|which) year|since when|what date|on what date)\b"
                   r"|(?:\s-+\s|\s*[–—]\s*|:\s)(?:when\s+(?:did|does|do|was|were|is|are|will|has|have)"
                   r"|(?:what|which) year)\b"
                   r"|\b(?:tell me|where and) when\b", re.I)
# "figures on how many migrants …", "data about how much …": the count is what the figures are about, not asked
# ("About how many agencies …?", "On how many occasions …?" open the question and ask it)
_HOW_MANY = re.compile(r"(?<!\w\son\s)(?<!\w\sabout\s)\bhow\s+(?:many|much)\b|\bnumber of\b", re.I)
_COUNTED = re.compile(r"\bhow\s+many\s+((?:[\w-]+\s+){0,3}[\w-]+)", re.I)  # "how many UN agencies are …"
# Words that end the counted noun phrase ("how many UN agencies | are in the GMG?").
_PHRASE_END = frozenset("are is were was do does did have has had can could will would should may might must "
                        "in of on at for to from by with and or make made work live there exist currently".split())
_HOW_LONG = re.compile(r"\bhow\s+long\b|\bfor\s+how\s+many\s+(?:years|months|weeks|days)\b", re.I)
# "How long has the ILO worked on …?" is answered by a start: "since 1919", "established in April 2003".
_HOW_LONG_SINCE = re.compile(r"\bhow\s+long\s+(?:has|have|had)\b|\bhow\s+many\s+years\s+(?:has|have|had)\b", re.I)
_YEARS = re.compile(r"\b((?:1[89]|20)\d\d)\b(\s+(?:information\s+)?(?:notes?|documents?)\b)?", re.I)
_TIME_UNITS = frozenset({"years", "months", "weeks", "days", "hours", "decades"})
_LIST = re.compile(r"\b(?:list|what are|who are|name the|which are|name them|which ones)\b", re.I)
# Nouns that ask for a list, unless the question counts them ("How many members …?" asks for a number).
_LIST_NOUN = re.compile(r"\b(?:members|areas|purposes|objectives)\b", re.I)
NAME_ZIPF = 3.0  # a word rarer than this in English (wordfreq Zipf: "gmg" 2.2, "unhcr" 2.9, "agency" 4.9) is a name
PLURALS = frozenset({"people", "children", "women", "men"})  # plural nouns without an -s
# "Which agency …", "which UN body …": "which" before a singular word asks for one thing, not a list of them.
_WHICH_ONE = re.compile(
    r"\bwhich\s+(?:(?:UN|U\.N\.|other|another|main|key)\s+)*(?!is\b|was\b|has\b|does\b|did\b|of\b|one\b|\d|(?:two|three|four|five|six|seven|eight|"
    r"nine|ten|several|few|many)\b)([a-z]+)\b(?!\s+(?:or|and)\b)", re.I)

DURATION_PATTERN = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a|an|half)\s+(?:\w+\s+)?(?:years?|months?|"
    r"weeks?|days?|hours?)\b|\b(?:annual|annually|yearly|biennial|monthly|weekly|daily)\b", re.I)
# A year names a date, not the "post-2015" agenda ("when did Sutherland die?" was answered with his post-2015 work).
DATE_PATTERN = re.compile(
    r"(?<!post-)(?<!pre-)\b(?:1[89]\d\d|20\d\d)\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b", re.I)
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
NUMBER_PATTERN = re.compile(rf"\b\d+\b|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.I)


def number_value(word: str) -> int | None:
    """ "5" → 5, "five" → 5 (NUMBER_WORDS); None for any other word."""
    lowered = word.lower()
    return int(lowered) if lowered.isdigit() else NUMBER_WORDS.index(lowered) + 1 if lowered in NUMBER_WORDS else None


def stated_count(text: str) -> int | None:
    """The count a list's introduction states ("in the following five areas:", "consists of 10 organizations …:"):
    the last number in it from 2 to 12 (a year is no count)."""
    values = [number_value(m.group()) for m in NUMBER_PATTERN.finditer(text)]
    return next((v for v in reversed(values) if 2 <= v <= 12), None)


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    text = resources.files("assistant.data").joinpath("question_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def compare_words() -> frozenset[str]:
    """Words that ask to compare the bodies a question names ("difference", "versus"): data/compare_words.txt."""
    text = resources.files("assistant.data").joinpath("compare_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def _attribute_lines() -> tuple[str, ...]:
    """The lines of data/attribute_words.txt that are not comments or blank, read once."""
    text = resources.files("assistant.data").joinpath("attribute_words.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _listed(marker: str) -> list[list[str]]:
    """The comma-separated words of each line opening with `marker` ("=", "~"), lower case."""
    return [[w.strip().lower() for w in line[1:].split(",")] for line in _attribute_lines() if line.startswith(marker)]


@lru_cache(maxsize=1)
def attribute_words() -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
    """(words a question asks with, evidence words a passage must hold) per line of data/attribute_words.txt."""
    rules = []
    for line in _attribute_lines():
        if line.startswith(("=", "~")):
            continue
        asked, evidence = line.split("|")
        rules.append((frozenset(w.strip().lower() for w in asked.split(",")),
                      tuple(w.strip().lower() for w in evidence.split(","))))
    return tuple(rules)


@lru_cache(maxsize=1)
def askers_own() -> frozenset[str]:
    """The words after which an attribute word is the asker's own ("~" lines of data/attribute_words.txt)."""
    return frozenset(w for words in _listed("~") for w in words)


@lru_cache(maxsize=1)
def count_synonyms() -> dict[str, frozenset[str]]:
    """noun → the nouns that count the same thing ("=" lines of data/attribute_words.txt)."""
    groups = [frozenset(words) for words in _listed("=")]
    return {word: group for group in groups for word in group}


def counted_noun(question: str) -> str | None:
    """The head noun of "how many …": "How many UN agencies are in the GMG?" → "agencies"; None for periods
    of time ("how many years", a duration) and when nothing is counted."""
    m = _COUNTED.search(question)
    if not m:
        return None
    words: list[str] = []
    for word in m.group(1).lower().split():
        if word in _PHRASE_END:
            break
        words.append(word)
    # The phrase may run on into its verb: "how many experts sit", "how many people attended": its last plural noun
    # (longer than "its", "this") is what is counted, else the word before a verb in -ed.
    nouns = [w for w in words if w in PLURALS or len(w) > 4 and is_plural(w)]
    if len(words) > 1 and nouns:
        words = words[: words.index(nouns[-1]) + 1]
    elif len(words) > 1 and words[-1].endswith("ed") and not words[-2].endswith("ly"):  # "internally displaced"
        words.pop()
    if not words or any(w in _TIME_UNITS for w in words):
        return None
    return words[-1]


def has_evidence_word(text: str, evidence: tuple[str, ...]) -> bool:
    """Whether `text` holds one of the evidence words (a trailing * matches a prefix; symbols match anywhere)."""
    lowered = text.lower()
    words = set(re.findall(r"[\w$€@-]+", lowered))
    words |= {part for w in words if "-" in w for part in w.split("-")}  # "Geneva-based", "co-financed"
    for word in evidence:
        if word.endswith("*"):
            if any(w.startswith(word[:-1]) for w in words):
                return True
        elif not word.isalnum():
            if word in lowered:
                return True
        elif word in words:
            return True
    return False


@dataclass(frozen=True)
class QuestionType:
    who: bool
    when: bool
    how_many: bool
    wants_list: bool
    how_long: bool = False  # a duration: a passage without a number or a period of time cannot answer it
    how_long_since: bool = False  # "how long has …": a start ("since 1919") answers it too
    counted: str | None = None  # "How many staff …?" → "staff": the count must be of that
    attributes: tuple[tuple[str, ...], ...] = ()  # evidence words of each attribute asked (budget, email, …)
    years: tuple[str, ...] = ()  # years the question names ("What did the GMG contribute in 2013?")
    one: bool = False  # "Which agency …?": one thing asked for, which a list of many does not answer

    @classmethod
    def of(cls, question: str) -> QuestionType:
        own = without_carried(question)  # "since when? (who's the srsg on migration)" asks when, not who
        asker = own if own != question and (_WHEN.search(own) or _HOW_MANY.search(own)) else question
        how_many = asks_how_many(question)
        return cls(
            who=bool(_WHO.search(asker) or _WHO_ANYWHERE.search(asker)),
            when=bool(_WHEN.search(question)),
            how_many=how_many,
            wants_list=bool(_LIST.search(question)
                            or _LIST_NOUN.search(question) and not _HOW_MANY.search(question)),
            how_long=bool(_HOW_LONG.search(question)),
            how_long_since=bool(_HOW_LONG_SINCE.search(question)),
            counted=counted_noun(question) if how_many else None,
            attributes=tuple(evidence for asked, evidence in attribute_words() if _asks_with(asked, question)),
            years=_pinned_years(question),
            one=asks_for_one(question),
        )


def _which(question: str) -> tuple[re.Match, str] | None:
    """The opening "which <noun>" of a question and what it asks for ("Which Global Migration Group members deal
    with data?" → "Global Migration Group members"); None for other questions, a bare "who …" among them."""
    found = _WHO.match(question)
    words = found.group().split() if found else []
    words = words[1:] if words[:1] and words[0].lower() == "and" else words
    return (found, " ".join(words[1:])) if len(words) > 1 and words[0].lower() in ("which", "what") else None


def who_phrase(question: str) -> str | None:
    """What a "which …" question asks for (`_which`)."""
    which = _which(question)
    return which[1] if which else None


def asks_how_many(question: str) -> bool:
    """Whether the question asks for a number; not "which body counts how many migrants there are", where the count
    is what the body does (round-20 probe: it abstained for want of a number). "who chairs it and how many are
    there?" still asks for one."""
    count, which = _HOW_MANY.search(question), _which(question)  # "which body …", not a bare "who …" (review)
    found = which[0] if which else None
    between = question[found.end() : count.start()] if found and count and found.end() <= count.start() else None
    # set off by a mark or "and": a question of its own ("who is in the GMG, how many agencies?")
    return bool(count) and (between is None or any(c in between for c in ",;:-–—(&?") or bool(
        _PART_SPLIT.search(question, found.end(), count.end())))


def _pinned_years(question: str) -> tuple[str, ...]:
    """The years a question names; not those naming two documents it compares ("what do the 2006 note and the 2013
    note say about the GMG?"). One document's year ("what does the 2013 note say about UNDP?") stays: the answer
    must come from a document of that year, or state it."""
    years = [(m.group(1), bool(m.group(2))) for m in _YEARS.finditer(question)]
    naming = [y for y, names_document in years if names_document]
    return tuple(y for y, names_document in years if not (names_document and len(naming) > 1))


def _asks_with(asked: frozenset[str], question: str) -> bool:
    """Whether the question uses one of the words (or phrases: "this year") an attribute is asked with."""
    lowered = question.lower()
    words = re.findall(r"[a-z-]+", lowered)
    # "My director wants to know how …": the asker's director is not asked for
    own = {w for before, w in zip(["", *words], words, strict=False) if before not in askers_own()}
    return bool(asked & own) or any(
        " " in phrase and re.search(rf"\b{re.escape(phrase)}\b", lowered) for phrase in asked)


def asks_for_one(question: str) -> bool:
    """ "Which agency looks after refugees?", "which UN body counts migrants?": "which" before a singular noun. A
    name before the noun ("which gmg members …", "which unhcr office …") is passed over: English barely knows it."""
    found = _WHICH_ONE.search(question)
    if not found or _LIST.search(question):
        return False
    noun = found.group(1).lower()
    following = question[found.end(1):].split(maxsplit=1)
    if following and following[0].isalpha() and zipf_frequency(noun, "en") < NAME_ZIPF:
        noun = following[0].lower()
    return not is_plural(noun)


def without_s(word: str) -> str:
    """The word without its "'s" ("UNHCR's", "who's", "it's")."""
    return word[:-2] if word.endswith(("'s", "’s")) else word


def is_plural(noun: str) -> bool:
    return noun in PLURALS or noun.endswith("s") and not noun.endswith("ss")


WH_START = (r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|has|have|had|can|could|"
            r"will|would|should|may|might|must)\b")
_PART_SPLIT = re.compile(rf"(?:,\s*and\s+|\?\s+|;\s*|\.\s+|\s+and\s+)(?={WH_START})", re.I)
_BOTH_DOCS = re.compile(r"\b(?:both|two|each of the|the two|all)\s+(?:notes|documents|texts|papers)\b"
                        r"|\bthe\s+(?:1[89]|20)\d\d\s+(?:information\s+)?(?:note|document)\s+and\s+the\s+"
                        r"(?:1[89]|20)\d\d\s+(?:information\s+)?(?:note|document)\b", re.I)


def split_parts(question: str) -> list[str]:
    """The sub-questions of a multi-part question ("When was X created, and what plan …?"), in order.

    A leading statement ("The notes mention two dialogues. When were they held?") is kept with the part
    that follows it. A single question comes back as a one-item list.
    """
    pieces = [p.strip(" ,;") for p in _PART_SPLIT.split(question) if p and p.strip(" ,;?.")]
    parts: list[str] = []
    carry = ""
    for piece in pieces:
        if not re.match(WH_START, piece, re.I):
            carry = f"{carry} {piece}".strip()
            continue
        parts.append(f"{carry} {piece}".strip() if carry else piece)
        carry = ""
    if carry:
        parts = parts[:-1] + [f"{parts[-1]} {carry}"] if parts else [carry]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [question]


def asks_about_each_document(question: str) -> bool:
    return bool(_BOTH_DOCS.search(question))


def without_document_phrase(question: str) -> str:
    """ "How do the two notes describe X?" → "How do describe X?": the phrase is not the topic."""
    return _BOTH_DOCS.sub(" ", question)


def carried_question(searched: str, asked: str) -> str | None:
    """The earlier question a follow-up was read with ("when did that start? (gfmd - what is it?)" → "gfmd - what is
    it?"), None when `searched` carries none. The user's own words hold no bracket when one was carried."""
    if "(" in asked or not searched.endswith(")") or " (" not in searched:
        return None
    return searched[searched.index(" (") + 2 : -1]


def without_carried(searched: str) -> str:
    """`searched` without the earlier question a follow-up was read with, in brackets at its end."""
    return searched[: searched.index(" (")] if searched.endswith(")") and " (" in searched else searched


def is_name(text: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] is written as a name: capitalised where a sentence does not start
    ("Germany", "UNICEF"; not "¿Qué", nor "Hi"), an acronym of three letters or more or a word of four or more
    ("NY", "GA", "Mar" may shorten what the notes spell out), in a sentence that asks, when the message asks
    anything ("what does undp do? I'm from Kenya."), and in a message not written in capitals throughout."""
    word, before = text[start:end], text[:start].rstrip()
    if not word[:1].isupper() or not before or before[-1] in ".?!:;-–—\"“(¿¡…":
        return False
    letters = word.removesuffix("s") if word.isupper() or word[:-1].isupper() else word
    if len(letters) < (3 if letters.isupper() else 4):
        return False
    stop = next((i for i in range(end, len(text)) if text[i] in "?!" or text[i] == "." and text[i + 1 : i + 2]
                 in ("", " ", "\n")), len(text))  # where the word's sentence ends ("10.7.2" goes on)
    if "?" in text and (stop == len(text) or text[stop] != "?"):
        return False
    words = [w for w in text.split() if w[:1].isalpha()]
    return sum(w[:1].isupper() for w in words) * 4 <= len(words) * 3


def whole_word(text: str, start: int, end: int) -> str:
    """The word at text[start:end] with the parts a hyphen joins to it: "Director-General", not "Director"."""
    def joined(i: int) -> bool:  # text[i] belongs to the word: a letter or digit, or a hyphen between two
        return text[i].isalnum() or text[i] == "-" and 0 < i < len(text) - 1 and text[i - 1].isalnum() \
            and text[i + 1].isalnum()

    while start > 0 and joined(start - 1):
        start -= 1
    while end < len(text) and joined(end):
        end += 1
    return text[start:end]
