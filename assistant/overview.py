"""An overview of the documents: "summarize the 2013 note", "give me an overview".

Tried as a newcomer would: "summarize the 2013 note" got "The documents don't say" (no passage says "summary").
A question holding an overview phrase (a reviewed list, data/overview.txt) and naming no body of the glossary is
answered with each asked document's opening sentences, quoted and cited like any answer: a note's opening says
what it is about. A year in the question picks the documents whose title or date hold it; otherwise all are
summarised, each in its share of the answer's words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from langchain_core.documents import Document

from assistant.answering.extractive import ABSTAIN_TEXT
from assistant.answering.question import question_words
from assistant.answering.reader import answer_candidates
from assistant.models import CitedAnswer
from assistant.words import content_words
from ingest.glossary import Glossary

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@lru_cache(maxsize=1)
def _overview_lists() -> tuple[tuple[str, ...], frozenset[str]]:
    """(the overview phrases, longest first; the words that name the documents themselves)."""
    text = resources.files("assistant.data").joinpath("overview.txt").read_text(encoding="utf-8")
    lines = [line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    words = frozenset(w for line in lines if line.startswith("words:") for w in line[6:].split())
    return tuple(sorted((x for x in lines if not x.startswith("words:")), key=len, reverse=True)), words


def overview_phrases() -> tuple[str, ...]:
    return _overview_lists()[0]


def document_words() -> frozenset[str]:
    """The words that name the documents themselves ("note", "documents", …; data/overview.txt)."""
    return _overview_lists()[1]


_ASKS_A_FACT = re.compile(r"\b(?:who|whom|whose|which|where|when|why|how)\b", re.I)


def asks_for_overview(question: str, glossary: Glossary) -> bool:
    """An overview phrase, no body named, and no question word asking a fact ("On which website can I find an
    overview of …?" asks where)."""
    lowered = " ".join(question.lower().replace("’", "'").split())
    if glossary.find(question) or _ASKS_A_FACT.search(question):
        return False
    phrase = next((p for p in overview_phrases() if re.search(rf"(?<!\w){re.escape(p)}", lowered)), None)
    if phrase is None:
        return False
    rest = lowered.replace(phrase, " ", 1)
    return not [w for w in content_words(rest, question_words()) if w not in _overview_lists()[1]]


def _chunks(store, source: str) -> list[Document]:
    got = store.get(where={"source": source}, include=["documents", "metadatas"])
    docs = [Document(page_content=text, metadata=meta or {}, id=cid)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
    return sorted(docs, key=lambda d: int(d.metadata.get("start", 0)))


def _asked(question: str, documents: dict[str, list[Document]]) -> list[str]:
    """The sources a year in the question picks (by title or date), else all of them."""
    years = set(_YEAR.findall(question))
    picked = [src for src, chunks in documents.items() if chunks and years & set(_YEAR.findall(
        f"{chunks[0].metadata.get('title', '')} {chunks[0].metadata.get('date', '')} {src}"))]
    return picked or list(documents)


def overview_answer(question: str, store, reader, sources: list[str], max_words: int) -> CitedAnswer:
    """Each asked document's opening sentences (in order, within its share of `max_words`), cited."""
    documents = {src: chunks for src in sources if (chunks := _chunks(store, src))}
    asked = _asked(question, documents)
    if not asked:  # nothing indexed to summarise (an unreadable manifest, a document without chunks)
        return CitedAnswer(question=question, answer=ABSTAIN_TEXT, abstained=True, evidence=-10.0)
    share = max(max_words // len(asked), 15)
    sentences, citations = [], []
    for src in asked:
        chunks = documents[src]
        opening = sorted(answer_candidates(reader.candidates(chunks[:3])), key=lambda c: c.start)
        title = chunks[0].metadata.get("title", src).split(":")[0].strip()  # its short form: the citation has all
        date = chunks[0].metadata.get("date")
        used, lead = 0, f"“{title}”" + (f" ({date})" if date else "") + ": "
        for cand in opening:
            words = len(cand.display.split())
            if used and used + words > share:
                break
            citations.append(cand.citation(len(citations) + 1))
            sentences.append(f"{lead}{cand.display} [{len(citations)}]")
            used, lead = used + words, ""
    if not sentences:
        return CitedAnswer(question=question, answer=ABSTAIN_TEXT, abstained=True, evidence=-10.0)
    return CitedAnswer(question=question, answer=" ".join(sentences), citations=citations, evidence=0.0)
