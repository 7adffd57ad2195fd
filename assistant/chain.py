"""build_assistant(settings) → Assistant: the rewrite | retrieve | answer runnable and the objects behind it.

Heavy objects (embedding model, Chroma client, chat model) are built once and can be passed in, so the CLI,
the app, the evals and the tests share or swap them. With ASSISTANT_LLM set, the chat model writes the answers
(checked, see answering/llm.py) and rewrites follow-ups; the extractive answerer stays as gate and fallback.
`chain.invoke` returns a CitedAnswer; `chain.stream` yields Events (the rewritten question, checked answer
text) and ends with the CitedAnswer.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from assistant.answering.calibration import Calibration, calibrate, code_digest, near_miss_probes, reader_key
from assistant.answering.calibration import load as load_calibration
from assistant.answering.calibration import save as save_calibration
from assistant.answering.evidence import model_time
from assistant.answering.example_questions import EXAMPLE_QUESTIONS, AskedIndex, ExampleQuestions
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import Event, LLMAnswerer, LLMRewriter, RewriteRejected, final
from assistant.answering.question import question_words
from assistant.answering.reader_model import load_model
from assistant.antecedents import with_heads_named
from assistant.document_scope import scope_of
from assistant.markers import marker_ids, span_ends
from assistant.models import CitedAnswer
from assistant.offers import offered
from assistant.others import excluded_bodies
from assistant.overview import asks_for_overview, overview_answer
from assistant.preamble import without_preamble
from assistant.retrieval import HybridRetriever, KeywordIndex
from assistant.rewrite import Rewrite, rewrite_followup
from assistant.settings import Settings
from assistant.social import social_reply, without_social_opening
from assistant.spelling import Speller
from assistant.store import store_errors
from ingest.chroma_collection import chunk_count, name_of
from ingest.glossary import Glossary
from ingest.manifest import Manifest


class EmptyIndexError(RuntimeError):
    """The collection has no chunks: the user must ingest first."""


def manifest_path(settings: Settings, collection: str) -> Path:
    return settings.data_dir / "manifests" / f"{collection}.json"


def pull_shared_state(settings: Settings, store) -> bool:
    """With a Chroma server: take the manifest and texts another host's ingest published there when they are of a
    newer index revision (ingest/shared_state.py), so replicas need no shared data folder. Returns whether it did."""
    if not settings.chroma_host:
        return False
    from ingest.shared_state import pull

    name = name_of(store)
    return pull(store, manifest_path(settings, name), settings.data_dir / "texts", shared_extras(settings, name))


def shared_extras(settings: Settings, collection: str) -> dict[str, Path]:
    """The files a replica takes with the index revision: its abstention calibration (computing it costs a few
    dozen questions, each replica would otherwise repeat them)."""
    return {"calibration": profile_path(settings, collection)}


def profile_path(settings: Settings, collection: str) -> Path:
    return settings.data_dir / "profiles" / f"{collection}.json"


class _AnswerStep(Runnable[dict, Any]):
    """The last step of the chain: invoke → CitedAnswer; stream → Events, then the CitedAnswer."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> CitedAnswer:  # noqa: A002
        return final(self.assistant._answer_events(input))

    def stream(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any):  # noqa: A002
        yield from self.assistant._answer_events(input)


