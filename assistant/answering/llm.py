"""The LLM answerer: a chat model writes the answer from numbered passages; every sentence is checked first.

Flow for one question:
1. The extractive answerer runs first. Its evidence gate decides abstention (the model is not called when the
   retrieved passages carry too little evidence), and its answer is the fallback.
2. The model gets the passages in delimited, numbered blocks marked as untrusted data (prompts/*.txt).
3. Its reply is cut into sentences as it streams; each sentence is checked (checks.py) before it is shown:
   markers that name no passage are removed, cited sentences must be supported by the passages they cite,
   uncited ones get the best-supporting passage or are left out. Citations are renumbered in order of use and
   quote the run of passage sentences that carries the answer sentence (exactly source_text[start:end]).
4. The model's "not in the documents" reply becomes an abstention. A failing model (timeout, connection
   refused, HTTP error, unreadable reply) or a reply with no supported sentence gives the extractive answer
   with a note saying so.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.answering.checks import (
    SUPPORT_METHOD,
    SUPPORT_METHOD_TEXT,
    SUPPORT_THRESHOLD,
    SentenceStream,
    SupportChecker,
    clean_sentence,
    is_refusal,
    marker_numbers,
)
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.question import question_words
from assistant.markers import strip_markers
from assistant.models import NOT_ANSWERED, Citation, CitedAnswer

REFUSAL = "The documents do not say."
ABSTAIN_TEXT = (f"{NOT_ANSWERED} The model found nothing in the retrieved passages that answers this "
                "question; the closest passages are listed for you to check.")
MAX_SENTENCES = 4
HISTORY_ANSWER_CHARS = 400


@dataclass(frozen=True)
class Event:
    """A streamed event before the final CitedAnswer: "searched" (the rewritten question) or "text" (checked
    answer text to append)."""

    kind: str
    text: str


@cache
def prompt(name: str) -> Template:
    """A prompt template shipped as package data (assistant/prompts/<name>.txt), `${field}` placeholders."""
    return Template(resources.files("assistant").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8"))


def _fence(text: str) -> str:
    """Untrusted text cannot fake the data block's delimiters."""
    return text.replace("<<<", "‹‹‹").replace(">>>", "›››").replace("[END PASSAGE", "[END-PASSAGE")


def content_text(message) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content if b)
    raise TypeError(f"unexpected message content {type(content).__name__}")


def without_reasoning(pieces: Iterable[str]) -> Iterator[str]:
    """The reply without <think>…</think> blocks (reasoning models served by Ollama, vLLM, llama.cpp)."""
    buffer, inside = "", False
    for piece in pieces:
        buffer += piece
        out = ""
        while buffer:
            if inside:
                end = buffer.find("</think>")
                if end < 0:
                    buffer = buffer[-len("</think>"):]
                    break
                buffer, inside = buffer[end + len("</think>"):], False
            else:
                start = buffer.find("<think>")
                if start < 0:
                    keep = next((k for k in range(6, 0, -1) if buffer.endswith("<think>"[:k])), 0)
                    out, buffer = out + buffer[: len(buffer) - keep], buffer[len(buffer) - keep:]
                    break
                out, buffer, inside = out + buffer[:start], buffer[start + len("<think>"):], True
        if out:
            yield out
    if buffer and not inside:
        yield buffer


def answer_messages(question: str, docs: list[Document], tag: str | None = None) -> list[BaseMessage]:
    tag = tag or secrets.token_hex(4)
    blocks = []
    for n, doc in enumerate(docs, 1):
        meta = doc.metadata
        blocks.append(prompt("passage").substitute(
            n=n, tag=tag, title=_fence(str(meta.get("title") or meta.get("source", ""))),
            section=_fence(str(meta.get("section") or "-")), text=_fence(doc.page_content.strip())).strip())
    fields = {"tag": tag, "refusal": REFUSAL, "max_sentences": MAX_SENTENCES}
    return [SystemMessage(prompt("answer_system").substitute(fields)),
            HumanMessage(prompt("answer_user").substitute(fields, passages="\n\n".join(blocks),
                                                          question=" ".join(question.split())))]


