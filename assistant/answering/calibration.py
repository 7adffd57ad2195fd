"""The abstention threshold of one index, calibrated on it at ingest (or on first use after one), not by hand.

The reader's answerability logit means different things over different documents (short FAQ lines score
differently from long report paragraphs), so one fixed threshold does not transfer. What does transfer is where
the logit of a question *near* the documents lands when the passage that would answer it is missing. So at
ingest, `SAMPLES` sentences are drawn from the new index (a fixed seed); each becomes a shuffled question (its
content words in random order: the topic without its wording) asked with its own section left out of the search.
The threshold is the mean logit of these near misses plus k standard deviations, k fitted once on the `tune`
splits (reader.json, `calibration_k`). A chunk without a section leaves its whole document out instead. An index
too small for that (fewer than `MIN_SAMPLES` usable questions: one short document) falls back to the off-corpus
questions of data/null_questions.txt, with their own k (`calibration_k_off_corpus`), fitted the same way.

The result is saved per index revision and reader in the data folder (`profiles/<collection>.json`): the reader
is its fitted parameters, the code and word lists that compute its features and the glossary (`reader_key`), so an
upgrade that changes how a feature is measured recalibrates instead of keeping a threshold made for other logits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import statistics
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLES = 60
MIN_SAMPLES = 20
SEED = 13
QUESTION_WORDS = 7  # content words per shuffled question (about a question's length)


@lru_cache(maxsize=1)
def null_question_texts() -> tuple[str, ...]:
    text = resources.files("assistant.data").joinpath("null_questions.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of what turns a question and passages into the answerability logit: the answering code and the
    reviewed word lists it reads (and the example questions' saved vectors: chain._wire)."""
    digest = hashlib.sha256()
    for package, suffix in (("assistant.answering", ".py"), ("assistant.data", ".txt")):
        for item in sorted(resources.files(package).iterdir(), key=lambda f: f.name):
            if item.name.endswith(suffix):
                digest.update(item.name.encode("utf-8") + b"\0" + item.read_bytes())
    retrieval = resources.files("assistant").joinpath("retrieval.py")  # what the probes' passages are
    digest.update(b"retrieval.py\0" + retrieval.read_bytes())
    return digest.hexdigest()[:12]


def reader_key(model_digest: str, glossary: str = "", examples: str = "none") -> str:
    """What a saved calibration must have been computed with to be reused: the fitted parameters, the code, the
    glossary (`repr`; its [[terms]] expand the search, so they move the logits too) and the corpus' example
    questions (their digest)."""
    terms = hashlib.sha256(glossary.encode("utf-8")).hexdigest()[:8]
    return f"{model_digest}-{code_digest()}-{terms}-{examples}"


@dataclass(frozen=True)
class Probe:
    """A question asked at calibration, with the filter that keeps its own passage out of the search."""

    question: str
    filter: dict | None


def near_miss_probes(store, ids, terms, samples: int = SAMPLES, seed: int = SEED) -> list[Probe]:
    """Shuffled questions from sentences of the index (`ids`: its chunk ids), each asked without its own section
    (see module doc); the off-corpus questions when the index is too small to leave sections out."""
    ids = sorted(ids)
    rng = random.Random(seed)
    picked = rng.sample(ids, min(len(ids), samples * 2))
    empty = {"ids": [], "documents": [], "metadatas": []}  # no ids: a manifest that lists nothing
    got = store.get(ids=picked, include=["documents", "metadatas"]) if picked else empty
    order = {cid: i for i, cid in enumerate(picked)}
    probes = []
    for _, text, meta in sorted(zip(got["ids"], got["documents"], got["metadatas"], strict=True),
                                key=lambda row: order[row[0]]):
        question = _shuffled_question(text, meta or {}, terms, rng)
        if question and (meta or {}).get("source") and _others_exist(store, meta):
            probes.append(Probe(question, _without_section(meta)))
        if len(probes) >= samples:
            break
    if len(probes) < MIN_SAMPLES:
        return [Probe(q, None) for q in null_question_texts()]
    return probes


def _shuffled_question(text: str, meta: dict, terms, rng: random.Random) -> str | None:
    base = int(meta.get("start", 0))
    sentences = [text[a - base : b - base] for a, b, kind in json.loads(meta.get("units", "[]")) if kind == "sentence"]
    sentences = [s for s in sentences if len(s.split()) >= QUESTION_WORDS]
    if not sentences:
        return None
    words = [w.strip(".,;:()\"'“”") for w in rng.choice(sentences).split()]
    words = [w for w in words if w and terms(w)]
    rng.shuffle(words)
    return " ".join(words[:QUESTION_WORDS]) + "?" if len(words) >= 3 else None


def _without_section(meta: dict) -> dict:
    """Every chunk but those of the probe's section (or of its document, when the chunk has no section)."""
    if not meta.get("section"):
        return {"source": {"$ne": meta["source"]}}
    return {"$or": [{"source": {"$ne": meta["source"]}}, {"section": {"$ne": meta["section"]}}]}


def _others_exist(store, meta: dict) -> bool:
    return bool(store.get(where=_without_section(meta), limit=1, include=[])["ids"])


@dataclass(frozen=True)
class Calibration:
    threshold: float  # abstain when the answerability logit is below this
    null_mean: float
    null_sd: float
    k: float
    revision: int
    model: str  # digest of the reader model it was computed with
    questions: int
    kind: str = "near-miss"  # or "off-corpus" (the fallback)


def calibrate(logits: list[float], k: float, revision: int, model: str, kind: str) -> Calibration:
    """Threshold from the answerability logits of the probes."""
    mean, sd = statistics.fmean(logits), max(statistics.pstdev(logits), 1e-6)
    return Calibration(round(mean + k * sd, 4), round(mean, 4), round(sd, 4), k, revision, model, len(logits), kind)


def load(path: Path, revision: int, model: str) -> Calibration | None:
    """The saved calibration if it is for this revision and model, else None (missing, stale or unreadable)."""
    try:
        saved = Calibration(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return saved if saved.revision == revision and saved.model == model else None


def save(path: Path, calibration: Calibration) -> bool:
    """Written aside and renamed into place: readers never see half a file, concurrent writers the same content.
    False (and a warning) when the data folder cannot be written: the calibration is then used from memory."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(calibration), f, indent=1)
        os.chmod(tmp, 0o644)  # mkstemp makes it private: an app running as another user must read it
        os.replace(tmp, path)
        return True
    except OSError as exc:
        log.warning("Could not save the abstention calibration to %s (%s); it is recomputed on the next start.",
                    path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False