@dataclass
class Assistant:
    settings: Settings
    embeddings: object
    store: object
    glossary: Glossary
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer
    manifest: Manifest
    llm: LLMAnswerer | None = None
    rewriter: LLMRewriter | None = None
    speller: Speller | None = None  # misspelt question words, corrected for the search (spelling.py)

    def __post_init__(self) -> None:
        self.speller = self.speller or Speller(self.answerer.keyword, question_words())

    @property
    def backend(self) -> str:
        """What writes the answers: "extractive" or the configured model (e.g. "ollama:llama3.2")."""
        return self.llm.label if self.llm is not None else "extractive"

    def keep_token_vectors(self, previous: Assistant | None) -> None:
        """Take over `previous`'s cache of token vectors (keyed by the text itself, so valid in any index
        revision): after a re-ingest, the passages that did not change are not encoded again."""
        if previous is not None and previous.embeddings is self.embeddings:
            self.answerer.reader.encoder = previous.answerer.reader.encoder

    def extractive_only(self) -> Assistant:
        """The same assistant without the model (for bulk work such as the app's Agencies view)."""
        return replace(self, llm=None, rewriter=None)

    @property
    def chain(self) -> Runnable:
        """question dict {"question", "history"?, "k"?, "filter"?, "mode"?} → CitedAnswer, as a LangChain runnable.

        "mode": None (the configured backend) or "extractive" (no model for this question)."""
        return RunnableLambda(self._standalone) | RunnableLambda(self._retrieve) | _AnswerStep(self)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
            filter: dict | None = None, mode: str | None = None) -> CitedAnswer:  # noqa: A002
        """One question. `history`: earlier (core question, answer) turns, for a follow-up; a Conversation
        (assistant/conversation.py) keeps them for you."""
        with store_errors(self.settings):  # a damaged index or a server gone: one line naming the fix
            return self.chain.invoke(self._inputs(question, history, k, filter, mode))

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
               filter: dict | None = None, mode: str | None = None) -> Iterator[Event | CitedAnswer]:  # noqa: A002
        """Events as the answer is written (checked sentence by sentence), then the CitedAnswer."""
        with store_errors(self.settings):
            yield from self.chain.stream(self._inputs(question, history, k, filter, mode))

    @staticmethod
    def _inputs(question, history, k, filter, mode) -> dict:  # noqa: A002
        if mode not in (None, "extractive", "llm"):
            raise ValueError(f"Unknown answer mode {mode!r}; use 'extractive' or 'llm'.")
        return {"question": question, "history": history or [], "k": k, "filter": filter, "mode": mode}

    def _uses_llm(self, inputs: dict) -> bool:
        return self.llm is not None and inputs.get("mode") != "extractive"

    def _standalone(self, inputs: dict) -> dict:
        question = self.check_question(inputs["question"])
        state = {**inputs, "question": question, "timings": {}, "notes": [], "unavailable": None}
        social = social_reply(question, self.manifest.titles())
        if social is not None:  # "thanks!", "hi, what is this about?": nothing to search or rewrite
            return {**state, "social": social, "rewrite": None, "standalone": question}
        history = inputs.get("history")
        # "hi, new here - what does UNDP do?": the question, searched; "remmitances" as "remittances"
        asked = self.speller.correct(without_social_opening(question))
        # "what does the 2006 note say about the chair?": that note only (a caller's own filter is never narrowed)
        scoped = not inputs.get("filter")
        scope = scope_of(asked, self.store, self.manifest) if scoped else None
        if asks_for_overview(question, self.glossary) or scope and asks_for_overview(scope.question, self.glossary):
            # "summarize the 2013 note", "summarise the older note": the documents' (or that one's) openings
            return {**state, "overview": True, "rewrite": None, "standalone": question,
                    "document": scope.document.source if scope else None}
        # "I'm an evaluator. Which member covers migration statistics?": the question, searched and answered
        asked = without_preamble(asked, self.glossary, self.answerer.keyword.knows, question_words(), bool(history))
        rewrite = self.rewrite(asked, history, inputs.get("mode"), state) if history else None
        # "the forum", "the bank" in a question the conversation did not resolve: the one body they can be
        standalone = rewrite.text if rewrite else with_heads_named(asked, self.glossary)
        if scope is None and rewrite is not None and scoped:  # "and unhcr?" after "what does the
            scope = scope_of(standalone, self.store, self.manifest)  # 2006 note say about the ilo?": that note
        if scope is not None:  # searched and read without the phrase; the question and its rewrite keep it
            standalone, state["document"] = scope.without_phrase(standalone), scope.document.source
            state["notes"].append(f"Searched only “{scope.document.title}”, the document the question names.")
        # the user's own words, with "the forum" read as the body it is (what the answer must speak of)
        state["own"] = state["question"] if rewrite else with_heads_named(state["question"], self.glossary)
        # "who else?", "… apart from IOM?": the bodies set aside are left out of the search
        excluded = excluded_bodies(question, standalone, self.window(history), self.glossary)
        return {**state, "rewrite": rewrite, "standalone": standalone, "excluded": excluded}

    def check_question(self, question: str) -> str:
        """The question with whitespace folded; ValueError (a message saying what to do) when empty or too long."""
        question = " ".join(str(question).split())
        if not question:
            raise ValueError("The question is empty; type a question about the GMG notes.")
        if len(question) > self.settings.max_question_chars:
            raise ValueError(
                f"The question is {len(question)} characters long; the limit is {self.settings.max_question_chars}."
                " Shorten it (ASSISTANT_MAX_QUESTION_CHARS sets the limit)."
            )
        return question

    def window(self, history: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
        """The earlier turns a follow-up may lean on; each capped too: a pasted 1 MB "answer" in the history must
        not reach the model."""
        turns = self.settings.max_history_turns
        return [(str(q)[: self.settings.max_question_chars], str(a)[: self.settings.max_answer_chars])
                for q, a in list(history or [])[-turns:]] if turns else []

    def rewrite(self, question: str, history: list[tuple[str, str]], mode: str | None, state: dict) -> Rewrite | None:
        """The standalone form of a follow-up, None when the question stands on its own. `history`: earlier
        (core question, answer) turns, oldest first. Only a question that leans on the conversation is rewritten,
        by the model when one answers (the built-in rewrite if it fails), else by the built-in rewrite."""
        history = self.window(history)
        builtin = rewrite_followup(question, history, self.glossary, question_words(), self.answerer.keyword.share)
        if builtin is None or self.rewriter is None or not self._uses_llm({"mode": mode}):
            return builtin
        started = time.perf_counter()
        try:
            text = self.rewriter.rewrite(question, history)
            rewrite = Rewrite(text, text)
        except RewriteRejected as exc:
            rewrite = builtin
            state["notes"].append(f"The model's rewrite of the follow-up was not usable ({exc}); the built-in "
                                  "rewrite was used.")
        except Exception as exc:  # noqa: BLE001 - a failing model must not stop the answer
            rewrite = builtin
            state["unavailable"] = self.llm.describe(exc)
            state["notes"].append("The follow-up was rewritten by the built-in heuristic: the model was unavailable.")
        state["timings"]["rewrite_ms"] = (time.perf_counter() - started) * 1000
        return rewrite

    def _retrieve(self, state: dict) -> dict:
        if state.get("social") is not None or state.get("overview"):
            return {**state, "docs": []}
        started = time.perf_counter()
        asked = int(state.get("k") or self.settings.top_k)
        k = max(1, min(asked, self.settings.max_top_k))
        if asked > k:
            state["notes"].append(f"Top-k {asked} was capped to {k} passages (ASSISTANT_MAX_TOP_K).")
        # "which GMG members deal with data?" without the GMG, whose passages would crowd out the members'
        docs = self.retriever.invoke(self.answerer.without_scope(state["standalone"]), k=k,
                                     filter=self.search_filter(state))
        state["timings"]["retrieve_ms"] = (time.perf_counter() - started) * 1000
        return {**state, "docs": docs, "top_k": k}

    @staticmethod
    def search_filter(state: dict) -> dict | None:
        """The caller's filter, the document the question names, and for "who else?" no section of a body the user
        already has."""
        parts = [state.get("filter"), {"source": state["document"]} if state.get("document") else None,
                 {"section": {"$nin": list(state["excluded"])}} if state.get("excluded") else None]
        parts = [p for p in parts if p]
        return {"$and": parts} if len(parts) > 1 else parts[0] if parts else None

    def _answer_source(self, state: dict) -> Iterator[Event | CitedAnswer]:
        """What the answer step streams: a social reply, the corpus overview, the LLM's events, or the extractive
        answer (computed here, so the reader's model time is measured around this call)."""
        if state.get("social") is not None:  # no search, no model: the reply, finished like any answer
            return iter([CitedAnswer(question=state["question"], answer=state["social"], social=True)])
        if state.get("overview"):
            sources = [state["document"]] if state.get("document") else sorted(self.manifest.files)
            return iter([overview_answer(state["question"], self.store, self.answerer.reader, sources,
                                         self.settings.answer_max_words)])
        if self._uses_llm(state):
            return self.llm.stream(state["standalone"], state["docs"], unavailable=state.get("unavailable"),
                                   asked=state["question"], excluded=state["excluded"])
        alone = self.answerer.answer(state["standalone"], state["docs"], asked=state.get("own", state["question"]),
                                     excluded=state["excluded"])
        # no offer within a document's scope: a "yes" would ask the offered reading of all of them
        return iter([alone if state.get("document") else offered(self, state, alone)])

    def _answer_events(self, state: dict) -> Iterator[Event | CitedAnswer]:
        if state["rewrite"] is not None:
            yield Event("searched", state["standalone"])
        started = time.perf_counter()
        with model_time() as reader_ms:  # an LLM's stream is lazy: what it reads counts in answer_ms only
            events = self._answer_source(state)
        if reader_ms[0]:
            state["timings"]["reader_ms"] = reader_ms[0]
        result, shown, limit = None, 0, self.settings.max_answer_chars
        for event in events:
            if isinstance(event, CitedAnswer):
                result = event
            elif event.kind == "text":  # whole checked sentences while they fit; the final answer is cut there too
                shown += len(event.text)
                if shown <= limit:
                    yield event
            else:
                yield event
        result = cap_answer(result, limit)
        state["timings"]["answer_ms"] = (time.perf_counter() - started) * 1000
        result.question = state["question"]
        if state["rewrite"] is not None:
            result.standalone_question = state["rewrite"].text
            result.core_question = state["rewrite"].core
        result.timings_ms = {**{k: round(v, 1) for k, v in state["timings"].items()}, **result.timings_ms}
        result.notes = [*state["notes"], *result.notes]
        yield result


def cap_answer(result: CitedAnswer, limit: int) -> CitedAnswer:
    """`result` with its answer cut to `limit` characters: after the last [n] marker that fits (every answer
    sentence ends with its markers), or at the limit with "…" when even the first sentence is longer; citations
    the cut answer no longer uses go."""
    if len(result.answer) <= limit:
        return result
    all_ends = span_ends(result.answer)
    ends = [end for end in all_ends if end <= limit]
    answer = result.answer[: ends[-1]] if ends else result.answer[: limit - 1].rstrip() + "…"
    # A first sentence cut short still rests on the passages its markers name.
    kept = answer if ends else result.answer[: all_ends[0] if all_ends else 0]
    used = set(marker_ids(kept))
    citations = [c for c in result.citations if c.id in used]
    note = f"The answer was cut to {limit} characters (ASSISTANT_MAX_ANSWER_CHARS)."
    return result.model_copy(update={"answer": answer, "citations": citations, "notes": [*result.notes, note]})


def build_assistant(settings: Settings, embeddings=None, client=None, store=None, chat_model=None) -> Assistant:
    """Wire the assistant over an existing index; raises EmptyIndexError when nothing has been ingested and
    LLMConfigError (a RuntimeError naming the fix) when ASSISTANT_LLM cannot be used.

    `chat_model`: a LangChain chat model to answer with instead of the one settings.llm names (tests, notebooks).
    """
    from assistant.embeddings import build_embeddings
    from assistant.llm import build_chat_model
    from assistant.store import build_client, build_store

    chat_model = chat_model if chat_model is not None else build_chat_model(settings)
    if client is None and store is None:  # first: an unreachable server or a damaged index fails before the model loads
        client = build_client(settings)
    embeddings = embeddings if embeddings is not None else build_embeddings(settings)
    store = store if store is not None else build_store(settings, embeddings, client)
    with store_errors(settings):  # the first reads of the store: where a damaged page or a lost server shows
        return _wire(settings, embeddings, store, chat_model)


def _wire(settings: Settings, embeddings, store, chat_model) -> Assistant:
    from assistant.store import collection_name

    name = collection_name(settings.collection, embeddings.model_id)
    pull_shared_state(settings, store)
    manifest = Manifest.load(manifest_path(settings, name))
    if chunk_count(store) == 0:
        raise EmptyIndexError("The index is empty: run `assistant ingest` (or `make run`) to ingest the corpus first.")
    glossary = Glossary.load(settings.corpus_dir / "glossary.toml")
    keyword = KeywordIndex.load_or_build(store, settings.data_dir / "bm25" / name, manifest.revision)
    answerer = ExtractiveAnswerer(embeddings, keyword, glossary, max_words=settings.answer_max_words,
                                  model=load_model(settings.reader_model),
                                  examples=ExampleQuestions.load(settings.corpus_dir / EXAMPLE_QUESTIONS))
    examples = answerer.reader.examples
    # The example questions' vectors, saved beside the calibration by an earlier build (the ingest's): a start
    # need not encode them all again (about a second here) before its first answer.
    embedder = type(embeddings).__name__  # the ingest reads with the ONNX export, the tests with sentence-transformers
    saved = profile_path(settings, name).with_name(f"{name}.examples-{examples.digest}-{embedder}-{code_digest()}.npz")
    loaded = len(examples) > 0 and examples.load_vectors(saved)
    asked = AskedIndex.build(answerer.reader, store)
    if len(examples) and not loaded:
        _replace_saved_vectors(examples, saved, f"{name}.examples-*-{embedder}-*.npz")
    retriever = HybridRetriever(store=store, keyword=keyword, embeddings=embeddings, glossary=glossary,
                                k=settings.top_k, fusion=settings.fusion, known=frozenset(manifest.chunk_ids()) or None,
                                asked=asked)
    calibration = calibrated(settings, name, manifest, retriever, answerer)
    answerer.threshold = calibration.threshold + settings.abstain_threshold
    assistant = Assistant(settings, embeddings, store, glossary, retriever, answerer, manifest)
    if chat_model is not None:
        assistant.llm, assistant.rewriter = _llm_parts(settings, chat_model, answerer)
    return assistant


def _replace_saved_vectors(examples: ExampleQuestions, saved: Path, pattern: str) -> None:
    """Save the example questions' vectors at `saved` and remove this index's other saves for the same embedder (an
    earlier file or code); a folder that cannot be written keeps what it has."""
    examples.save_vectors(saved)
    for older in saved.parent.glob(pattern):
        if older != saved:
            with contextlib.suppress(OSError):
                older.unlink(missing_ok=True)


def _llm_parts(settings: Settings, chat_model, answerer: ExtractiveAnswerer) -> tuple[LLMAnswerer, LLMRewriter]:
    from assistant.llm import describe_failure, parse_llm

    mode, _ = parse_llm(settings.llm)
    label = settings.llm if mode != "extractive" else f"custom:{getattr(chat_model, '_llm_type', 'chat-model')}"
    llm = LLMAnswerer(chat_model, answerer, label=label, describe=partial(describe_failure, settings=settings))
    return llm, LLMRewriter(chat_model, settings.max_question_chars)


def calibrated(settings: Settings, collection: str, manifest: Manifest, retriever, answerer) -> Calibration:
    """This index's abstention threshold: saved beside it, or calibrated now (answering/calibration.py)."""
    path = profile_path(settings, collection)
    model = reader_key(answerer.model.digest, repr(answerer.glossary), answerer.reader.examples.digest)
    saved = load_calibration(path, manifest.revision, model)
    if saved is not None:
        return saved
    probes = near_miss_probes(retriever.store, manifest.chunk_ids(), answerer.keyword.terms)
    logits = [answerer.answerability(p.question, retriever.invoke(p.question, k=settings.top_k, filter=p.filter))
              for p in probes]
    near_miss = bool(probes) and probes[0].filter is not None
    k = answerer.model.calibration_k if near_miss else answerer.model.calibration_k_off_corpus
    fresh = calibrate(logits, k, manifest.revision, model, "near-miss" if near_miss else "off-corpus")
    save_calibration(path, fresh)
    return fresh
