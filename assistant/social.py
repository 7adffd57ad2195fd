"""Greetings, thanks and questions about the assistant itself: answered without a search.

Tried as a new user would: "thanks!" was read as a fragment leaning on the conversation and answered the previous
question again, and "hi, what is this about?" got "The documents don't say". The phrases and replies are a
reviewed list (data/social.toml). A message is social only when it is made entirely of such phrases, so "hi, who
handles trafficking?" is still a question about the notes; it is searched and read without its opening ("hi, new
here - what does undp do on migration" read "hi", "new", "here" as words to find in the notes).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from assistant.words import asks_word, reference_words, words_of


@dataclass(frozen=True)
class SocialKind:
    name: str
    phrases: tuple[str, ...]  # normalised, longest first
    reply: str


@lru_cache(maxsize=1)
def social_kinds() -> tuple[SocialKind, ...]:
    """The kinds of data/social.toml, in the file's order (which decides the reply of a mixed message)."""
    text = resources.files("assistant.data").joinpath("social.toml").read_text(encoding="utf-8")
    return tuple(SocialKind(name, tuple(sorted({normalise(p) for p in spec["phrases"]}, key=len, reverse=True)),
                            spec["reply"].strip())
                 for name, spec in tomllib.loads(text).items())


def normalise(text: str) -> str:
    """Lower case, apostrophes kept, every other mark a space, spaces folded: "Thanks!!" → "thanks"."""
    return " ".join(re.sub(r"[^\w']+", " ", text.lower().replace("’", "'")).split())


def social_kind(message: str) -> SocialKind | None:
    """The kind of a message made only of social phrases, or None for a question about the notes: of the kinds its
    phrases have, the first in data/social.toml."""
    found = social_kind_names(message)
    return next((kind for kind in social_kinds() if kind.name in found), None) if found else None


def social_kind_names(message: str) -> frozenset[str]:
    """The kinds of the phrases a message is made of (empty when anything else is in it). The longest phrase is
    taken first ("good morning" is a greeting, not the acknowledgement "good" and a word left over)."""
    rest, found = normalise(message), set()
    while rest:
        match = max(((kind, p) for kind in social_kinds() for p in kind.phrases
                     if rest == p or rest.startswith(p + " ")), key=lambda m: len(m[1]), default=None)
        if match is None:
            return frozenset()
        found.add(match[0].name)
        rest = rest[len(match[1]) :].strip()
    return frozenset(found)


def social_reply(message: str, titles: list[str]) -> str | None:
    """The reply to a social message (None for a question), naming the indexed documents where it says so."""
    kind = social_kind(message)
    if kind is None:
        return None
    # A title is shown as text; brackets would read as a citation marker ("[2]") with no citation behind it.
    quoted = [f"“{t.replace('[', '(').replace(']', ')')}”" for t in titles] or ["the indexed documents"]
    documents = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    count = f"{len(titles)} document{'s' if len(titles) != 1 else ''}" if titles else "the indexed documents"
    return kind.reply.format(documents=documents, count=count)


def without_social_opening(message: str) -> str:
    """The question after the social phrases it opens with ("Hi, new here - what does UNDP do?" → "what does UNDP
    do?"); the message itself when it opens with none, or when nothing but a word or two would be left."""
    rest = message
    while True:
        match = max((m for kind in social_kinds() if kind.name in OPENINGS for p in kind.phrases
                     if (m := _opening(p).match(rest))), key=lambda m: m.end(), default=None)
        if match is None:
            break
        rest = rest[match.end() :]
    rest = _without_bare_opener(rest)
    return rest if rest != message and len(rest.split()) >= 3 else message


def _without_bare_opener(message: str) -> str:
    """The question after interjections and a conjunction that open it with no mark ("ok and who are the members",
    "so how do unctad and ilo differ": read as a topic word or no who-question, both abstained; round-17 probes);
    data/reference_words.txt: interjections, conjunctions. A conjunction opening the message stays ("and who chairs
    it?" asks the last question of something, "since when …" pins a start), as does a message whose next word asks
    nothing ("so far …", "ok and unctad?")."""
    ref, words = reference_words(), words_of(message)
    said = [m.group().lower() for m in words]
    i = next((n for n, w in enumerate(said) if w not in ref["interjections"]), len(said))
    if 0 < i < len(said) - 1 and said[i] in ref["conjunctions"] and not asks_word(said[i]):
        i += 1
    return message[words[i].start() :] if 0 < i < len(said) and asks_word(said[i]) else message


# kinds a question may open with ("ok, and who …", "thanks! …", "yes, and …")
OPENINGS = ("greeting", "accept", "acknowledgement", "thanks", "rejection")


@lru_cache(maxsize=512)
def _opening(phrase: str) -> re.Pattern:
    """A normalised phrase at the start of a message, with the mark after it (", ", " - ", "! "); a space alone
    does not end an opening ("good practices on …", "question 3 of the note")."""
    words = r"[^\w']+".join(re.escape(w).replace("'", "['’]") for w in phrase.split())
    # a mark and then a space: "Good-practice examples …", "no. of members …" open with no social phrase; a phrase of
    # two words or more may end its sentence before a small letter ("that's not it. who chaired it in 2013?")
    stop = r"\." if len(phrase.split()) > 1 else r"\.(?=\s+(?-i:[A-Z]))"
    return re.compile(rf"(?i)\s*{words}\s*(?:[,!:;–—-]+|{stop})(?=\s)[\s,!:;–—-]*")
