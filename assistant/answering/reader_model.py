"""The reader's fitted models as data: `Linear` (a weighted sum of standardised features) and `ReaderModel` (the
sentence ranking, the answerability model and the chosen constants), read from assistant/data/reader.json, which
`python -m evals fit-reader` writes from the `tune` splits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Linear:
    """score = bias + Σ weight · (feature − mean) / scale."""

    weights: dict[str, float]
    scale: dict[str, float]
    mean: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0

    def __call__(self, rows: list[dict]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        names = list(self.weights)
        missing = [n for n in names if n not in rows[0]]
        if missing:  # a reader.json fitted by other code (ASSISTANT_READER_MODEL): one line, not a KeyError
            raise ReaderModelError(
                f"The reader model weighs the feature {missing[0]!r}, which this code does not compute: it was "
                "fitted by other code. Refit it with `python -m evals fit-reader`, or unset ASSISTANT_READER_MODEL.")
        x = np.array([[r[n] for n in names] for r in rows], dtype=np.float64)
        mean = np.array([self.mean.get(n, 0.0) for n in names])
        scale = np.array([self.scale[n] for n in names])
        return self.bias + ((x - mean) / scale) @ np.array([self.weights[n] for n in names])

    @classmethod
    def from_json(cls, data: dict) -> Linear:
        return cls(dict(data["weights"]), dict(data["scale"]), dict(data.get("mean", {})), float(data.get("bias", 0)))

    def to_json(self) -> dict:
        return {"weights": self.weights, "scale": self.scale, "mean": self.mean, "bias": self.bias}


@dataclass(frozen=True)
class ReaderModel:
    sentence: Linear
    answerable: Linear
    calibration_k: float  # the threshold sits this many standard deviations above the null questions' mean
    neighbour_margin: float  # a sentence joins the answer when its score is within this of the best
    max_sentences: int = 3  # at most this many sentences in an answer
    selection_words: int = 70  # the separately scored sentences fit in this many words (the margin was fitted so)
    calibration_k_off_corpus: float = 0.0  # k for the off-corpus fallback of calibration.py
    detail_margin: float = 2.0  # a sentence giving the detail a question pins ranks first within this of the best
    # the cap on an answer to "what does UNDP do?" (its section's opening passage, answering/bodies.py); 79, the
    # usual answer cap, for a reader.json from before this field: no longer overviews
    body_overview_words: int = 79
    # a chat question that found no reference to the conversation and abstains is offered its reading with the
    # previous question when that is answered, its answerability rising by at least this (offers.in_context)
    context_gain: float = 2.0
    # a list item scoring this much above every leading item that fits is quoted instead of them, the items before
    # it elided ("… Pooling efforts in … research …": answering/lists.py)
    item_margin: float = 1.0
    meta: dict = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """Short hash of the fitted parameters: a calibration made with other parameters is stale."""
        payload = json.dumps(self.to_json(), sort_keys=True).encode("utf-8")
        return hashlib.sha256(payload).hexdigest()[:12]

    @classmethod
    def from_json(cls, data: dict) -> ReaderModel:
        return cls(Linear.from_json(data["sentence"]), Linear.from_json(data["answerable"]),
                   float(data["calibration_k"]), float(data["neighbour_margin"]), int(data.get("max_sentences", 3)),
                   int(data.get("selection_words", 70)), float(data.get("calibration_k_off_corpus", 0.0)),
                   float(data.get("detail_margin", 2.0)), int(data.get("body_overview_words", 79)),
                   float(data.get("context_gain", 2.0)), float(data.get("item_margin", 1.0)),
                   dict(data.get("meta", {})))

    def to_json(self) -> dict:
        return {"sentence": self.sentence.to_json(), "answerable": self.answerable.to_json(),
                "calibration_k": self.calibration_k, "neighbour_margin": self.neighbour_margin,
                "max_sentences": self.max_sentences, "selection_words": self.selection_words,
                "calibration_k_off_corpus": self.calibration_k_off_corpus, "detail_margin": self.detail_margin,
                "body_overview_words": self.body_overview_words, "context_gain": self.context_gain,
                "item_margin": self.item_margin, "meta": self.meta}


class ReaderModelError(RuntimeError):
    """ASSISTANT_READER_MODEL names a file that is not a reader.json."""


def load_model(path: Path | None) -> ReaderModel:
    """The reader at `path` (ASSISTANT_READER_MODEL), or the shipped one when none is given."""
    if path is None:
        return shipped_model()
    try:
        return ReaderModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderModelError(
            f"ASSISTANT_READER_MODEL={path} is not a readable reader.json ({type(exc).__name__}: {exc}); write one "
            f"with `python -m evals fit-reader --out {path}`, or unset it to use the shipped reader.") from exc


@lru_cache(maxsize=1)
def shipped_model() -> ReaderModel:
    path = resources.files("assistant.data").joinpath("reader.json")
    return ReaderModel.from_json(json.loads(path.read_text(encoding="utf-8")))
