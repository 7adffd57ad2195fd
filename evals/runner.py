"""Run the golden set through a system (ours or the baseline) and score every case.

A system is anything with `name`, `k` (passages its answerer sees), `session()` → an object whose `ask(question)`
answers one turn of a conversation (a CitedAnswer), `ask(question)` for a single question, and
`retrieve(question, k)` → list of chunk metadata dicts (source, section, start, end, id). Our system holds its
conversations through assistant/conversation.py, exactly as the app does.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from evals.baseline import SourceTexts, TutorialBaseline
from evals.golden_io import SPLITS, GoldenCase
from evals.metrics import aggregate, score_case, score_rewrite

RETRIEVE_K = 10  # ranks scored for hit@1/hit@5/MRR


def quiet() -> None:
    """Keep library chatter (telemetry notices, model-loading bars) off the terminal."""
    import logging

    warnings.filterwarnings("ignore")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("chromadb", "sentence_transformers", "transformers", "httpx", "bm25s"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


@dataclass
class OurSystem:
    """The assistant as built by build_assistant: hybrid retrieval + the configured answerer."""

    assistant: object
    name: str = "ours"

    @property
    def k(self) -> int:
        return self.assistant.settings.top_k

    def session(self):
        """A conversation with the assistant, as the app holds one per user."""
        from assistant.conversation import Conversation

        conversation, assistant = Conversation(), self.assistant

        class _Session:
            def ask(self, question: str):
                return conversation.ask(assistant, question)

        return _Session()

    def ask(self, question: str, filter: dict | None = None):  # noqa: A002
        return self.assistant.ask(question, filter=filter)

    def retrieve(self, question: str, k: int = RETRIEVE_K, filter: dict | None = None) -> list[dict]:  # noqa: A002
        docs = self.assistant.retriever.invoke(question, k=k, filter=filter)
        return [dict(d.metadata, id=d.id, text=d.page_content) for d in docs]


@dataclass
class BaselineSystem:
    baseline: TutorialBaseline
    name: str = "baseline"

    @property
    def k(self) -> int:
        return self.baseline.k

    def session(self):
        """The tutorial keeps no conversation: each turn is asked as typed (its history is only passed along)."""
        history: list[tuple[str, str]] = []
        baseline = self.baseline

        class _Session:
            def ask(self, question: str):
                result = baseline.ask(question, history)
                history.append((question, result.answer))
                return result

        return _Session()

    def ask(self, question: str, filter: dict | None = None):  # noqa: A002
        return self.baseline.ask(question, [], filter=filter)

    def retrieve(self, question: str, k: int = RETRIEVE_K, filter: dict | None = None) -> list[dict]:  # noqa: A002
        return self.baseline.retrieve(question, k=k, filter=filter)


@dataclass
class Services:
    settings: Settings
    embeddings: object
    client: object
    store: object


def build_services(settings: Settings, embeddings=None, client=None) -> Services:
    from assistant.embeddings import build_embeddings
    from assistant.store import build_client, build_store

    embeddings = embeddings if embeddings is not None else build_embeddings(settings)
    client = client if client is not None else build_client(settings)
    return Services(settings, embeddings, client, build_store(settings, embeddings, client))


def ensure_index(services: Services, progress: bool = False) -> dict:
    """Ingest the corpus into the data dir (incremental: a no-op when the index is up to date)."""
    from assistant.indexing import run_ingest

    bar, update = _bar(progress, "ingest", "chunk")
    try:
        report = run_ingest(services.settings, services.embeddings, services.store, progress=update)
    finally:
        if bar is not None:
            bar.close()
    return {
        "chunks": report.chunks,
        "embedded": report.embedded,
        "seconds": round(report.seconds, 1),
        "failed": report.failed,
    }


def _bar(enabled: bool, desc: str, unit: str):
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def update(done: int, total: int, *_: object) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def build_ours(services: Services, **overrides) -> OurSystem:
    from assistant.chain import build_assistant

    settings = services.settings.model_copy(update=overrides) if overrides else services.settings
    return OurSystem(build_assistant(settings, services.embeddings, services.client, store=services.store))


def build_baseline(services: Services, progress: bool = False) -> BaselineSystem:
    baseline = TutorialBaseline(services.settings, services.embeddings, services.client)
    bar, update = _bar(progress, "baseline ingest", "chunk")
    try:
        baseline.ensure_index(progress=update)
    finally:
        if bar is not None:
            bar.close()
    return BaselineSystem(baseline)


def _answer_json(result) -> dict:
    data = result.to_json()
    data["evidence"] = result.evidence
    data["core_question"] = result.core_question
    return data


def _ask(session, turn: str) -> dict:
    try:
        return _answer_json(session.ask(turn))
    except Exception as exc:  # a crash is a failed case, not a failed run
        return {"question": turn, "answer": "", "abstained": False, "citations": [], "closest": [],
                "error": f"{type(exc).__name__}: {exc}"}


def _record(system, case: GoldenCase, answer: dict, latencies: list[float], source_text) -> dict:
    """Score one answer of `case` (its last turn, or one turn of a labelled conversation)."""
    searched = answer.get("standalone_question") or case.question
    try:
        retrieved = system.retrieve(searched, k=RETRIEVE_K)
    except Exception as exc:
        retrieved = []
        answer.setdefault("error", f"retrieve: {type(exc).__name__}: {exc}")
    scores, failures = score_case(case, answer, retrieved, system.k, source_text)
    if answer.get("error"):
        failures.insert(0, f"error: {answer['error']}")
        scores["passed"] = False
    return {
        "id": case.id,
        "kind": case.kind,
        "split": case.split,
        "unanswerable": case.unanswerable,
        "turns": case.turns,
        "required_facts": case.required_facts,
        "forbidden": case.forbidden,
        "expected_sources": [{"source": e.source, "section": e.section} for e in case.expected_sources],
        "answer": answer,
        "retrieved": [
            {k: m.get(k) for k in ("source", "section", "sections", "start", "end", "id")} for m in retrieved
        ],
        "latency_ms": round(latencies[-1], 1),
        "turn_latency_ms": [round(t, 1) for t in latencies],
        "scores": scores,
        "failures": failures,
    }


def run_case(system, case: GoldenCase, source_text) -> list[dict]:
    """Ask every turn in order through one conversation session. A case scored on its last turn gives one
    record; a labelled conversation gives one record per turn, each also scored on its rewrite."""
    session = system.session()
    records, latencies, earlier = [], [], []
    for number, turn in enumerate(case.turns):
        started = time.perf_counter()
        answer = _ask(session, turn)
        latencies.append((time.perf_counter() - started) * 1000)
        if case.turn_cases is not None:
            turn_case = case.turn_cases[number]
            if turn_case.scored:
                record = _record(system, turn_case, answer, latencies[-1:], source_text)
                record["turns"] = case.turns[: number + 1]
                score_rewrite(record, turn_case, earlier)
                records.append(record)
            earlier.append(answer)
    if case.turn_cases is None:
        records.append(_record(system, case, answer, latencies, source_text))
    return records


def run_system(system, cases: Sequence[GoldenCase], source_text, bar=None, on_case=None) -> dict:
    records = []
    for case in cases:
        if bar is not None:
            bar.set_postfix_str(f"{system.name} {case.id}", refresh=False)
        records.extend(run_case(system, case, source_text))
        if bar is not None:
            bar.update(1)
        if on_case is not None:
            on_case(system.name, case.id)
    return {"k": system.k, "metrics": aggregate(records),
            "splits": {split: aggregate([r for r in records if r["split"] == split]) for split in SPLITS},
            "records": records}


def run_golden(
    settings: Settings,
    cases: Sequence[GoldenCase],
    *,
    baseline: bool = True,
    progress: bool = True,
    services: Services | None = None,
    golden_path: str | Path | None = None,
    on_case=None,
) -> dict:
    """The whole evaluation: index, our system, the baseline, scored; the results.json payload.

    `on_case(system name, case id)` is called after each scored case (the app's progress bar)."""
    quiet()
    started = time.perf_counter()
    services = services or build_services(settings)
    index = ensure_index(services, progress=progress)
    systems = [build_ours(services)]
    if baseline:
        systems.append(build_baseline(services, progress=progress))
    source_text = SourceTexts(settings.corpus_dir)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cases) * len(systems), desc="eval", unit="case", file=sys.stderr)
    try:
        results = {s.name: run_system(s, cases, source_text, bar, on_case) for s in systems}
    finally:
        if bar is not None:
            bar.close()
    return {
        "meta": meta(settings, services, golden_path, index, time.perf_counter() - started, len(cases)),
        "systems": results,
    }


def meta(settings: Settings, services: Services, golden_path, index: dict, seconds: float, n: int) -> dict:
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "golden": str(golden_path) if golden_path else None,
        "cases": n,
        "corpus_dir": str(settings.corpus_dir),
        "data_dir": str(settings.data_dir),
        "collection": settings.collection,
        "embedding_model": getattr(services.embeddings, "model_id", settings.embedding_model),
        "top_k": settings.top_k,
        "fusion": settings.fusion,
        "abstain_threshold": settings.abstain_threshold,
        "answer_max_words": settings.answer_max_words,
        "index": index,
        "seconds": round(seconds, 1),
    }
