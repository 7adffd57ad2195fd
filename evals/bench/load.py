"""`make load-test`: concurrent sessions against one shared assistant while the corpus is re-ingested.

    python -m evals.bench.load [--sessions 50] [--questions 25] [--reingests 2] [--query-embedder auto]
                               [--no-reload] [--json]

Everything is in a temporary folder, in this process, loopback only (no server is started): a copy of corpus/ is
ingested (as `make run` does), then the model is loaded as the app finds it (the ONNX export for the query path
and the reader, by default); one model, one Chroma store and one assistant are built once and shared by N session
threads exactly as the app's `Services` shares them (`current()` rebuilds the assistant when the manifest revision
changes; a re-ingest runs under an ingest lock and is followed by a reload). Each session asks its questions from
the golden set in order through a Conversation (assistant/conversation.py), as the app does, so multi-turn cases
are asked as follow-ups.
Meanwhile another thread re-ingests a changed corpus `--reingests` times (both notes edited near the top so most
chunk ids change, a file added, then removed) into the same store.

Reported: errors (must be 0), p50/p95/max latency (also apart for the answers that overlapped a re-ingest and
those that did not), and that every answer's citations resolve: the cited chunk id
is in the store when the answer is checked — or was deleted by a re-ingest that overlapped the question — and the
cited text equals the source text [start:end] of a version of that file the chunk was made from.
`--no-reload` keeps the first assistant (and its BM25 index) for the whole run, to show what a stale index does.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from assistant.conversation import Conversation
from assistant.services import Services
from evals.metrics import percentile

REPO = Path(__file__).resolve().parents[2]
EDITED = ("gmg-information-note-2006.txt", "srsg-gfmd-gmg-coordination-note.txt")
ADDED = "load-test-extra.txt"
EXTRA_TEXT = ("# Regional consultative processes\n\nRegional consultative processes bring governments together to "
              "discuss migration in an informal setting. IOM supports many of them with research and capacity "
              "building.\n\nThe GMG follows their work and shares lessons across regions.\n")


def golden_conversations() -> list[list[str]]:
    """Single questions and multi-turn conversations from the golden set, in file order."""
    conversations = []
    for line in (REPO / "evals" / "golden" / "gmg.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        conversations.append(list(case["turns"]) if case.get("turns") else [case["question"]])
    return conversations


class SharedAssistant(Services):
    """The app's Services (built once, shared by every session, rebuilt when the manifest revision changes after a
    re-ingest); `reload=False` keeps the first assistant forever, to show what a stale index does."""

    def __init__(self, settings, embeddings, store, reload: bool = True):
        self.reload_enabled = reload
        super().__init__(settings, embeddings, store=store)

    def current(self):
        return super().current() if self.reload_enabled else self.assistant

    def reload(self) -> None:
        if self.reload_enabled or self.assistant is None:
            super().reload()


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)  # (started, ended) of each answer
    errors: list[str] = field(default_factory=list)
    answers: int = 0
    abstained: int = 0
    citations: int = 0
    resolved: int = 0
    replaced_during_ingest: int = 0
    unresolved: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Versions:
    """Every version of every corpus file and every chunk id any index version held, for checking citations."""

    def __init__(self, corpus: Path):
        self.corpus = corpus
        self.texts: dict[str, list[str]] = {}
        self.chunks: dict[str, tuple[str, dict]] = {}
        self.ingest_windows: list[list[float]] = []
        self.lock = threading.Lock()

    def record_files(self) -> None:
        with self.lock:
            for path in sorted(self.corpus.glob("*.txt")):
                text = path.read_text(encoding="utf-8")
                known = self.texts.setdefault(path.name, [])
                if text not in known:
                    known.append(text)

    def record_chunks(self, store) -> None:
        got = store.get(include=["documents", "metadatas"])
        with self.lock:
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                self.chunks[cid] = (doc, meta or {})

    def overlapped_ingest(self, started: float, ended: float) -> bool:
        with self.lock:
            return any(a <= ended and (b is None or b >= started) for a, b in self.ingest_windows)


def check_citations(result, store, versions: Versions, started: float, ended: float, outcome: Outcome) -> None:
    cited = list(result.citations)
    if not cited:
        return
    got = store.get(ids=sorted({c.chunk_id for c in cited}), include=["documents", "metadatas"])
    live = {cid: (doc, meta or {}) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"],
                                                             strict=True)}
    present = set(live)
    for c in cited:
        problem = None
        known = live.get(c.chunk_id) or versions.chunks.get(c.chunk_id)
        if known is None:
            problem = f"chunk {c.chunk_id[:12]} was never in the index"
        else:
            doc, meta = known
            base = int(meta.get("start", -1))
            if meta.get("source") != c.source:
                problem = f"chunk {c.chunk_id[:12]} is from {meta.get('source')}, not {c.source}"
            elif base <= c.start and c.end <= int(meta.get("end", -1)) and doc[c.start - base : c.end - base] != c.text:
                problem = f"text of [{c.id}] is not its chunk's text [{c.start}:{c.end}]"
            elif not any(t[c.start : c.end] == c.text for t in versions.texts.get(c.source, [])):
                problem = f"text of [{c.id}] is not {c.source}[{c.start}:{c.end}] in any version of the file"
        with outcome.lock:
            outcome.citations += 1
            if problem:
                outcome.unresolved.append(problem)
            elif c.chunk_id in present:
                outcome.resolved += 1
            elif versions.overlapped_ingest(started, ended):
                outcome.replaced_during_ingest += 1
            else:
                outcome.unresolved.append(f"chunk {c.chunk_id[:12]} was deleted before the question was asked")


def session(shared: SharedAssistant, conversations: list[list[str]], questions: int, offset: int,
            versions: Versions, outcome: Outcome, deadline: float) -> None:
    asked, index = 0, offset
    while asked < questions and time.monotonic() < deadline:
        turns = conversations[index % len(conversations)]
        index += 1
        conversation = Conversation()
        for question in turns:
            if asked >= questions:
                break
            asked += 1
            assistant = shared.current()
            started = time.monotonic()
            try:
                result = conversation.ask(assistant, question, k=shared.settings.top_k)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with outcome.lock:
                    outcome.errors.append(f"{type(exc).__name__}: {exc} (question {question!r})")
                continue
            ended = time.monotonic()
            with outcome.lock:
                outcome.latencies.append(ended - started)
                outcome.spans.append((started, ended))
                outcome.answers += 1
                outcome.abstained += int(result.abstained)
            check_citations(result, shared.store, versions, started, ended, outcome)


def edit_corpus(corpus: Path, round_number: int) -> None:
    """Round 1: insert a paragraph near the top of both notes (offsets after it move: their chunks are replaced)
    and add a file; round 2: remove the added file and edit the notes again; and so on."""
    for name in EDITED:
        original = (REPO / "corpus" / name).read_text(encoding="utf-8")
        cut = original.index("\n\n") + 2 if "\n\n" in original else 0
        inserted = (f"Update {round_number}: the coordination arrangements were reviewed and confirmed by all "
                    f"partners in round {round_number} of the consultations.\n\n")
        (corpus / name).write_text(original[:cut] + inserted + original[cut:], encoding="utf-8")
    extra = corpus / ADDED
    if round_number % 2:
        extra.write_text(EXTRA_TEXT, encoding="utf-8")
    elif extra.exists():
        extra.unlink()


def reingester(shared: SharedAssistant, corpus: Path, rounds: int, versions: Versions, outcome: Outcome,
               pause: float, reports: list[dict]) -> None:
    for round_number in range(1, rounds + 1):
        time.sleep(pause)
        edit_corpus(corpus, round_number)
        versions.record_files()
        window = [time.monotonic(), None]
        with versions.lock:
            versions.ingest_windows.append(window)
        try:
            report = shared.ingest()
            reports.append({k: getattr(report, k) for k in ("added", "updated", "removed", "embedded", "chunks")})
        except Exception as exc:  # noqa: BLE001
            with outcome.lock:
                outcome.errors.append(f"re-ingest {round_number}: {type(exc).__name__}: {exc}")
        finally:
            versions.record_chunks(shared.store)
            window[1] = time.monotonic()


def run(sessions: int = 50, questions: int = 25, reingests: int = 2, reload: bool = True, work: Path | None = None,
        timeout_s: float = 1800.0, embeddings=None, query_embedder: str = "auto") -> dict:
    from assistant.embeddings import build_embeddings
    from assistant.indexing import run_ingest
    from assistant.settings import Settings
    from assistant.store import build_store

    own = work is None
    work = Path(work or tempfile.mkdtemp(prefix="gmg-load-"))
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(REPO / "corpus", corpus)
    settings = Settings(_env_file=None, data_dir=work / "data", corpus_dir=corpus,
                        query_embedder=query_embedder)
    given = embeddings
    embeddings = given if given is not None else build_embeddings(settings)
    store = build_store(settings, embeddings)
    run_ingest(settings, embeddings, store)  # as `make run` does, before the app starts
    if given is None and query_embedder == "auto":  # the app loads the model as it finds it after that ingest
        embeddings = build_embeddings(settings)
        store = build_store(settings, embeddings)
    versions = Versions(corpus)
    versions.record_files()
    versions.record_chunks(store)
    shared = SharedAssistant(settings, embeddings, store, reload=reload)
    conversations = golden_conversations()
    outcome, reports = Outcome(), []
    deadline = time.monotonic() + timeout_s
    started = time.monotonic()
    threads = [threading.Thread(target=session, name=f"session-{i}", daemon=True,
                                args=(shared, conversations, questions, i * 7, versions, outcome, deadline))
               for i in range(sessions)]
    # The first re-ingest starts once the sessions are under way; later ones follow each other.
    ingest_thread = threading.Thread(target=reingester, daemon=True, name="reingest",
                                     args=(shared, corpus, reingests, versions, outcome, 0.5, reports))
    for t in threads:
        t.start()
    ingest_thread.start()
    for t in [*threads, ingest_thread]:
        t.join(max(1.0, deadline - time.monotonic()))
    seconds = time.monotonic() - started
    hung = [t.name for t in [*threads, ingest_thread] if t.is_alive()]
    final_ids = set(store.get(include=[])["ids"])
    lat = outcome.latencies
    quiet = [b - a for a, b in outcome.spans if not versions.overlapped_ingest(a, b)]
    busy = [b - a for a, b in outcome.spans if versions.overlapped_ingest(a, b)]
    result = {
        "sessions": sessions, "questions_per_session": questions, "reload": reload, "query_embedder": query_embedder,
        "answers": outcome.answers, "abstained": outcome.abstained, "errors": len(outcome.errors),
        "error_samples": outcome.errors[:5], "error_types": sorted({e.split(":", 1)[0] for e in outcome.errors}),
        "hung_threads": hung, "seconds": round(seconds, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p95_ms": round(percentile(lat, 95) * 1000, 1) if lat else None,
        "max_ms": round(max(lat) * 1000, 1) if lat else None,
        "outside_ingest": latency_summary(quiet), "during_ingest": latency_summary(busy),
        "citations": outcome.citations, "citations_resolved": outcome.resolved,
        "citations_replaced_during_ingest": outcome.replaced_during_ingest,
        "citations_unresolved": len(outcome.unresolved), "unresolved_samples": outcome.unresolved[:5],
        "reingests": reports, "assistant_builds": shared.builds, "final_chunks": len(final_ids),
    }
    if own:
        shutil.rmtree(work, ignore_errors=True)
    return result


def latency_summary(seconds: list[float]) -> dict:
    """Answers, p50 and p95 in ms of one group of answers (those that overlapped a re-ingest, those that did not)."""
    if not seconds:
        return {"answers": 0, "p50_ms": None, "p95_ms": None}
    return {"answers": len(seconds), "p50_ms": round(statistics.median(seconds) * 1000, 1),
            "p95_ms": round(percentile(seconds, 95) * 1000, 1)}


def main(
    sessions: Annotated[int, typer.Option(help="Concurrent chat sessions.")] = 50,
    questions: Annotated[int, typer.Option(help="Questions each session asks.")] = 25,
    reingests: Annotated[int, typer.Option(help="Re-ingests of the corpus during the run.")] = 2,
    no_reload: Annotated[bool, typer.Option("--no-reload", help="Never rebuild the assistant (stale BM25 index).")]
    = False,
    timeout: Annotated[float, typer.Option(help="Seconds before the run is cut short.")] = 1800.0,
    query_embedder: Annotated[str, typer.Option(help="Query runtime: auto (the app's default: ONNX, exported at "
                                                "ingest), onnx or sentence-transformers.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON result.")] = False,
) -> None:
    """Concurrent sessions through the assistant's own code during re-ingests: errors, latency, citations."""
    result = run(sessions, questions, reingests, reload=not no_reload, timeout_s=timeout, query_embedder=query_embedder)
    if as_json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
        ok = result["errors"] == 0 and result["citations_unresolved"] == 0 and not result["hung_threads"]
        print(f"{result['sessions']} sessions x {result['questions_per_session']} questions, "
              f"{len(result['reingests'])} re-ingests: {result['answers']} answers, {result['errors']} errors, "
              f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; "
              f"citations {result['citations_resolved']} resolved, "
              f"{result['citations_replaced_during_ingest']} replaced by a concurrent re-ingest, "
              f"{result['citations_unresolved']} unresolved -> {'PASS' if ok else 'FAIL'}")
    if result["errors"] or result["citations_unresolved"] or result["hung_threads"]:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
