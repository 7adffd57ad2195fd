"""Requests about the last answer rather than the notes: "shorter please", "source?".

Tried as a user would: "shorter please" was read as a follow-up and answered the previous question again, word for
word (or, after a list, "The documents don't say"); "source?" did the same. Both are about the answer just given,
so they are answered from it, with no search: the shorter answer is its first cited passage cut to the sentence
the answer was built on (else the one closest to the question), the citation narrowed to that sentence's exact
span; the sources are its citations, listed. The phrases are kinds of data/social.toml ([shorter], [sources]);
with no answer to work on, that kind's reply is given; after an abstention, that nothing was quoted.
"""

from __future__ import annotations

from assistant.markers import cited_spans
from assistant.models import Citation, CitedAnswer
from assistant.social import social_kind_names
from ingest.sections import split_sentences

REQUESTS = ("shorter", "sources")  # kinds of data/social.toml
NOTHING_QUOTED = ("The last answer quoted nothing: the documents do not answer that question. The closest passages "
                  "are listed under it.")


def is_request(message: str) -> bool:
    """A message made of request phrases about the last answer (and courtesies): "shorter please", "source?"."""
    return bool(set(REQUESTS) & social_kind_names(message))


def about_last_answer(kinds: frozenset[str], last: CitedAnswer | None, message: str, core: str,
                      reader=None) -> CitedAnswer | None:
    """The reply to a message made of request phrases (`kinds`, with courtesies) about `last`, the previous
    answer, whose core question is `core`; None when the message asks nothing of it or there is nothing to work on
    (an abstention cites nothing). `reader` (answering/reader.py) picks the sentence a shorter answer keeps."""
    request = next((k for k in REQUESTS if k in kinds), None)
    if request is None or last is None:
        return None
    if last.abstained or not last.citations:  # "source?" after "the documents don't say": nothing was quoted
        return CitedAnswer(question=message, answer=NOTHING_QUOTED, social=True)
    text, citations = _shorter(last, core, reader) if request == "shorter" else _sources(last)
    return CitedAnswer(question=message, answer=text, citations=citations, standalone_question=core,
                       core_question=core, evidence=last.evidence, backend=last.backend)


def _shorter(last: CitedAnswer, core: str, reader) -> tuple[str, list[Citation]]:
    """The first cited span of the answer; when it quotes one passage of several sentences, the sentence of it
    closest to the question."""
    shown, ids = next(((t.strip(), ids) for t, ids in cited_spans(last.answer) if ids), ("", ()))
    by_id = {c.id: c for c in last.citations}
    cited = [by_id[i] for i in dict.fromkeys(ids) if i in by_id] or last.citations[:1]
    shown = shown or " ".join(cited[0].text.split())  # an answer without markers: the passage itself
    if len(cited) == 1:
        shown, cited = _one_sentence(shown, cited[0], core, reader)
    citations = [c.model_copy(update={"id": n}) for n, c in enumerate(cited, start=1)]
    return f"{shown} {''.join(f'[{c.id}]' for c in citations)}", citations


def _one_sentence(shown: str, citation: Citation, core: str, reader) -> tuple[str, list[Citation]]:
    """The sentence of `citation`'s passage the answer was built on (its `focus`; else the one closest to the
    question, else its first), shown as the reader shows a sentence ("ILO: It has pioneered …"), and the citation
    narrowed to its exact span; `shown` and the citation as they are when the passage is one sentence or the quote
    left items out ("…")."""
    spans = split_sentences(citation.text, 0, len(citation.text))
    if len(spans) < 2 or "…" in shown:
        return shown, [citation]
    best = 0
    if citation.focus is not None:  # the sentence the answer was built on, which its quote grew around
        best = next((i for i, (a, b) in enumerate(spans) if citation.start + a <= citation.focus[0]
                     < citation.start + b), 0)
    elif reader is not None:  # each sentence pooled inside its passage, as the reader compares sentences
        passage, question = reader.encoder.encode([citation.text, core])
        best = max(range(len(spans)), key=lambda i: float(passage.pooled(*spans[i]) @ question.pooled()))
    a, b = spans[best]
    text = citation.text[a:b]
    if text.rstrip().endswith(":"):  # a list's introduction says nothing without its items: the quote stays whole
        return shown, [citation]
    shown = reader.attributed(text, citation.section) if reader is not None else " ".join(text.split())
    return shown, [citation.model_copy(update={"start": citation.start + a, "end": citation.start + b,
                                               "text": text, "focus": None})]


def _sources(last: CitedAnswer) -> tuple[str, list[Citation]]:
    """Where each passage of the answer comes from: the document, its date and section, each with its marker."""
    places: dict[str, list[int]] = {}  # each document and section once, with the markers of its passages
    for c in last.citations:  # a title's brackets would read as a marker with no citation behind it
        places.setdefault(c.label().replace("[", "(").replace("]", ")"), []).append(c.id)
    listed = "; ".join(f"{label} {''.join(f'[{n}]' for n in ids)}" for label, ids in places.items())
    return f"The last answer quotes {listed}.", list(last.citations)
