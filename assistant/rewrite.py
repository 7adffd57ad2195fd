"""Heuristic follow-up rewrite: resolve "it/they/its" and "what about X?" against the conversation.

Good enough for the extractive default; an LLM rewrite replaces it when an LLM backend is configured.
"""

from __future__ import annotations

import re

from ingest.glossary import Glossary

_PRONOUNS = re.compile(r"\b(it|its|they|them|their|theirs|this agency|that agency|this organization|he|she|his|her)\b",
                       re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$|^\s*and\s+(?P<y>[^?]+?)\s*\?\s*$",
                         re.I)
_POSSESSIVE = {"its", "their", "theirs", "his", "her"}


def _last_body(glossary: Glossary, history: list[tuple[str, str]]):
    """The body the conversation was last about: the latest question naming one, else the latest answer."""
    for question, answer in reversed(history):
        found = glossary.find(question)
        if found:
            return found[0], question
        found = glossary.find(answer)
        if found:
            return found[0], question
    return None, history[-1][0] if history else None


def rewrite_followup(question: str, history: list[tuple[str, str]], glossary: Glossary) -> str:
    """A standalone version of `question` given earlier (question, answer) turns; unchanged if standalone."""
    if not history:
        return question
    body, previous = _last_body(glossary, history)
    named = glossary.find(question)
    about = _WHAT_ABOUT.match(question)
    if about and previous:
        target = (about.group("x") or about.group("y") or "").strip()
        new = glossary.find(target)
        if new and body and body.name != new[0].name:
            return _replace_body(previous, body, new[0].name, glossary)
        return f"{previous.rstrip(' ?')} — {target}?"
    if named or body is None or not _PRONOUNS.search(question):
        return question

    def swap(match: re.Match) -> str:
        word = match.group(1).lower()
        return f"{body.name}'s" if word in _POSSESSIVE else body.name

    return _PRONOUNS.sub(swap, question, count=1)


def _replace_body(text: str, body, new_name: str, glossary: Glossary) -> str:
    pattern = re.compile("|".join(re.escape(s) for s in sorted(body.spellings, key=len, reverse=True)))
    replaced = pattern.sub(new_name, text, count=1)
    return replaced if replaced != text else f"{text.rstrip(' ?')} ({new_name})?"
