"""Data behind the app's Agencies list, and the document texts ingest saved (for the document viewer).

Every GMG member (from the reviewed glossary) gets a one-line summary taken from the index: the first sentence
of the member's own section that names it, with its citation. Nothing is typed by hand. Drawing them (escaped)
is the `ui` layer's business (`ui/render.py`, `ui/chat.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document

from assistant.answering.reader import answer_candidates
from assistant.models import Citation

_DOC_ID = re.compile(r"[0-9a-f]{8,64}")
SUMMARY_MAX_WORDS = 30


@dataclass(frozen=True)
class AgencySummary:
    name: str
    full: str
    summary: str | None  # one sentence from the index, or None when the documents say nothing about it
    citation: Citation | None


def summarize_member(assistant, body) -> AgencySummary:
    """One cited sentence about `body` (a glossary Body): the first sentence of its own section that names it
    itself, so the line reads as a sentence about the agency ("ILO, the UN specialized agency on labour issues,
    has been …"), not as an attributed fragment ("UNHCR: They include …"): notes introduce a body first."""
    got = assistant.store.get(where={"section": body.name}, include=["documents", "metadatas"])
    docs = [Document(page_content=text, metadata=meta or {}, id=cid)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
    reader = assistant.answerer.reader
    docs.sort(key=lambda d: (d.metadata.get("source", ""), int(d.metadata.get("start", 0))))
    naming = [c for c in answer_candidates(reader.candidates(docs)) if assistant.glossary.mentions(c.text, body)]
    if not naming:
        return AgencySummary(body.name, body.full, None, None)
    best = min(naming, key=lambda c: (c.source, c.start))
    return AgencySummary(body.name, body.full, f"{shortened(best.text)} [1]", best.citation(1))


def shortened(sentence: str, max_words: int = SUMMARY_MAX_WORDS) -> str:
    """The sentence in at most about `max_words` words, for one line (the citation holds it whole). A sentence
    whose subject comes with a long apposition keeps its predicate, its last clause after a comma going on in lower
    case ("UNODC, as custodian of the Protocol to Prevent, … the Protocol … assists governments in their
    ratification and implementation."); other long sentences keep their opening words."""
    words = sentence.split()
    if len(words) <= max_words:
        return " ".join(words)
    clauses = " ".join(words).split(", ")
    tail = clauses[-1].split() if len(clauses) > 2 else []
    if tail and tail[0][:1].islower() and len(tail) <= max_words // 2:
        head = " ".join(words[: max_words - len(tail)]).rstrip(",;:")
        return f"{head} … {' '.join(tail)}"
    return " ".join(words[:max_words]).rstrip(",;:") + " …"


def agency_summaries(assistant, progress: Callable[[int, int], None] | None = None) -> list[AgencySummary]:
    """The Agencies view: every GMG member in glossary order, each with a cited one-line summary."""
    members = assistant.glossary.members
    out = []
    for body in members:
        out.append(summarize_member(assistant, body))
        if progress:
            progress(len(out), len(members))
    return out


def read_document(data_dir: Path, doc_id: str) -> str | None:
    """The full text ingest saved for `doc_id` (citation offsets index into it), or None if missing."""
    if not _DOC_ID.fullmatch(doc_id or ""):
        return None
    path = Path(data_dir) / "texts" / f"{doc_id}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
