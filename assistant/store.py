"""build_client / build_store: Chroma on disk by default, a `chroma run` server when a host is set."""

from __future__ import annotations

import hashlib
import re

from langchain_core.embeddings import Embeddings

from assistant.settings import Settings

# A wide HNSW search on top of cosine space: for a corpus of this size the search is effectively exact and
# therefore deterministic (checked against brute force in the tests).
HNSW = {"space": "cosine", "ef_search": 256, "ef_construction": 200}


def build_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants
            raise RuntimeError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({exc}); "
                "start it with `make chroma-server` or unset ASSISTANT_CHROMA_HOST."
            ) from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def collection_name(base: str, model_id: str) -> str:
    """One collection per embedding model: Chroma collections cannot mix embedding dimensions."""
    slug = re.sub(r"[^a-z0-9]+", "-", model_id.lower().rsplit("/", 1)[-1]).strip("-")[:40]
    digest = hashlib.sha1(model_id.encode()).hexdigest()[:6]
    return f"{base}-{slug}-{digest}"


def build_store(settings: Settings, embeddings: Embeddings, client=None, model_id: str | None = None):
    """A langchain Chroma store bound to our embedder (never Chroma's default, which downloads a model)."""
    from langchain_chroma import Chroma

    if embeddings is None:
        raise ValueError("build_store needs an embedder; Chroma's default one would download a model")
    model_id = model_id or getattr(embeddings, "model_id", "") or "unknown-model"
    return Chroma(
        collection_name=collection_name(settings.collection, model_id),
        embedding_function=embeddings,
        client=client if client is not None else build_client(settings),
        collection_configuration={"hnsw": HNSW},
    )