def rewrite_messages(question: str, history: list[tuple[str, str]], tag: str | None = None) -> list[BaseMessage]:
    tag = tag or secrets.token_hex(4)
    lines = []
    for asked, answered in history:
        answered = strip_markers(answered)
        if len(answered) > HISTORY_ANSWER_CHARS:
            answered = answered[:HISTORY_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines += [f"User: {_fence(' '.join(asked.split()))}", f"Assistant: {_fence(answered)}"]
    return [SystemMessage(prompt("rewrite_system").substitute(tag=tag)),
            HumanMessage(prompt("rewrite_user").substitute(tag=tag, history="\n".join(lines),
                                                           question=" ".join(question.split())))]


class RewriteRejected(ValueError):
    """The model's rewrite is not a usable question."""


class LLMRewriter:
    """Follow-up → standalone question with the model (prompts/rewrite_*.txt)."""

    def __init__(self, model: BaseChatModel, max_chars: int):
        self.model = model
        self.max_chars = max_chars

    def rewrite(self, question: str, history: list[tuple[str, str]]) -> str:
        reply = "".join(without_reasoning([content_text(self.model.invoke(rewrite_messages(question, history)))]))
        line = next((x.strip() for x in reply.strip().splitlines() if x.strip()), "")
        for prefix in ("standalone question:", "question:", "rewritten question:"):
            if line.lower().startswith(prefix):
                line = line[len(prefix):].strip()
        line = " ".join(line.strip("\"'“”` ").split())
        if not line:
            raise RewriteRejected("the model's rewrite was empty")
        if len(line) > min(self.max_chars, 3 * len(question) + 300):
            raise RewriteRejected("the model's rewrite was far longer than the question")
        return line


class _Assembler:
    """Checks sentences one by one and builds the answer text, the citations and the record of the checks."""

    def __init__(self, checker: SupportChecker, docs: list[Document], threshold: float):
        self.checker, self.docs, self.threshold = checker, docs, threshold
        self.shown: list[str] = []
        self.citations: list[Citation] = []
        self.ids: dict[tuple[int, int, int], int] = {}
        self.records: list[dict] = []
        self.removed: list[int] = []
        self.refused = False

    def add(self, raw: str) -> str | None:
        """The checked sentence as shown (with renumbered markers), or None when it is left out."""
        text = clean_sentence(raw)
        if not text:
            return None
        if is_refusal(raw):
            self.refused = True
            self.records.append({"text": text, "status": "not_in_documents"})
            return None
        numbers = marker_numbers(raw)
        valid = [n for n in numbers if 1 <= n <= len(self.docs)]
        bad = [n for n in numbers if n not in valid]
        self.removed += bad
        record: dict = {"text": text, "cited": valid, "removed_markers": bad}
        status = "supported"
        support = self.checker.support(raw, valid) if valid else None
        if support is None or not support.ok(self.threshold):
            best = self.checker.best(raw)
            if best is not None and best[1].ok(self.threshold) and not valid:
                status, support = "auto_cited", best[1]
            elif best is not None and best[1].ok(self.threshold):
                status, support = "recited", best[1]  # cited the wrong passage; another one supports it
            else:
                status = "unsupported"
        record.update(status=status, support=support.score if support else 0.0,
                      missing=support.missing if support else [])
        self.records.append(record)
        if status == "unsupported":
            return None
        ids = [self._cite(n, raw) for n in support.passages]
        record["citations"] = ids
        sentence = f"{text} {''.join(f'[{i}]' for i in dict.fromkeys(ids))}"
        self.shown.append(sentence)
        return sentence

    def _cite(self, n: int, raw: str) -> int:
        start, end = self.checker.span(n, raw)
        key = (n, start, end)
        if key not in self.ids:
            doc = self.docs[n - 1]
            meta, base = doc.metadata, int(doc.metadata.get("start", 0))
            cid = len(self.citations) + 1
            self.citations.append(Citation(
                id=cid, source=meta["source"], title=meta.get("title", meta["source"]), section=meta.get("section"),
                page=meta.get("page"), start=start, end=end, text=doc.page_content[start - base : end - base],
                date=meta.get("date"), doc_id=meta.get("doc_id", ""), chunk_id=doc.id or ""))
            self.ids[key] = cid
        return self.ids[key]

    def summary(self) -> dict:
        count = {s: sum(1 for r in self.records if r["status"] == s)
                 for s in ("supported", "auto_cited", "recited", "unsupported")}
        return {"sentences": self.records, "removed_markers": sorted(set(self.removed)),
                "unsupported": count["unsupported"], "auto_cited": count["auto_cited"], "recited": count["recited"],
                "kept": len(self.shown), "model_not_in_documents": self.refused}

    def notes(self) -> list[str]:
        s = self.summary()
        notes = []
        if s["removed_markers"]:
            marks = ", ".join(f"[{n}]" for n in s["removed_markers"])
            notes.append(f"Removed citation marker{'s' * (len(s['removed_markers']) > 1)} {marks}: "
                         f"the model cited passages that do not exist (it was given {len(self.docs)}).")
        if s["auto_cited"] or s["recited"]:
            n = s["auto_cited"] + s["recited"]
            notes.append(f"{n} sentence{'s' * (n > 1)} of the model's reply cited no passage or the wrong one; "
                         "the citation shown is the passage that supports it.")
        if s["unsupported"]:
            n = s["unsupported"]
            notes.append(f"Left out {n} sentence{'s' * (n > 1)} of the model's reply that the passages do not "
                         "support.")
        if self.refused and self.shown:
            notes.append("The model said the documents do not answer part of the question.")
        return notes


class LLMAnswerer:
    """Answers with a chat model, checked against the passages; the extractive answerer gates and backs it up."""

    def __init__(self, model: BaseChatModel, extractive: ExtractiveAnswerer, *, label: str,
                 describe: Callable[[BaseException], str] = lambda exc: f"{type(exc).__name__}: {exc}",
                 threshold: float = SUPPORT_THRESHOLD):
        self.model = model
        self.extractive = extractive
        self.label = label
        self.describe = describe
        self.threshold = threshold
        keyword = extractive.keyword
        self._ignored = {t for w in question_words() for t in keyword.terms(w)}

    def checker(self, question: str, docs: list[Document]) -> SupportChecker:
        kw = self.extractive.keyword
        return SupportChecker(question, docs, kw.terms, kw.idf, kw.max_idf, self.extractive.glossary,
                              self._ignored, self.threshold)

    def answer(self, question: str, docs: list[Document]) -> CitedAnswer:
        return final(self.stream(question, docs))

    def stream(self, question: str, docs: list[Document], *, unavailable: str | None = None,
               asked: str | None = None, excluded: tuple[str, ...] = ()) -> Iterator[Event | CitedAnswer]:
        """Checked answer text as it is written (Event "text"), then the CitedAnswer.

        The model's reply is always streamed, also for `answer`: the timeout then bounds each silence of the
        server, not the whole generation (a slow local model writing a long answer does not time out)."""
        started = time.perf_counter()
        fallback = self.extractive.answer(question, docs, asked, excluded)  # the gate: the same answer offline
        gate = {"method": SUPPORT_METHOD, "method_text": SUPPORT_METHOD_TEXT, "threshold": self.threshold,
                "evidence": round(fallback.evidence, 3), "evidence_threshold": self.extractive.threshold}
        if fallback.abstained:
            yield fallback.model_copy(update={"backend": self.label,
                                              "checks": {**gate, "model_called": False, "gate": "abstained"}})
            return
        if unavailable:
            yield self._fallback(fallback, unavailable, gate)
            return
        assembler = _Assembler(self.checker(question, docs), docs, self.threshold)
        splitter, reply, timings = SentenceStream(), [], {}
        messages = answer_messages(question, docs)
        pieces = without_reasoning(content_text(chunk) for chunk in self.model.stream(messages))  # lazy: no call yet
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - any backend failure falls back, with a note
                yield self._fallback(fallback, self.describe(exc), gate, partial="".join(reply))
                return
            timings.setdefault("model_first_token_ms", (time.perf_counter() - started) * 1000)
            reply.append(piece)
            for sentence in splitter.feed(piece):
                yield from self._show(assembler, sentence)
        for sentence in splitter.close():
            yield from self._show(assembler, sentence)
        timings["model_ms"] = (time.perf_counter() - started) * 1000
        raw = "".join(reply)
        checks = {**gate, "model_called": True, **assembler.summary(), "reply": raw}
        timings = {k: round(v, 1) for k, v in timings.items()}
        if not raw.strip():
            yield self._fallback(fallback, "the model returned an empty reply; check the model name and server.",
                                 gate)
        elif assembler.shown:
            yield CitedAnswer(question=question, answer=" ".join(assembler.shown), citations=assembler.citations,
                              evidence=fallback.evidence, backend=self.label, notes=assembler.notes(),
                              checks=checks, timings_ms=timings)
        elif assembler.refused:
            closest = [c.model_copy(update={"id": i}) for i, c in enumerate(fallback.citations, 1)]
            yield CitedAnswer(question=question, answer=ABSTAIN_TEXT, abstained=True, closest=closest,
                              evidence=fallback.evidence, backend=self.label, checks=checks, timings_ms=timings)
        else:
            note = ("Model answer withheld: no sentence of the model's reply is supported by the retrieved "
                    "passages, so this answer is quoted from the notes instead.")
            yield fallback.model_copy(update={"backend": "extractive", "notes": [note], "timings_ms": timings,
                                              "checks": {**checks, "fallback": note}})

    def _show(self, assembler: _Assembler, sentence: str) -> Iterator[Event]:
        shown = assembler.add(sentence)
        if shown is not None:
            yield Event("text", shown if len(assembler.shown) == 1 else " " + shown)

    def _fallback(self, fallback: CitedAnswer, reason: str, gate: dict, partial: str = "") -> CitedAnswer:
        note = (f"Model unavailable ({self.label}): {reason} This answer is quoted from the notes by the "
                "extractive answerer instead.")
        checks = {**gate, "model_called": True, "fallback": note}
        if partial:
            checks["partial_reply"] = partial
        return fallback.model_copy(update={"backend": "extractive", "notes": [note], "checks": checks})


def final(events: Iterable[Event | CitedAnswer]) -> CitedAnswer:
    """The CitedAnswer at the end of a stream of events."""
    result = None
    for event in events:
        if isinstance(event, CitedAnswer):
            result = event
    if result is None:
        raise RuntimeError("the answer stream ended without an answer")
    return result
