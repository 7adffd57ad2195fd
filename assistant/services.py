"""The process-wide objects one app process shares between its sessions (ui/services.py builds one per config).

Embedding model, Chroma client and store, feedback store, and the assistant over them: built once, rebuilt when
the index revision changes under it (a CLI ingest, another replica), re-ingested under a lock. `evals.bench.load`
drives this same class with many sessions at once.
"""

from __future__ import annotations

import logging
import threading
import time

from assistant.agencies import agency_summaries
from assistant.answering.example_questions import EXAMPLE_QUESTIONS
from assistant.conversation_store import ConversationStore
from assistant.feedback import FeedbackStore
from assistant.settings import Settings
from assistant.who_does_what import build_map

log = logging.getLogger(__name__)
SERVER_POLL_SECONDS = 2.0  # with a Chroma server: how often a question asks it whether another host ingested


class Services:
    """Embedding model, Chroma store, feedback store, and the assistant over them (None while the index is empty)."""

    def __init__(self, settings: Settings, embeddings=None, client=None, store=None):
        from assistant.embeddings import build_embeddings
        from assistant.store import build_client, build_store, collection_name

        self.settings = settings
        # The client first: an unreachable server or a damaged index fails before the model loads.
        self.client = client if client is not None or store is not None else build_client(settings)
        self.embeddings = embeddings if embeddings is not None else build_embeddings(settings)
        self.store = store if store is not None else build_store(settings, self.embeddings, self.client)
        self.collection = collection_name(settings.collection, self.embeddings.model_id)
        self.feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
        self.conversations = ConversationStore(settings.data_dir / "conversations.sqlite3",
                                               settings.conversation_retention_days)
        self.lock, self.ingest_lock, self.jobs_lock = threading.RLock(), threading.Lock(), threading.Lock()
        self.pull_lock, self._polled_at = threading.Lock(), 0.0
        self._manifest_seen: tuple | None = None  # (file stamp, revision) of the manifest last read
        self.assistant, self.empty_message, self._jobs, self.builds = None, None, {}, 0
        self.reload()

    def reload(self) -> None:
        """(Re)build the assistant over the shared model and store, so the BM25 index and manifest reload.
        The new one replaces the old in one assignment: sessions holding the old one finish with it."""
        from assistant.chain import EmptyIndexError, build_assistant

        with self.lock:  # one build at a time
            stamp = self._corpus_data_stamp()  # before the build reads it: an edit during the build rebuilds again
            try:
                fresh, message = build_assistant(self.settings, self.embeddings, self.client, store=self.store), None
            except EmptyIndexError as exc:
                fresh, message = None, str(exc)
            if fresh is not None:
                fresh.keep_token_vectors(self.assistant)
            self.empty_message = message  # first: a reader that sees assistant None finds the reason set
            self._built_for = (fresh.manifest.revision if fresh else -1, stamp)
            self.assistant = fresh
            self.builds += 1

    def current(self):
        """The assistant (None while the index is empty), rebuilt if the index changed under it (a CLI ingest,
        another replica). While one session rebuilds it, the others keep answering with the one they have
        instead of queueing behind the build (a few seconds at 100k chunks)."""
        from assistant.chain import manifest_path

        self._pull_from_server()
        revision = self._index_revision(manifest_path(self.settings, self.collection))
        # A glossary edit that re-chunks nothing (a [[terms]] synonym) leaves the revision alone, yet the
        # assistant's query expansion and the Who does what topics come from it: it counts as a change too.
        wanted = (revision, self._corpus_data_stamp())
        assistant = self.assistant
        if assistant is not None and self._built_for == wanted:
            return assistant
        if not self.lock.acquire(blocking=assistant is None):
            return assistant  # being rebuilt right now
        try:
            if self.assistant is None or self._built_for != wanted:
                self._rebuild(wanted)
            return self.assistant
        finally:
            self.lock.release()

    def _index_revision(self, path) -> int:
        """The saved manifest's revision, read again only when the file changed (it is replaced whole on every
        save): at 100k chunks parsing it takes tens of milliseconds, too much for every question."""
        from ingest.manifest import Manifest

        try:
            st = path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        known = self._manifest_seen
        if stamp is not None and known is not None and known[0] == stamp:
            return known[1]
        revision = Manifest.load(path).revision
        # 0: nothing ingested yet, or a manifest that could not be read: cheap to read again, never remembered
        self._manifest_seen = (stamp, revision) if revision > 0 else None
        return revision

    def _pull_from_server(self) -> None:
        """With a Chroma server, at most every SERVER_POLL_SECONDS: the manifest and texts another host's ingest
        published (assistant.chain.pull_shared_state), so the check below sees its revision. One session pulls;
        the others go on with what they have. A server that does not answer is the question's error, not this."""
        if not self.settings.chroma_host or time.monotonic() - self._polled_at < SERVER_POLL_SECONDS:
            return
        if not self.pull_lock.acquire(blocking=False):
            return
        try:
            from assistant.chain import pull_shared_state

            self._polled_at = time.monotonic()
            pull_shared_state(self.settings, self.store)
        except Exception:  # noqa: BLE001 - logged; the question that follows meets the same fault and says so
            log.warning("Could not check the Chroma server for a newer index", exc_info=True)
        finally:
            self.pull_lock.release()

    def _rebuild(self, wanted: tuple) -> None:
        """reload(); when that fails with an assistant to fall back on (a glossary.toml saved half-way or with a
        syntax error), the running one goes on answering and the failure is logged, not retried on every run."""
        if self.assistant is None:
            self.reload()
            return
        try:
            self.reload()
        except Exception:
            log.exception("Rebuilding the assistant failed (the index, glossary or example questions changed); "
                          "the previous one answers")
            self._built_for = wanted

    def _corpus_data_stamp(self) -> tuple[tuple[int, int], ...]:
        """When the glossary and the example questions were last written: the assistant reads both when built."""
        stamps = []
        for name in ("glossary.toml", EXAMPLE_QUESTIONS):
            try:
                stat = (self.settings.corpus_dir / name).stat()
                stamps.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                stamps.append((0, 0))
        return tuple(stamps)

    def ingest(self, progress=None):
        from assistant.indexing import run_ingest

        with self.ingest_lock:
            report = run_ingest(self.settings, self.embeddings, self.store, progress=progress)
        self.reload()
        return report

    def agencies(self, assistant) -> dict:
        """The Agencies view for this index revision, built once in the background: a job dict whose
        "result" is set when done (the page waits for it in a loop a new question can interrupt)."""
        return self._background("agencies", assistant, agency_summaries)

    def who_does_what(self, assistant) -> dict:
        """The Who does what map (assistant/who_does_what.py) for this index revision, built like the Agencies
        view: once per revision, so a re-ingest (here or from the CLI) rebuilds it on the next visit."""
        return self._background("who_does_what", assistant, build_map)

    def _background(self, name: str, assistant, build) -> dict:
        """The job building `build(assistant, progress)` for this assistant; a new job (and thread) when there is
        none yet or the assistant was rebuilt since (the index or the glossary changed)."""
        with self.jobs_lock:
            job = self._jobs.get(name)
            # its bodies and [[terms]], and the example questions the reader ranks with
            key = (assistant.manifest.revision, repr(assistant.glossary), assistant.answerer.reader.examples.digest)
            if job is None or job["key"] != key:  # a new index or glossary
                job = {"key": key, "revision": assistant.manifest.revision, "done": 0, "total": 0,
                       "result": None, "error": None}
                # Quoted sentences, never the model: bulk questions in the background must not queue on it.
                threading.Thread(target=self._run, args=(name, build, assistant.extractive_only(), job),
                                 daemon=True).start()
                self._jobs[name] = job
            return job

    @staticmethod
    def _run(name: str, build, assistant, job: dict) -> None:
        try:
            job["result"] = build(assistant, lambda done, total: job.update(done=done, total=total))
        except Exception as exc:
            log.exception("%s failed", name)
            job["error"] = f"{type(exc).__name__}: {exc}"
