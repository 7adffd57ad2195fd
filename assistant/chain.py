"""build_assistant(settings) → Assistant: the retriever | answerer runnable and the objects behind it.

Heavy objects (embedding model, Chroma client) are built once and can be passed in, so the CLI, the app,
the evals and the tests share or swap them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.models import CitedAnswer
from assistant.retrieval import HybridRetriever, KeywordIndex
from assistant.rewrite import rewrite_followup
from assistant.settings import Settings
from ingest.glossary import Glossary
from ingest.manifest import Manifest


class EmptyIndexError(RuntimeError):
    """The collection has no chunks: the user must ingest first."""


def manifest_path(settings: Settings, collection: str) -> Path:
    return settings.data_dir / "manifests" / f"{collection}.json"


@dataclass
class Assistant:
    settings: Settings
    embeddings: object
    store: object
    glossary: Glossary
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer
    manifest: Manifest

    @property
    def chain(self) -> Runnable:
        """question dict {"question", "history"?, "k"?, "filter"?} → CitedAnswer, as a LangChain runnable."""
        return RunnableLambda(self._standalone) | RunnableLambda(self._retrieve) | RunnableLambda(self._answer)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None,
            filter: dict | None = None) -> CitedAnswer:  # noqa: A002 - LangChain's name for metadata filters
        return self.chain.invoke({"question": question, "history": history or [], "k": k, "filter": filter})

    def _standalone(self, inputs: dict) -> dict:
        question = " ".join(str(inputs["question"]).split())
        if not question:
            raise ValueError("The question is empty; type a question about the GMG notes.")
        if len(question) > self.settings.max_question_chars:
            raise ValueError(
                f"The question is {len(question)} characters long; the limit is {self.settings.max_question_chars}."
                " Shorten it (ASSISTANT_MAX_QUESTION_CHARS sets the limit)."
            )
        history = list(inputs.get("history") or [])[-self.settings.max_history_turns :]
        standalone = rewrite_followup(question, history, self.glossary)
        return {**inputs, "question": question, "standalone": standalone, "timings": {}}

    def _retrieve(self, state: dict) -> dict:
        started = time.perf_counter()
        k = min(int(state.get("k") or self.settings.top_k), 50)
        docs = self.retriever.invoke(state["standalone"], k=k, filter=state.get("filter"))
        state["timings"]["retrieve_ms"] = (time.perf_counter() - started) * 1000
        return {**state, "docs": docs}

    def _answer(self, state: dict) -> CitedAnswer:
        started = time.perf_counter()
        result = self.answerer.answer(state["standalone"], state["docs"])
        state["timings"]["answer_ms"] = (time.perf_counter() - started) * 1000
        result.question = state["question"]
        if state["standalone"] != state["question"]:
            result.standalone_question = state["standalone"]
        result.timings_ms = {k: round(v, 1) for k, v in state["timings"].items()}
        return result


def build_assistant(settings: Settings, embeddings=None, client=None, store=None) -> Assistant:
    """Wire the assistant over an existing index; raises EmptyIndexError when nothing has been ingested."""
    from assistant.embeddings import build_embeddings
    from assistant.store import build_store, collection_name

    embeddings = embeddings if embeddings is not None else build_embeddings(settings)
    store = store if store is not None else build_store(settings, embeddings, client)
    name = collection_name(settings.collection, embeddings.model_id)
    manifest = Manifest.load(manifest_path(settings, name))
    if store._collection.count() == 0:
        raise EmptyIndexError("The index is empty: run `assistant ingest` (or `make run`) to ingest the corpus first.")
    glossary = Glossary.load(settings.corpus_dir / "glossary.toml")
    keyword = KeywordIndex.load_or_build(store, settings.data_dir / "bm25" / name, manifest.revision)
    retriever = HybridRetriever(store=store, keyword=keyword, embeddings=embeddings, glossary=glossary,
                                k=settings.top_k, fusion=settings.fusion)
    answerer = ExtractiveAnswerer(embeddings, keyword, glossary, max_words=settings.answer_max_words,
                                  threshold=_threshold(settings))
    return Assistant(settings, embeddings, store, glossary, retriever, answerer, manifest)


def _threshold(settings: Settings) -> float:
    from assistant.answering.extractive import EVIDENCE_THRESHOLD

    return EVIDENCE_THRESHOLD + settings.abstain_threshold
