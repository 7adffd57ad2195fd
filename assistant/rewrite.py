"""Heuristic follow-up rewrite: resolve "it/they/he" and "what about X?" against the conversation.

Good enough for the extractive default; an LLM rewrite replaces it when an LLM backend is configured.
When a pronoun cannot be tied to a body the glossary knows (it may mean "the work plan"), the previous
question is appended as context, so retrieval and scoring see what the conversation is about.
"""

from __future__ import annotations

import re

from ingest.glossary import Glossary

_PRONOUN = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her|this|that|these|those|there)\b", re.I)
_PERSON = {"he", "him", "his", "she", "her"}
_POSSESSIVE = {"its", "their", "his", "her"}
_WH = re.compile(r"\b(who|what|when|where|which|why|how|whom|whose|does|do|is|are|did|was|were|can|could)\b", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.I)
_AND_X = re.compile(r"^\s*and\s+(?:the\s+)?(?P<x>[^?]+?)\s*\?\s*$", re.I)


def _recent_bodies(glossary: Glossary, history: list[tuple[str, str]]):
    """Bodies the conversation was about, newest first: each turn's question before its answer."""
    seen: list = []
    for question, answer in reversed(history):
        for body in glossary.find(question) + glossary.find(answer)[:1]:
            if body.name not in {b.name for b in seen}:
                seen.append(body)
    return seen


def rewrite_followup(question: str, history: list[tuple[str, str]], glossary: Glossary) -> str:
    """A standalone version of `question` given earlier (question, answer) turns; unchanged if standalone."""
    if not history:
        return question
    previous = history[-1][0]
    named = glossary.find(question)
    recent = _recent_bodies(glossary, history)
    about = _WHAT_ABOUT.match(question) or (_AND_X.match(question) if not _WH.search(question) else None)
    if about:
        target = about.group("x").strip()
        new = glossary.find(target)
        old = next((b for b in glossary.find(previous)), None)
        if new and old and old.name != new[0].name:
            return _replace_body(previous, old, new[0].name)
        return f"{previous.rstrip(' ?')}: {target}?"
    pronoun = _PRONOUN.search(question)
    if pronoun is None:
        # Elliptical follow-ups ("Since when?") borrow the previous question.
        return f"{question.rstrip()} ({previous})" if len(question.split()) <= 3 else question
    word = pronoun.group(1).lower()
    candidates = [b for b in recent if b.name not in {n.name for n in named}]
    if word in _PERSON:
        candidates = [b for b in candidates if b.name == "SRSG"] or candidates
    if candidates and word not in {"this", "that", "these", "those", "there"}:
        body = candidates[0]
        name = body.full if word in _PERSON and body.name == "SRSG" else body.name
        replacement = f"{name}'s" if word in _POSSESSIVE else name
        resolved = question[: pronoun.start()] + replacement + question[pronoun.end() :]
        # Keep the previous question as context when it was about more than the body itself
        # ("When did the GMG hold its first meeting?" → "Who chaired it?" means the meeting).
        return f"{resolved} ({previous})" if _has_own_topic(previous, glossary) else resolved
    return f"{question.rstrip()} ({previous})"


_FRAME = re.compile(r"\b(what|who|whom|when|where|which|why|how|is|are|was|were|do|does|did|the|a|an|of|on|in|"
                    r"to|for|about|tell|me|its|their|it|they|and|s|work|role|approach)\b", re.I)


def _has_own_topic(question: str, glossary: Glossary) -> bool:
    """Whether a question has content words besides the bodies it names and question framing."""
    text = question
    for body in glossary.find(question):
        for spelling in sorted(body.spellings, key=len, reverse=True):
            text = re.sub(re.escape(spelling), " ", text, flags=re.I)
    words = [w for w in re.findall(r"[A-Za-z][\w-]+", _FRAME.sub(" ", text)) if len(w) > 2]
    return len(words) >= 2


def _replace_body(text: str, body, new_name: str) -> str:
    pattern = re.compile("|".join(re.escape(s) for s in sorted(body.spellings, key=len, reverse=True)))
    replaced = pattern.sub(new_name, text, count=1)
    return replaced if replaced != text else f"{text.rstrip(' ?')} ({new_name})?"
